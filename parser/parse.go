package parser

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// dataSheet names a data sheet and its standard 1-based tab position.
type dataSheet struct {
	name string
	pos  int
}

// DataSheets are the twelve data sheets in spec order (1.1).
var dataSheets = [12]dataSheet{
	{"1b) Service Areas", 5},
	{"2a) Domestic Linehaul Prices", 7},
	{"2b) Dom. Service Area Prices", 8},
	{"2c) Other Domestic Prices", 9},
	{"3a) OCONUS to OCONUS Prices", 11},
	{"3b) CONUS to OCONUS Prices", 12},
	{"3c) OCONUS to CONUS Prices", 13},
	{"3d) Other International Prices", 14},
	{"3e) Non-Standard Loc'n Prices", 15},
	{"4a) Mgmt., Coun., Trans. Prices", 17},
	{"5a) Access. and Add. Prices", 18},
	{"5b) Price Escalation Discount", 19},
}

// Indexes of the data sheets in dataSheets.
const (
	sh1b = iota
	sh2a
	sh2b
	sh2c
	sh3a
	sh3b
	sh3c
	sh3d
	sh3e
	sh4a
	sh5a
	sh5b
)

// SheetNames returns the twelve data-sheet tab names in spec order.
func SheetNames() []string {
	names := make([]string, len(dataSheets))
	for i, d := range dataSheets {
		names[i] = d.name
	}
	return names
}

// ParseFile parses the workbook at path. The error is non-nil only when the
// file cannot be read as an XLSX workbook (or ctx is cancelled); it names
// the file and, where there is one, the part, sheet and cell. A damaged
// package is such an error: duplicate part names, a relationship pointing at
// a missing part, a zip entry failing its CRC-32 check, an encoding other
// than UTF-8 or UTF-16, shared-string cells without a shared-string part.
// Everything else is reported as Problems.
func ParseFile(ctx context.Context, path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not an XLSX workbook", path)
	}
	return Parse(ctx, f, fi.Size(), path)
}

// Parse parses a workbook of the given size read from r; name identifies it
// in errors. See ParseFile for the error contract.
func Parse(ctx context.Context, r io.ReaderAt, size int64, name string) (*Result, error) {
	wb, err := openWorkbook(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	st := &state{wb: wb, res: &Result{File: name}}
	found := st.locateSheets()
	for i := range dataSheets {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := st.parseSheet(i, found[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	switch {
	case st.uncached > 0:
		st.reportUncached()
	case !st.damaged:
		st.crossChecks()
	}
	st.sortProblems()
	return st.res, nil
}

// state is the parse of one workbook.
type state struct {
	wb    *workbook
	res   *Result
	keys  []problemKey // sort keys, parallel to res.Problems
	found [12]string   // tab name used for each data sheet ("" if missing)

	damaged       bool   // a sheet stopped at damage in its XML
	uncached      int    // formula cells without a cached value
	uncachedCells []Cell // the first few of them, per sheet
	uncachedTabs  int    // sheets with such cells
}

// problemKey orders problems: sheet order, then row, then column.
type problemKey struct{ sheet, row, col, seq int }

// maxMessage bounds a problem message in bytes. Messages quote cell texts,
// which may be up to maxCellText long and repeated in every row; the bound
// keeps the problem list proportional to the number of problems.
const maxMessage = 1 << 10

// add records a problem. sheet is a data-sheet index, or -1 for the
// workbook; row and col are 0 when not applicable.
func (st *state) add(sev Severity, kind Kind, sheet, row, col int, msg string) {
	p := Problem{Severity: sev, Kind: kind, Message: shorten(msg, maxMessage)}
	if sheet >= 0 && kind != KindSheetByPosition {
		p.Sheet = st.found[sheet]
		if row > 0 && col > 0 {
			p.Cell = Cell{Col: col, Row: row}.A1()
		}
	}
	st.res.Problems = append(st.res.Problems, p)
	st.keys = append(st.keys, problemKey{sheet, row, col, len(st.keys)})
}

// shorten cuts s to at most n bytes on a rune boundary, marking the cut
// with "…".
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sortProblems orders problems deterministically.
func (st *state) sortProblems() {
	idx := make([]int, len(st.keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := st.keys[a], st.keys[b]
		return cmp.Or(cmp.Compare(ka.sheet, kb.sheet), cmp.Compare(ka.row, kb.row),
			cmp.Compare(ka.col, kb.col), cmp.Compare(ka.seq, kb.seq))
	})
	sorted := make([]Problem, len(idx))
	for i, j := range idx {
		sorted[i] = st.res.Problems[j]
	}
	st.res.Problems = sorted
}

// looseName folds a tab name for the second matching pass: case, white space
// and apostrophe style ignored.
func looseName(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return -1
		case r == '\u2019' || r == '\u2018' || r == '`':
			return '\''
		}
		return r
	}, s))
}

// locateSheets finds the tab of each data sheet (spec 2.2) and returns the
// tab indexes (-1 when missing).
func (st *state) locateSheets() [12]int {
	var found [12]int
	used := make([]bool, len(st.wb.tabs))
	for i, ds := range dataSheets {
		found[i] = -1
		for j, t := range st.wb.tabs {
			if t.name == ds.name && !used[j] {
				found[i], used[j] = j, true
				break
			}
		}
	}
	for i, ds := range dataSheets {
		if found[i] >= 0 {
			continue
		}
		for j, t := range st.wb.tabs {
			if !used[j] && looseName(t.name) == looseName(ds.name) {
				found[i], used[j] = j, true
				break
			}
		}
	}
	for i, ds := range dataSheets {
		if found[i] >= 0 {
			st.found[i] = st.wb.tabs[found[i]].name
			continue
		}
		if j := ds.pos - 1; j < len(st.wb.tabs) && !used[j] {
			found[i], used[j] = j, true
			st.found[i] = st.wb.tabs[j].name
			st.add(Warning, KindSheetByPosition, i, 0, 0, fmt.Sprintf(
				"no tab named %q; using tab %d %q by position", ds.name, ds.pos, st.wb.tabs[j].name))
			continue
		}
		st.add(Error, KindMissingSheet, i, 0, 0, fmt.Sprintf("sheet %q not found", ds.name))
	}
	return found
}

