package securegen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// lineReader reads lines of any length (terminator included) with a large
// buffer and no per-line allocation for lines that fit in it.
type lineReader struct {
	br   *bufio.Reader
	long []byte
	n    int // lines read
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 1<<20)}
}

// next returns the next line, valid until the following call, or io.EOF.
// A last line without a newline is returned as is.
func (l *lineReader) next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.long = append(l.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = l.br.ReadSlice('\n')
			l.long = append(l.long, line...)
		}
		line = l.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	l.n++
	return line, nil
}

// copyHeader is a parsed "COPY table (columns) FROM stdin;" line.
type copyHeader struct {
	// Table is the qualified name with identifiers unquoted ("public.re.dot").
	Table string
	// Columns are the unquoted column names.
	Columns []string
}

// endOfCopy is the line ending a COPY block's data.
var endOfCopy = []byte("\\.")

// isCopyEnd reports whether line (terminator included) ends COPY data.
func isCopyEnd(line []byte) bool {
	if len(line) < 2 || len(line) > 4 || line[0] != '\\' {
		return false // the common case, decided without trimming
	}
	return bytes.Equal(bytes.TrimRight(line, "\r\n"), endOfCopy)
}

// parseCopyHeader parses pg_dump's COPY line; ok is false for other lines.
func parseCopyHeader(line []byte) (h copyHeader, ok bool, err error) {
	s := strings.TrimRight(string(line), "\r\n")
	if !strings.HasPrefix(s, "COPY ") || !strings.HasSuffix(s, " FROM stdin;") {
		return copyHeader{}, false, nil
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "COPY "), " FROM stdin;")
	names, rest, err := parseIdentList(s, '.')
	if err != nil {
		return copyHeader{}, true, fmt.Errorf("COPY statement: table name: %w", err)
	}
	h.Table = strings.Join(names, ".")
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return h, true, nil
	}
	if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
		return copyHeader{}, true, errors.New("COPY statement: malformed column list")
	}
	cols, tail, err := parseIdentList(strings.TrimSuffix(strings.TrimPrefix(rest, "("), ")"), ',')
	if err != nil || strings.TrimSpace(tail) != "" {
		return copyHeader{}, true, errors.New("COPY statement: malformed column list")
	}
	h.Columns = cols
	return h, true, nil
}

// parseIdentList reads identifiers (plain or double-quoted) separated by
// sep (and optional spaces) and returns them with the unparsed rest.
func parseIdentList(s string, sep byte) (idents []string, rest string, err error) {
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var id strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				if i >= len(s) {
					return nil, "", errors.New("unterminated quoted identifier")
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						id.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				id.WriteByte(s[i])
				i++
			}
		} else {
			start := i
			for i < len(s) && s[i] != sep && s[i] != ' ' && s[i] != '(' {
				i++
			}
			if i == start {
				return nil, "", errors.New("empty identifier")
			}
			id.WriteString(s[start:i])
		}
		idents = append(idents, id.String())
		if i < len(s) && s[i] == sep {
			i++
			continue
		}
		return idents, s[i:], nil
	}
}
