package parser

import (
	"fmt"
	"strings"
	"unicode"
)

// sheetCtx reads typed values from the rows of one data sheet and reports
// problems located in it.
type sheetCtx struct {
	st      *state
	idx     int
	tab     string
	records int
	fmtMemo map[int]numFormat
}

// errorf reports an error at (row, col).
func (s *sheetCtx) errorf(kind Kind, row, col int, format string, args ...any) {
	s.st.add(Error, kind, s.idx, row, col, fmt.Sprintf(format, shortArgs(args)...))
}

// warnf reports a warning at (row, col).
func (s *sheetCtx) warnf(kind Kind, row, col int, format string, args ...any) {
	s.st.add(Warning, kind, s.idx, row, col, fmt.Sprintf(format, shortArgs(args)...))
}

// maxArg bounds a string quoted in a problem message, in bytes.
const maxArg = 256

// shortArgs shortens the long strings among a message's arguments (cell
// texts of up to maxCellText bytes) so that formatting a message costs the
// same whatever the cells hold.
func shortArgs(args []any) []any {
	for i, a := range args {
		if str, ok := a.(string); ok && len(str) > maxArg {
			args[i] = shorten(str, maxArg)
		}
	}
	return args
}

// cell returns the location of (row, col) in this sheet.
func (s *sheetCtx) cell(row, col int) Cell { return Cell{Sheet: s.tab, Col: col, Row: row} }

// format returns the number format of a style.
func (s *sheetCtx) format(style int) numFormat {
	if f, ok := s.fmtMemo[style]; ok {
		return f
	}
	if s.fmtMemo == nil {
		s.fmtMemo = map[int]numFormat{}
	}
	f := parseFormat(s.st.wb.format(style))
	s.fmtMemo[style] = f
	return f
}

// display returns the trimmed displayed text of a cell (spec 2.3).
func (s *sheetCtx) display(c xcell) string {
	switch c.typ {
	case cellText, cellError, cellDate:
		return strings.TrimFunc(c.val, unicode.IsSpace)
	case cellBool:
		if c.val == "1" {
			return "TRUE"
		}
		return "FALSE"
	case cellNumber:
		n, ok := parseNumber(c.val)
		if !ok {
			return c.val
		}
		f := s.format(c.style)
		if f.date {
			return generalText(n)
		}
		return strings.TrimFunc(f.display(n), unicode.IsSpace)
	}
	return ""
}

// invalidType describes a cell that cannot hold a value, or returns "".
func (s *sheetCtx) invalidType(c xcell) string {
	switch c.typ {
	case cellBool:
		return "a boolean cell"
	case cellError:
		return "an error cell"
	case cellDate:
		return "a date cell"
	case cellNumber:
		if s.format(c.style).date {
			return "a date cell"
		}
		if _, ok := parseNumber(c.val); !ok {
			return "a malformed number"
		}
	}
	return ""
}

// required reports an empty required cell; it returns false when blank.
func (s *sheetCtx) required(r *row, c xcell, label string) bool {
	if isBlank(c) {
		s.errorf(KindEmptyCell, r.n, c.col, "%s: empty", label)
		return false
	}
	return true
}

// text reads a required text cell (codes, names, labels) and returns its
// trimmed displayed text.
func (s *sheetCtx) text(r *row, col int, label string) string {
	c := r.get(col)
	if !s.required(r, c, label) {
		return ""
	}
	if c.typ != cellText {
		what := s.invalidType(c)
		if what == "" {
			what = "a number cell"
		}
		s.errorf(KindBadValue, r.n, col, "%s: expected text, found %s", label, what)
	}
	return s.display(c)
}

// money reads a required money cell with dec decimals (2 → cents,
// 3 → millicents). Zero is allowed only with allowZero.
func (s *sheetCtx) money(r *row, col, dec int, allowZero bool, label string) (Money, bool) {
	c := r.get(col)
	m := Money{Text: s.display(c)}
	if !s.required(r, c, label) {
		return m, false
	}
	var (
		v   int64
		msg string
	)
	switch {
	case c.typ == cellText:
		v, msg = moneyText(c.val, dec)
	case s.invalidType(c) != "":
		msg = s.invalidType(c) + " is not a money amount"
	default:
		n, _ := parseNumber(c.val)
		v, msg = moneyNumber(n, dec)
		if msg == "" {
			if dv, dmsg := moneyText(m.Text, dec); dmsg == "" && dv != v {
				s.warnf(KindDisplayMismatch, r.n, col, "%s: displayed text differs from the stored value", label)
			}
		}
	}
	switch {
	case msg != "":
	case v == 0 && !allowZero:
		msg = "must be greater than zero"
	case v > 1<<31-1 || dec == 3 && v*100 > 1<<31-1:
		msg = "amount too large"
	}
	if msg != "" {
		s.errorf(KindBadValue, r.n, col, "%s: %s", label, msg)
		return m, false
	}
	if dec == 3 {
		v *= 100 // millicents
	}
	m.Amount = v
	return m, true
}

// integer reads a required Integer cell in [lo, hi].
func (s *sheetCtx) integer(r *row, col int, lo, hi int64, label string) (Integer, bool) {
	c := r.get(col)
	out := Integer{Text: s.display(c)}
	v, ok := s.integerValue(r, c, lo, hi, label, false)
	out.Value = int(v)
	return out, ok
}

