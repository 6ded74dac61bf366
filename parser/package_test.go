package parser

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// The tests of this file rewrite the project's own sample workbook (package
// sample, full size) the ways other writers and damaged files do: parts moved
// and renamed, Strict relationship types, UTF-16 parts, formulas without
// cached values, and each kind of damage the parser must refuse.

// pkgEntry is one zip entry of a package under test.
type pkgEntry struct {
	name string
	data []byte
	crc  uint32 // when non-zero, written as the entry's CRC-32 instead of the data's
}

// unpack returns the entries of a package.
func unpack(tb testing.TB, data []byte) []pkgEntry {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]pkgEntry, 0, len(zr.File))
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, pkgEntry{name: f.Name, data: b})
	}
	return out
}

// pack writes entries as a package, uncompressed.
func pack(tb testing.TB, entries []pkgEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		crc := e.crc
		if crc == 0 {
			crc = crc32.ChecksumIEEE(e.data)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Store, CRC32: crc,
			CompressedSize64: uint64(len(e.data)), UncompressedSize64: uint64(len(e.data))})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// pkg is a package being rewritten by a test.
type pkg struct {
	tb      testing.TB
	entries []pkgEntry
}

// entry returns the entry of a name; the test fails when there is none.
func (p *pkg) entry(name string) *pkgEntry {
	p.tb.Helper()
	for i := range p.entries {
		if p.entries[i].name == name {
			return &p.entries[i]
		}
	}
	p.tb.Fatalf("no entry %s", name)
	return nil
}

// edit replaces the content of an entry with f(content).
func (p *pkg) edit(name string, f func(string) string) *pkg {
	p.tb.Helper()
	e := p.entry(name)
	e.data = []byte(f(string(e.data)))
	return p
}

// replace replaces old with new in an entry; old must occur.
func (p *pkg) replace(name, old, new string) *pkg {
	p.tb.Helper()
	return p.edit(name, func(s string) string {
		if !strings.Contains(s, old) {
			p.tb.Fatalf("%s does not contain %q", name, old)
		}
		return strings.Replace(s, old, new, 1)
	})
}

// rename renames an entry.
func (p *pkg) rename(old, new string) *pkg {
	p.tb.Helper()
	p.entry(old).name = new
	return p
}

// drop removes an entry.
func (p *pkg) drop(name string) *pkg {
	p.tb.Helper()
	e := p.entry(name)
	*e = p.entries[len(p.entries)-1]
	p.entries = p.entries[:len(p.entries)-1]
	return p
}

// bytes packs the package.
func (p *pkg) bytes() []byte { return pack(p.tb, p.entries) }

// Parts of the sample workbook.
const (
	partSheet1b = "xl/worksheets/sheet5.xml"
	partSheet2a = "xl/worksheets/sheet7.xml"
	partSheet3c = "xl/worksheets/sheet13.xml"
	partSST     = "xl/sharedStrings.xml"
	partStyles  = "xl/styles.xml"
	partWB      = "xl/workbook.xml"
	partWBRels  = "xl/_rels/workbook.xml.rels"
	partRels    = "_rels/.rels"
	partTypes   = "[Content_Types].xml"
	partApp     = "docProps/app.xml"
)

// inlineCell matches an inline-string cell of the sample's sheets.
var inlineCell = regexp.MustCompile(`<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t[^>]*>([^<]*)</t></is></c>`)

// sharedSample is the full-size sample with every inline string moved into
// the shared-string table, as Excel stores text. It reads exactly as the
// sample does (checked by TestSharedSampleReadsAsSample).
func sharedSample(tb testing.TB) []byte {
	orig := sampleBook(tb)
	return benchBook(tb, "sample-shared", func(tb testing.TB) []byte {
		p := &pkg{tb: tb, entries: unpack(tb, orig)}
		sst := string(p.entry(partSST).data)
		n := strings.Count(sst, "<si>")
		index := map[string]int{}
		var added strings.Builder
		for i := range p.entries {
			e := &p.entries[i]
			if !strings.HasPrefix(e.name, "xl/worksheets/") {
				continue
			}
			e.data = inlineCell.ReplaceAllFunc(e.data, func(m []byte) []byte {
				g := inlineCell.FindSubmatch(m)
				k, ok := index[string(g[3])]
				if !ok {
					k = n + len(index)
					index[string(g[3])] = k
					fmt.Fprintf(&added, `<si><t xml:space="preserve">%s</t></si>`, g[3])
				}
				return fmt.Appendf(nil, `<c r="%s"%s t="s"><v>%d</v></c>`, g[1], g[2], k)
			})
		}
		sst = regexp.MustCompile(` count="[0-9]+" uniqueCount="[0-9]+"`).ReplaceAllString(sst, "")
		sst = strings.Replace(sst, "</sst>", added.String()+"</sst>", 1)
		p.edit(partSST, func(string) string { return sst })
		return p.bytes()
	})
}

