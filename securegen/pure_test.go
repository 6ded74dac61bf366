package securegen

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const prodBody = `SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
COPY public.re_contract_years (id, contract_id, name, escalation, escalation_compounded) FROM stdin;
y1	c1	Base Period Year 1	1.00000	1.00000
y2	c1	Base Period Year 2	1.02060	1.02060
y3	c1	Base	\N	\N
\.
COPY public.re_shipment_type_prices (id, contract_id, market, factor) FROM stdin;
s1	c1	C	1.20
s2	c1	O	0.75
\.
COPY public."re.odd" (id, "price cents", note) FROM stdin;
o1	127	a\tb
\.
COPY public.re_rate_areas (id, contract_id, code) FROM stdin;
r1	c1	US11
\.
SELECT pg_catalog.setval('public.x_seq', 3, true);
`

func TestScrubReplacesEverySensitiveValue(t *testing.T) {
	var out bytes.Buffer
	st, err := Scrub(strings.NewReader(prodBody), &out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 0 || st.Rows["public.re_contract_years"] != 3 || st.Rows["public.re.odd"] != 1 || st.Replaced != 2*2+2+1 {
		t.Errorf("stats %+v", st)
	}
	got := out.String()
	// Structure kept: same non-data lines, same keys, NULLs kept.
	for _, keep := range []string{"SET client_encoding", "setval('public.x_seq', 3, true)", "r1\tc1\tUS11\n", "y3\tc1\tBase\t\\N\t\\N\n", "\ta\\tb\n"} {
		if !strings.Contains(got, keep) {
			t.Errorf("placeholder lacks %q", keep)
		}
	}
	if err := CheckLeak(strings.NewReader(prodBody), strings.NewReader(got)); err != nil {
		t.Fatalf("leak check of a scrubbed file: %v", err)
	}
	// Shapes: same scale, positive, compounded = product of escalations.
	lines := strings.Split(got, "\n")
	y1 := strings.Split(lines[3], "\t")
	y2 := strings.Split(lines[4], "\t")
	if y1[3] != y1[4] || len(y1[3]) != 7 || !strings.HasPrefix(y1[3], "1.0") {
		t.Errorf("year 1 escalation %q compounded %q", y1[3], y1[4])
	}
	if len(y2[4]) != 7 {
		t.Errorf("year 2 compounded %q", y2[4])
	}
	// Determinism.
	var again bytes.Buffer
	if _, err := Scrub(strings.NewReader(prodBody), &again); err != nil {
		t.Fatal(err)
	}
	if again.String() != got {
		t.Error("scrub is not deterministic")
	}
}

func TestScrubDropsNonDumpStatements(t *testing.T) {
	in := "INSERT INTO public.t VALUES (1, 12345);\nSET x = 1;\n"
	var out bytes.Buffer
	st, err := Scrub(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 1 || out.String() != "SET x = 1;\n" {
		t.Errorf("dropped %d, output %q", st.Dropped, out.String())
	}
	if _, err := Scrub(strings.NewReader("COPY public.t FROM stdin;\n1\t2\n\\.\n"), io.Discard); err == nil {
		t.Error("COPY without a column list accepted")
	}
}

func TestCheckLeak(t *testing.T) {
	var scrubbed bytes.Buffer
	if _, err := Scrub(strings.NewReader(prodBody), &scrubbed); err != nil {
		t.Fatal(err)
	}
	ph := scrubbed.String()
	tests := []struct {
		name    string
		ph      string
		leak    bool
		wantErr string
	}{
		{"clean", ph, false, ""},
		{"identical file", prodBody, true, ""},
		{"one real factor", replaceRow(ph, "s1\t", "s1\tc1\tC\t1.20"), true, ""},
		{"real factor written differently", replaceRow(ph, "s1\t", "s1\tc1\tC\t1.2"), true, ""},
		{"changed key", replaceRow(ph, "r1\t", "r9\tc1\tUS11"), false, "keys and references must be kept"},
		{"missing row", replaceRow(ph, "r1\t", ""), false, "different row count"},
		{"missing block", ph[:strings.Index(ph, "COPY public.re_rate_areas")], false, "different numbers of COPY blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLeak(strings.NewReader(prodBody), strings.NewReader(tt.ph))
			var le *LeakError
			switch {
			case tt.leak:
				if !errors.As(err, &le) {
					t.Fatalf("got %v, want a leak", err)
				}
				if strings.Contains(err.Error(), "1.20") || strings.Contains(err.Error(), "1.02060") {
					t.Errorf("leak error shows a value: %v", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestLeakCheckerStreamsInAnyInterleaving feeds the leak checker both files
// in random chunks, interleaved at random (either side may run ahead), and
// expects CheckLeak's verdict every time.
func TestLeakCheckerStreamsInAnyInterleaving(t *testing.T) {
	var scrubbed bytes.Buffer
	if _, err := Scrub(strings.NewReader(prodBody), &scrubbed); err != nil {
		t.Fatal(err)
	}
	ph := scrubbed.String()
	cases := map[string]string{
		"clean":                 ph,
		"leak":                  prodBody,
		"changed key":           replaceRow(ph, "r1\t", "r9\tc1\tUS11"),
		"missing row":           replaceRow(ph, "r1\t", ""),
		"no newline at the end": strings.TrimSuffix(ph, "\n"),
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for name, placeholder := range cases {
		want := CheckLeak(strings.NewReader(prodBody), strings.NewReader(placeholder))
		for range 50 {
			c := NewLeakChecker()
			a, b := prodBody, placeholder
			for a != "" || b != "" {
				side, rest := c.Production(), &a
				if a == "" || b != "" && rng.IntN(2) == 0 {
					side, rest = c.Placeholder(), &b
				}
				n := min(len(*rest), 1+rng.IntN(40))
				side.Write([]byte((*rest)[:n]))
				*rest = (*rest)[n:]
			}
			got := c.Close()
			if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Fatalf("%s: streamed %v, CheckLeak %v", name, got, want)
			}
		}
	}
}

// replaceRow replaces the line starting with prefix (without its newline)
// by row; an empty row removes the line.
func replaceRow(s, prefix, row string) string {
	i := strings.Index(s, "\n"+prefix) + 1
	j := i + strings.IndexByte(s[i:], '\n') + 1
	if row == "" {
		return s[:i] + s[j:]
	}
	return s[:i] + row + "\n" + s[j:]
}

func TestSynthValueNeverEqualsReal(t *testing.T) {
	for _, real := range []string{"100", "127", "999", "1.00", "4.99", "1.00000", "1.04999", "0.5", "0.75", "745600"} {
		for _, col := range []string{"price_cents", "price_millicents", "factor", "escalation", "per_unit_cents"} {
			for k := range 200 {
				key := string(rune('a'+k%26)) + strings.Repeat("x", k/26)
				rule := columnRules(copyHeader{Table: "public.t", Columns: []string{"id", col}})[1]
				v := string(synthValue(nil, rule, []byte(key), []byte(real)))
				if numEqual([]byte(v), []byte(real)) {
					t.Fatalf("%s %s: synthetic %q equals real %q", col, key, v, real)
				}
				if strings.HasPrefix(v, "-") || numEqual([]byte(v), []byte("0")) {
					t.Fatalf("%s: synthetic %q not positive", col, v)
				}
				if strings.Contains(real, ".") && len(strings.SplitN(v, ".", 2)[1]) != len(strings.SplitN(real, ".", 2)[1]) {
					t.Fatalf("%s: synthetic %q has another scale than %q", col, v, real)
				}
			}
		}
	}
}

func TestNumEqual(t *testing.T) {
	tests := []struct {
		a, b string
		eq   bool
	}{
		{"1.20", "1.2", true}, {"01.2", "1.20", true}, {"0", "0.00", true}, {"-0", "0", true}, {"+5", "5", true},
		{"127", "1270", false}, {"1.2", "12", false}, {"-1", "1", false}, {"\\N", "\\N", true}, {"0.5", ".5", true},
	}
	for _, tt := range tests {
		if got := numEqual([]byte(tt.a), []byte(tt.b)); got != tt.eq {
			t.Errorf("numEqual(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{Kind: KindProduction, Version: "20261121120000", Name: "import_pricing_data_x", ContractCode: "X",
		ContractID: "b4745e2a-bc69-5862-bc36-ebc5bc557f55", WorkbookSHA256: strings.Repeat("ab", 32), ToolVersion: "v1",
		GeneratedAt: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Tables:      []TableCount{{"public.re_contracts", 1}, {`public.we"ird name`, 42}}}
	got, err := ParseHeader(strings.NewReader(h.Format() + "SET x = 1;\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Format() != h.Format() || got.FileName() != "20261121120000_import_pricing_data_x.up.sql" {
		t.Errorf("round trip:\n%s\nvs\n%s", got.Format(), h.Format())
	}
	for _, bad := range []string{"", "SET x = 1;\n", "-- securemig secure migration\n-- kind: production\n"} {
		if _, err := ParseHeader(strings.NewReader(bad)); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
}

func TestBodyFilter(t *testing.T) {
	in := "\\restrict abc123\n-- dump\nCOPY public.t (id, v) FROM stdin;\n1\t\\\\restrict x\n\\restrict not-a-meta-command\n\\.\nCOPY public.u (id) FROM stdin;\n\\.\n\\unrestrict abc123\n"
	want := "-- dump\nCOPY public.t (id, v) FROM stdin;\n1\t\\\\restrict x\n\\restrict not-a-meta-command\n\\.\nCOPY public.u (id) FROM stdin;\n\\.\n"
	for _, chunk := range []int{1, 3, 7, 1 << 20} {
		var out bytes.Buffer
		f := newBodyFilter(&out)
		if _, err := io.Copy(f, iotest.OneByteReader(strings.NewReader(in))); chunk == 1 && err != nil {
			t.Fatal(err)
		}
		if chunk != 1 {
			out.Reset()
			f = newBodyFilter(&out)
			for s := in; s != ""; {
				n := min(chunk, len(s))
				if _, err := f.Write([]byte(s[:n])); err != nil {
					t.Fatal(err)
				}
				s = s[n:]
			}
		}
		if err := f.close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("chunk %d: got %q", chunk, out.String())
		}
		if f.counts["public.t"] != 2 || f.counts["public.u"] != 0 || len(f.order) != 2 {
			t.Errorf("chunk %d: counts %v order %v", chunk, f.counts, f.order)
		}
	}
	f := newBodyFilter(io.Discard)
	f.Write([]byte("COPY public.t (id) FROM stdin;\n1\n"))
	if err := f.close(); err == nil {
		t.Error("unterminated COPY accepted")
	}
}

func TestSinkSplitsAtLineBoundaries(t *testing.T) {
	dir := t.TempDir()
	s, err := newSink(dir, "production", "20261121120000_x.up.sql", 10, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"aaa\nbbb\n", "cc\ndddddd\ne\n", "ffff\n"} {
		if _, err := s.Write([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.finish(); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	staged, final, parts := s.finals("/final")
	var got []string
	for i, p := range staged {
		b, _ := os.ReadFile(p)
		got = append(got, string(b))
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, fi.Mode().Perm())
		}
		if want := fmt.Sprintf("/final/20261121120000_x.part-%03d.up.sql", i+1); final[i] != want {
			t.Errorf("final name %s, want %s", final[i], want)
		}
	}
	want := []string{"aaa\nbbb\n", "cc\ndddddd\n", "e\nffff\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(parts) != 3 || s.size != 25 {
		t.Errorf("parts %q (%d), size %d", got, len(parts), s.size)
	}
	if sum, n := s.storedDigest(); n != 25 || sum != s.sqlDigest() {
		t.Errorf("stored digest %s %d of a plain file differs from its SQL digest", sum, n)
	}
	// A line longer than the limit cannot be split.
	s, _ = newSink(dir, "long", "20261121120001_x.up.sql", 4, false)
	if _, err := s.Write([]byte("toolong\n")); err == nil {
		t.Error("over-long line accepted")
	}
	s.close()
}

func TestSinkCompressesDeterministically(t *testing.T) {
	dir := t.TempDir()
	sql := strings.Repeat("COPY public.t (id, price_cents) FROM stdin;\n1\t100\n\\.\n", 1000)
	var stored []string
	for _, stem := range []string{"a", "b"} {
		s, err := newSink(dir, stem, "20261121120000_x.up.sql", 0, true)
		if err != nil {
			t.Fatal(err)
		}
		// Written in two different chunkings: the bytes must not depend on it.
		step := map[string]int{"a": 7, "b": 4096}[stem]
		for i := 0; i < len(sql); i += step {
			if _, err := s.Write([]byte(sql[i:min(i+step, len(sql))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.finish(); err != nil {
			t.Fatal(err)
		}
		if err := s.sync(); err != nil {
			t.Fatal(err)
		}
		staged, final, _ := s.finals("/final")
		if final[0] != "/final/20261121120000_x.up.sql.gz" {
			t.Errorf("final name %s", final[0])
		}
		b, err := os.ReadFile(staged[0])
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if !zr.ModTime.IsZero() || zr.Name != "" {
			t.Errorf("gzip header holds a time %v or name %q", zr.ModTime, zr.Name)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || string(plain) != sql {
			t.Fatalf("round trip: %v", err)
		}
		sum, n := s.storedDigest()
		if n != int64(len(b)) || sum != fmt.Sprintf("%x", sha256.Sum256(b)) {
			t.Errorf("stored digest %s %d does not describe the file", sum, n)
		}
		if s.sqlDigest() != fmt.Sprintf("%x", sha256.Sum256([]byte(sql))) || s.size != int64(len(sql)) {
			t.Errorf("SQL digest does not describe the SQL")
		}
		stored = append(stored, string(b))
	}
	if stored[0] != stored[1] {
		t.Error("identical SQL gave different gzip bytes")
	}
	if _, err := newSink(dir, "c", "20261121120000_x.up.sql", 10, true); err == nil {
		t.Error("a compressed split sink was accepted")
	}
}

func TestChooseVersion(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifest.txt")
	os.WriteFile(manifest, []byte("20261121120000_a.up.sql\n20261121120001_b.up.sql\n"), 0o644)
	o := Options{ManifestPath: manifest, OutDir: dir, PlaceholderDir: dir,
		Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 500, time.UTC) }}
	v, err := chooseVersion(o, "x")
	if err != nil || v != "20261121120002" {
		t.Errorf("bumped version %q, %v", v, err)
	}
	o.Version = "20261121120001"
	if _, err := chooseVersion(o, "x"); err == nil {
		t.Error("taken explicit version accepted")
	}
	o.Version = "2026112112"
	if _, err := chooseVersion(o, "x"); err == nil {
		t.Error("malformed version accepted")
	}
}

func TestParseCopyHeader(t *testing.T) {
	h, ok, err := parseCopyHeader([]byte(`COPY "My Schema"."we""ird" (id, "Price Cents", x) FROM stdin;` + "\n"))
	if err != nil || !ok || h.Table != `My Schema.we"ird` || strings.Join(h.Columns, "|") != "id|Price Cents|x" {
		t.Errorf("got %+v %v %v", h, ok, err)
	}
	if _, ok, _ := parseCopyHeader([]byte("COPY x TO stdout;\n")); ok {
		t.Error("COPY TO taken for a data block")
	}
}
