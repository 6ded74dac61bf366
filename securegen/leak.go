package securegen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LeakError reports real values found in a placeholder. It names where,
// never what.
type LeakError struct {
	// Leaks counts the sensitive cells that kept their real value.
	Leaks int64
	// Table, Column and Line locate the first leak (Line in the placeholder).
	Table, Column string
	Line          int
}

func (e *LeakError) Error() string {
	return fmt.Sprintf("leak check: %d real price/factor/escalation value(s) found in the placeholder (first: table %s, column %s, placeholder line %d)",
		e.Leaks, e.Table, e.Column, e.Line)
}

// CheckLeak compares a production file with its placeholder, COPY block by
// COPY block and row by row, and fails when the placeholder is not a
// scrubbed copy: a different table sequence, column list, row count or key
// value is a structure error; a row whose sensitive values (prices,
// factors, escalations) match the production row's — any one of them, and
// hence the row's value tuple — is a leak, reported as a *LeakError. Other
// columns (ids, references, codes) must be identical. Both files are
// streamed through a LeakChecker, reading from the side that is behind, so
// memory stays flat.
func CheckLeak(production, placeholder io.Reader) error {
	c := NewLeakChecker()
	buf := make([]byte, 256<<10)
	prodDone, phDone := false, false
	for !prodDone || !phDone {
		// Read from the side that is behind (the other side's events are queued).
		readProd := !prodDone && (phDone || !c.queued(sideProduction))
		r, w, done := placeholder, c.Placeholder(), &phDone
		if readProd {
			r, w, done = production, c.Production(), &prodDone
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			*done = true
			continue
		}
		if err != nil {
			name := "placeholder"
			if readProd {
				name = "production file"
			}
			return fmt.Errorf("leak check: reading the %s: %w", name, err)
		}
	}
	return c.Close()
}

// Sides of a LeakChecker.
const (
	sideProduction = iota
	sidePlaceholder
)

// maxLeakLag bounds the bytes a LeakChecker queues for the side that is
// ahead: a placeholder written as its production file streams past lags
// by one chunk.
const maxLeakLag = 64 << 20

// LeakChecker is the leak check of CheckLeak as two streams written
// side by side: the production file to Production(), the placeholder to
// Placeholder(), in any interleaving, as they are produced. Each side is
// cut into events (COPY header, row, end of data; other lines are
// skipped); the events of the side that is ahead wait in a queue until the
// other side's matching event arrives and is compared, so memory is
// bounded by how far apart the two streams are (at most maxLeakLag).
// Close reports the outcome.
type LeakChecker struct {
	sides [2]leakSide
	// queue holds events of the side that is ahead (queueSide).
	queue     []leakEvent
	head      int
	arena     []byte
	queueSide int
	// compare state for the block both sides are in.
	block     copyHeader
	sensitive []bool
	fa, fb    [][]byte
	leak      *LeakError
	err       error
}

// leakSide splits one stream into lines and events.
type leakSide struct {
	pending []byte // a partial line
	line    int    // lines seen
	inCopy  bool
	eof     bool
}

type leakEventKind uint8

const (
	eventHeader leakEventKind = iota
	eventRow
	eventEnd
)

type leakEvent struct {
	kind       leakEventKind
	line       int
	start, end int // the row in arena
	header     copyHeader
}

// NewLeakChecker returns a LeakChecker with nothing written yet.
func NewLeakChecker() *LeakChecker { return &LeakChecker{} }

// Production returns the writer taking the production file's bytes.
func (c *LeakChecker) Production() io.Writer { return leakWriter{c, sideProduction} }

// Placeholder returns the writer taking the placeholder's bytes.
func (c *LeakChecker) Placeholder() io.Writer { return leakWriter{c, sidePlaceholder} }

type leakWriter struct {
	c    *LeakChecker
	side int
}

func (w leakWriter) Write(p []byte) (int, error) {
	if err := w.c.write(w.side, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// queued reports whether events of side wait for the other side.
func (c *LeakChecker) queued(side int) bool {
	return c.head < len(c.queue) && c.queueSide == side
}

// write cuts p into lines and handles each complete one.
func (c *LeakChecker) write(side int, p []byte) error {
	if c.err != nil {
		return c.err
	}
	s := &c.sides[side]
	if len(s.pending) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.pending = append(s.pending, p...)
			return nil
		}
		s.pending = append(s.pending, p[:i+1]...)
		p = p[i+1:]
		if err := c.lineOf(side, s.pending); err != nil {
			return c.fail(err)
		}
		s.pending = s.pending[:0]
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.pending = append(s.pending, p...)
			return nil
		}
		if err := c.lineOf(side, p[:i+1]); err != nil {
			return c.fail(err)
		}
		p = p[i+1:]
	}
	return nil
}

func (c *LeakChecker) fail(err error) error {
	c.err = err
	return err
}

// lineOf turns one line of a side into an event, or skips it.
func (c *LeakChecker) lineOf(side int, line []byte) error {
	s := &c.sides[side]
	s.line++
	if s.inCopy {
		if isCopyEnd(line) {
			s.inCopy = false
			return c.event(side, leakEvent{kind: eventEnd, line: s.line}, nil)
		}
		return c.event(side, leakEvent{kind: eventRow, line: s.line}, bytes.TrimSuffix(line, []byte("\n")))
	}
	h, ok, err := parseCopyHeader(line)
	if err != nil {
		return fmt.Errorf("leak check: %s: line %d: %w", sideName(side), s.line, err)
	}
	if !ok {
		return nil
	}
	s.inCopy = true
	return c.event(side, leakEvent{kind: eventHeader, line: s.line, header: h}, nil)
}

