package parser

import (
	"archive/zip"
	"bytes"
	"context"
	"github.com/xuri/excelize/v2"
	"strings"
	"testing"
)

// findProblem returns the problems of a kind at sheet!cell.
func findProblem(res *Result, kind Kind, sheet, cell string) []Problem {
	var out []Problem
	for _, p := range res.Problems {
		if p.Kind == kind && p.Sheet == sheet && p.Cell == cell {
			out = append(out, p)
		}
	}
	return out
}

func TestHeaderChecks(t *testing.T) {
	tests := []struct {
		sheet int
		cell  string
		want  string
	}{
		{sh1b, "C9", "Base Point City"}, {sh1b, "D9", "State"}, {sh1b, "E9", "Service Area Number"},
		{sh1b, "F9", "Included Zip3's"}, {sh1b, "J9", "International Rate Area"}, {sh1b, "K9", "Rate Area ID"},
		{sh2a, "C12", "Service Area Number"}, {sh2a, "D12", "Origin Service Area"}, {sh2a, "E12", "Services Schedule"},
		{sh2a, "D14", "EXAMPLE"},
		{sh2b, "C9", "Service Area Number"}, {sh2b, "F9", "SIT Pickup / Delivery Schedule"},
		{sh2b, "G9", "Shorthaul Price (per cwt per mile)"}, {sh2b, "U9", "SIT Pickup / Delivery ≤50 miles (per cwt)"},
		{sh2b, "BP9", "Origin / Destination SIT Add'l Days (per cwt)"}, {sh2b, "D10", "EXAMPLE"},
		{sh2c, "C11", "Services Schedule"}, {sh2c, "F11", "Peak (per cwt)"}, {sh2c, "E12", "$X.XX"},
		{sh2c, "C22", "SIT Pickup / Delivery Schedule"}, {sh2c, "D23", "Service Provided"}, {sh2c, "D24", "EXAMPLE (per cwt)"},
		{sh3a, "C8", "Origin Intl Price Area ID"}, {sh3a, "K9", "UB Price (except SIT) (per cwt)"}, {sh3a, "D10", "EXAMPLE"},
		{sh3b, "D8", "Origin Domestic Price Area (PPDRA)"}, {sh3c, "D8", "Origin International Price Area (PPIRA)"},
		{sh3c, "J9", "HHG Shipping / Linehaul Price (except SIT) (per cwt)"},
		{sh3d, "C8", "Price Area Code / ID"}, {sh3d, "L9", "SIT Pickup/Delivery >50 Miles (per cwt per mile)"},
		{sh3d, "N9", "HHG Origin Pack Price (per cwt)"},
		{sh3e, "D8", "Origin Area"}, {sh3e, "G9", "Move Type"}, {sh3e, "L9", "UB Price (except SIT) (per cwt)"},
		{sh3e, "F21", "Destination Area"}, {sh3e, "H22", "HHG Price (except SIT) (per cwt)"},
		{sh4a, "C8", "Contract Year"}, {sh4a, "D21", "Counseling Services Price ($ per task order)"},
		{sh4a, "C22", "EXAMPLE"}, {sh4a, "D34", "Transition Price ($ total cost)"},
		{sh5a, "E10", "Price Per Unit of Measure"}, {sh5a, "C24", "Market"}, {sh5a, "D25", "EXAMPLE (per unit of measure)"},
		{sh5a, "D38", "Shipment Type"}, {sh5a, "C39", "CONUS / OCONUS"},
		{sh5b, "H8", "Contract Year"}, {sh5b, "K8", "Resulting Price Escalation"}, {sh5b, "H9", "EXAMPLE"},
	}
	for _, tt := range tests {
		name := dataSheets[tt.sheet].name
		t.Run(name+"!"+tt.cell, func(t *testing.T) {
			b := validBook(t, small)
			b.set(name, tt.cell, "Changed Text")
			res := parseBytes(t, b.bytes())
			got := findProblem(res, KindHeaderMismatch, name, tt.cell)
			want := name + "!" + tt.cell + `: expected "` + tt.want + `", found "Changed Text"`
			if len(got) != 1 || got[0].String() != want || got[0].Severity != Error {
				t.Errorf("got %v, want one error %q; all: %v", got, want, res.Problems)
			}
		})
	}
}

func TestHeaderWhitespaceInsensitive(t *testing.T) {
	b := validBook(t, small)
	b.set(dataSheets[sh1b].name, "F9", "Included\nZip3’s")         // W: white space and ’ ignored
	b.set(dataSheets[sh1b].name, "C9", "  Base Point City ")       // E: trimmed
	b.set(dataSheets[sh2a].name, "D12", "OriginService\u00a0Area") // W: no-break space
	res := parseBytes(t, b.bytes())
	if len(res.Problems) != 0 {
		t.Errorf("problems: %v", res.Problems)
	}
}

