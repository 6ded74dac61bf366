package securegen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
)

// sensitiveWords mark a column holding a price, factor or escalation.
var sensitiveWords = []string{"price", "cents", "factor", "escalation", "discount", "amount"}

// Sensitive reports whether a column holds a price, factor or escalation,
// judged by its name (price_cents, per_unit_cents, price_millicents, factor,
// escalation, escalation_compounded, ...). Such values never reach git.
func Sensitive(column string) bool {
	c := strings.ToLower(column)
	for _, w := range sensitiveWords {
		if strings.Contains(c, w) {
			return true
		}
	}
	return false
}

// keptPrefixes are the statement lines of a data-only dump that carry no
// data and are copied into a placeholder as they are.
var keptPrefixes = []string{"--", "SET ", "SELECT pg_catalog.set_config(", "SELECT pg_catalog.setval("}

// ScrubStats summarises a scrub.
type ScrubStats struct {
	// Rows counts the COPY rows written per table.
	Rows map[string]int64
	// Replaced counts the sensitive values replaced.
	Replaced int64
	// Dropped counts statement lines left out of the placeholder because
	// they might carry data outside COPY blocks (never in pg_dump output).
	Dropped int64
}

// Scrub copies the body of a data-only dump from r to w, replacing every
// sensitive value of every COPY row with a deterministic synthetic value:
// positive, of the same shape (integer, or the same number of decimals), and
// never equal to the real value. Keys, NULLs and every other column are kept,
// so the placeholder has the same tables, rows and references. Lines that are
// neither COPY blocks, comments, SET, set_config nor setval are dropped.
func Scrub(r io.Reader, w io.Writer) (*ScrubStats, error) {
	lr := newLineReader(r)
	bw := bufio.NewWriterSize(w, 1<<20)
	st := &ScrubStats{Rows: map[string]int64{}}
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the production file: %w", err)
		}
		h, isCopy, err := parseCopyHeader(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lr.n, err)
		}
		if isCopy {
			bw.Write(line)
			if err := scrubBlock(lr, bw, h, st); err != nil {
				return nil, err
			}
			continue
		}
		if keepLine(line) {
			bw.Write(line)
		} else {
			st.Dropped++
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the placeholder: %w", err)
	}
	return st, nil
}

func keepLine(line []byte) bool {
	if len(bytes.TrimSpace(line)) == 0 {
		return true
	}
	for _, p := range keptPrefixes {
		if bytes.HasPrefix(line, []byte(p)) {
			return true
		}
	}
	return false
}

// scrubBlock rewrites one COPY block's data lines up to and including `\.`.
func scrubBlock(lr *lineReader, bw *bufio.Writer, h copyHeader, st *ScrubStats) error {
	if len(h.Columns) == 0 {
		return fmt.Errorf("line %d: COPY into %s has no column list, so its sensitive columns cannot be told", lr.n, h.Table)
	}
	cols := make([]columnRule, len(h.Columns))
	var any bool
	for i, c := range h.Columns {
		cols[i] = columnRule{name: c, sensitive: Sensitive(c), compoundOf: -1}
		any = any || cols[i].sensitive
	}
	for i, c := range h.Columns {
		if base, ok := strings.CutSuffix(c, "_compounded"); ok && cols[i].sensitive {
			for j, b := range h.Columns {
				if b == base && cols[j].sensitive {
					cols[i].compoundOf = j
				}
			}
		}
	}
	products := make(map[int]*big.Rat)
	var fields, out [][]byte
	for {
		line, err := lr.next()
		if err == io.EOF {
			return fmt.Errorf("COPY data for %s ends without \\.", h.Table)
		}
		if err != nil {
			return fmt.Errorf("reading the production file: %w", err)
		}
		if isCopyEnd(line) {
			bw.Write(line)
			return nil
		}
		st.Rows[h.Table]++
		if !any {
			bw.Write(line)
			continue
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		fields = splitFields(fields[:0], body)
		if len(fields) != len(cols) {
			return fmt.Errorf("line %d: COPY row for %s has %d fields, the column list %d", lr.n, h.Table, len(fields), len(cols))
		}
		key := string(fields[0])
		out = append(out[:0], fields...)
		for i, c := range cols {
			if !c.sensitive || c.compoundOf >= 0 || isNull(fields[i]) {
				continue
			}
			out[i] = []byte(synthValue(h.Table, c.name, key, string(fields[i])))
			st.Replaced++
		}
		for i, c := range cols {
			if c.compoundOf < 0 || isNull(fields[i]) {
				continue
			}
			out[i] = []byte(compoundValue(products, i, string(out[c.compoundOf]), string(fields[i])))
			st.Replaced++
		}
		for i, f := range out {
			if i > 0 {
				bw.WriteByte('\t')
			}
			bw.Write(f)
		}
		bw.WriteByte('\n')
	}
}

type columnRule struct {
	name       string
	sensitive  bool
	compoundOf int // index of the column this one compounds, or -1
}

// splitFields splits a COPY text row on tabs (tabs inside values are
// escaped as \t, so every raw tab separates fields).
func splitFields(dst [][]byte, row []byte) [][]byte {
	for {
		i := bytes.IndexByte(row, '\t')
		if i < 0 {
			return append(dst, row)
		}
		dst = append(dst, row[:i])
		row = row[i+1:]
	}
}

func isNull(v []byte) bool { return len(v) == 2 && v[0] == '\\' && v[1] == 'N' }

// mix returns a well-spread 64-bit value for the given parts.
func mix(parts ...string) uint64 {
	const prime = 1099511628211
	x := uint64(14695981039346656037) // FNV-1a offset basis
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			x = (x ^ uint64(p[i])) * prime
		}
		x *= prime // a zero byte separates the parts
	}
	// splitmix64 finaliser.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// synthValue returns a synthetic value for one sensitive cell, derived from
