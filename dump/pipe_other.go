//go:build !linux

package dump

import (
	"os"
	"os/exec"
)

// growPipe keeps the default pipe buffer where it cannot be changed.
func growPipe(*os.File, int) {}

// dieWithParent is a no-op where the system cannot tie a child's life to
// its parent's; pg_dump then ends when writing to the closed pipe fails.
func dieWithParent(*exec.Cmd) {}
