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
// streamed; memory stays flat.
func CheckLeak(production, placeholder io.Reader) error {
	pr, ph := newLineReader(production), newLineReader(placeholder)
	var leak *LeakError
	for {
		ha, okA, err := nextCopy(pr)
		if err != nil {
			return fmt.Errorf("leak check: production file: %w", err)
		}
		hb, okB, err := nextCopy(ph)
		if err != nil {
			return fmt.Errorf("leak check: placeholder: %w", err)
		}
		if !okA || !okB {
			if okA != okB {
				return fmt.Errorf("leak check: the files have different numbers of COPY blocks (placeholder line %d)", ph.n)
			}
			break
		}
		if ha.Table != hb.Table || strings.Join(ha.Columns, ",") != strings.Join(hb.Columns, ",") {
			return fmt.Errorf("leak check: COPY block mismatch at placeholder line %d: production %s, placeholder %s", ph.n, ha.Table, hb.Table)
		}
		if err := compareBlock(pr, ph, ha, &leak); err != nil {
			return err
		}
	}
	if leak != nil {
		return leak
	}
	return nil
}

// nextCopy advances to the next COPY line.
func nextCopy(lr *lineReader) (copyHeader, bool, error) {
	for {
		line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return copyHeader{}, false, nil
		}
		if err != nil {
			return copyHeader{}, false, err
		}
		h, ok, err := parseCopyHeader(line)
		if err != nil {
			return copyHeader{}, false, fmt.Errorf("line %d: %w", lr.n, err)
		}
		if ok {
			return h, true, nil
		}
	}
}

func compareBlock(pr, ph *lineReader, h copyHeader, leak **LeakError) error {
	sensitive := make([]bool, len(h.Columns))
	for i, c := range h.Columns {
		sensitive[i] = Sensitive(c)
	}
	var fa, fb [][]byte
	for {
		a, errA := pr.next()
		if errA != nil {
			return fmt.Errorf("leak check: production COPY data for %s: %w", h.Table, eofAsUnexpected(errA))
		}
		// a is only valid until pr.next; keep a copy while reading ph.
		a = append([]byte(nil), a...)
		b, errB := ph.next()
		if errB != nil {
			return fmt.Errorf("leak check: placeholder COPY data for %s: %w", h.Table, eofAsUnexpected(errB))
		}
		endA, endB := isCopyEnd(a), isCopyEnd(b)
		if endA || endB {
			if endA != endB {
				return fmt.Errorf("leak check: %s has a different row count in the placeholder (line %d)", h.Table, ph.n)
			}
			return nil
		}
		fa = splitFields(fa[:0], bytes.TrimSuffix(a, []byte("\n")))
		fb = splitFields(fb[:0], bytes.TrimSuffix(b, []byte("\n")))
		if len(fa) != len(fb) {
			return fmt.Errorf("leak check: %s placeholder line %d has %d fields, production %d", h.Table, ph.n, len(fb), len(fa))
		}
		for i := range fa {
			col := columnName(h.Columns, i)
			if i >= len(sensitive) || !sensitive[i] {
				if !bytes.Equal(fa[i], fb[i]) {
					return fmt.Errorf("leak check: %s placeholder line %d: column %s differs from the production file (keys and references must be kept)", h.Table, ph.n, col)
				}
				continue
			}
			if isNull(fa[i]) {
				continue
			}
			if numEqual(fa[i], fb[i]) {
				if *leak == nil {
					*leak = &LeakError{Table: h.Table, Column: col, Line: ph.n}
				}
				(*leak).Leaks++
			}
		}
	}
}

func columnName(cols []string, i int) string {
	if i < len(cols) {
		return cols[i]
	}
	return fmt.Sprintf("#%d", i+1)
}

func eofAsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
