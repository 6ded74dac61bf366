package securegen

import (
	"errors"
	"io"
	"sync"
)

// chunkPipe is an in-memory pipe with a bounded queue of chunks, so that
// the writer (the dump stream) and the reader (the scrubber) run
// concurrently without waiting for each other on every write.
type chunkPipe struct {
	ch       chan []byte
	done     chan struct{}
	doneOnce sync.Once
	cur      []byte
}

var errPipeClosed = errors.New("the placeholder writer stopped")

func newChunkPipe(depth int) *chunkPipe {
	return &chunkPipe{ch: make(chan []byte, depth), done: make(chan struct{})}
}

// Write queues a copy of b; it fails once the reader has stopped.
func (p *chunkPipe) Write(b []byte) (int, error) {
	c := append([]byte(nil), b...)
	select {
	case p.ch <- c:
		return len(b), nil
	case <-p.done:
		return 0, errPipeClosed
	}
}

// closeWrite ends the stream: the reader sees io.EOF after the queue.
func (p *chunkPipe) closeWrite() { close(p.ch) }

// Read implements io.Reader.
func (p *chunkPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		c, ok := <-p.ch
		if !ok {
			return 0, io.EOF
		}
		p.cur = c
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// closeRead stops the reader; pending and later writes fail.
func (p *chunkPipe) closeRead() { p.doneOnce.Do(func() { close(p.done) }) }
