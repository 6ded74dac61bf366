package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the repository this package lives in.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// cleanEnv is the test process's environment without the variables that
// choose a database, so that only what a test sets counts.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "SECUREMIG_PGDIR", "XLSX", "CONTRACT_CODE", "RATE_AREAS", "SECUREMIG":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// result is one finished command.
type result struct {
	stdout, stderr string
	code           int
}

// runIn runs argv (the securemig binary when argv[0] is "securemig") in dir
// with cleanEnv(env...).
func runIn(t *testing.T, dir string, env []string, argv ...string) result {
	t.Helper()
	name := argv[0]
	if name == "securemig" {
		name = binary
	}
	cmd := exec.Command(name, argv[1:]...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %v: %v", argv, err)
	}
	return r
}

// newProject makes a minimal project (migrations/manifest.txt) in a new
// directory and returns it.
func newProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "migrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "migrations", "manifest.txt"), []byte("# test project\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	destroyClusterAtCleanup(t, dir)
	return dir
}

// destroyClusterAtCleanup removes, when the test ends, a local cluster a
// command may have started for the project in dir (inside it, or placed
// outside it and recorded in tmp/pg.location).
func destroyClusterAtCleanup(t *testing.T, dir string) {
	t.Cleanup(func() {
		if hasCluster(dir) {
			runIn(t, dir, nil, "securemig", "db", "destroy")
		}
	})
}

// hasCluster reports whether a local cluster was prepared for the project
// in dir.
func hasCluster(dir string) bool {
	for _, p := range []string{"tmp/pg", "tmp/pg.location"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			return true
		}
	}
	return false
}

// copyProject copies the files of the repository that git would commit
// (tracked, or untracked and not ignored) to dst.
func copyProject(t *testing.T, dst string) {
	t.Helper()
	root := repoRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("listing the repository's files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or not a file
		}
		if err := copyFile(src, filepath.Join(dst, name), fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(src, dst string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

var (
	sampleOnce sync.Once
	sampleXLSX string
	sampleErr  string
)

// sampleWorkbook returns a full-size sample workbook (and its reference
// CSV beside it, sample.rate-areas.csv), generated once per test binary.
func sampleWorkbook(t *testing.T) string {
	t.Helper()
	sampleOnce.Do(func() {
		path := filepath.Join(filepath.Dir(binary), "sample.xlsx")
		out, err := exec.Command(binary, "pricing", "sample", "--out", path).CombinedOutput()
		if err != nil {
			sampleErr = string(out) + err.Error()
			return
		}
		sampleXLSX = path
	})
	if sampleXLSX == "" {
		t.Fatalf("generating the sample workbook: %s", sampleErr)
	}
	return sampleXLSX
}

// needRoot skips a test that needs root, except in CI (which runs as root),
// where it fails.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test needs root (CI runs the suite as root)")
	}
	t.Skip("needs root: the scenario is root working in a private home directory")
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
