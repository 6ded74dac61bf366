package main

import (
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

// dataSheets are the twelve data sheets of the GHC pricing template, in
// workbook order, with their 0-based tab positions (used when a name is not
// found, as the parser does).
var dataSheets = []struct {
	name  string
	index int
}{
	{"1b) Service Areas", 4},
	{"2a) Domestic Linehaul Prices", 6},
	{"2b) Dom. Service Area Prices", 7},
	{"2c) Other Domestic Prices", 8},
	{"3a) OCONUS to OCONUS Prices", 10},
	{"3b) CONUS to OCONUS Prices", 11},
	{"3c) OCONUS to CONUS Prices", 12},
	{"3d) Other International Prices", 13},
	{"3e) Non-Standard Loc'n Prices", 14},
	{"4a) Mgmt., Coun., Trans. Prices", 16},
	{"5a) Access. and Add. Prices", 17},
	{"5b) Price Escalation Discount", 18},
}

// floor iterates every row of the twelve data sheets of the workbook at
// path with excelize in raw mode and does nothing with the values: the least
// work any parser built on excelize must do. It returns the number of rows
// and cells seen.
func floor(path string) (rows, cells int, err error) {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, 0, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	list := f.GetSheetList()
	for _, ds := range dataSheets {
		sheet := ds.name
		if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
			if ds.index >= len(list) {
				return 0, 0, fmt.Errorf("%s: no sheet %q", path, ds.name)
			}
			sheet = list[ds.index]
		}
		r, c, err := iterate(f, sheet)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: sheet %q: %w", path, sheet, err)
		}
		rows += r
		cells += c
	}
	return rows, cells, nil
}

// iterate reads every row of one sheet with the streaming iterator.
func iterate(f *excelize.File, sheet string) (rows, cells int, err error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return 0, 0, err
	}
	defer it.Close()
	for it.Next() {
		cols, err := it.Columns()
		if err != nil {
			return 0, 0, err
		}
		rows++
		cells += len(cols)
	}
	return rows, cells, it.Error()
}

// floorMain is the "floor FILE" mode of the driver, run as a child process
// so that its wall time and peak memory are measured like securemig's.
func floorMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: securemig-bench floor FILE.xlsx")
		return 2
	}
	rows, cells, err := floor(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "securemig-bench floor:", err)
		return 1
	}
	fmt.Printf("%d rows, %d cells\n", rows, cells)
	return 0
}