func TestMileageHeaderCheck(t *testing.T) {
	name := dataSheets[sh2a].name
	col := ColumnName(linehaulCol(1, 1, 0, 1)) // a later year block is verified too
	b := validBook(t, small)
	b.set(name, col+"12", 250)
	b.set(name, "I13", "1,000")
	res := parseBytes(t, b.bytes())
	if got := findProblem(res, KindHeaderMismatch, name, col+"12"); len(got) != 1 ||
		got[0].Message != `expected lower bound 251, found "250"` {
		t.Errorf("got %v", got)
	}
	if got := findProblem(res, KindHeaderMismatch, name, "I13"); len(got) != 0 {
		t.Errorf("grouped mileage rejected: %v", got)
	}
}

func TestBadValues(t *testing.T) {
	s2b, s5b, s2a := dataSheets[sh2b].name, dataSheets[sh5b].name, dataSheets[sh2a].name
	tests := []struct {
		name        string
		sheet, cell string
		value       any
		kind        Kind
		msg         string
	}{
		{"empty price", s2b, "G11", "", KindEmptyCell, "NonPeak shorthaul price: empty"},
		{"blank text price", s2b, "H11", "   ", KindEmptyCell, "NonPeak origin / destination price: empty"},
		{"one decimal", s2b, "K11", "1,234.5", KindBadValue, "NonPeak SIT first day & warehouse price: money amount needs exactly 2 decimals, has 1"},
		{"letters", s2b, "L11", "abc", KindBadValue, "NonPeak SIT add'l days price: contains a letter"},
		{"negative number", s2b, "O11", -1.5, KindBadValue, "Peak shorthaul price: negative"},
		{"negative text", s2b, "P11", "-$1.50", KindBadValue, "Peak origin / destination price: negative"},
		{"zero where > 0", s2b, "S11", 0, KindBadValue, "Peak SIT first day & warehouse price: must be greater than zero"},
		{"percent in 5b", s5b, "K10", "2%", KindBadValue, "price escalation: percent sign not allowed"},
		{"too many escalation decimals", s5b, "K11", "1.020601", KindBadValue, "price escalation: more than 5 decimals"},
		{"2a two decimals", s2a, "G15", "$2.47", KindBadValue, "NonPeak rate (500–4999 lbs, 0–250 miles): money amount needs exactly 3 decimals, has 2"},
		{"bool cell", s2a, "H15", true, KindBadValue, "NonPeak rate (500–4999 lbs, 251–500 miles): a boolean cell is not a money amount"},
		{"schedule out of range", s2a, "E15", 4, KindBadValue, "services schedule: 4 is outside 1–3"},
		{"service area text", s2b, "C12", "12a", KindBadValue, "service area number: contains a letter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := validBook(t, small)
			b.set(tt.sheet, tt.cell, tt.value)
			res := parseBytes(t, b.bytes())
			got := findProblem(res, tt.kind, tt.sheet, tt.cell)
			if len(got) != 1 || got[0].Message != tt.msg {
				t.Errorf("got %v, want %s %q; all: %v", got, tt.kind, tt.msg, res.Problems)
			}
			if !res.HasErrors() {
				t.Error("HasErrors() = false")
			}
		})
	}
}

func TestMessagesNeverEchoPrices(t *testing.T) {
	b := validBook(t, small)
	s := dataSheets[sh3a].name
	b.set(s, "G11", "$987,65.43")
	b.set(s, "H11", "987.654")
	b.set(dataSheets[sh5a].name, "E40", "98.765")
	res := parseBytes(t, b.bytes())
	if len(res.Problems) < 3 {
		t.Fatalf("expected 3 problems, got %v", res.Problems)
	}
	for _, p := range res.Problems {
		if strings.Contains(p.String(), "987") || strings.Contains(p.String(), "98.7") {
			t.Errorf("message echoes a value: %s", p)
		}
	}
}