// samplePkg returns the shared-string sample as a package to rewrite.
func samplePkg(tb testing.TB) *pkg {
	return &pkg{tb: tb, entries: unpack(tb, sharedSample(tb))}
}

// parseSample parses a rewritten sample; it fails the test on an open error.
func parseSample(tb testing.TB, data []byte) *Result {
	tb.Helper()
	res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "sample.xlsx")
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return res
}

// sampleRecords are the records of the unmodified sample.
func sampleRecords(tb testing.TB) *Records {
	tb.Helper()
	data := sampleBook(tb)
	res := parseSample(tb, data)
	if len(res.Problems) > 0 {
		tb.Fatalf("the sample has problems: %v", res.Problems[:min(5, len(res.Problems))])
	}
	return &res.Records
}

// sameRecords fails the test unless got equals the sample's records.
func sameRecords(t *testing.T, res *Result) {
	t.Helper()
	for i, p := range res.Problems {
		if i == 5 {
			t.Errorf("… %d problems in all", len(res.Problems))
			break
		}
		t.Errorf("%s: %s", p.Severity, p)
	}
	want := sampleRecords(t)
	gv, wv := reflect.ValueOf(&res.Records).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		if g, w := gv.Field(i), wv.Field(i); !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("%s differ: %d records, want %d", gv.Type().Field(i).Name, g.Len(), w.Len())
		}
	}
}

func TestSharedSampleReadsAsSample(t *testing.T) {
	p := samplePkg(t)
	if bytes.Contains(p.entry(partSheet1b).data, []byte("inlineStr")) {
		t.Fatal("the 1b sheet still has inline strings")
	}
	sameRecords(t, parseSample(t, p.bytes()))
}

// Relationship-type namespaces, as the package writes them.
const (
	nsTransitional = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsStrict       = "http://purl.oclc.org/ooxml/officeDocument/relationships"
)

