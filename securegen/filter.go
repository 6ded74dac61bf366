package securegen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// bodyFilter passes pg_dump's output through to out line by line (only
// whole lines reach out), dropping the \restrict and \unrestrict
// meta-command lines (their key is random per run) and counting the rows of
// each COPY block.
type bodyFilter struct {
	out     io.Writer
	pending []byte
	inCopy  bool
	table   string
	rows    int64 // rows of the current COPY block
	counts  map[string]int64
	order   []string
	line    int
}

func newBodyFilter(out io.Writer) *bodyFilter {
	return &bodyFilter{out: out, counts: map[string]int64{}}
}

var (
	restrictPrefix   = []byte(`\restrict `)
	unrestrictPrefix = []byte(`\unrestrict `)
	copyPrefix       = []byte("COPY ")
)

// Write implements io.Writer.
func (f *bodyFilter) Write(p []byte) (int, error) {
	n := len(p)
	if len(f.pending) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.pending = append(f.pending, p...)
			return n, nil
		}
		f.pending = append(f.pending, p[:i+1]...)
		if err := f.lines(f.pending); err != nil {
			return 0, err
		}
		f.pending = f.pending[:0]
		p = p[i+1:]
	}
	j := bytes.LastIndexByte(p, '\n')
	if j >= 0 {
		if err := f.lines(p[:j+1]); err != nil {
			return 0, err
		}
		p = p[j+1:]
	}
	f.pending = append(f.pending, p...)
	return n, nil
}

// lines handles complete lines, writing runs of kept lines at once.
func (f *bodyFilter) lines(b []byte) error {
	start, pos := 0, 0
	for pos < len(b) {
		end := pos + bytes.IndexByte(b[pos:], '\n') + 1
		line := b[pos:end]
		f.line++
		switch {
		case f.inCopy:
			if isCopyEnd(line) {
				f.inCopy = false
				f.counts[f.table] += f.rows
			} else {
				f.rows++
			}
		case bytes.HasPrefix(line, restrictPrefix) || bytes.HasPrefix(line, unrestrictPrefix):
			if _, err := f.out.Write(b[start:pos]); err != nil {
				return err
			}
			start = end
		case bytes.HasPrefix(line, copyPrefix):
			h, ok, err := parseCopyHeader(line)
			if err != nil {
				return fmt.Errorf("pg_dump output line %d: %w", f.line, err)
			}
			if ok {
				f.inCopy, f.table, f.rows = true, h.Table, 0
				if _, seen := f.counts[h.Table]; !seen {
					f.order = append(f.order, h.Table)
					f.counts[h.Table] = 0
				}
			}
		}
		pos = end
	}
	_, err := f.out.Write(b[start:])
	return err
}

// close flushes a last line without a newline and checks the stream ended
// outside COPY data.
func (f *bodyFilter) close() error {
	if len(f.pending) > 0 {
		f.pending = append(f.pending, '\n')
		if err := f.lines(f.pending); err != nil {
			return err
		}
		f.pending = nil
	}
	if f.inCopy {
		return errors.New("pg_dump output ended inside COPY data")
	}
	return nil
}
