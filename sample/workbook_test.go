package sample

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeSample writes the model's workbook into a temporary directory.
func writeSample(t *testing.T, m *Model) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteWorkbook(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWorkbookLayout(t *testing.T) {
	t.Parallel()
	m := buildT(t, Options{Seed: 2})
	f, err := excelize.OpenFile(writeSample(t, m))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list := f.GetSheetList()
	if len(list) != len(SheetNames) {
		t.Fatalf("%d tabs, want %d", len(list), len(SheetNames))
	}
	for i, name := range SheetNames {
		if list[i] != name {
			t.Errorf("tab %d = %q, want %q", i+1, list[i], name)
		}
		visible, err := f.GetSheetVisible(name)
		if err != nil {
			t.Fatal(err)
		}
		if visible != (i < firstHiddenSheet) {
			t.Errorf("tab %q visible = %v", name, visible)
		}
	}

	// Numbers stored as numbers in most price cells and as text in some.
	types := map[excelize.CellType]int{}
	for _, l := range m.Linehaul {
		for c := linehaulCol(0, 0, 0, 0); c <= linehaulCol(0, 1, 2, 9); c++ {
			ref, _ := excelize.CoordinatesToCellName(c, l.Row)
			ct, err := f.GetCellType(SheetDomesticLinehaul, ref)
			if err != nil {
				t.Fatal(err)
			}
			types[ct]++
		}
	}
	if types[excelize.CellTypeUnset] == 0 || types[excelize.CellTypeInlineString] == 0 {
		t.Errorf("2a price cell types %v: want both numbers and text", types)
	}

	// Service-area numbers and zip3s in every form: 8, 672.0, 4.0 (text), 056 (text).
	forms := map[string]bool{}
	for _, r := range m.ServiceAreaRows {
		ref := "E" + strconv.Itoa(r.Row)
		shown, err := f.GetCellValue(SheetServiceAreas, ref)
		if err != nil {
			t.Fatal(err)
		}
		ct, _ := f.GetCellType(SheetServiceAreas, ref)
		text := ct == excelize.CellTypeInlineString
		switch {
		case strings.HasSuffix(shown, ".0"):
			forms[fmt.Sprintf("dot-zero text=%v", text)] = true
		case len(shown) == 3 && shown[0] == '0':
			forms["zero-padded text"] = text
		case !text:
			forms["plain number"] = true
		}
	}
	for _, want := range []string{"dot-zero text=true", "dot-zero text=false", "zero-padded text", "plain number"} {
		if !forms[want] {
			t.Errorf("1b service-area numbers: no %q cell (forms %v)", want, forms)
		}
	}

	checks := []struct{ sheet, cell, want string }{
		{SheetDomesticLinehaul, "D14", "EXAMPLE"},
		{SheetDomesticLinehaul, "BT12", "1,001"}, // year block 1: mileage bounds as text
		{SheetDomesticLinehaul, "BR12", "251.0"},
		{SheetServiceAreaPrices, "BC9", serviceAreaPriceHeaders[0]}, // fourth year block
		{SheetServiceAreaPrices, "BQ9", serviceAreaPriceHeaders[6]},
		{SheetManagement, "D35", "$ 450.18"},
		{SheetNonStandard, "C2620", "Origin ID"},
		{SheetNonStandard, "G2623", "CONUS to NSRA"},
	}
	for _, c := range checks {
		got, err := f.GetCellValue(c.sheet, c.cell)
		if err != nil {
			t.Fatal(err)
		}
		// Renderers differ in where an accounting format's fill space goes.
		if strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(c.want, " ", "") {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	merged, err := f.GetMergeCells(SheetOconusToOconus)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 4 || merged[0].GetStartAxis() != "C8" || merged[0].GetEndAxis() != "C9" {
		t.Errorf("3a merged header cells: %d ranges", len(merged))
	}
	// 3c prices are formulas into 3b, with the mirrored value cached.
	ar := indexOfPair(m.OconusToConus, "AR", "US11")
	ref3c := "H" + strconv.Itoa(m.OconusToConus[ar].Row)
	formula, err := f.GetCellFormula(SheetOconusToConus, ref3c)
	if err != nil {
		t.Fatal(err)
	}
	src := m.ConusToOconus[indexOfPair(m.ConusToOconus, "US11", "AR")]
	if want := "'" + SheetConusToOconus + "'!H" + strconv.Itoa(src.Row); formula != want {
		t.Errorf("3c %s formula %q, want %q", ref3c, formula, want)
	}
	if got, _ := f.GetCellValue(SheetOconusToConus, ref3c); got != "$43.94" {
		t.Errorf("3c %s cached value shows %q, want $43.94", ref3c, got)
	}
	// Year block 1 of 2a is the escalated copy of block 0.
	l := m.Linehaul[0]
	ref, _ := excelize.CoordinatesToCellName(linehaulCol(1, 1, 2, 9), l.Row)
	got, _ := f.GetCellValue(SheetDomesticLinehaul, ref)
	if want := Money3(scaled(l.Prices[Peak][2][9], escalations[1], 100000)); got != want {
		t.Errorf("2a year block 1 %s = %q, want %q", ref, got, want)
	}
}

// displayCheck is a cell whose displayed text the model fixes.
type displayCheck struct {
	sheet    string
	col, row int
	text     string
}

// expectedDisplays lists the displayed text of every price, factor and
// escalation cell and of the 1b and 3a–3e texts.
func expectedDisplays(m *Model) []displayCheck {
	var out []displayCheck
	add := func(sheet string, col, row int, text string) {
		out = append(out, displayCheck{sheet, col, row, text})
	}
	for _, r := range m.ServiceAreaRows {
		add(SheetServiceAreas, 3, r.Row, r.City)
		add(SheetServiceAreas, 4, r.Row, r.State)
	}
	for _, a := range m.IntlRateAreas {
		add(SheetServiceAreas, 10, a.Row, a.Name)
		add(SheetServiceAreas, 11, a.Row, a.Code)
	}
	for _, l := range m.Linehaul {
		for s := range 2 {
			for b := range 3 {
				for mi := range 10 {
					add(SheetDomesticLinehaul, linehaulCol(0, s, b, mi), l.Row, Money3(l.Prices[s][b][mi]))
				}
			}
		}
	}
	for _, p := range m.ServiceAreaPrices {
		for s := range 2 {
			for k, v := range p.Cents[s] {
				add(SheetServiceAreaPrices, serviceAreaCol(0, s, k), p.Row, Money2(v))
			}
		}
	}
	for _, p := range append(append([]OtherDomesticRow{}, m.PackPrices...), m.SITPrices...) {
		add(SheetOtherDomestic, 5, p.Row, Money2(p.Cents[NonPeak]))
		add(SheetOtherDomestic, 6, p.Row, Money2(p.Cents[Peak]))
	}
	pairs := func(sheet string, rows []IntlPriceRow, first int) {
		for _, p := range rows {
			add(sheet, 3, p.Row, p.Origin)
			add(sheet, 5, p.Row, p.Dest)
			for s := range 2 {
				for k := range 2 {
					add(sheet, first+3*s+k, p.Row, Money2(p.Cents[s][k]))
				}
			}
		}
	}
	pairs(SheetOconusToOconus, m.OconusToOconus, 7)
	pairs(SheetConusToOconus, m.ConusToOconus, 7)
	pairs(SheetOconusToConus, m.OconusToConus, 7)
	for _, sec := range m.NonStandard {
		pairs(SheetNonStandard, sec.Rows, 8)
	}
	for _, p := range m.OtherIntl {
		for s := range 2 {
			for k, v := range p.Cents[s] {
				add(SheetOtherIntl, 5+9*s+k, p.Row, Money2(v))
			}
		}
	}
	for _, f := range append(append([]FeeRow{}, m.Management...), m.Counseling...) {
		add(SheetManagement, 4, f.Row, Plain2(f.Cents))
	}
	add(SheetManagement, 4, m.Transition.Row, Accounting(m.Transition.Cents))
	for _, a := range m.DomesticAccessorials {
		add(SheetAccessorials, 5, a.Row, Plain2(a.Cents))
	}
	for _, a := range m.IntlAccessorials {
		add(SheetAccessorials, 5, a.Row, Plain2(a.Cents))
	}
	for _, a := range m.ShipmentTypes {
		add(SheetAccessorials, 5, a.Row, Factor(a.Factor))
	}
	for _, e := range m.Escalations {
		add(SheetEscalationDiscount, 9, e.Row, Forecast(e.Escalation))
		add(SheetEscalationDiscount, 11, e.Row, General(e.Escalation))
	}
	return out
}

// TestWorkbookOpensInLibreOffice converts the full-size workbook with
// LibreOffice (when installed) and compares what it displays with the model.
// Without LibreOffice it reads the displayed texts with excelize instead.
func TestWorkbookOpensInLibreOffice(t *testing.T) {
	t.Parallel()
	m := buildT(t, Options{Seed: 4})
	path := writeSample(t, m)
	var grids map[string][][]string
	if office := libreOffice(); office != "" {
		grids = convertWithLibreOffice(t, office, path)
	} else {
		t.Log("LibreOffice not installed: checking displayed texts with excelize")
		grids = readWithExcelize(t, path)
	}
	bad := 0
	for _, c := range expectedDisplays(m) {
		grid, ok := grids[c.sheet]
		if !ok {
			t.Fatalf("sheet %q missing from the converted workbook", c.sheet)
		}
		got := ""
		if c.row <= len(grid) && c.col <= len(grid[c.row-1]) {
			got = grid[c.row-1][c.col-1]
		}
		// Accounting formats pad with fill characters that renderers place differently.
		if strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(c.text, " ", "") {
			if bad++; bad <= 10 {
				ref, _ := excelize.CoordinatesToCellName(c.col, c.row)
				t.Errorf("%s!%s shows %q, want %q", c.sheet, ref, got, c.text)
			}
		}
	}
	if bad > 10 {
		t.Errorf("%d cells in all show other texts", bad)
	}
}

// libreOffice returns the LibreOffice binary on PATH, or "".
func libreOffice() string {
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// convertWithLibreOffice exports every sheet as CSV with the cells' displayed
// texts and returns the grids by sheet name.
func convertWithLibreOffice(t *testing.T, office, path string) map[string][][]string {
	t.Helper()
	out := t.TempDir()
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Filter options: comma, double quote, UTF-8, from line 1, default cell
	// format, en-US, …, save cells as shown, all sheets (-1).
	cmd := exec.CommandContext(ctx, office, "-env:UserInstallation=file://"+profile, "--headless",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true,false,false,-1",
		"--outdir", out, path)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("LibreOffice conversion failed: %v\n%s", err, b)
	}
	grids := map[string][][]string{}
	base := strings.TrimSuffix(filepath.Base(path), ".xlsx")
	for _, name := range SheetNames {
		b, err := os.ReadFile(filepath.Join(out, base+"-"+name+".csv"))
		if err != nil {
			t.Fatalf("LibreOffice did not export sheet %q: %v", name, err)
		}
		r := csv.NewReader(strings.NewReader(string(b)))
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("sheet %q: %v", name, err)
		}
		grids[name] = rows
	}
	return grids
}

// readWithExcelize returns every sheet's displayed texts as excelize renders them.
func readWithExcelize(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grids := map[string][][]string{}
	for _, name := range SheetNames {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		grids[name] = rows
	}
	return grids
}