// integerValue converts a cell as an Integer in [lo, hi] and reports
// problems; grouping accepts thousands separators in text.
func (s *sheetCtx) integerValue(r *row, c xcell, lo, hi int64, label string, grouping bool) (int64, bool) {
	if !s.required(r, c, label) {
		return 0, false
	}
	var (
		v   int64
		msg string
	)
	switch {
	case c.typ == cellText:
		v, msg = integerText(c.val, grouping)
	case s.invalidType(c) != "":
		msg = s.invalidType(c) + " is not a number"
	default:
		n, _ := parseNumber(c.val)
		v, msg = integerNumber(n)
	}
	if msg == "" && (v < lo || v > hi) {
		msg = fmt.Sprintf("%d is outside %d–%d", v, lo, hi)
	}
	if msg != "" {
		s.errorf(KindBadValue, r.n, c.col, "%s: %s", label, msg)
		return 0, false
	}
	return v, true
}

// serviceArea reads a service-area number (1–999) as 3 digits; on error it
// returns the trimmed displayed text.
func (s *sheetCtx) serviceArea(r *row, col int) (string, bool) {
	c := r.get(col)
	v, ok := s.integerValue(r, c, 1, 999, "service area number", false)
	if !ok {
		return s.display(c), false
	}
	return threeDigits(v), true
}

// zip3s reads a zip3 list cell; it returns the 3-digit tokens and the CSV
// text (tokens joined by ",", or the displayed text when unconvertible).
func (s *sheetCtx) zip3s(r *row, col int) ([]string, string, bool) {
	c := r.get(col)
	if !s.required(r, c, "included zip3s") {
		return nil, "", false
	}
	if c.typ != cellText {
		v, ok := s.integerValue(r, c, 0, 999, "included zip3s", false)
		if !ok {
			return nil, s.display(c), false
		}
		z := threeDigits(v)
		return []string{z}, z, true
	}
	var out []string
	for i, tok := range strings.Split(c.val, ",") {
		tok = strings.TrimFunc(tok, unicode.IsSpace)
		if tok == "" {
			s.errorf(KindBadValue, r.n, col, "included zip3s: token %d is empty", i+1)
			return nil, s.display(c), false
		}
		v, msg := integerText(tok, false)
		if msg == "" && v > 999 {
			msg = fmt.Sprintf("%d is outside 0–999", v)
		}
		if msg != "" {
			s.errorf(KindBadValue, r.n, col, "included zip3s: token %d %q: %s", i+1, tok, msg)
			return nil, s.display(c), false
		}
		out = append(out, threeDigits(v))
	}
	return out, strings.Join(out, ","), true
}

// decimal reads a required factor (maxDec 2, 0 < f < 100) or escalation
// (maxDec 5, 0 < e < 10) cell.
func (s *sheetCtx) decimal(r *row, col, maxDec int, limit int64, label string) (Factor, bool) {
	c := r.get(col)
	out := Factor{Text: s.display(c)}
	if !s.required(r, c, label) {
		return out, false
	}
	var (
		n   number
		msg string
	)
	switch {
	case c.typ == cellText:
		n, msg = decimalText(c.val, maxDec)
	case s.invalidType(c) != "":
		msg = s.invalidType(c) + " is not a number"
	default:
		n, _ = parseNumber(c.val)
		if n.neg {
			msg = "negative"
		}
	}
	var d Decimal
	if msg == "" {
		var ok bool
		if d, ok = toDecimal(n, maxDec); !ok {
			msg = "number too large"
		}
	}
	switch {
	case msg != "":
	case d.Unscaled <= 0:
		msg = "must be greater than zero"
	case !decimalLess(d, limit):
		msg = fmt.Sprintf("must be less than %d", limit)
	}
	if msg != "" {
		s.errorf(KindBadValue, r.n, col, "%s: %s", label, msg)
		return out, false
	}
	if c.typ == cellNumber {
		if dn, dmsg := decimalText(out.Text, maxDec); dmsg == "" {
			if dd, ok := toDecimal(dn, maxDec); ok && dd != d {
				s.warnf(KindDisplayMismatch, r.n, col, "%s: displayed text differs from the stored value", label)
			}
		}
	}
	out.Value = d
	return out, true
}

// market reads a required market cell (CONUS / OCONUS).
func (s *sheetCtx) market(r *row, col int) (Market, string, bool) {
	c := r.get(col)
	txt := s.display(c)
	if !s.required(r, c, "market") {
		return "", txt, false
	}
	if c.typ == cellText {
		switch strings.ToUpper(txt) {
		case "CONUS":
			return MarketCONUS, txt, true
		case "OCONUS":
			return MarketOCONUS, txt, true
		}
	}
	s.errorf(KindBadValue, r.n, col, "market: expected CONUS or OCONUS, found %q", txt)
	return "", txt, false
}

// Header match modes.
const (
	matchW = 'W' // white space removed, ’ = '
	matchE = 'E' // trimmed, exact
)

// expect checks a header cell of row r (nil when the row is absent).
func (s *sheetCtx) expect(r *row, rowNum, col int, want string, mode byte) {
	c := r.get(col)
	found := ""
	if !isBlank(c) {
		found = s.display(c)
	}
	ok := false
	if mode == matchW {
		ok = equalWS(found, want)
	} else {
		ok = found == strings.TrimFunc(want, unicode.IsSpace)
	}
	if !ok {
		s.errorf(KindHeaderMismatch, rowNum, col, "expected %q, found %q", want, found)
	}
}

// label reads a required text cell that must be one of allowed (compared
// exactly after trimming); unknown texts are unknown_label errors.
func (s *sheetCtx) label(r *row, col int, what string, allowed ...string) (string, bool) {
	txt := s.text(r, col, what)
	if txt == "" {
		return txt, false
	}
	for _, a := range allowed {
		if txt == a {
			return txt, true
		}
	}
	s.errorf(KindUnknownLabel, r.n, col, "%s: unknown text %q", what, txt)
	return txt, false
}
