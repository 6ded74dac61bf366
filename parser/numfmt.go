package parser

import (
	"strconv"
	"strings"
)

// This file renders a numeric cell's displayed text from its exact value and
// number format code (spec 2.3). It covers General and the numeric formats a
// pricing template uses: literals, quoted text, escapes, `_x` and `*x` (one
// space each), colour and locale brackets, digit placeholders 0 # ?,
// thousands separators, decimals, percent and the positive;negative;zero
// sections. Other formats (fractions, scientific) fall back to General.

// numFormat is a number format code split into sections and tokenized once,
// so that rendering a cell does not parse its format again.
type numFormat struct {
	secs [][]token
	date bool // the format displays dates or times
}

// parseFormat tokenizes a format code.
func parseFormat(code string) numFormat {
	var f numFormat
	for _, sec := range splitSections(code) {
		toks := tokenize(sec)
		f.secs = append(f.secs, toks)
		if strings.EqualFold(strings.TrimSpace(sec), "general") {
			continue
		}
		for _, t := range toks {
			f.date = f.date || t.kind == tokDate
		}
	}
	return f
}

// display renders n with the format.
func (f numFormat) display(n number) string {
	sec := f.secs[0]
	v := n
	switch {
	case n.neg && len(f.secs) >= 2:
		sec, v.neg = f.secs[1], false
	case n.isZero() && len(f.secs) >= 3:
		sec = f.secs[2]
	}
	return renderSection(v, sec)
}

// splitSections splits a format code on unquoted, unescaped semicolons.
func splitSections(code string) []string {
	var secs []string
	start, inQuote := 0, false
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if !inQuote {
				i++
			}
		case ';':
			if !inQuote {
				secs = append(secs, code[start:i])
				start = i + 1
			}
		}
	}
	return append(secs, code[start:])
}

// tokKind classifies a piece of a format section.
type tokKind uint8

const (
	tokLiteral tokKind = iota // text copied as is
	tokDigit                  // 0 # ? (integer part)
	tokDot                    // decimal point
	tokFrac                   // 0 # ? after the decimal point
	tokComma                  // thousands separator
	tokPercent                // %
	tokDate                   // y m d h s …
	tokOther                  // unsupported (E+, /, @)
)

// token is one piece of a format section.
type token struct {
	kind tokKind
	text string
}

// tokenize splits a format section into tokens.
func tokenize(sec string) []token {
	var toks []token
	seenDot := false
	for i := 0; i < len(sec); i++ {
		ch := sec[i]
		switch {
		case ch == '"':
			j := strings.IndexByte(sec[i+1:], '"')
			if j < 0 {
				j = len(sec) - i - 1
			}
			toks = append(toks, token{tokLiteral, sec[i+1 : i+1+j]})
			i += j + 1
		case ch == '\\' && i+1 < len(sec):
			toks = append(toks, token{tokLiteral, sec[i+1 : i+2]})
			i++
		case (ch == '_' || ch == '*') && i+1 < len(sec):
			toks = append(toks, token{tokLiteral, " "})
			i++
		case ch == '[':
			j := strings.IndexByte(sec[i:], ']')
			if j < 0 {
				j = len(sec) - i - 1
			}
			inner := sec[i+1 : i+j]
			if strings.HasPrefix(inner, "$") {
				sym := inner[1:]
				if k := strings.IndexByte(sym, '-'); k >= 0 {
					sym = sym[:k]
				}
				toks = append(toks, token{tokLiteral, sym})
			} else if isElapsed(inner) {
				toks = append(toks, token{tokDate, inner})
			}
			i += j
		case ch == '0' || ch == '#' || ch == '?':
			if seenDot {
				toks = append(toks, token{tokFrac, sec[i : i+1]})
			} else {
				toks = append(toks, token{tokDigit, sec[i : i+1]})
			}
		case ch == '.':
			seenDot = true
			toks = append(toks, token{tokDot, "."})
		case ch == ',':
			toks = append(toks, token{tokComma, ","})
		case ch == '%':
			toks = append(toks, token{tokPercent, "%"})
		case strings.IndexByte("yYmMdDhHsS", ch) >= 0:
			toks = append(toks, token{tokDate, sec[i : i+1]})
		case ch == 'E' || ch == 'e' || ch == '/' || ch == '@':
			toks = append(toks, token{tokOther, sec[i : i+1]})
		case ch == 'G' || ch == 'g':
			if len(sec)-i >= 7 && strings.EqualFold(sec[i:i+7], "general") {
				toks = append(toks, token{tokOther, "General"})
				i += 6
			} else {
				toks = append(toks, token{tokLiteral, sec[i : i+1]})
			}
		case ch == 'A' || ch == 'a':
			if len(sec)-i >= 5 && strings.EqualFold(sec[i:i+5], "am/pm") {
				toks = append(toks, token{tokDate, "AM/PM"})
				i += 4
			} else {
				toks = append(toks, token{tokLiteral, sec[i : i+1]})
			}
		default:
			toks = append(toks, token{tokLiteral, sec[i : i+1]})
		}
	}
	return toks
}

