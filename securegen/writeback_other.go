//go:build !linux

package securegen

import "os"

// writeBack writes to a file; sync makes it durable.
type writeBack struct{ f *os.File }

func newWriteBack(f *os.File) *writeBack { return &writeBack{f: f} }

func (w *writeBack) Write(p []byte) (int, error) { return w.f.Write(p) }

// sync waits until the file's data is on disk.
func (w *writeBack) sync() error { return w.f.Sync() }