// parseSheet reads data sheet i from tab index t (-1 when missing). Damage
// in the sheet's XML stops the sheet: it is reported as the sheet's only
// problem. The error is a damaged package.
func (st *state) parseSheet(i, t int) error {
	start := time.Now()
	sum := SheetSummary{Sheet: dataSheets[i].name}
	defer func() {
		sum.Duration = time.Since(start)
		st.res.Sheets = append(st.res.Sheets, sum)
	}()
	if t < 0 {
		return nil
	}
	tb := st.wb.tabs[t]
	sum.Tab, sum.Position = tb.name, t+1
	if tb.kind != relWorksheet {
		st.add(Error, KindMissingSheet, i, 0, 0, fmt.Sprintf("tab %q is a %s, not a worksheet", tb.name, tb.kind))
		return nil
	}
	sr, err := st.wb.openSheet(tb)
	if err != nil {
		return err
	}
	mark := len(st.res.Problems)
	s := &sheetCtx{st: st, idx: i, tab: st.found[i]}
	h := newSheetHandler(s, i)
	var r row
	for sr.next() {
		sum.RowsRead++
		r.n, r.cells = sr.row, sr.cells
		h.row(&r)
	}
	closeErr := sr.Close()
	sum.Records = s.records
	var se *sheetError
	switch err := sr.Err(); {
	case err != nil && !errors.As(err, &se):
		return err
	case closeErr != nil:
		return closeErr // a failed CRC-32 check explains any damage seen
	case se != nil:
		st.res.Problems, st.keys = st.res.Problems[:mark], st.keys[:mark]
		st.damaged = true
		where := ""
		if se.col == 0 && se.row > 0 {
			where = fmt.Sprintf("row %d: ", se.row)
		}
		st.add(Error, KindDamagedSheet, i, se.row, se.col, fmt.Sprintf(
			"%s%s; reading of the sheet stopped here (part %s)", where, se.msg, sr.entry))
		return nil
	}
	if sr.uncached > 0 {
		st.uncached += sr.uncached
		st.uncachedCells = append(st.uncachedCells, sr.uncachedCells...)
		st.uncachedTabs++
	}
	h.finish()
	return nil
}

// reportUncached replaces the problems that formulas without cached values
// cause (every such cell reads as blank, so headers mismatch and tables look
// empty) with one workbook-level error that says what happened and what to
// do. Damaged sheets are still reported.
func (st *state) reportUncached() {
	var keep []Problem
	var keys []problemKey
	for k, p := range st.res.Problems {
		if p.Kind == KindDamagedSheet {
			keep, keys = append(keep, p), append(keys, st.keys[k])
		}
	}
	st.res.Problems, st.keys = keep, keys
	cells := make([]string, len(st.uncachedCells))
	for k, c := range st.uncachedCells {
		cells[k] = c.String()
	}
	if st.uncached > len(cells) {
		cells = append(cells, "…")
	}
	writer := "docProps/app.xml does not name the program that wrote the file."
	switch app := st.wb.application(); {
	case strings.Contains(app, "Microsoft Excel"):
		writer = fmt.Sprintf("docProps/app.xml names %q, but Excel saves the results; the file was probably "+
			"written by a program that imitates Excel's packaging, such as Python's openpyxl.", app)
	case app != "":
		writer = fmt.Sprintf("It was probably written by %q (docProps/app.xml).", app)
	}
	st.add(Error, KindUncachedFormulas, -1, 0, 0, fmt.Sprintf(
		"%d formula cell(s) in %d sheet(s) have no cached value (%s): the program that saved the workbook kept the "+
			"formulas but not their results, and the parser reads results, it never calculates. %s "+
			"Open the workbook in Excel or LibreOffice and save it, which stores the results, or replace the "+
			"formulas with their values; then run again.",
		st.uncached, st.uncachedTabs, strings.Join(cells, ", "), writer))
}

// sheetHandler consumes the rows of one data sheet in order.
type sheetHandler interface {
	row(r *row)
	finish()
}

// row is one worksheet row: its number and its non-blank cells.
type row struct {
	n     int
	cells []xcell
}

// get returns the cell at column col (a blank cell if absent).
func (r *row) get(col int) xcell {
	if r == nil {
		return xcell{col: col}
	}
	i, ok := slices.BinarySearchFunc(r.cells, col, func(c xcell, col int) int { return cmp.Compare(c.col, col) })
	if !ok {
		return xcell{col: col}
	}
	return r.cells[i]
}

// clone copies the row (the reader reuses its cell slice).
func (r *row) clone() *row {
	return &row{n: r.n, cells: slices.Clone(r.cells)}
}

// anyIn reports whether the row has a non-blank cell in any of cols.
func (r *row) anyIn(cols []int) bool {
	for _, c := range cols {
		if !isBlank(r.get(c)) {
			return true
		}
	}
	return false
}

// isBlank reports whether a cell is blank: absent, empty or only white space.
func isBlank(c xcell) bool {
	switch c.typ {
	case cellBlank:
		return true
	case cellText:
		return strings.TrimFunc(c.val, unicode.IsSpace) == ""
	}
	return false
}
