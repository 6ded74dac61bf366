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
	s := newScrubber()
	var out []byte
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the production file: %w", err)
		}
		if out, err = s.line(out[:0], line); err != nil {
			return nil, err
		}
		bw.Write(out)
	}
	if err := s.close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the placeholder: %w", err)
	}
	return s.stats, nil
}

// scrubber scrubs a dump body line by line as it streams past: line takes
// each production line and appends what the placeholder gets for it.
type scrubber struct {
	stats  *ScrubStats
	n      int // lines seen
	inCopy bool
	table  string
	cols   []columnRule
	any    bool // some column of the block is sensitive
	// products holds the running products of compounded columns.
	products    map[int]*big.Rat
	fields, out [][]byte
	buf         []byte // synthetic values of the current row
}

func newScrubber() *scrubber {
	return &scrubber{stats: &ScrubStats{Rows: map[string]int64{}}}
}

// line appends to dst the placeholder's bytes for one whole production line
// (newline included; a last line may lack it).
func (s *scrubber) line(dst, line []byte) ([]byte, error) {
	s.n++
	if s.inCopy {
		return s.row(dst, line)
	}
	h, isCopy, err := parseCopyHeader(line)
	if err != nil {
		return dst, fmt.Errorf("line %d: %w", s.n, err)
	}
	if isCopy {
		if len(h.Columns) == 0 {
			return dst, fmt.Errorf("line %d: COPY into %s has no column list, so its sensitive columns cannot be told", s.n, h.Table)
		}
		s.inCopy, s.table, s.cols = true, h.Table, columnRules(h)
		s.any = false
		for _, c := range s.cols {
			s.any = s.any || c.sensitive
		}
		clear(s.products)
		return append(dst, line...), nil
	}
	if keepLine(line) {
		return append(dst, line...), nil
	}
	s.stats.Dropped++
	return dst, nil
}