// the table, column and row key only (never from the real value, which is
// used solely to avoid reproducing it).
func synthValue(table, column, key, real string) string {
	for attempt := 0; ; attempt++ {
		v := synthOnce(mix(table, column, key, attemptTag(attempt)), column, real)
		if !sameNumber(v, real) {
			return v
		}
	}
}

func synthOnce(h uint64, column, real string) string {
	col := strings.ToLower(column)
	intPart, frac, isDecimal := strings.Cut(real, ".")
	if !isDecimal || frac == "" {
		switch {
		case strings.Contains(col, "millicents"):
			return strconv.FormatUint(100000+h%900000, 10)
		case strings.Contains(col, "cents"):
			return strconv.FormatUint(100+h%99900, 10)
		default:
			return strconv.FormatUint(1+h%999, 10)
		}
	}
	scale := len(frac)
	unit := pow10(scale)
	var whole, fraction uint64
	switch {
	case strings.Contains(col, "escalation"):
		// 1.00000 to 1.04999: a plausible yearly escalation.
		whole, fraction = 1, h%(unit/20+1)
	case strings.TrimLeft(intPart, "-+") == "0":
		whole, fraction = 0, 1+h%(unit-1)
	default:
		whole, fraction = 1+h%4, (h>>32)%unit
	}
	return fmt.Sprintf("%d.%0*d", whole, scale, fraction)
}

// compoundValue keeps a running product of the synthetic base values of a
// block (escalation_compounded = product of the escalations so far),
// rounded half away from zero to the real value's scale.
func compoundValue(products map[int]*big.Rat, col int, base, real string) string {
	b, ok := new(big.Rat).SetString(base)
	if !ok {
		b = big.NewRat(1, 1)
	}
	p := products[col]
	if p == nil {
		p = big.NewRat(1, 1)
	}
	p.Mul(p, b)
	if p.Cmp(big.NewRat(9, 1)) > 0 {
		p.Set(b)
	}
	products[col] = p
	_, frac, _ := strings.Cut(real, ".")
	v := roundRat(p, len(frac))
	for sameNumber(v, real) {
		r, _ := new(big.Rat).SetString(v)
		r.Add(r, new(big.Rat).SetFrac64(1, int64(pow10(len(frac)))))
		v = r.FloatString(len(frac))
	}
	return v
}

// roundRat formats r with scale decimals, rounding half away from zero.
func roundRat(r *big.Rat, scale int) string {
	unit := new(big.Int).SetUint64(pow10(scale))
	num := new(big.Int).Mul(r.Num(), unit)
	num.Mul(num, big.NewInt(2))
	num.Add(num, r.Denom())
	den := new(big.Int).Mul(r.Denom(), big.NewInt(2))
	q := new(big.Int).Quo(num, den)
	return new(big.Rat).SetFrac(q, unit).FloatString(scale)
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// sameNumber reports whether two COPY text numbers are equal in value
// ("1.20" and "1.2" are; "\N" equals only itself).
func sameNumber(a, b string) bool {
	return normNumber(a) == normNumber(b)
}

func normNumber(s string) string {
	s = strings.TrimLeft(s, "+")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "" || s == "." {
		return "0"
	}
	if neg {
		return "-" + s
	}
	return s
}

// attemptTag names a retry; the first attempt has none (no allocation).
func attemptTag(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