// isElapsed reports whether a bracket holds an elapsed-time code ([h], [mm]).
func isElapsed(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("hHmMsS", s[i]) < 0 {
			return false
		}
	}
	return true
}

// renderSection renders v (sign already chosen) with one tokenized format
// section.
func renderSection(v number, toks []token) string {
	var intMin, fracMin, fracMax int
	grouping, percent, hasDigits := false, false, false
	for i, t := range toks {
		switch t.kind {
		case tokDigit:
			hasDigits = true
			if t.text == "0" {
				intMin++
			}
		case tokFrac:
			hasDigits = true
			fracMax++
			if t.text == "0" {
				fracMin = fracMax
			}
		case tokComma:
			// a comma between digit placeholders groups thousands
			if i > 0 && i+1 < len(toks) && toks[i-1].kind == tokDigit && toks[i+1].kind == tokDigit {
				grouping = true
			}
		case tokPercent:
			percent = true
		case tokOther, tokDate:
			return generalText(v)
		}
	}
	if !hasDigits {
		var b strings.Builder
		for _, t := range toks {
			b.WriteString(t.text)
		}
		return b.String()
	}
	if percent {
		v.exp += 2
	}
	num := formatFixed(v, intMin, fracMin, fracMax, grouping)
	var b strings.Builder
	if v.neg && !v.roundTo(fracMax).isZero() {
		b.WriteByte('-')
	}
	emitted := false
	for _, t := range toks {
		switch t.kind {
		case tokDigit, tokFrac, tokDot, tokComma:
			if !emitted {
				b.WriteString(num)
				emitted = true
			}
		default:
			b.WriteString(t.text)
		}
	}
	return b.String()
}

// formatFixed renders |v| with at least intMin integer digits, between
// fracMin and fracMax decimals and optional thousands grouping.
func formatFixed(v number, intMin, fracMin, fracMax int, grouping bool) string {
	s := v.text(fracMax)
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) < fracMin {
		frac += strings.Repeat("0", fracMin-len(frac))
	}
	if intPart == "0" && intMin == 0 {
		intPart = ""
	}
	if len(intPart) < intMin {
		intPart = strings.Repeat("0", intMin-len(intPart)) + intPart
	}
	if grouping && len(intPart) > 3 {
		var b strings.Builder
		for i, ch := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(ch)
		}
		intPart = b.String()
	}
	if fracMax > 0 && (frac != "" || fracMin > 0) {
		return intPart + "." + frac
	}
	if fracMax > 0 && frac == "" {
		return intPart + "."
	}
	return intPart
}

// generalText renders v as the General format does: 15 significant digits,
// no trailing zeros, exponent notation for very large or small magnitudes.
func generalText(v number) string {
	r := v.round15()
	if r.isZero() {
		return "0"
	}
	sign := ""
	if r.neg {
		sign = "-"
	}
	// magnitude: position of the leading digit relative to the point
	lead := len(r.digits) + r.exp // number of integer digits when > 0
	if lead > 15 || lead <= -8 {
		mant := r.digits[:1]
		if len(r.digits) > 1 {
			mant += "." + r.digits[1:]
		}
		e := lead - 1
		es := "E+"
		if e < 0 {
			es, e = "E-", -e
		}
		return sign + mant + es + pad2(e)
	}
	return sign + r.text(-1)
}

// pad2 renders e with at least two digits.
func pad2(e int) string {
	s := strconv.Itoa(e)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}