// close reports a body that ended inside COPY data.
func (s *scrubber) close() error {
	if s.inCopy {
		return fmt.Errorf("COPY data for %s ends without its end-of-data line (\\.)", s.table)
	}
	return nil
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

// row rewrites one line of COPY data (or its end line `\.`).
func (s *scrubber) row(dst, line []byte) ([]byte, error) {
	if isCopyEnd(line) {
		s.inCopy = false
		return append(dst, line...), nil
	}
	s.stats.Rows[s.table]++
	if !s.any {
		return append(dst, line...), nil
	}
	text, nl := line, false
	if n := len(text); n > 0 && text[n-1] == '\n' {
		text, nl = text[:n-1], true
	}
	s.fields = splitFields(s.fields[:0], text)
	if len(s.fields) != len(s.cols) {
		return dst, fmt.Errorf("line %d: COPY row for %s has %d fields, the column list %d", s.n, s.table, len(s.fields), len(s.cols))
	}
	fields := s.fields
	s.out = append(s.out[:0], fields...)
	s.buf = s.buf[:0]
	for i, c := range s.cols {
		if !c.sensitive || c.compoundOf >= 0 || isNull(fields[i]) {
			continue
		}
		start := len(s.buf)
		s.buf = synthValue(s.buf, c, fields[0], fields[i])
		s.out[i] = s.buf[start:len(s.buf):len(s.buf)]
		s.stats.Replaced++
	}
	for i, c := range s.cols {
		if c.compoundOf < 0 || isNull(fields[i]) {
			continue
		}
		if s.products == nil {
			s.products = map[int]*big.Rat{}
		}
		s.out[i] = []byte(compoundValue(s.products, i, string(s.out[c.compoundOf]), string(fields[i])))
		s.stats.Replaced++
	}
	for i, f := range s.out {
		if i > 0 {
			dst = append(dst, '\t')
		}
		dst = append(dst, f...)
	}
	if nl {
		dst = append(dst, '\n')
	}
	return dst, nil
}

// Value kinds of sensitive columns, by name.
const (
	kindOther = iota
	kindCents
	kindMillicents
	kindEscalation
)

type columnRule struct {
	sensitive  bool
	compoundOf int    // index of the column this one compounds, or -1
	kind       int    // value kind, from the name
	seed       uint64 // hash state after the table and column names
}

// columnRules derives each column's scrub rule from its name.
func columnRules(h copyHeader) []columnRule {
	cols := make([]columnRule, len(h.Columns))
	for i, c := range h.Columns {
		lc := strings.ToLower(c)
		r := columnRule{sensitive: Sensitive(c), compoundOf: -1, seed: mixString(mixString(fnvOffset, h.Table), c)}
		switch {
		case strings.Contains(lc, "millicents"):
			r.kind = kindMillicents
		case strings.Contains(lc, "cents"):
			r.kind = kindCents
		case strings.Contains(lc, "escalation"):
			r.kind = kindEscalation
		}
		cols[i] = r
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
	return cols
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

// FNV-1a parameters.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mixString continues an FNV-1a hash over s and a separator.
func mixString(x uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		x = (x ^ uint64(s[i])) * fnvPrime
	}
	return x * fnvPrime
}

// mixKey hashes a row key and attempt number into the column's seed and
// spreads the bits (splitmix64 finaliser).
func mixKey(seed uint64, key []byte, attempt int) uint64 {
	x := seed
	for _, b := range key {
		x = (x ^ uint64(b)) * fnvPrime
	}
	x = (x ^ uint64(attempt)) * fnvPrime
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// synthValue appends to dst a synthetic value for one sensitive cell,
// derived from the table, column and row key only (never from the real
// value, which only serves to avoid reproducing it and to copy its shape).
func synthValue(dst []byte, c columnRule, key, real []byte) []byte {
	start := len(dst)
	for attempt := 0; ; attempt++ {
		dst = synthOnce(dst[:start], mixKey(c.seed, key, attempt), c.kind, real)
		if !numEqual(dst[start:], real) {
			return dst
		}
	}
}

func synthOnce(dst []byte, h uint64, kind int, real []byte) []byte {
	dot := bytes.IndexByte(real, '.')
	if dot < 0 || dot == len(real)-1 || len(real)-dot-1 > 18 {
		switch kind {
		case kindMillicents:
			return strconv.AppendUint(dst, 100000+h%900000, 10)
		case kindCents:
			return strconv.AppendUint(dst, 100+h%99900, 10)
		default:
			return strconv.AppendUint(dst, 1+h%999, 10)
		}
	}
	scale := len(real) - dot - 1
	unit := pow10(scale)
	var whole, fraction uint64
	switch {
	case kind == kindEscalation:
		// 1.00000 to 1.05000: a plausible yearly escalation.
		whole, fraction = 1, h%(unit/20+1)
	case len(bytes.TrimLeft(real[:dot], "-+0")) == 0:
		whole, fraction = 0, 1+h%(unit-1)
	default:
		whole, fraction = 1+h%4, (h>>32)%unit
	}
	dst = strconv.AppendUint(dst, whole, 10)
	dst = append(dst, '.')
	var tmp [20]byte
	digits := strconv.AppendUint(tmp[:0], fraction, 10)
	for range scale - len(digits) {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
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
	for numEqual([]byte(v), []byte(real)) {
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

// numEqual reports whether two COPY text numbers are equal in value,
// without allocating ("1.20" equals "1.2" and "01.2"; "\\N" only itself).
func numEqual(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	na, ia, fa := splitNumber(a)
	nb, ib, fb := splitNumber(b)
	return na == nb && bytes.Equal(ia, ib) && bytes.Equal(fa, fb)
}

// splitNumber returns a number's sign, integer digits without leading
// zeros and fraction digits without trailing zeros.
func splitNumber(s []byte) (neg bool, intPart, frac []byte) {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ = bytes.Cut(s, []byte("."))
	intPart = bytes.TrimLeft(intPart, "0")
	frac = bytes.TrimRight(frac, "0")
	if len(intPart) == 0 && len(frac) == 0 {
		neg = false
	}
	return neg, intPart, frac
}