func TestTrailingFormattedBlankRowsIgnored(t *testing.T) {
	b := validBook(t, small)
	s := dataSheets[sh3d].name
	st, err := b.f.NewStyle(&excelize.Style{CustomNumFmt: ptr(`"$"0.00`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.f.SetCellStyle(s, "C30", "U500", st); err != nil {
		t.Fatal(err)
	}
	b.set(s, "D31", "   ")
	res := parseBytes(t, b.bytes())
	if len(res.Problems) != 0 {
		t.Errorf("problems: %v", res.Problems)
	}
	if n := len(res.Records.OtherIntlPrices); n != 2*(3+2+2) {
		t.Errorf("3d records = %d", n)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTableEnds(t *testing.T) {
	s := dataSheets[sh3d].name
	b := validBook(t, small)
	b.set(s, "C13", "") // row 13 now has values but no key
	res := parseBytes(t, b.bytes())
	if got := findProblem(res, KindEmptyCell, s, "C13"); len(got) != 1 || got[0].Message != "row 13 has values but no key; table ends at row 12" {
		t.Errorf("got %v", got)
	}
	if got := findProblem(res, KindDataAfterEnd, s, "C14"); len(got) != 1 || got[0].Severity != Warning {
		t.Errorf("data after end: %v", got)
	}
	if n := len(res.Records.OtherIntlPrices); n != 4 {
		t.Errorf("records = %d, want 4 (table ends at row 12)", n)
	}
}

func TestDuplicateKeys(t *testing.T) {
	s := dataSheets[sh2b].name
	b := validBook(t, small)
	b.set(s, "C12", "1")
	res := parseBytes(t, b.bytes())
	got := findProblem(res, KindDuplicateKey, s, "C12")
	if len(got) != 1 || got[0].Message != "duplicate service area 001, first at "+s+"!C11" {
		t.Errorf("got %v", got)
	}
}

func TestCrossSheetChecks(t *testing.T) {
	b := validBook(t, small)
	b.set(dataSheets[sh4a].name, "C10", "Award Term 9")
	b.set(dataSheets[sh3a].name, "E11", "ZZ")
	res := parseBytes(t, b.bytes())
	if got := findProblem(res, KindCrossSheet, dataSheets[sh4a].name, "C10"); len(got) != 1 || got[0].Severity != Error {
		t.Errorf("4a year: %v", got)
	}
	if got := findProblem(res, KindCrossSheet, dataSheets[sh3a].name, "E11"); len(got) != 1 {
		t.Errorf("3a destination: %v", got)
	}
	if got := findProblem(res, KindCrossSheet, dataSheets[sh5b].name, "H10"); len(got) != 1 || got[0].Severity != Warning {
		t.Errorf("5b year without management row: %v", got)
	}
}

func TestMissingAndRenamedSheets(t *testing.T) {
	b := validBook(t, small)
	if err := b.f.DeleteSheet(dataSheets[sh3d].name); err != nil {
		t.Fatal(err)
	}
	if err := b.f.SetSheetName(dataSheets[sh2b].name, "2b) Dom Svc Area Prices"); err != nil {
		t.Fatal(err)
	}
	if err := b.f.SetSheetName(dataSheets[sh5b].name, "5B) PRICE ESCALATION  DISCOUNT"); err != nil {
		t.Fatal(err)
	}
	res := parseBytes(t, b.bytes())
	var kinds []string
	for _, p := range res.Problems {
		if p.Kind == KindMissingSheet || p.Kind == KindSheetByPosition {
			kinds = append(kinds, p.Severity.String()+" "+p.String())
		}
	}
	want := []string{
		`warning workbook: no tab named "2b) Dom. Service Area Prices"; using tab 8 "2b) Dom Svc Area Prices" by position`,
		`error workbook: sheet "3d) Other International Prices" not found`,
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Records.DomesticServiceAreaPrices) != 6 || len(res.Records.PriceEscalationDiscounts) != 3 {
		t.Error("renamed sheets were not parsed")
	}
}

func TestNotAWorkbook(t *testing.T) {
	valid := validBook(t, small).bytes()
	var noWorkbook bytes.Buffer
	zw := zip.NewWriter(&noWorkbook)
	w, _ := zw.Create("hello.txt")
	w.Write([]byte("hi"))
	zw.Close()
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an XLSX workbook: the file is empty"},
		{"csv", []byte("a,b\n1,2\n"), "not an XLSX workbook"},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), "OLE compound file"},
		{"truncated zip", valid[:len(valid)/2], "corrupt or truncated zip"},
		{"zip without workbook", noWorkbook.Bytes(), "no workbook part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(context.Background(), bytes.NewReader(tt.data), int64(len(tt.data)), "book.xlsx")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "book.xlsx: ") {
				t.Errorf("err = %v, want book.xlsx: …%s…", err, tt.want)
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	if _, err := ParseFile(context.Background(), t.TempDir()); err == nil {
		t.Error("directory accepted")
	}
	if _, err := ParseFile(context.Background(), "/nonexistent/x.xlsx"); err == nil || !strings.Contains(err.Error(), "/nonexistent/x.xlsx") {
		t.Errorf("err = %v", err)
	}
}

func TestNonStandardSections(t *testing.T) {
	s := dataSheets[sh3e].name
	b := validBook(t, small)
	b.set(s, "G12", "NSRA to OCONUS") // first section row 2 has another move type
	b.set(s, "C21", "Origin  Id")     // section 2 header no longer found
	res := parseBytes(t, b.bytes())
	if got := findProblem(res, KindSectionLayout, s, "G12"); len(got) != 1 {
		t.Errorf("move type change: %v", got)
	}
	if got := findProblem(res, KindSectionLayout, s, ""); len(got) < 1 {
		t.Errorf("section count: %v", res.Problems)
	}
}
