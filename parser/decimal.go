package parser

import (
	"strings"
)

// number is an exact decimal parsed from a cell's stored text:
// value = ±digits × 10^exp. digits has no leading or trailing zeros; zero is
// the empty string.
type number struct {
	neg    bool
	digits string
	exp    int
}

// maxExp bounds exponents so that arithmetic on them cannot overflow.
const maxExp = 1 << 20

// maxMagnitude bounds the decimal exponent of a number's leading digit: Excel
// stores IEEE doubles (about 1.8E308 down to 4.9E-324), so a stored text
// outside ±1E±maxMagnitude is malformed. The bound keeps plain renderings of
// a number short: without it "1E999999" would render as a megabyte of zeros.
const maxMagnitude = 400

// parseNumber parses a stored numeric text such as "2.4769999999999999",
// "-12", "1E-3" or ".5". It never goes through binary floating point.
func parseNumber(s string) (number, bool) {
	var n number
	if s == "" {
		return n, false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		n.neg = s[0] == '-'
		i++
	}
	var b strings.Builder
	seenDigit, seenDot := false, false
	frac := 0
	for ; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			seenDigit = true
			if b.Len() > 0 || ch != '0' {
				b.WriteByte(ch)
			}
			if seenDot {
				frac++
			}
		case ch == '.' && !seenDot:
			seenDot = true
		default:
			goto exponent
		}
	}
exponent:
	if !seenDigit {
		return n, false
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' || i+1 >= len(s) {
			return n, false
		}
		i++
		eneg := false
		if s[i] == '-' || s[i] == '+' {
			eneg = s[i] == '-'
			i++
		}
		if i >= len(s) {
			return n, false
		}
		for ; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return n, false
			}
			if e < maxExp {
				e = e*10 + int(s[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
	}
	n.digits = b.String()
	n.exp = e - frac
	n.trim()
	if lead := len(n.digits) + n.exp; n.digits != "" && (lead > maxMagnitude || lead < -maxMagnitude) {
		return number{}, false
	}
	return n, true
}

// trim removes trailing zeros from digits, adjusting exp; zero loses its sign.
func (n *number) trim() {
	for len(n.digits) > 0 && n.digits[len(n.digits)-1] == '0' {
		n.digits = n.digits[:len(n.digits)-1]
		n.exp++
	}
	if n.digits == "" {
		n.neg, n.exp = false, 0
	}
}

// isZero reports whether n is zero.
func (n number) isZero() bool { return n.digits == "" }

// roundDigits rounds n half away from zero, keeping keep digits of its
// digit string (keep may be ≤ 0).
func (n number) roundDigits(keep int) number {
	if keep >= len(n.digits) {
		return n
	}
	drop := len(n.digits) - keep
	up := keep >= 0 && n.digits[keep] >= '5'
	if keep < 0 {
		return number{}
	}
	d := []byte(n.digits[:keep])
	res := number{neg: n.neg, exp: n.exp + drop}
	if up {
		i := len(d) - 1
		for ; i >= 0 && d[i] == '9'; i-- {
			d[i] = '0'
		}
		if i >= 0 {
			d[i]++
		} else {
			d = append([]byte{'1'}, d...)
		}
	}
	res.digits = string(d)
	res.trim()
	return res
}

// round15 rounds n to 15 significant digits (Excel's precision).
func (n number) round15() number { return n.roundDigits(15) }

// roundTo rounds n to 15 significant digits, then half away from zero to
// dec decimals.
func (n number) roundTo(dec int) number {
	n = n.round15()
	if n.exp >= -dec {
		return n
	}
	// digits beyond 10^-dec are dropped
	return n.roundDigits(len(n.digits) - (-dec - n.exp))
}

// scaled returns n × 10^dec as an integer after roundTo(dec); ok is false if
// the magnitude does not fit in 18 digits.
func (n number) scaled(dec int) (v int64, ok bool) {
	r := n.roundTo(dec)
	if r.isZero() {
		return 0, true
	}
	zeros := r.exp + dec
	if zeros < 0 || len(r.digits)+zeros > 18 {
		return 0, false
	}
	for i := 0; i < len(r.digits); i++ {
		v = v*10 + int64(r.digits[i]-'0')
	}
	for range zeros {
		v *= 10
	}
	if r.neg {
		v = -v
	}
	return v, true
}

// isIntegral reports whether n has no fractional part.
func (n number) isIntegral() bool { return n.exp >= 0 }

// text renders n in plain notation with exactly dec decimals after
// roundTo(dec), without sign; dec < 0 means "as many as needed".
func (n number) text(dec int) string {
	if dec >= 0 {
		n = n.roundTo(dec)
	}
	d, e := n.digits, n.exp
	if d == "" {
		d, e = "0", 0
	}
	var intPart, fracPart string
	if e >= 0 {
		intPart = d + strings.Repeat("0", e)
	} else if -e < len(d) {
		intPart, fracPart = d[:len(d)+e], d[len(d)+e:]
	} else {
		intPart, fracPart = "0", strings.Repeat("0", -e-len(d))+d
	}
	if dec >= 0 {
		if len(fracPart) < dec {
			fracPart += strings.Repeat("0", dec-len(fracPart))
		}
	}
	if fracPart == "" {
		return intPart
	}
	return intPart + "." + fracPart
}
