package securegen

import (
	"bytes"
	"errors"
	"io"
)

// tee is where the body of pg_dump's output goes, in chunks of whole lines
// (the body filter writes nothing else). The caller's goroutine writes each
// chunk to the production file (hashing it); a second goroutine takes a
// copy of the chunk and, line by line, scrubs it into the placeholder
// (hashing and writing it) and hands both lines to the leak check. The two
// halves run side by side on a pool of teeBuffers chunk buffers, so memory
// is bounded and the leak check never queues more than a line.
type tee struct {
	prod  io.Writer
	free  chan []byte // empty chunk buffers
	work  chan []byte // chunks for the placeholder side
	done  chan error  // the placeholder side's outcome
	err   error       // the placeholder side failed (set once done)
	ended bool

	// The placeholder side's state, used by its goroutine only.
	ph     io.Writer
	scrub  *scrubber
	leak   *LeakChecker
	buf    []byte
	tamper func(prodLine, phLine []byte) ([]byte, error)
}

// teeBuffers chunk buffers of teeChunk bytes bound the placeholder side's
// lag behind the production file.
const (
	teeBuffers = 4
	teeChunk   = 1 << 20
)

func newTee(prod, ph io.Writer, tamper func(prodLine, phLine []byte) ([]byte, error)) *tee {
	t := &tee{prod: prod, ph: ph, scrub: newScrubber(), leak: NewLeakChecker(), tamper: tamper,
		free: make(chan []byte, teeBuffers), work: make(chan []byte, teeBuffers), done: make(chan error, 1)}
	for range teeBuffers {
		t.free <- make([]byte, 0, teeChunk)
	}
	go func() { t.done <- t.placeholderSide() }()
	return t
}

// Write writes a chunk of whole lines to the production file and passes
// it on to the placeholder side.
func (t *tee) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	written := len(p)
	if _, err := t.prod.Write(p); err != nil {
		return 0, err
	}
	for len(p) > 0 {
		var buf []byte
		select {
		case buf = <-t.free:
		case err := <-t.done:
			t.ended, t.err = true, err
			if err == nil {
				t.err = errTeeEnded
			}
			return 0, t.err
		}
		n := len(p)
		if n > teeChunk {
			// Cut after a newline (a line longer than a chunk goes whole).
			if i := bytes.LastIndexByte(p[:teeChunk], '\n'); i >= 0 {
				n = i + 1
			}
		}
		t.work <- append(buf[:0], p[:n]...)
		p = p[n:]
	}
	return written, nil
}

// errTeeEnded reports a placeholder side that ended before the body did.
var errTeeEnded = errors.New("the placeholder writer ended early")

// placeholderSide scrubs each chunk into the placeholder and runs the leak
// check on both, until the work channel closes or something fails (it then
// drains the channel so the production side never blocks).
func (t *tee) placeholderSide() error {
	var err error
	for chunk := range t.work {
		if err == nil {
			err = t.chunk(chunk)
		}
		t.free <- chunk
	}
	if err != nil {
		return err
	}
	if err := t.scrub.close(); err != nil {
		return err
	}
	return t.leak.Close()
}

// chunk handles one chunk of production lines.
func (t *tee) chunk(p []byte) error {
	t.buf = t.buf[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			i = len(p) - 1
		}
		line := p[:i+1]
		p = p[i+1:]
		start := len(t.buf)
		var err error
		if t.buf, err = t.scrub.line(t.buf, line); err != nil {
			return err
		}
		phLine := t.buf[start:]
		if t.tamper != nil {
			if phLine, err = t.tamper(line, phLine); err != nil {
				return err
			}
			t.buf = append(t.buf[:start], phLine...)
			phLine = t.buf[start:]
		}
		if err := t.leak.lineOf(sideProduction, line); err != nil {
			return t.leak.fail(err)
		}
		if len(phLine) > 0 {
			if err := t.leak.lineOf(sidePlaceholder, phLine); err != nil {
				return t.leak.fail(err)
			}
		}
	}
	_, err := t.ph.Write(t.buf)
	return err
}

// close waits for the placeholder side: a structure error, or a
// *LeakError when real values reached the placeholder.
func (t *tee) close() error {
	if t.ended {
		return t.err
	}
	close(t.work)
	t.ended = true
	t.err = <-t.done
	return t.err
}
