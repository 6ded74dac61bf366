package parser

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the pure value conversions of spec 2.6. Each returns the
// converted value, or a shape description that never echoes the value.

// moneyText parses a money text: optional "$", optional spaces, a plain or
// comma-grouped integer part, ".", exactly dec digits.
func moneyText(s string, dec int) (int64, string) {
	s = strings.TrimSpace(s)
	if msg := textShape(s, true); msg != "" {
		return 0, msg
	}
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimLeft(s, " \u00a0")
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !hasDot {
		return 0, "money amount needs exactly " + strconv.Itoa(dec) + " decimals, has 0"
	}
	digits, ok := groupedDigits(intPart)
	if !ok || !allDigits(frac) {
		return 0, "not a money amount"
	}
	if len(frac) != dec {
		return 0, "money amount needs exactly " + strconv.Itoa(dec) + " decimals, has " + strconv.Itoa(len(frac))
	}
	n, ok := parseNumber(digits + "." + frac)
	if !ok {
		return 0, "not a money amount"
	}
	v, ok := n.scaled(dec)
	if !ok {
		return 0, "amount too large"
	}
	return v, ""
}

// textShape describes why a numeric text is malformed in a general way
// (negative, percent, letters), or returns "".
func textShape(s string, money bool) string {
	switch {
	case s == "":
		return "empty"
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "$-") || strings.HasPrefix(s, "(") || strings.HasSuffix(s, ")"):
		return "negative"
	case strings.Contains(s, "%"):
		return "percent sign not allowed"
	case !money && strings.Contains(s, "$"):
		return "currency sign not allowed"
	}
	for _, r := range s {
		if unicode.IsLetter(r) {
			return "contains a letter"
		}
	}
	return ""
}

// groupedDigits accepts "1234" or "1,234" (first group 1–3 digits, then
// groups of 3) and returns the digits without separators.
func groupedDigits(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if !strings.Contains(s, ",") {
		return s, allDigits(s)
	}
	groups := strings.Split(s, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return "", false
	}
	for i, g := range groups {
		if !allDigits(g) || i > 0 && len(g) != 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// moneyNumber converts a stored number to cents (dec 2) or millicents (dec 3,
// returned ×100 by the caller).
func moneyNumber(n number, dec int) (int64, string) {
	if n.neg {
		return 0, "negative"
	}
	v, ok := n.scaled(dec)
	if !ok {
		return 0, "amount too large"
	}
	return v, ""
}

// integerText parses an Integer text: digits, optionally "." and zeros only;
// with grouping, comma-grouped thousands are accepted.
func integerText(s string, grouping bool) (int64, string) {
	s = strings.TrimSpace(s)
	if msg := textShape(s, false); msg != "" {
		return 0, msg
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && strings.Trim(frac, "0") != "" {
		return 0, "not a whole number"
	}
	digits := intPart
	ok := allDigits(intPart)
	if !ok && grouping {
		digits, ok = groupedDigits(intPart)
	}
	if !ok {
		return 0, "not a whole number"
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > 15 {
		return 0, "number too large"
	}
	v, err := strconv.ParseInt("0"+digits, 10, 64)
	if err != nil {
		return 0, "not a whole number"
	}
	return v, ""
}

// integerNumber converts a stored number that must be integral after
// rounding to 15 significant digits.
func integerNumber(n number) (int64, string) {
	r := n.round15()
	if r.neg {
		return 0, "negative"
	}
	if !r.isIntegral() {
		return 0, "not a whole number"
	}
	v, ok := r.scaled(0)
	if !ok || v > 1e15 {
		return 0, "number too large"
	}
	return v, ""
}

// decimalText parses a factor or escalation text: digits, optionally "." and
// 1 to maxDec digits.
func decimalText(s string, maxDec int) (number, string) {
	s = strings.TrimSpace(s)
	if msg := textShape(s, false); msg != "" {
		return number{}, msg
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || hasDot && !allDigits(frac) {
		return number{}, "not a decimal number"
	}
	if len(frac) > maxDec {
		return number{}, "more than " + strconv.Itoa(maxDec) + " decimals"
	}
	n, ok := parseNumber(s)
	if !ok {
		return number{}, "not a decimal number"
	}
	return n, ""
}

// toDecimal rounds n to dec decimals as a Decimal; ok is false on overflow.
func toDecimal(n number, dec int) (Decimal, bool) {
	v, ok := n.scaled(dec)
	return Decimal{Unscaled: v, Scale: dec}, ok
}

// decimalLess reports whether d < limit (limit an integer).
func decimalLess(d Decimal, limit int64) bool {
	p := int64(1)
	for range d.Scale {
		p *= 10
	}
	return d.Unscaled < limit*p
}

// equalWS reports whether a and b are equal in header match mode W: every
// white-space character removed and the typographic apostrophe read as a
// straight one. It does not allocate, whatever the length of a cell's text.
func equalWS(a, b string) bool {
	i, j := 0, 0
	for {
		ra, ni := nextWS(a, i)
		rb, nj := nextWS(b, j)
		if ra != rb {
			return false
		}
		if ra < 0 {
			return true
		}
		i, j = ni, nj
	}
}

// nextWS returns the next rune of s from byte offset i in match mode W, or
// -1 at the end, and the offset after it.
func nextWS(s string, i int) (rune, int) {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || r == '\ufeff':
		case r == '\u2019':
			return '\'', i
		default:
			return r, i
		}
	}
	return -1, i
}

// threeDigits renders v (0–999) as three digits.
func threeDigits(v int64) string {
	s := strconv.FormatInt(v, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