// utf16Part encodes an XML part as UTF-16 with a declaration saying so.
func utf16Part(s string, big, bom bool) string {
	s = strings.Replace(s, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	var out []byte
	put := func(u uint16) {
		if big {
			out = binary.BigEndian.AppendUint16(out, u)
		} else {
			out = binary.LittleEndian.AppendUint16(out, u)
		}
	}
	if bom {
		put(0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return string(out)
}

// allXML applies f to every XML part of the package.
func (p *pkg) allXML(f func(string) string) *pkg {
	for i := range p.entries {
		if e := &p.entries[i]; strings.HasSuffix(e.name, ".xml") || strings.HasSuffix(e.name, ".rels") {
			e.data = []byte(f(string(e.data)))
		}
	}
	return p
}

// TestPackagesThatReadTheSame rewrites the package the ways the packaging
// spec allows; every variant must read exactly as the original.
func TestPackagesThatReadTheSame(t *testing.T) {
	tests := []struct {
		name    string
		rewrite func(p *pkg)
	}{
		{"shared strings elsewhere", func(p *pkg) {
			p.rename(partSST, "xl/strings/table1.xml").
				replace(partWBRels, `Target="/xl/sharedStrings.xml"`, `Target="strings/table1.xml"`).
				replace(partTypes, `"/xl/sharedStrings.xml"`, `"/xl/strings/table1.xml"`)
		}},
		{"styles elsewhere, absolute target", func(p *pkg) {
			p.rename(partStyles, "xl/fmt/numbers.xml").
				replace(partWBRels, `Target="styles.xml"`, `Target="/xl/fmt/numbers.xml"`).
				replace(partTypes, `"/xl/styles.xml"`, `"/xl/fmt/numbers.xml"`)
		}},
		{"workbook part named book.xml", func(p *pkg) {
			p.rename(partWB, "xl/book.xml").rename(partWBRels, "xl/_rels/book.xml.rels").
				replace(partRels, `Target="xl/workbook.xml"`, `Target="/xl/book.xml"`).
				replace(partTypes, `"/xl/workbook.xml"`, `"/xl/book.xml"`)
		}},
		{"everything moved, relative targets with ..", func(p *pkg) {
			p.rename(partSST, "strings.xml").rename(partStyles, "other/styles.xml").
				replace(partWBRels, `Target="/xl/sharedStrings.xml"`, `Target="../strings.xml"`).
				replace(partWBRels, `Target="styles.xml"`, `Target="./../other/./styles.xml"`).
				replace(partTypes, `"/xl/sharedStrings.xml"`, `"/strings.xml"`).
				replace(partTypes, `"/xl/styles.xml"`, `"/other/styles.xml"`)
		}},
		{"part names in other case", func(p *pkg) {
			p.rename(partSheet2a, "XL/Worksheets/Sheet7.XML").rename(partSST, "xl/SharedStrings.xml")
		}},
		{"Strict relationship types", func(p *pkg) {
			p.allXML(func(s string) string {
				s = strings.ReplaceAll(s, nsTransitional+"/extended-properties", nsStrict+"/extendedProperties")
				return strings.ReplaceAll(s, nsTransitional, nsStrict)
			})
		}},
		{"UTF-16LE parts with byte-order marks", func(p *pkg) {
			p.allXML(func(s string) string { return utf16Part(s, false, true) })
		}},
		{"UTF-16BE parts without byte-order marks", func(p *pkg) {
			p.allXML(func(s string) string { return utf16Part(s, true, false) })
		}},
		{"UTF-8 parts with byte-order marks", func(p *pkg) {
			p.allXML(func(s string) string { return "\uFEFF" + s })
		}},
		{"no declarations", func(p *pkg) {
			p.allXML(func(s string) string { return strings.TrimPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePkg(t)
			tt.rewrite(p)
			sameRecords(t, parseSample(t, p.bytes()))
		})
	}
}

// firstPrice matches the first 2a price cell, G15, and its value.
var firstPrice = regexp.MustCompile(`(<c r="G15" s="[0-9]+"><v>)([0-9.]+)(</v>)`)

// TestDamagedPackagesAreRefused rewrites the package into damaged ones; each
// must fail the parse with one error that names the part (and the sheet
// where there is one).
func TestDamagedPackagesAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		rewrite func(p *pkg)
		want    []string
	}{
		{"CRC-32 failure in a sheet", func(p *pkg) {
			e := p.entry(partSheet2a)
			e.crc = crc32.ChecksumIEEE(e.data)
			e.data = firstPrice.ReplaceAll(e.data, []byte("${1}1${2}${3}")) // a price changed after the checksum
		}, []string{partSheet2a, `"2a) Domestic Linehaul Prices"`, "fails its CRC-32 check"}},
		{"CRC-32 failure in the shared strings", func(p *pkg) {
			e := p.entry(partSST)
			e.crc = crc32.ChecksumIEEE(e.data) ^ 1
		}, []string{partSST, "fails its CRC-32 check"}},
		{"duplicate entry", func(p *pkg) {
			e := *p.entry(partSheet2a)
			e.data = firstPrice.ReplaceAll(e.data, []byte("${1}1${2}${3}"))
			p.entries = append(p.entries, e)
		}, []string{"two entries named", partSheet2a, "must be unique"}},
		{"duplicate entry differing in case", func(p *pkg) {
			e := *p.entry(partSST)
			e.name = "xl/SHAREDSTRINGS.xml"
			p.entries = append(p.entries, e)
		}, []string{"two entries named", "xl/SHAREDSTRINGS.xml"}},
		{"officeDocument relationship to a missing part", func(p *pkg) {
			p.replace(partRels, `Target="xl/workbook.xml"`, `Target="xl/book.xml"`)
		}, []string{"_rels/.rels", `"xl/book.xml"`, "not in the package"}},
		{"sharedStrings relationship to a missing part", func(p *pkg) {
			p.rename(partSST, "xl/strings.xml")
		}, []string{partWBRels, "sharedStrings", `"/xl/sharedStrings.xml"`, "not in the package"}},
		{"styles relationship to a missing part", func(p *pkg) { p.drop(partStyles) },
			[]string{partWBRels, "styles", "not in the package"}},
		{"worksheet relationship to a missing part", func(p *pkg) { p.drop(partSheet3c) },
			[]string{partWBRels, `"worksheets/sheet13.xml"`, "not in the package"}},
		{"sheet without a relationship", func(p *pkg) {
			p.edit(partWBRels, func(s string) string {
				return regexp.MustCompile(`<Relationship Id="rId4" [^>]*></Relationship>`).ReplaceAllString(s, "")
			})
		}, []string{partWB, `refers to relationship "rId4"`}},
		{"string cells without a string table", func(p *pkg) {
			p.drop(partSST).edit(partWBRels, func(s string) string {
				return regexp.MustCompile(`<Relationship Id="[^"]+" Target="/xl/sharedStrings.xml"[^>]*></Relationship>`).ReplaceAllString(s, "")
			})
		}, []string{"1b) Service Areas!B2 is a shared-string cell", "no shared-strings part"}},
		{"unsupported charset in a sheet", func(p *pkg) {
			p.replace(partSheet2a, `encoding="UTF-8"`, `encoding="ISO-8859-1"`)
		}, []string{partSheet2a, `"2a) Domestic Linehaul Prices"`, `"ISO-8859-1"`, "save it again as .xlsx"}},
		{"unsupported charset in the shared strings", func(p *pkg) {
			p.replace(partSST, `encoding="UTF-8"`, `encoding="windows-1252"`)
		}, []string{partSST, `"windows-1252"`, "save it again as .xlsx"}},
		{"UTF-16 declared, UTF-8 written", func(p *pkg) {
			p.replace(partSheet2a, `encoding="UTF-8"`, `encoding="UTF-16"`)
		}, []string{partSheet2a, "is not UTF-16 encoded"}},
		{"a Word document", func(p *pkg) {
			p.replace(partWB, "<workbook ", "<document ")
		}, []string{partWB, "<document>, not a <workbook>"}},
		{"two sheets of the same name", func(p *pkg) {
			p.replace(partWB, `name="Total Evaluated Price"`, `name="2A) Domestic Linehaul Prices"`)
		}, []string{partWB, "two sheets named"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePkg(t)
			tt.rewrite(p)
			data := p.bytes()
			res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "sample.xlsx")
			if err == nil {
				t.Fatalf("parsed with %d problems (first %v), want an error", len(res.Problems), res.Problems[:min(3, len(res.Problems))])
			}
			for _, w := range append([]string{"sample.xlsx: "}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// rowElement matches the element of row n.
func rowElement(n int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`<row r="%d"[^>]*>.*?</row>`, n))
}

// TestDamagedSheetsStopWithOneError damages one sheet's XML in each way the
// parser refuses: the parse reports exactly one problem, at the damage, that
// names the part; the sheet is read no further and the other sheets are read
// as before.
func TestDamagedSheetsStopWithOneError(t *testing.T) {
	const tab2a, tab1b = "2a) Domestic Linehaul Prices", "1b) Service Areas"
	tests := []struct {
		name    string
		rewrite func(p *pkg)
		tab     string
		cell    string
		want    []string
	}{
		{"row number past Excel's last row", func(p *pkg) { p.replace(partSheet2a, `<row r="20">`, `<row r="1048577">`) },
			tab2a, "", []string{`the row after row 19 has r="1048577", which is not a row number from 1 to 1048576`}},
		{"row number not a number", func(p *pkg) { p.replace(partSheet2a, `<row r="20">`, `<row r="2O">`) },
			tab2a, "", []string{`r="2O"`}},
		{"row number zero", func(p *pkg) { p.replace(partSheet2a, `<row r="20">`, `<row r="0">`) },
			tab2a, "", []string{`r="0"`}},
		{"rows out of order", func(p *pkg) {
			p.edit(partSheet2a, func(s string) string {
				r20, r21 := rowElement(20).FindString(s), rowElement(21).FindString(s)
				return strings.Replace(s, r20+r21, r21+r20, 1)
			})
		}, tab2a, "", []string{"row 20: rows are out of order: row 20 comes after row 21"}},
		{"row twice", func(p *pkg) { p.replace(partSheet2a, `<row r="21">`, `<row r="20">`) },
			tab2a, "", []string{"row 20: row 20 appears twice"}},
		{"cell in the wrong row", func(p *pkg) { p.replace(partSheet2a, `<c r="E20"`, `<c r="E21"`) },
			tab2a, "E20", []string{"cell E21 is inside the element of row 20"}},
		{"cells out of order", func(p *pkg) { p.replace(partSheet2a, `<c r="E20"`, `<c r="B20"`) },
			tab2a, "B20", []string{"cells are out of order: B20 comes after D20"}},
		{"cell twice", func(p *pkg) { p.replace(partSheet2a, `<c r="E20"`, `<c r="D20"`) },
			tab2a, "D20", []string{"cell D20 appears twice"}},
		{"invalid cell reference", func(p *pkg) { p.replace(partSheet2a, `<c r="E20"`, `<c r="20E"`) },
			tab2a, "", []string{`row 20: a cell has reference "20E", which is not a cell reference`}},
		{"cell past column XFD", func(p *pkg) { p.replace(partSheet2a, `<c r="E20"`, `<c r="XFE20"`) },
			tab2a, "", []string{`"XFE20"`}},
		{"undefined cell style", func(p *pkg) { p.replace(partSheet2a, `<c r="G20" s="1">`, `<c r="G20" s="999">`) },
			tab2a, "G20", []string{`the cell has style "999", but the styles part defines`}},
		{"unknown cell type", func(p *pkg) { p.replace(partSheet2a, `<c r="E20"`, `<c r="E20" t="x"`) },
			tab2a, "E20", []string{`the cell has type "x"`}},
		{"shared string index out of range", func(p *pkg) {
			p.edit(partSheet1b, func(s string) string {
				return regexp.MustCompile(`<c r="C10" t="s"><v>[0-9]+</v>`).ReplaceAllString(s, `<c r="C10" t="s"><v>99999</v>`)
			})
		}, tab1b, "C10", []string{`the cell refers to shared string "99999", but xl/sharedStrings.xml holds`}},
		{"1 MiB inline text", func(p *pkg) {
			p.edit(partSheet1b, func(s string) string {
				return regexp.MustCompile(`<c r="C10" t="s"><v>[0-9]+</v>`).ReplaceAllString(s,
					`<c r="C10" t="inlineStr"><is><t>`+strings.Repeat("x", 1<<20)+`</t></is>`)
			})
		}, tab1b, "C10", []string{"the cell's text is longer than Excel's limit of 32,767 characters"}},
		{"32,768-character shared string", func(p *pkg) {
			p.replace(partSST, "</sst>", "<si><t>"+strings.Repeat("é", maxTextChars+1)+"</t></si></sst>")
			n := strings.Count(string(p.entry(partSST).data), "<si>") - 1
			p.edit(partSheet1b, func(s string) string {
				return regexp.MustCompile(`<c r="C10" t="s"><v>[0-9]+</v>`).ReplaceAllString(s, fmt.Sprintf(`<c r="C10" t="s"><v>%d</v>`, n))
			})
		}, tab1b, "C10", []string{"the cell's text is longer than Excel's limit of 32,767 characters"}},
		{"control character", func(p *pkg) { p.replace(partSheet2a, `<c r="G20" s="1"><v>`, "<c r=\"G20\" s=\"1\"><v>\x01") },
			tab2a, "G20", []string{"the sheet's XML is malformed", "illegal character code U+0001"}},
		{"undefined entity", func(p *pkg) { p.replace(partSheet2a, `<c r="G20" s="1"><v>`, `<c r="G20" s="1"><v>&nbsp;`) },
			tab2a, "G20", []string{"the sheet's XML is malformed", "&nbsp;"}},
		{"truncated XML", func(p *pkg) {
			p.edit(partSheet2a, func(s string) string { return s[:strings.Index(s, `<row r="20">`)] })
		}, tab2a, "", []string{"the sheet's XML ends early"}},
		{"unpaired surrogate in UTF-16", func(p *pkg) {
			p.edit(partSheet2a, func(s string) string {
				u := utf16Part(s, false, true)
				at := strings.Index(u, utf16Part(`<c r="G20"`, false, false))
				return u[:at] + "\x00\xD8" + u[at:] // a high surrogate followed by '<'
			})
		}, tab2a, "", []string{"row 20: the sheet's text is not valid UTF-16"}},
	}
	want1b := sampleRecords(t).DomesticServiceAreas
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePkg(t)
			tt.rewrite(p)
			res := parseSample(t, p.bytes())
			if len(res.Problems) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(res.Problems), res.Problems[:min(5, len(res.Problems))])
			}
			got := res.Problems[0]
			part := map[string]string{tab2a: partSheet2a, tab1b: partSheet1b}[tt.tab]
			if got.Severity != Error || got.Kind != KindDamagedSheet || got.Sheet != tt.tab || got.Cell != tt.cell {
				t.Errorf("got %s %s at %q!%q, want an error %s at %q!%q", got.Severity, got.Kind, got.Sheet, got.Cell,
					KindDamagedSheet, tt.tab, tt.cell)
			}
			for _, w := range append(tt.want, "(part "+part+")") {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q does not contain %q", got.Message, w)
				}
			}
			if tt.tab != tab1b && !reflect.DeepEqual(res.Records.DomesticServiceAreas, want1b) {
				t.Errorf("the 1b records differ from the sample's")
			}
		})
	}
}

