package dump

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// growPipe asks for a pipe buffer of size bytes; on failure (a lower
// fs.pipe-max-size) the default stays, which is only slower.
func growPipe(f *os.File, size int) {
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, size) //nolint:errcheck // best effort
}

// dieWithParent makes the kernel kill pg_dump when securemig dies, however
// it dies (SIGKILL included), so that no dump outlives a killed run.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
