package parser

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
)

// fullSize approximates the sample's dimensions (spec Part 5).
var fullSize = shape{serviceAreas: 226, oconus: 52, domestic: 53, nsra: 15, yearBlocks: 2}

// fullBook is the full-size crafted workbook, built once.
var fullBook = sync.OnceValue(func() []byte {
	var tb testing.T
	return validBook(&tb, fullSize).bytes()
})

// BenchmarkParseFullSize parses a full-size crafted workbook.
func BenchmarkParseFullSize(b *testing.B) {
	data := fullBook()
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
// opens the same workbook and iterates every row of the 12 data sheets with
// raw cell values.
func BenchmarkExcelizeRawIteration(b *testing.B) {
	data := fullBook()
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
	data := fullBook()
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
