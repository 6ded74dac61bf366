package parser

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// hostile is a part content that probes one of the parser's limits: parts
// that declare huge dimensions, values or counts, or nest deeply.
type hostile struct {
	name  string
	which uint8  // index into fuzzedParts
	xml   string // the part's whole content
	want  string // a substring of the open error or of some problem
}

// hostileParts are the short hostile parts.
var hostileParts = []hostile{
	{"huge dimensions", 1, `<worksheet><dimension ref="A1:XFD1048576"/><sheetData><row r="99999999" spans="1:16384"><c r="XFD1048577" t="s"><v>-1</v></c><c t="n"><v>1E999999</v></c></row></sheetData></worksheet>`,
		`the first row has r="99999999", which is not a row number from 1 to 1048576`},
	{"huge exponent in a key", 1, `<worksheet><sheetData><row r="15"><c r="C15"><v>1E999999</v></c><c r="E15" s="1"><v>1E-999999</v></c></row></sheetData></worksheet>`,
		"service area number: a malformed number is not a number"},
	{"long column letters", 3, `<worksheet><sheetData><row r="10"><c r="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA10"><v>1</v></c></row></sheetData></worksheet>`,
		`row 10: a cell has reference "AAAA`},
	{"bad shared string index", 0, `<worksheet><sheetData><row r="10"><c r="C10" t="s"><v>99999999999999999999</v></c></row></sheetData></worksheet>`,
		`C10: the cell refers to shared string "99999999999999999999", but xl/sharedStrings.xml holds`},
	{"unclosed elements", 2, `<worksheet><sheetData><row r="8"><c r="C8" t="inlineStr"><is><t>Origin ID`, "C8: the sheet's XML ends early"},
	{"no sheets", 6, `<workbook><sheets></sheets></workbook>`, "lists no sheets"},
	{"corrupt styles", 5, `<styleSheet><cellXfs><xf numFmtId="1"/></cellXfs`, "xl/styles.xml is not well-formed XML"},
	{"dangling relationship", 7, `<Relationships><Relationship Id="rId1" Target="../../../../etc/passwd"/></Relationships>`, `points at "../../../../etc/passwd", which is not in the package`},
}

