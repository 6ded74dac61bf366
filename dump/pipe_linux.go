package dump

import (
	"os"

	"golang.org/x/sys/unix"
)

// growPipe asks for a pipe buffer of size bytes; on failure (a lower
// fs.pipe-max-size) the default stays, which is only slower.
func growPipe(f *os.File, size int) {
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, size) //nolint:errcheck // best effort
}
