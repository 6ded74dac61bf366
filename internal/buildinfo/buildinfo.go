// Package buildinfo holds the version and git commit baked into the binary at
// build time with -ldflags "-X".
package buildinfo

// Version is the release version, set with
// -ldflags "-X github.com/securemig/securemig/internal/buildinfo.Version=v1.2.3".
var Version = "dev"

// Commit is the git commit the binary was built from, set with
// -ldflags "-X github.com/securemig/securemig/internal/buildinfo.Commit=abc123".
var Commit = "unknown"

// String returns "VERSION (COMMIT)", the form recorded in tracking tables,
// import logs and generated file headers.
func String() string { return Version + " (" + Commit + ")" }