// largeHostileParts are built in code: too large for fuzz seeds.
func largeHostileParts(sheet7 []byte) []hostile {
	long := strings.Repeat("x", maxCellText+1)
	var cells strings.Builder
	for range maxCols + 1 {
		cells.WriteString(`<c t="inlineStr"><is><t>x</t></is></c>`)
	}
	var sheets strings.Builder
	for i := range maxTabs + 1 {
		fmt.Fprintf(&sheets, `<sheet name="s%d" sheetId="1" r:id="rId1"/>`, i)
	}
	var strs strings.Builder
	strs.WriteString(`<sst><si><t>` + long + `</t></si>`)
	for range 50 {
		strs.WriteString(`<si><t>` + long[:maxCellText] + `</t></si>`)
	}
	strs.WriteString(`</sst>`)
	// every 2a price cell of row 15 holds a number that would render as a
	// megabyte of digits in its "$"0.000 format
	priceCell := regexp.MustCompile(`(<c r="[G-Z]15"[^>]*><v>)[^<]*(</v>)`)
	return []hostile{
		{"huge exponents in prices", 1, string(priceCell.ReplaceAll(sheet7, []byte("${1}9.99E999999${2}"))),
			"NonPeak rate (500–4999 lbs, 0–250 miles): a malformed number is not a money amount"},
		{"long inline text", 1, `<worksheet><sheetData><row r="12"><c r="C12" t="inlineStr"><is><t>` + long + `</t></is></c></row></sheetData></worksheet>`,
			`C12: the cell's text is longer than Excel's limit of 32,767 characters`},
		{"long shared strings", 4, strs.String(), `the cell's text is longer than Excel's limit of 32,767 characters`},
		{"too many cells in a row", 1, `<worksheet><sheetData><row r="15">` + cells.String() + `</row></sheetData></worksheet>`,
			"a cell lies past column XFD"},
		{"too many sheets", 6, `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + sheets.String() + `</sheets></workbook>`, "more than 4096 sheets"},
		{"long number format", 5, `<styleSheet><numFmts><numFmt numFmtId="164" formatCode="` + strings.Repeat("0", maxFormatCode+1) + `"/></numFmts></styleSheet>`,
			"number format 164 is longer than 1024 bytes"},
		{"deep nesting", 1, `<worksheet><sheetData><row r="15">` + strings.Repeat("<c><is>", 200000) + `</row></sheetData></worksheet>`,
			"the sheet's XML ends early"},
		{"long header texts", 1, `<worksheet><sheetData><row r="12">` + strings.Repeat(`<c t="inlineStr"><is><t>`+long[:maxTextChars]+`</t></is></c>`, 100) + `</row></sheetData></worksheet>`,
			`expected "Service Area Number", found "xxx`},
	}
}

// TestHostileParts parses workbooks with one hostile part each: the parse
// ends in a clear error or problems, messages stay short, and the memory
// allocated stays far below what the declared sizes would need.
func TestHostileParts(t *testing.T) {
	parts := fuzzParts(t)
	find := func(name string) int {
		for i, p := range parts {
			if p.name == name {
				return i
			}
		}
		t.Fatalf("no part %s", name)
		return -1
	}
	cases := append(append([]hostile{}, hostileParts...), largeHostileParts(parts[find(fuzzedParts[1])].data)...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := storedZip(t, parts, find(fuzzedParts[tc.which]), []byte(tc.xml))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "hostile.xlsx")
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("parse allocated %d MiB", alloc>>20)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "hostile.xlsx: ") || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %q: want the file name and %q", err, tc.want)
				}
				return
			}
			found := false
			for _, p := range res.Problems {
				if len(p.Message) > maxMessage {
					t.Errorf("message of %d bytes at %s!%s", len(p.Message), p.Sheet, p.Cell)
				}
				found = found || strings.Contains(p.String(), tc.want)
			}
			if !found {
				t.Errorf("no problem contains %q; got %d problems, first %v", tc.want, len(res.Problems), res.Problems[:min(3, len(res.Problems))])
			}
			for _, p := range res.Records.DomesticLinehaulPrices {
				if len(p.Rate.Text) > 64 {
					t.Errorf("%s: displayed text of %d bytes", p.Key, len(p.Rate.Text))
				}
			}
		})
	}
}

// TestParseNumberMagnitude checks that numbers outside Excel's range are
// malformed and those inside are exact.
func TestParseNumberMagnitude(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		text string
	}{
		{"1.7976931348623157E308", true, "17976931348623157" + strings.Repeat("0", 292)},
		{"4.9E-324", true, ""},
		{"0E999999", true, "0"},
		{"1E999999", false, ""},
		{"-1E-999999", false, ""},
		{"1E400", false, ""},
		{"1E399", true, "1" + strings.Repeat("0", 399)},
		{"1E-400", true, "0." + strings.Repeat("0", 399) + "1"},
		{"1E-402", false, ""},
	}
	for _, tt := range tests {
		n, ok := parseNumber(tt.in)
		if ok != tt.ok {
			t.Errorf("parseNumber(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if tt.text != "" && n.text(-1) != tt.text {
			t.Errorf("parseNumber(%q).text(-1) = %q…, want %q…", tt.in, shorten(n.text(-1), 40), shorten(tt.text, 40))
		}
	}
}

// TestShorten checks message cutting on rune boundaries.
func TestShorten(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcdef", 5, "ab…"},
		{"aé€def", 7, "aé…"},
		{"€€€", 8, "€…"},
	}
	for _, tt := range tests {
		if got := shorten(tt.in, tt.n); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// TestEqualWS checks header match mode W without allocation.
func TestEqualWS(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Origin ID", "OriginID", true},
		{" Add\u2019l\u00a0Days\n", "Add'l Days", true},
		{"Add'l", "Add\u2019l", true},
		{"State", "States", false},
		{"", "   ", true},
		{"\xff", "\ufffd", true}, // invalid UTF-8 reads as U+FFFD
		{"abc", "abd", false},
	}
	for _, tt := range tests {
		if got := equalWS(tt.a, tt.b); got != tt.want {
			t.Errorf("equalWS(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	long := strings.Repeat(" x", maxCellText/2)
	if allocs := testing.AllocsPerRun(10, func() { equalWS(long, "Service Area Number") }); allocs != 0 {
		t.Errorf("equalWS allocates %v times", allocs)
	}
}