// TestLongestTextIsRead checks the limit's boundary: 32,767 characters, as
// UTF-16 counts them, are a valid cell text.
func TestLongestTextIsRead(t *testing.T) {
	text := strings.Repeat("€", maxTextChars)
	p := samplePkg(t).edit(partSheet1b, func(s string) string {
		return regexp.MustCompile(`<c r="C10" t="s"><v>[0-9]+</v>`).ReplaceAllString(s, `<c r="C10" t="inlineStr"><is><t>`+text+`</t></is>`)
	})
	res := parseSample(t, p.bytes())
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	if got := res.Records.DomesticServiceAreas[0].BasePointCity; got != text {
		t.Errorf("base point city of %d bytes, want %d", len(got), len(text))
	}
}

// cachedFormula matches a formula cell's formula and cached value.
var cachedFormula = regexp.MustCompile(`(<f>[^<]*</f>)<v>[^<]*</v>`)

// TestFormulasWithoutCachedValues strips the cached results of the sample's
// formulas (the 3c prices mirror 3b): the parse reports exactly one
// workbook-level problem that lists cells, names the likely writer and says
// what to do.
func TestFormulasWithoutCachedValues(t *testing.T) {
	tests := []struct {
		name  string
		value string // what replaces <v>…</v>
		app   string // docProps/app.xml's Application, "" to drop the part
		want  string
	}{
		{"no value element", "", "Go Excelize", `It was probably written by "Go Excelize" (docProps/app.xml).`},
		{"empty value element", "<v></v>", "Microsoft Excel", `names "Microsoft Excel", but Excel saves the results`},
		{"empty value, no app.xml", "<v/>", "", "docProps/app.xml does not name the program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePkg(t)
			n := len(cachedFormula.FindAllIndex(p.entry(partSheet3c).data, -1))
			if n == 0 {
				t.Fatal("the 3c sheet has no formulas")
			}
			p.edit(partSheet3c, func(s string) string { return cachedFormula.ReplaceAllString(s, "${1}"+tt.value) })
			if tt.app == "" {
				p.drop(partApp)
			} else {
				p.replace(partApp, "<Application>Go Excelize</Application>", "<Application>"+tt.app+"</Application>")
			}
			res := parseSample(t, p.bytes())
			if len(res.Problems) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(res.Problems), res.Problems[:min(5, len(res.Problems))])
			}
			got := res.Problems[0]
			if got.Kind != KindUncachedFormulas || got.Severity != Error || got.Sheet != "" {
				t.Errorf("got %s %s in %q, want a workbook-level error %s", got.Severity, got.Kind, got.Sheet, KindUncachedFormulas)
			}
			for _, w := range []string{fmt.Sprintf("%d formula cell(s) in 1 sheet(s) have no cached value", n),
				"3c) OCONUS to CONUS Prices!G11, 3c) OCONUS to CONUS Prices!H11", tt.want,
				"Open the workbook in Excel or LibreOffice and save it"} {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q does not contain %q", got.Message, w)
				}
			}
		})
	}
}
