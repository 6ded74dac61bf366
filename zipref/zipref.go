// Package zipref reads the zip-to-rate-area reference CSV that accompanies a
// pricing workbook (docs/ghc-pricing-template.md 4.4) and checks it against
// the workbook's zip3s and domestic rate-area codes. It does no I/O beyond
// reading the given reader.
//
// The file has the header `zip3,zip5,rate_area_code`; each data line fills
// exactly one of zip3 / zip5. A zip3 line's code is a domestic rate-area code
// or the special value ZIP ("spans several rate areas; see its zip5 lines").
package zipref

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Multiple is the rate-area code of a zip3 that spans several rate areas.
const Multiple = "ZIP"

// header is the required first line.
var header = []string{"zip3", "zip5", "rate_area_code"}

// Zip3 is one zip3 line: Code is a domestic rate-area code or Multiple.
type Zip3 struct {
	Zip3 string // 3 digits
	Code string
	Line int // 1-based line number in the file
}

// Zip5 is one zip5 line.
type Zip5 struct {
	Zip5 string // 5 digits
	Code string
	Line int
}

// Map is the content of a reference CSV, lines in file order. Lines with
// problems are left out.
type Map struct {
	File  string
	Zip3s []Zip3
	Zip5s []Zip5

	zip3Index map[string]int // zip3 → index in Zip3s
}

// Zip3 returns the zip3 line of zip, if any.
func (m *Map) Zip3(zip string) (Zip3, bool) {
	i, ok := m.zip3Index[zip]
	if !ok {
		return Zip3{}, false
	}
	return m.Zip3s[i], true
}

// Severity tells whether a problem fails the import.
type Severity uint8

// Problem severities.
const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding about the reference CSV, with its file and line
// (0 when the problem concerns the file as a whole).
type Problem struct {
	Severity Severity
	File     string
	Line     int
	Message  string
}

// String renders the problem as `<file>:<line>: <message>`.
func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Message
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// ReadFile reads the reference CSV at path; see Read.
func ReadFile(path string) (*Map, []Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading rate-area reference: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads a reference CSV from r; name is used in problems and errors.
// It returns every line-level problem (malformed or duplicate zips, both or
// neither of zip3 / zip5 filled, ZIP on a zip5 line). The error is non-nil
// only when the input cannot be read as the expected CSV at all (I/O error,
// wrong header, broken quoting).
func Read(r io.Reader, name string) (*Map, []Problem, error) {
	cr := csv.NewReader(bomSkipper(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	m := &Map{File: name, zip3Index: map[string]int{}}
	var probs []Problem
	seen3 := map[string]int{}
	seen5 := map[string]int{}
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if !isHeader(rec) {
				return nil, nil, fmt.Errorf("%s:%d: header must be %q", name, line, strings.Join(header, ","))
			}
			continue
		}
		if isBlank(rec) {
			continue
		}
		if p, ok := m.add(rec, line, seen3, seen5); !ok {
			p.File = name
			probs = append(probs, p)
		}
	}
	if first {
		return nil, nil, fmt.Errorf("%s: empty file, header %q expected", name, strings.Join(header, ","))
	}
	return m, probs, nil
}

// add validates one data line and appends it to m. On a problem it returns
// the problem (without File) and false.
func (m *Map) add(rec []string, line int, seen3, seen5 map[string]int) (Problem, bool) {
	bad := func(format string, args ...any) (Problem, bool) {
		return Problem{Severity: Error, Line: line, Message: fmt.Sprintf(format, args...)}, false
	}
	if len(rec) != 3 {
		return bad("expected 3 fields, found %d", len(rec))
	}
	z3, z5, code := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
	switch {
	case z3 == "" && z5 == "":
		return bad("neither zip3 nor zip5 is filled")
	case z3 != "" && z5 != "":
		return bad("both zip3 and zip5 are filled; a line maps exactly one")
	case code == "":
		return bad("rate_area_code is empty")
	}
	if z3 != "" {
		zip, ok := padDigits(z3, 3)
		if !ok {
			return bad("malformed zip3 %q: 1 to 3 digits expected", z3)
		}
		if first, dup := seen3[zip]; dup {
			return bad("zip3 %s listed twice, first on line %d", zip, first)
		}
		seen3[zip] = line
		m.zip3Index[zip] = len(m.Zip3s)
		m.Zip3s = append(m.Zip3s, Zip3{Zip3: zip, Code: code, Line: line})
		return Problem{}, true
	}
	zip, ok := padDigits(z5, 5)
	if !ok {
		return bad("malformed zip5 %q: 1 to 5 digits expected", z5)
	}
	if code == Multiple {
		return bad("zip5 %s: code %s is only allowed on zip3 lines", zip, Multiple)
	}
	if first, dup := seen5[zip]; dup {
		return bad("zip5 %s listed twice, first on line %d", zip, first)
	}
	seen5[zip] = line
	m.Zip5s = append(m.Zip5s, Zip5{Zip5: zip, Code: code, Line: line})
	return Problem{}, true
}

// padDigits left-pads s, made only of 1 to n ASCII digits, with zeros to n
// digits.
func padDigits(s string, n int) (string, bool) {
	if len(s) == 0 || len(s) > n {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return strings.Repeat("0", n-len(s)) + s, true
}

// isHeader reports whether rec is the required header (fields trimmed).
func isHeader(rec []string) bool {
	if len(rec) != len(header) {
		return false
	}
	for i, h := range header {
		if strings.TrimSpace(rec[i]) != h {
			return false
		}
	}
	return true
}

// isBlank reports whether every field of rec is white space.
func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// bomSkipper returns a reader over r without a leading UTF-8 byte-order mark.
func bomSkipper(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	return br
}
