package securegen

import (
	"os"
	"syscall"
)

// writeBackChunk is how many written bytes make writeBack start their
// write-out.
const writeBackChunk = 4 << 20

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start writing the range
// out, without waiting.
const syncFileRangeWrite = 2

// writeBack writes to a file and starts writing each 8 MiB out to disk as
// soon as it is written (sync_file_range), so that the final sync only
// waits for the tail: the file is durable when the dump ends, at no cost
// to its speed.
type writeBack struct {
	f            *os.File
	off, started int64
}

func newWriteBack(f *os.File) *writeBack { return &writeBack{f: f} }

func (w *writeBack) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writeBackChunk {
		// Only a hint: an error here shows again at sync.
		syscall.SyncFileRange(int(w.f.Fd()), w.started, w.off-w.started, syncFileRangeWrite) //nolint:errcheck
		w.started = w.off
	}
	return n, err
}

// sync waits until the file's data is on disk.
func (w *writeBack) sync() error { return syscall.Fdatasync(int(w.f.Fd())) }
