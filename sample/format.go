package sample

import (
	"strconv"
	"strings"
)

// The functions below render values the way the template displays them
// (Part 1.13 of the specification). They are also the exact texts the
// generator writes when it stores a number as a text cell, so a cell's
// displayed text never depends on how it is stored.

// Money3 renders thousandths of a dollar as 2a shows them: 2477 → "$2.477".
func Money3(thousandths int64) string { return "$" + decimal(thousandths, 3) }

// Money2 renders cents with a dollar sign: 127 → "$1.27".
func Money2(cents int64) string { return "$" + decimal(cents, 2) }

// Plain2 renders cents without a dollar sign: 45115 → "451.15".
func Plain2(cents int64) string { return decimal(cents, 2) }

// Accounting renders cents as the 4a transition price shows: 45018 → "$ 450.18".
func Accounting(cents int64) string { return "$ " + grouped(decimal(cents, 2)) }

// Factor renders a factor in hundredths: 120 → "1.20".
func Factor(hundredths int64) string { return decimal(hundredths, 2) }

// Forecast renders a 5b factor (1/100,000 units) with 4 decimals, as column I
// shows it: 102060 → "1.0206".
func Forecast(e int64) string { return decimal((e+5)/10, 4) }

// General renders a 5b escalation (1/100,000 units) in Excel's General
// format: the shortest decimal, 100000 → "1", 102060 → "1.0206".
func General(e int64) string {
	s := decimal(e, 5)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// decimal renders v / 10^places with exactly places decimals (v ≥ 0).
func decimal(v int64, places int) string {
	s := strconv.FormatInt(v, 10)
	if len(s) <= places {
		s = strings.Repeat("0", places-len(s)+1) + s
	}
	return s[:len(s)-places] + "." + s[len(s)-places:]
}

// grouped inserts thousands separators into the integer part of a decimal.
func grouped(s string) string {
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// Zip3s renders a zip3 list as the normalized export does: "444,445".
func Zip3s(zips []int) string {
	parts := make([]string, len(zips))
	for i, z := range zips {
		parts[i] = pad3(z)
	}
	return strings.Join(parts, ",")
}

// pad3 renders a service-area number or zip3 with three digits.
func pad3(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", max(0, 3-len(s))) + s
}
