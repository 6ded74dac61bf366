package parser

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

// shape sizes a crafted workbook.
type shape struct {
	serviceAreas int // 2a/2b rows; 1b has two cities per service area
	oconus       int // OCONUS rate areas
	domestic     int // domestic price areas
	nsra         int // NSRA codes
	yearBlocks   int // 2a year blocks
}

// small is the default test workbook.
var small = shape{serviceAreas: 3, oconus: 3, domestic: 2, nsra: 2, yearBlocks: 2}

// tabNames returns the 36 tab names of a template.
func tabNames() []string {
	names := make([]string, 36)
	for i := range names {
		names[i] = fmt.Sprintf("Other %d", i+1)
	}
	for _, d := range dataSheets {
		names[d.pos-1] = d.name
	}
	return names
}

// book builds a crafted workbook with excelize.
type book struct {
	t      testing.TB
	f      *excelize.File
	styles map[string]int
}

// newBook creates a workbook with the 36 standard tabs.
func newBook(t testing.TB) *book {
	f := excelize.NewFile()
	names := tabNames()
	if err := f.SetSheetName("Sheet1", names[0]); err != nil {
		t.Fatal(err)
	}
	for _, n := range names[1:] {
		if _, err := f.NewSheet(n); err != nil {
			t.Fatal(err)
		}
	}
	return &book{t: t, f: f, styles: map[string]int{}}
}

// set writes a value (string, int or float64) to sheet!cell.
func (b *book) set(sheet, cell string, v any) {
	b.t.Helper()
	if err := b.f.SetCellValue(sheet, cell, v); err != nil {
		b.t.Fatal(err)
	}
}

// setRC writes a value at (col, row).
func (b *book) setRC(sheet string, col, row int, v any) {
	b.t.Helper()
	b.set(sheet, ColumnName(col)+fmt.Sprint(row), v)
}

// num writes a number with a custom number format at (col, row).
func (b *book) num(sheet string, col, row int, v float64, format string) {
	b.t.Helper()
	b.setRC(sheet, col, row, v)
	st, ok := b.styles[format]
	if !ok {
		var err error
		if st, err = b.f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
			b.t.Fatal(err)
		}
		b.styles[format] = st
	}
	cell := ColumnName(col) + fmt.Sprint(row)
	if err := b.f.SetCellStyle(sheet, cell, cell, st); err != nil {
		b.t.Fatal(err)
	}
}

// bytes saves the workbook.
func (b *book) bytes() []byte {
	b.t.Helper()
	var buf bytes.Buffer
	if err := b.f.Write(&buf); err != nil {
		b.t.Fatal(err)
	}
	return buf.Bytes()
}

// row writes consecutive values from column C.
func (b *book) row(sheet string, r int, vals ...any) {
	b.t.Helper()
	for i, v := range vals {
		if v != nil {
			b.setRC(sheet, colC+i, r, v)
		}
	}
}

// Formats used by the crafted workbook.
const (
	fmt3     = `"$"0.000`
	fmt2     = `"$"#,##0.00`
	fmtPlain = `0.00`
	fmtAcct  = `_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)`
)

// codes returns the OCONUS, domestic and NSRA codes of a shape.
func (sh shape) codes() (oconus, domestic, nsra []string) {
	for i := range sh.oconus {
		oconus = append(oconus, fmt.Sprintf("O%c%c", 'A'+i/26%26, 'A'+i%26))
	}
	for i := range sh.domestic {
		domestic = append(domestic, fmt.Sprintf("US%d", 11+i))
	}
	for i := range sh.nsra {
		nsra = append(nsra, fmt.Sprintf("NSRA%d", i+1))
	}
	return
}

// years are the contract years of the crafted workbook.
var years = []string{"Base Period Year 1", "Base Period Year 2", "Option Period 1"}

