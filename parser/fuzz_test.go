package parser

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// The fuzz targets mutate a small valid workbook through short patches
// instead of taking whole files as input. Go's fuzzer minimises every input
// that finds new coverage before it fuzzes on, for up to -fuzzminimizetime
// (60 s by default), and its byte-slice minimiser makes O(n²) calls for an
// n-byte input; with whole workbooks (tens of kilobytes) as inputs, each new
// coverage point stalled a worker for the full minute and the targets
// reported 0 execs/s. Patches stay short (at most maxPatch bytes), so
// minimisation takes a fraction of a second, and each exec is cheap: the
// workbook's parts are kept uncompressed and reassembled with zip.Store.

// maxPatch bounds the fuzzed bytes; longer inputs are ignored (they add
// nothing a shorter patch cannot reach and would slow minimisation).
const maxPatch = 64

// zipPart is one part of a workbook package.
type zipPart struct {
	name string
	data []byte
}

// fuzzParts returns the parts of the small valid workbook the fuzz targets
// mutate, in package order.
func fuzzParts(tb testing.TB) []zipPart {
	tb.Helper()
	book := validBook(tb, shape{serviceAreas: 2, oconus: 2, domestic: 1, nsra: 1, yearBlocks: 1}).bytes()
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		tb.Fatal(err)
	}
	parts := make([]zipPart, 0, len(zr.File))
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		parts = append(parts, zipPart{zf.Name, data})
	}
	return parts
}

// storedZip packages parts uncompressed; replace, when non-nil, substitutes
// the content of the part at index which.
func storedZip(tb testing.TB, parts []zipPart, which int, replace []byte) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for i, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err != nil {
			tb.Fatal(err)
		}
		data := p.data
		if i == which && replace != nil {
			data = replace
		}
		if _, err := w.Write(data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// splice returns base with cut bytes at offset at (both clamped) replaced by
// patch.
func splice(base []byte, at, cut int, patch []byte) []byte {
	at = min(at, len(base))
	end := min(at+cut, len(base))
	out := make([]byte, 0, len(base)-(end-at)+len(patch))
	out = append(out, base[:at]...)
	out = append(out, patch...)
	return append(out, base[end:]...)
}

// exercise parses data and renders every stage table; it must never panic.
func exercise(t *testing.T, data []byte) {
	res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "fuzz.xlsx")
	if err != nil {
		if !strings.HasPrefix(err.Error(), "fuzz.xlsx: ") {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	for i := range StageTables {
		if err := WriteStageCSV(io.Discard, &StageTables[i], &res.Records); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range res.Problems {
		_ = p.String()
	}
}

// FuzzParse feeds workbook files: with whole set, patch is the entire file;
// otherwise the file is the small valid workbook (parts stored uncompressed,
// so patches reach the XML as well as the zip structure) with cut bytes at
// offset at replaced by patch.
func FuzzParse(f *testing.F) {
	base := storedZip(f, fuzzParts(f), -1, nil)
	f.Add(uint32(0), uint16(0), []byte{}, false)                                  // the valid workbook
	f.Add(uint32(len(base)/3), uint16(65535), []byte{}, false)                    // truncated
	f.Add(uint32(len(base)-10), uint16(10), []byte{}, false)                      // no end of central directory
	f.Add(uint32(len(base)/2), uint16(4), []byte("<<<<"), false)                  // corrupt XML in a part
	f.Add(uint32(0), uint16(0), []byte{}, true)                                   // empty file
	f.Add(uint32(0), uint16(0), []byte("PK\x03\x04"), true)                       // zip signature only
	f.Add(uint32(0), uint16(0), []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), true) // OLE (.xls)
	f.Add(uint32(0), uint16(0), []byte("Code,Price\nA,1\n"), true)                // CSV
	f.Fuzz(func(t *testing.T, at uint32, cut uint16, patch []byte, whole bool) {
		if len(patch) > maxPatch {
			return
		}
		data := patch
		if !whole {
			data = splice(base, int(at%uint32(len(base)+1)), int(cut), patch)
		}
		exercise(t, data)
	})
}

// fuzzedParts are the parts FuzzParseParts mutates, by the which argument:
// the 1b, 2a, 3e and 5b sheets, shared strings, styles, the workbook and its
// relationships.
var fuzzedParts = []string{
	"xl/worksheets/sheet5.xml", "xl/worksheets/sheet7.xml", "xl/worksheets/sheet15.xml",
	"xl/worksheets/sheet19.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
	"xl/_rels/workbook.xml.rels",
}

// FuzzParseParts mutates one XML part inside the small valid workbook: with
// whole set, patch is the part's entire content; otherwise cut bytes of the
// part at offset at are replaced by patch.
func FuzzParseParts(f *testing.F) {
	parts := fuzzParts(f)
	index := make([]int, len(fuzzedParts))
	for i, name := range fuzzedParts {
		index[i] = -1
		for j, p := range parts {
			if p.name == name {
				index[i] = j
			}
		}
		if index[i] < 0 {
			f.Fatalf("the fuzz workbook has no part %s", name)
		}
	}
	for i := range fuzzedParts {
		f.Add(uint8(i), uint16(0), uint16(0), []byte{}, false) // the valid part
	}
	// hostile rows spliced after the 2a sheet's <sheetData> (see TestHostileParts)
	at := uint16(bytes.Index(parts[index[1]].data, []byte("<sheetData>")) + len("<sheetData>"))
	for _, row := range []string{
		`<row r="99999999"><c r="XFD1048577"><v>1E999999</v></c></row>`,
		`<row r="15"><c r="G15" s="1"><v>9E399</v></c></row>`,
		`<row><c r="AAAAAAAAAAAAAAAA1" t="s"><v>-1</v></c></row>`,
		`<row r="12"><c t="inlineStr"><is><t>x</t></is>`,
	} {
		f.Add(uint8(1), at, uint16(0), []byte(row), false)
	}
	f.Add(uint8(6), uint16(0), uint16(65535), []byte(`<workbook><sheets></sheets></workbook>`), false)
	f.Fuzz(func(t *testing.T, which uint8, at, cut uint16, patch []byte, whole bool) {
		if len(patch) > maxPatch {
			return
		}
		i := index[int(which)%len(index)]
		content := patch
		if !whole {
			content = splice(parts[i].data, int(at)%(len(parts[i].data)+1), int(cut), patch)
		}
		exercise(t, storedZip(t, parts, i, content))
	})
}
