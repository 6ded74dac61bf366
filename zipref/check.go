package zipref

import (
	"fmt"
	"sort"
)

// WorkbookZip3 is a zip3 of the workbook with the location it came from
// (e.g. `1b) Service Areas!F10`), used in problems.
type WorkbookZip3 struct {
	Zip3 string
	Cell string
}

// Check checks m against a workbook: zip3s are the workbook's distinct zip3s
// and isDomestic tells whether a code is one of its domestic rate-area codes.
// Errors: a workbook zip3 without a zip3 line, an unknown rate-area code, a
// ZIP zip3 without any zip5 line. A zip3 line for a zip3 absent from the
// workbook is a warning (the line is ignored). Problems come first for
// missing zip3s, in workbook order, then by line.
func (m *Map) Check(zip3s []WorkbookZip3, isDomestic func(code string) bool) []Problem {
	var missing, lines []Problem
	inWorkbook := make(map[string]bool, len(zip3s))
	for _, z := range zip3s {
		inWorkbook[z.Zip3] = true
		if _, ok := m.Zip3(z.Zip3); !ok {
			missing = append(missing, Problem{Severity: Error, File: m.File,
				Message: fmt.Sprintf("zip3 %s (%s) has no zip3 line", z.Zip3, z.Cell)})
		}
	}
	refined := make(map[string]bool, len(m.Zip5s))
	for _, z := range m.Zip5s {
		refined[z.Zip5[:3]] = true
		if !isDomestic(z.Code) {
			lines = append(lines, m.problem(Error, z.Line, "zip5 %s: unknown domestic rate-area code %q", z.Zip5, z.Code))
		}
	}
	for _, z := range m.Zip3s {
		switch {
		case !inWorkbook[z.Zip3]:
			lines = append(lines, m.problem(Warning, z.Line, "zip3 %s is not in the workbook; line ignored", z.Zip3))
		case z.Code == Multiple && !refined[z.Zip3]:
			lines = append(lines, m.problem(Error, z.Line, "zip3 %s is %s but has no zip5 line", z.Zip3, Multiple))
		case z.Code != Multiple && !isDomestic(z.Code):
			lines = append(lines, m.problem(Error, z.Line, "zip3 %s: unknown domestic rate-area code %q", z.Zip3, z.Code))
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Line < lines[j].Line })
	return append(missing, lines...)
}

// problem builds a problem of m's file.
func (m *Map) problem(sev Severity, line int, format string, args ...any) Problem {
	return Problem{Severity: sev, File: m.File, Line: line, Message: fmt.Sprintf(format, args...)}
}