// validBook builds a complete, valid workbook of the given shape.
func validBook(t testing.TB, sh shape) *book {
	b := newBook(t)
	oconus, domestic, nsra := sh.codes()
	price := func(i int) float64 { return float64(100+i%900) + float64(i%100)/100 }

	s := dataSheets[sh1b].name
	b.row(s, 9, "Base Point City", "State", "Service Area Number", "Included Zip3's")
	b.set(s, "J9", "International Rate Area")
	b.set(s, "K9", "Rate Area ID")
	for i := range sh.serviceAreas {
		for k := range 2 {
			r := 10 + 2*i + k
			var zips any = 3 * i // a number cell
			if k == 1 {
				zips = fmt.Sprintf("%d,%d", 3*i+1, 3*i+2)
			}
			b.row(s, r, fmt.Sprintf("City %d-%d", i, k), "PA", i+1, zips)
		}
	}
	for i, code := range append(append([]string{}, oconus...), nsra...) {
		b.set(s, fmt.Sprintf("J%d", 10+i), "Area "+code)
		b.set(s, fmt.Sprintf("K%d", 10+i), code)
	}

	s = dataSheets[sh2a].name
	b.row(s, 12, "Service Area Number", "Origin Service Area", "Services Schedule")
	b.set(s, "D14", "EXAMPLE")
	for y := range sh.yearBlocks {
		for si := range 2 {
			for bd := range 3 {
				for m := range 10 {
					if m < 9 {
						b.setRC(s, linehaulCol(y, si, bd, m), 12, int(MileageRanges[m][0]))
						b.setRC(s, linehaulCol(y, si, bd, m), 13, int(MileageRanges[m][1]))
					}
				}
			}
		}
	}
	for i := range sh.serviceAreas {
		r := 15 + i
		b.row(s, r, float64(i+1), fmt.Sprintf("Name %d", i), 1+i%3)
		for y := range sh.yearBlocks {
			for si := range 2 {
				for bd := range 3 {
					for m := range 10 {
						b.num(s, linehaulCol(y, si, bd, m), r, float64(i+m+bd)+0.477, fmt3)
					}
				}
			}
		}
	}

	s = dataSheets[sh2b].name
	b.row(s, 9, "Service Area Number", "Service Area Name", "Services Schedule", "SIT Pickup / Delivery Schedule")
	for y := range 4 {
		for si := range 2 {
			for off, h := range serviceAreaPriceHeaders {
				b.setRC(s, 7+16*y+8*si+off, 9, h)
			}
		}
	}
	b.set(s, "D10", "EXAMPLE")
	for i := range sh.serviceAreas {
		r := 11 + i
		b.row(s, r, fmt.Sprintf("%03d", i+1), fmt.Sprintf("Name %d", i), 1+i%3, 2)
		for y := range 4 {
			for c := 7; c < 7+16; c++ {
				if (c-7)%8 != 7 {
					b.num(s, c+16*y, r, price(i+c), fmt2)
				}
			}
		}
	}

	s = dataSheets[sh2c].name
	b.row(s, 11, "Services Schedule", "Service Provided", "Non-Peak (per cwt)", "Peak (per cwt)")
	b.row(s, 12, "X", "EXAMPLE (per cwt)", "$X.XX", "$X.XX")
	r := 13
	for sched := 1; sched <= 3; sched++ {
		for _, svc := range []string{"Packing (per cwt)", "Unpack (per cwt)"} {
			b.row(s, r, sched, svc)
			b.num(s, colE, r, price(r), fmt2)
			b.num(s, colF, r, price(r+1), fmt2)
			r++
		}
	}
	b.set(s, "C22", "SIT Pickup / Delivery Schedule")
	b.row(s, 23, nil, "Service Provided", "Non-Peak (per cwt)", "Peak (per cwt)")
	b.row(s, 24, "X", "EXAMPLE (per cwt)", "$X.XX", "$X.XX")
	for sched := 1; sched <= 3; sched++ {
		b.row(s, 24+sched, sched, "SIT Pickup / Delivery ≤50 miles (per cwt)")
		b.num(s, colE, 24+sched, price(sched), fmt2)
		b.num(s, colF, 24+sched, price(sched+7), fmt2)
	}

	intlPairs := map[int][2][]string{sh3a: {oconus, oconus}, sh3b: {domestic, oconus}, sh3c: {oconus, domestic}}
	for i, pairs := range intlPairs {
		s = dataSheets[i].name
		h := intlHeaders[i]
		b.row(s, 8, h[0], h[1], h[2], h[3])
		hhg, ub := "HHG Shipping / Linehaul Price (except SIT) (per cwt)", "UB Price (except SIT) (per cwt)"
		b.row(s, 9, nil, nil, nil, nil, hhg, ub, nil, hhg, ub)
		b.set(s, "D10", "EXAMPLE")
		r := 11
		for _, o := range pairs[0] {
			for _, d := range pairs[1] {
				b.row(s, r, o, "Name "+o, d, "Name "+d)
				for _, c := range []int{colG, colH, colJ, colK} {
					b.num(s, c, r, price(r+c), fmt2)
				}
				r++
			}
		}
	}

	s = dataSheets[sh3d].name
	b.row(s, 8, "Price Area Code / ID", "International Price Area (PPIRA) / Domestic Price Area (PPDRA) / Non-Standard Rate Area")
	for si := range 2 {
		for k, h := range otherIntlHeaders {
			b.setRC(s, colE+9*si+k, 9, h)
		}
	}
	for i, code := range append(append(append([]string{}, oconus...), domestic...), nsra...) {
		b.row(s, 11+i, code, "Name "+code)
		for si := range 2 {
			for k := range 8 {
				b.num(s, colE+9*si+k, 11+i, price(i+k), fmt2)
			}
		}
	}

	s = dataSheets[sh3e].name
	sets := map[string][]string{"NSRA": nsra, "OCONUS": oconus, "CONUS": domestic}
	r = 8
	for _, mt := range moveTypes {
		var from, to string
		fmt.Sscanf(mt, "%s to %s", &from, &to)
		b.row(s, r, "Origin ID", "Origin Area", "Destination ID", "Destination Area")
		b.row(s, r+1, nil, nil, nil, nil, "Move Type", "HHG Price (except SIT) (per cwt)", "UB Price (except SIT) (per cwt)",
			nil, "HHG Price (except SIT) (per cwt)", "UB Price (except SIT) (per cwt)")
		r += 3
		for _, o := range sets[from] {
			for _, d := range sets[to] {
				b.row(s, r, o, "Name "+o, d, "Name "+d, mt)
				for _, c := range []int{colH, colI, colK, colL} {
					b.num(s, c, r, price(r+c), fmt2)
				}
				r++
			}
		}
		r += 6
	}

	s = dataSheets[sh4a].name
	for _, tb := range []struct {
		header int
		title  string
	}{{8, "Shipment Management Services Price ($ per task order)"}, {21, "Counseling Services Price ($ per task order)"}} {
		b.row(s, tb.header, "Contract Year", tb.title)
		b.row(s, tb.header+1, "EXAMPLE", "$X.XX")
		for i, y := range years {
			b.row(s, tb.header+2+i, y)
			b.num(s, colD, tb.header+2+i, price(i+tb.header), fmtPlain)
		}
	}
	b.row(s, 34, "Contract Year", "Transition Price ($ total cost)")
	b.row(s, 35, "One-time Amount (applied in Base Period Year 1)")
	b.num(s, colD, 35, 450.18, fmtAcct)

	s = dataSheets[sh5a].name
	b.row(s, 10, "Services Schedule", "Service Provided", "Price Per Unit of Measure")
	b.row(s, 11, "X", "EXAMPLE (per unit of measure)", "$X.XX")
	r = 12
	for _, svc := range accessorialServices {
		for sched := 1; sched <= 3; sched++ {
			b.row(s, r, sched, svc)
			b.num(s, colE, r, price(r), fmtPlain)
			r++
		}
	}
	b.row(s, 24, "Market", "Service Provided", "Price Per Unit of Measure")
	b.row(s, 25, "X", "EXAMPLE (per unit of measure)", "$X.XX")
	r = 26
	for _, svc := range accessorialServices {
		for _, m := range []string{"CONUS", "OCONUS"} {
			b.row(s, r, m, svc)
			b.num(s, colE, r, price(r), fmtPlain)
			r++
		}
	}
	b.row(s, 38, "Market", "Shipment Type", "Factor")
	b.row(s, 39, "CONUS / OCONUS", "EXAMPLE", "X.XX")
	r = 40
	for _, st := range shipmentTypes {
		for _, m := range []string{"CONUS", "OCONUS"} {
			if st == "Mobile Homes" && m == "OCONUS" {
				continue
			}
			b.row(s, r, m, st)
			b.num(s, colE, r, 1.2, fmtPlain)
			r++
		}
	}

	s = dataSheets[sh5b].name
	b.set(s, "H8", "Contract Year")
	b.set(s, "I8", "Government-set IHS Markit Pricing and Purchasing Industry Forecasting Adjustment")
	b.set(s, "J8", "Discount")
	b.set(s, "K8", "Resulting Price Escalation")
	b.set(s, "H9", "EXAMPLE")
	for i, y := range years {
		b.set(s, fmt.Sprintf("H%d", 10+i), y)
		b.num(s, colI, 10+i, 1+float64(i)*0.0206, "0.0000")
		b.setRC(s, colK, 10+i, 1+float64(i)*0.0206)
	}
	return b
}

// parseBytes parses workbook bytes, failing the test on an open error.
func parseBytes(t testing.TB, data []byte) *Result {
	t.Helper()
	res, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "test.xlsx")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}