func sideName(side int) string {
	if side == sideProduction {
		return "production file"
	}
	return "placeholder"
}

// event matches an event with the other side's queued one, or queues it.
func (c *LeakChecker) event(side int, ev leakEvent, row []byte) error {
	if c.head < len(c.queue) && c.queueSide != side {
		other := c.queue[c.head]
		otherRow := c.arena[other.start:other.end]
		c.head++
		var err error
		if side == sideProduction {
			err = c.compare(ev, row, other, otherRow)
		} else {
			err = c.compare(other, otherRow, ev, row)
		}
		c.compact() // after comparing: it moves the queued rows
		return err
	}
	if len(c.arena) > maxLeakLag {
		return fmt.Errorf("leak check: the %s is more than %d MiB ahead of the other file", sideName(side), maxLeakLag>>20)
	}
	c.queueSide = side
	ev.start = len(c.arena)
	c.arena = append(c.arena, row...)
	ev.end = len(c.arena)
	c.queue = append(c.queue, ev)
	return nil
}

// compact drops the matched events from the queue and their rows from the
// arena: at once when all are matched, else when most are.
func (c *LeakChecker) compact() {
	switch {
	case c.head == len(c.queue):
		c.queue, c.head, c.arena = c.queue[:0], 0, c.arena[:0]
	case c.head >= 1024 && 2*c.head >= len(c.queue):
		off := c.queue[c.head].start
		n := copy(c.arena, c.arena[off:])
		c.arena = c.arena[:n]
		n = copy(c.queue, c.queue[c.head:])
		c.queue, c.head = c.queue[:n], 0
		for i := range c.queue {
			c.queue[i].start -= off
			c.queue[i].end -= off
		}
	}
}

// compare checks a production event against the placeholder's.
func (c *LeakChecker) compare(a leakEvent, rowA []byte, b leakEvent, rowB []byte) error {
	if a.kind != b.kind {
		switch {
		case a.kind == eventHeader || b.kind == eventHeader:
			return fmt.Errorf("leak check: the files have different numbers of COPY blocks (placeholder line %d)", b.line)
		default:
			return fmt.Errorf("leak check: %s has a different row count in the placeholder (line %d)", c.block.Table, b.line)
		}
	}
	switch a.kind {
	case eventHeader:
		ha, hb := a.header, b.header
		if ha.Table != hb.Table || strings.Join(ha.Columns, ",") != strings.Join(hb.Columns, ",") {
			return fmt.Errorf("leak check: COPY block mismatch at placeholder line %d: production %s, placeholder %s", b.line, ha.Table, hb.Table)
		}
		c.block = ha
		c.sensitive = c.sensitive[:0]
		for _, col := range ha.Columns {
			c.sensitive = append(c.sensitive, Sensitive(col))
		}
		return nil
	case eventEnd:
		return nil
	}
	return c.compareRow(rowA, rowB, b.line)
}

// compareRow compares one COPY row of each file.
func (c *LeakChecker) compareRow(a, b []byte, phLine int) error {
	h := c.block
	c.fa = splitFields(c.fa[:0], a)
	c.fb = splitFields(c.fb[:0], b)
	fa, fb := c.fa, c.fb
	if len(fa) != len(fb) {
		return fmt.Errorf("leak check: %s placeholder line %d has %d fields, production %d", h.Table, phLine, len(fb), len(fa))
	}
	for i := range fa {
		if i >= len(c.sensitive) || !c.sensitive[i] {
			if !bytes.Equal(fa[i], fb[i]) {
				return fmt.Errorf("leak check: %s placeholder line %d: column %s differs from the production file (keys and references must be kept)",
					h.Table, phLine, columnName(h.Columns, i))
			}
			continue
		}
		if isNull(fa[i]) {
			continue
		}
		if numEqual(fa[i], fb[i]) {
			if c.leak == nil {
				c.leak = &LeakError{Table: h.Table, Column: columnName(h.Columns, i), Line: phLine}
			}
			c.leak.Leaks++
		}
	}
	return nil
}

// Close ends both streams (a last line without a newline counts) and
// returns the first structure error, else a *LeakError when real values
// were found, else nil.
func (c *LeakChecker) Close() error {
	for side := range c.sides {
		s := &c.sides[side]
		if c.err == nil && len(s.pending) > 0 {
			line := s.pending
			s.pending = nil
			if err := c.lineOf(side, line); err != nil {
				c.err = err
			}
		}
	}
	if c.err != nil {
		return c.err
	}
	for side := range c.sides {
		if c.sides[side].inCopy {
			return fmt.Errorf("leak check: %s COPY data for %s: %w", sideName(side), c.block.Table, io.ErrUnexpectedEOF)
		}
	}
	if c.head < len(c.queue) {
		ev := c.queue[c.head]
		if ev.kind == eventHeader {
			return fmt.Errorf("leak check: the files have different numbers of COPY blocks (%s line %d)", sideName(c.queueSide), ev.line)
		}
		return fmt.Errorf("leak check: %s has a different row count in the placeholder (%s line %d)", c.block.Table, sideName(c.queueSide), ev.line)
	}
	if c.leak != nil {
		return c.leak
	}
	return nil
}

func columnName(cols []string, i int) string {
	if i < len(cols) {
		return cols[i]
	}
	return fmt.Sprintf("#%d", i+1)
}
