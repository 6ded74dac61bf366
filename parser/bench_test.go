package parser

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/securemig/securemig/sample"
	"github.com/xuri/excelize/v2"
)

// fullSize approximates the sample's dimensions (spec Part 5).
var fullSize = shape{serviceAreas: 226, oconus: 52, domestic: 53, nsra: 15, yearBlocks: 2}

// benchBooks caches the benchmark workbooks by name: building one takes
// seconds.
var benchBooks struct {
	sync.Mutex
	m map[string][]byte
}

// benchBook returns the named workbook, building it with build on first use.
func benchBook(tb testing.TB, name string, build func(testing.TB) []byte) []byte {
	tb.Helper()
	benchBooks.Lock()
	defer benchBooks.Unlock()
	if data, ok := benchBooks.m[name]; ok {
		return data
	}
	data := build(tb)
	if benchBooks.m == nil {
		benchBooks.m = map[string][]byte{}
	}
	benchBooks.m[name] = data
	return data
}

// fullBook is the full-size crafted workbook.
func fullBook(tb testing.TB) []byte {
	return benchBook(tb, "crafted", func(tb testing.TB) []byte { return validBook(tb, fullSize).bytes() })
}

// sampleBook is the full-size sample workbook (package sample, scale 1).
func sampleBook(tb testing.TB) []byte {
	return benchBook(tb, "sample", func(tb testing.TB) []byte {
		var buf bytes.Buffer
		if _, err := sample.Generate(context.Background(), &buf, io.Discard, sample.Options{Seed: 1}); err != nil {
			tb.Fatal(err)
		}
		return buf.Bytes()
	})
}

// BenchmarkParseFullSize parses a full-size crafted workbook.
func BenchmarkParseFullSize(b *testing.B) { benchParse(b, fullBook(b)) }

// BenchmarkParseSample parses the full-size sample workbook.
func BenchmarkParseSample(b *testing.B) { benchParse(b, sampleBook(b)) }

// benchParse parses data, which must have no errors.
func benchParse(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "full.xlsx")
		if err != nil {
			b.Fatal(err)
		}
		if res.HasErrors() {
			b.Fatalf("problems: %v", res.Problems[:min(5, len(res.Problems))])
		}
	}
}

// BenchmarkExcelizeRawIteration is the floor of the speed target: excelize
// opens the crafted full-size workbook and iterates every row of the 12 data
// sheets with raw cell values.
func BenchmarkExcelizeRawIteration(b *testing.B) { benchRawIteration(b, fullBook(b)) }

// BenchmarkExcelizeRawIterationSample is the floor on the sample workbook.
func BenchmarkExcelizeRawIterationSample(b *testing.B) { benchRawIteration(b, sampleBook(b)) }

// benchRawIteration iterates the data sheets of data with excelize.
func benchRawIteration(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
		if err != nil {
			b.Fatal(err)
		}
		cells := 0
		for _, ds := range dataSheets {
			rows, err := f.Rows(ds.name)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				cols, err := rows.Columns()
				if err != nil {
					b.Fatal(err)
				}
				cells += len(cols)
			}
			rows.Close()
		}
		f.Close()
		if cells == 0 {
			b.Fatal("no cells")
		}
	}
}

// BenchmarkWriteCSV renders every stage table of the full-size parse.
func BenchmarkWriteCSV(b *testing.B) {
	data := fullBook(b)
	res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "full.xlsx")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		for i := range StageTables {
			if err := WriteStageCSV(&buf, &StageTables[i], &res.Records); err != nil {
				b.Fatal(err)
			}
		}
	}
}
