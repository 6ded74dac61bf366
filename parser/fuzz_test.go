package parser

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
)

// fuzzBase is a small valid workbook shared by the fuzz targets.
var fuzzBase = sync.OnceValue(func() []byte {
	var tb testing.T
	return validBook(&tb, shape{serviceAreas: 2, oconus: 2, domestic: 1, nsra: 1, yearBlocks: 1}).bytes()
})

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

// FuzzParse feeds arbitrary bytes as a workbook file.
func FuzzParse(f *testing.F) {
	base := fuzzBase()
	f.Add(base)
	f.Add(base[:len(base)/3])
	f.Add(base[:len(base)-10])
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(exercise)
}

// replacePart returns the workbook zip with one part's content replaced
// (every part whose name has the given suffix).
func replacePart(t testing.TB, book []byte, suffix string, content []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(zf.Name, suffix) {
			w.Write(content)
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// partOf returns a part of the workbook zip.
func partOf(t testing.TB, book []byte, suffix string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, suffix) {
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return b
		}
	}
	t.Fatalf("no part %s", suffix)
	return nil
}

// FuzzParseParts mutates the XML parts inside an otherwise valid workbook:
// the 2a sheet (sheet7), the 3e sheet (sheet15), shared strings and styles.
func FuzzParseParts(f *testing.F) {
	base := fuzzBase()
	parts := []string{"worksheets/sheet7.xml", "worksheets/sheet15.xml", "sharedStrings.xml", "styles.xml", "workbook.xml"}
	for i, p := range parts {
		f.Add(uint8(i), partOf(f, base, p))
	}
	f.Add(uint8(0), []byte(`<worksheet><sheetData><row r="99999999"><c r="XFD1048577" t="s"><v>-1</v></c><c t="n"><v>1E999999</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		exercise(t, replacePart(t, base, parts[int(which)%len(parts)], content))
	})
}
