package parser

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// This file is a minimal streaming XLSX reader. excelize's row iterator
// returns only cell values, while the spec needs each cell's type (text or
// number) and number format; excelize's per-cell getters load whole sheets.
// So the package reads the parts it needs straight from the zip: the sheet
// list, shared strings, the number formats of the cell styles, and each sheet
// row by row.

// cellType is the type of a stored cell value.
type cellType uint8

const (
	cellBlank  cellType = iota // no value
	cellText                   // shared, inline or formula string
	cellNumber                 // number (possibly a formula's cached number)
	cellBool                   // boolean
	cellError                  // error value such as #N/A
	cellDate                   // ISO 8601 date cell (t="d")
)

// xcell is one cell of a row: its 1-based column, type, raw value (text or
// the number's decimal text) and style index.
type xcell struct {
	col   int
	typ   cellType
	val   string
	style int
}

// workbook is an opened XLSX package.
type workbook struct {
	zr       *zip.Reader
	parts    map[string]*zip.File // zip entries by partKey
	rootRels []rel                // the package relationships (_rels/.rels)
	main     string               // the workbook part
	tabs     []tab                // every tab in workbook order (hidden ones included)
	sst      string               // the shared-strings part; "" when the package has none
	strings  []string             // shared strings
	long     []int                // indexes of the shared strings longer than Excel allows, ascending
	styles   string               // the styles part; "" when the package has none
	formats  []string             // number format code per cell style index (cellXfs)
	buf      *bufio.Reader        // read buffer of the open sheet, reused sheet after sheet
}

// tab is one sheet of the workbook.
type tab struct {
	name string
	part string // zip entry of the sheet XML
	kind string // relationship kind: worksheet, chartsheet, dialogsheet, …
}

// Limits on what a workbook may declare. Each is well above what Excel
// itself can produce, so only a corrupt or hostile file reaches one; they
// bound the parser's memory and time whatever the input.
const (
	// maxPartSize bounds the uncompressed size of the XML parts read whole
	// (workbook, relationships, shared strings, styles).
	maxPartSize = 64 << 20
	// maxTabs bounds the sheets a workbook lists.
	maxTabs = 1 << 12
	// maxSharedStrings bounds the shared string table.
	maxSharedStrings = 1 << 20
	// maxCellStyles bounds the cell styles (cellXfs); Excel allows 64000.
	maxCellStyles = 1 << 16
	// maxFormatCode bounds a number format code; Excel allows 255 characters.
	maxFormatCode = 1 << 10
	// maxTextChars is Excel's limit on a cell's text, in characters
	// (UTF-16 code units). A longer text is refused.
	maxTextChars = 32767
	// maxCellText bounds the bytes of a cell's text the reader collects:
	// maxTextChars characters of up to 3 bytes each in UTF-8. A text of
	// more bytes has more characters than Excel allows.
	maxCellText = 3 * maxTextChars
)

// Sniff checks, from its first bytes and zip directory, that the file of
// the given size read from r can be an XLSX workbook. It reads little, so
// callers can refuse a wrong file (a CSV, a legacy .xls) before slower work;
// the error says what the file is instead.
func Sniff(r io.ReaderAt, size int64) error {
	_, err := openZip(r, size)
	return err
}

// openZip checks the signature and opens the zip directory.
func openZip(r io.ReaderAt, size int64) (*zip.Reader, error) {
	var magic [8]byte
	n, _ := r.ReadAt(magic[:], 0)
	switch {
	case size == 0 || n == 0:
		return nil, errors.New("not an XLSX workbook: the file is empty")
	case n >= 8 && bytes.Equal(magic[:8], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return nil, errors.New("not an XLSX workbook: an OLE compound file (legacy .xls, or a password-protected workbook)")
	case n < 4 || !bytes.Equal(magic[:4], []byte("PK\x03\x04")):
		return nil, errors.New("not an XLSX workbook (no zip signature: a CSV or other text file?)")
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not an XLSX workbook (corrupt or truncated zip): %w", err)
	}
	return zr, nil
}

// openWorkbook opens the package and reads its sheet list, shared strings and
// styles. The error describes why the file is not a readable XLSX.
func openWorkbook(r io.ReaderAt, size int64) (*workbook, error) {
	zr, err := openZip(r, size)
	if err != nil {
		return nil, err
	}
	parts, err := indexParts(zr)
	if err != nil {
		return nil, err
	}
	wb := &workbook{zr: zr, parts: parts}
	if err := wb.readSheetList(); err != nil {
		return nil, err
	}
	if err := wb.readSharedStrings(); err != nil {
		return nil, err
	}
	if err := wb.readStyles(); err != nil {
		return nil, err
	}
	return wb, nil
}

// attr returns the value of the attribute with the given local name.
func attr(se *xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// readSheetList finds the workbook part through the package's officeDocument
// relationship, reads its sheet list and resolves each sheet's part through
// the workbook's relationships, then finds the shared-strings and styles
// parts the same way.
func (wb *workbook) readSheetList() error {
	rels, _, err := wb.readRels("")
	if err != nil {
		return err
	}
	wb.rootRels = rels
	if wb.main, err = wb.resolvePart(rels, "", relOfficeDocument, "xl/workbook.xml"); err != nil {
		return err
	}
	if wb.main == "" {
		return errors.New("not an XLSX workbook: no workbook part (_rels/.rels has no officeDocument relationship and there is no xl/workbook.xml)")
	}
	wbRels, haveRels, err := wb.readRels(wb.main)
	if err != nil {
		return err
	}
	if err := wb.readSheets(wbRels, haveRels); err != nil {
		return err
	}
	if wb.sst, err = wb.resolvePart(wbRels, wb.main, relSharedStrings, "xl/sharedStrings.xml"); err != nil {
		return err
	}
	wb.styles, err = wb.resolvePart(wbRels, wb.main, relStyles, "xl/styles.xml")
	return err
}

// readSheets reads the <sheet> elements of the workbook part.
func (wb *workbook) readSheets(rels []rel, haveRels bool) error {
	d, _, err := wb.partDecoder(wb.main)
	if err != nil {
		return err
	}
	byID := make(map[string]rel, len(rels))
	for _, r := range rels {
		byID[r.id] = r
	}
	names := map[string]bool{}
	root := ""
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return partError(wb.main, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			if root = se.Name.Local; root != "workbook" {
				return fmt.Errorf("not an XLSX workbook: the main part %s is a <%s>, not a <workbook> (a Word or PowerPoint file?)",
					wb.main, shorten(root, 64))
			}
		}
		if se.Name.Local != "sheet" {
			continue
		}
		t := tab{name: attr(&se, "name")}
		id := ""
		for _, a := range se.Attr {
			if a.Name.Local == "id" && a.Name.Space != "" {
				id = a.Value
			}
		}
		r, ok := byID[id]
		switch {
		case !haveRels:
			return fmt.Errorf("damaged package: %s lists sheets but has no relationships part (%s)", wb.main, relsPart(wb.main))
		case !ok:
			return fmt.Errorf("damaged package: %s: sheet %q refers to relationship %q, which %s does not define",
				wb.main, shorten(t.name, 64), shorten(id, 64), relsPart(wb.main))
		case wb.file(r.target) == nil:
			return missingTarget(relsPart(wb.main), r)
		}
		t.part, t.kind = wb.file(r.target).Name, r.kind
		if key := strings.ToLower(t.name); names[key] {
			return fmt.Errorf("damaged package: %s lists two sheets named %q; sheet names must be unique", wb.main, shorten(t.name, 64))
		} else {
			names[key] = true
		}
		if len(wb.tabs) == maxTabs {
			return fmt.Errorf("%s: more than %d sheets", wb.main, maxTabs)
		}
		wb.tabs = append(wb.tabs, t)
	}
	if len(wb.tabs) == 0 {
		return fmt.Errorf("not an XLSX workbook: %s lists no sheets", wb.main)
	}
	return nil
}

// readSharedStrings reads the shared-strings part: each <si> is the text of
// its <t> elements, phonetic runs (<rPh>) excluded.
func (wb *workbook) readSharedStrings() error {
	d, part, err := wb.partDecoder(wb.sst)
	if err != nil || d == nil {
		return err
	}
	var (
		sb            strings.Builder
		inSI, inT     bool
		phoneticDepth int
		long          bool // the current string exceeds maxCellText bytes
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return partError(part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, long = true, false
				sb.Reset()
			case "rPh":
				phoneticDepth++
			case "t":
				inT = inSI && phoneticDepth == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if len(wb.strings) == maxSharedStrings {
					return fmt.Errorf("%s: more than %d shared strings", part, maxSharedStrings)
				}
				if long || tooLong(sb.String()) {
					wb.long = append(wb.long, len(wb.strings))
					sb.Reset()
				}
				wb.strings = append(wb.strings, sb.String())
				inSI = false
			case "rPh":
				phoneticDepth--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT && !long {
				if sb.Len()+len(t) > maxCellText {
					long = true
					continue
				}
				sb.Write(t)
			}
		}
	}
}

// tooLong reports whether a text has more characters (UTF-16 code units)
// than Excel allows in a cell.
func tooLong(s string) bool {
	if len(s) <= maxTextChars {
		return false
	}
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n > maxTextChars
}

// readStyles reads the number format of every cell style (cellXfs).
func (wb *workbook) readStyles() error {
	d, part, err := wb.partDecoder(wb.styles)
	if err != nil || d == nil {
		return err
	}
	custom := map[int]string{}
	var xfIDs []int
	inCellXfs := false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return partError(part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				id, err := strconv.Atoi(attr(&t, "numFmtId"))
				if err != nil {
					continue
				}
				code := attr(&t, "formatCode")
				if len(code) > maxFormatCode {
					return fmt.Errorf("%s: number format %d is longer than %d bytes", part, id, maxFormatCode)
				}
				custom[id] = code
			case "cellXfs":
				inCellXfs = true
			case "xf":
				if inCellXfs {
					if len(xfIDs) == maxCellStyles {
						return fmt.Errorf("%s: more than %d cell styles", part, maxCellStyles)
					}
					id, _ := strconv.Atoi(attr(&t, "numFmtId"))
					xfIDs = append(xfIDs, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inCellXfs = false
			}
		}
	}
	wb.formats = make([]string, len(xfIDs))
	for i, id := range xfIDs {
		if code, ok := custom[id]; ok {
			wb.formats[i] = code
		} else {
			wb.formats[i] = builtinFormat(id)
		}
	}
	return nil
}

// format returns the number format code of a cell style ("General" if unknown).
func (wb *workbook) format(style int) string {
	if style >= 0 && style < len(wb.formats) && wb.formats[style] != "" {
		return wb.formats[style]
	}
	return "General"
}

// styleCount is the number of cell styles a cell may refer to: those of the
// styles part, and at least the default style 0.
func (wb *workbook) styleCount() int { return max(len(wb.formats), 1) }

// application returns the name and version of the program that wrote the
// package, from its extended properties (docProps/app.xml), or "".
func (wb *workbook) application() string {
	part, err := wb.resolvePart(wb.rootRels, "", relExtendedProps, "docProps/app.xml")
	if err != nil || part == "" {
		return ""
	}
	d, _, err := wb.partDecoder(part)
	if err != nil || d == nil {
		return ""
	}
	var app, version, cur string
	for {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
		case xml.EndElement:
			cur = ""
		case xml.CharData:
			switch cur {
			case "Application":
				app += string(t)
			case "AppVersion":
				version += string(t)
			}
		}
	}
	app = strings.TrimSpace(shorten(app, 128))
	if version = strings.TrimSpace(shorten(version, 32)); app != "" && version != "" {
		app += " " + version
	}
	return app
}

// sheetError is damage found in a sheet's XML: it stops reading the sheet.
// row and col locate it (0 when unknown).
type sheetError struct {
	row, col int
	msg      string
}

func (e *sheetError) Error() string { return e.msg }

// sheetReader streams the rows of one sheet.
type sheetReader struct {
	wb     *workbook
	tab    string // tab name, for messages
	entry  string // zip entry name
	part   string // the entry and the tab, for messages
	rc     io.ReadCloser
	d      *xml.Decoder
	row    int     // current row number
	cells  []xcell // non-blank cells of the current row, ascending columns
	err    error   // a *sheetError, or a damaged package (fatal)
	done   bool
	inData bool // inside <sheetData>
	cellSB strings.Builder

	// formulas without a cached value: how many, and where the first few are
	uncached      int
	uncachedCells []Cell
}

// maxUncachedCells bounds the uncached formula cells a sheet remembers.
const maxUncachedCells = 5

// openSheet starts reading the sheet of tab t. One sheet is open at a time.
func (wb *workbook) openSheet(t tab) (*sheetReader, error) {
	desc := fmt.Sprintf("%s (sheet %q)", t.part, shorten(t.name, 64))
	rc, err := wb.file(t.part).Open()
	if err != nil {
		return nil, partError(desc, err)
	}
	if wb.buf == nil {
		wb.buf = bufio.NewReaderSize(rc, 64<<10)
	} else {
		wb.buf.Reset(rc)
	}
	head, _ := wb.buf.Peek(4)
	enc, bom := sniffEncoding(head)
	_, _ = wb.buf.Discard(bom)
	s := &sheetReader{wb: wb, tab: t.name, entry: t.part, part: desc, rc: rc}
	if enc == encUTF8 {
		s.d = newDecoder(wb.buf, desc, false)
	} else {
		s.d = newDecoder(bufio.NewReaderSize(newUTF16Reader(wb.buf, enc == encUTF16BE), 64<<10), desc, true)
	}
	return s, nil
}

// Close reads the rest of the sheet's zip entry, so that the zip reader
// verifies its CRC-32 even when reading stopped early, and releases it. The
// error is a damaged zip entry.
func (s *sheetReader) Close() error {
	_, err := io.Copy(io.Discard, s.wb.buf)
	s.rc.Close()
	if err != nil {
		return partError(s.part, err)
	}
	return nil
}

// Err returns the error that ended reading early, if any: a *sheetError for
// damage in the sheet's XML, any other error for a damaged package.
func (s *sheetReader) Err() error { return s.err }

// fail stops the sheet with a *sheetError at (row, col).
func (s *sheetReader) fail(row, col int, format string, args ...any) {
	s.err = &sheetError{row: row, col: col, msg: fmt.Sprintf(format, shortArgs(args)...)}
	s.done = true
}

// readFailed stops the sheet on an error of the XML decoder at (row, col):
// malformed XML or text damages the sheet; anything else (a damaged zip
// entry, a refused encoding) the package.
func (s *sheetReader) readFailed(err error, row, col int) {
	var se *xml.SyntaxError
	switch {
	case err == io.EOF:
		s.fail(row, col, "the sheet's XML ends early (the part is truncated)")
	case errors.As(err, &se):
		s.fail(row, col, "the sheet's XML is malformed (line %d): %s", se.Line, se.Msg)
	case errors.Is(err, errUTF16):
		s.fail(row, col, "the sheet's text is not valid UTF-16")
	default:
		s.err, s.done = partError(s.part, err), true
	}
}

// next advances to the next <row> element that has cells. It returns false at
// the end of the sheet data or on an error (see Err).
func (s *sheetReader) next() bool {
	for !s.done {
		tok, err := s.d.RawToken()
		if err != nil {
			s.done = true
			if err != io.EOF || s.inData {
				s.readFailed(err, 0, 0)
			}
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sheetData":
				s.inData = true
			case "row":
				s.readRow(&t)
				if s.err != nil {
					return false
				}
				if len(s.cells) > 0 {
					return true
				}
			}
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				s.done = true
			}
		}
	}
	return false
}

// maxRows and maxCols are Excel's limits; larger references are corrupt.
const (
	maxRows = 1 << 20
	maxCols = 1 << 14
)

// readRow reads one <row> element (whose start tag is se) into s.cells. Row
// numbers must be valid and ascending; a row without r follows the previous.
func (s *sheetReader) readRow(se *xml.StartElement) {
	n := s.row + 1
	for _, a := range se.Attr {
		if a.Name.Local != "r" {
			continue
		}
		r, err := strconv.Atoi(a.Value)
		if err != nil || r < 1 || r > maxRows {
			after := "the first row"
			if s.row > 0 {
				after = fmt.Sprintf("the row after row %d", s.row)
			}
			s.fail(0, 0, "%s has r=%q, which is not a row number from 1 to 1048576", after, a.Value)
			return
		}
		n = r
	}
	switch {
	case n > maxRows:
		s.fail(0, 0, "more than 1048576 rows")
		return
	case n == s.row:
		s.fail(n, 0, "row %d appears twice", n)
		return
	case n < s.row:
		s.fail(n, 0, "rows are out of order: row %d comes after row %d", n, s.row)
		return
	}
	s.row = n
	s.cells = s.cells[:0]
	col := 0
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			s.readFailed(err, s.row, 0)
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			c := s.readCell(&t, col)
			if s.err != nil {
				return
			}
			col = c.col
			if c.typ != cellBlank {
				s.cells = append(s.cells, c)
			}
		case xml.EndElement:
			if t.Name.Local == "row" {
				return
			}
		}
	}
}

// readCell reads one <c> element; prev is the previous cell's column. Cell
// references must be valid, in the cell's row, and ascending.
func (s *sheetReader) readCell(se *xml.StartElement, prev int) xcell {
	c := xcell{col: prev + 1}
	var typeAttr string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "r":
			col, row, ok := parseRef(a.Value)
			if !ok {
				s.fail(s.row, 0, "a cell has reference %q, which is not a cell reference", a.Value)
				return c
			}
			if row != s.row {
				s.fail(s.row, col, "cell %s is inside the element of row %d", a.Value, s.row)
				return c
			}
			c.col = col
		case "s":
			st, err := strconv.Atoi(a.Value)
			if err != nil || st < 0 || st >= s.wb.styleCount() {
				s.fail(s.row, c.col, "the cell has style %q, but the styles part defines %d cell styles", a.Value, len(s.wb.formats))
				return c
			}
			c.style = st
		case "t":
			typeAttr = a.Value
		}
	}
	switch {
	case c.col > maxCols:
		s.fail(s.row, 0, "a cell lies past column XFD, Excel's last")
		return c
	case c.col == prev:
		s.fail(s.row, c.col, "cell %s%d appears twice", ColumnName(c.col), s.row)
		return c
	case c.col < prev:
		s.fail(s.row, c.col, "cells are out of order: %s%d comes after %s%d", ColumnName(c.col), s.row, ColumnName(prev), s.row)
		return c
	}
	var v string
	hasV, hasF, inV, inIS, inT, long := false, false, false, false, false, false
	phonetic := 0
	s.cellSB.Reset()
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			s.readFailed(err, s.row, c.col)
			return c
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				inV, hasV = true, true
			case "f":
				hasF = true
			case "is":
				inIS = true
			case "rPh":
				phonetic++
			case "t":
				inT = inIS && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
				if !long {
					v = s.cellSB.String()
				}
				s.cellSB.Reset()
			case "rPh":
				phonetic--
			case "t":
				inT = false
			case "c":
				if long {
					s.fail(s.row, c.col, "the cell's text is longer than Excel's limit of 32,767 characters")
					return c
				}
				if hasF && typeAttr != "inlineStr" && (!hasV || typeAttr != "str" && strings.TrimSpace(v) == "") {
					s.noCachedValue(c.col)
					return c
				}
				return s.finishCell(c, typeAttr, v, hasV)
			}
		case xml.CharData:
			if (inV || inT) && !long {
				if s.cellSB.Len()+len(t) > maxCellText {
					long = true
					continue
				}
				s.cellSB.Write(t)
			}
		}
	}
}

// noCachedValue records a formula cell saved without its result; the cell
// reads as blank (spec 2.3), and the parse reports such cells together.
func (s *sheetReader) noCachedValue(col int) {
	if s.uncached++; len(s.uncachedCells) < maxUncachedCells {
		s.uncachedCells = append(s.uncachedCells, Cell{Sheet: s.tab, Col: col, Row: s.row})
	}
}

// finishCell sets the type and value of a cell from its t attribute and text.
func (s *sheetReader) finishCell(c xcell, typeAttr, v string, hasV bool) xcell {
	switch typeAttr {
	case "s":
		if !hasV {
			break
		}
		if s.wb.sst == "" {
			s.err, s.done = fmt.Errorf("damaged package: %s!%s%d is a shared-string cell, but the package has no "+
				"shared-strings part (no sharedStrings relationship in %s and no xl/sharedStrings.xml)",
				s.tab, ColumnName(c.col), s.row, relsPart(s.wb.main)), true
			return c
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(s.wb.strings) {
			s.fail(s.row, c.col, "the cell refers to shared string %q, but %s holds %d strings", v, s.wb.sst, len(s.wb.strings))
			return c
		}
		if _, long := slices.BinarySearch(s.wb.long, i); long {
			s.fail(s.row, c.col, "the cell's text is longer than Excel's limit of 32,767 characters")
			return c
		}
		c.typ, c.val = cellText, s.wb.strings[i]
	case "inlineStr":
		c.typ, c.val = cellText, s.cellSB.String()
	case "str":
		c.typ, c.val = cellText, v
	case "b":
		c.typ, c.val = cellBool, v
	case "e":
		c.typ, c.val = cellError, v
	case "d":
		c.typ, c.val = cellDate, v
	case "", "n":
		if hasV && strings.TrimSpace(v) != "" {
			c.typ, c.val = cellNumber, strings.TrimSpace(v)
		}
	default:
		s.fail(s.row, c.col, "the cell has type %q, which is not a cell type", typeAttr)
		return c
	}
	if c.typ == cellText {
		if tooLong(c.val) {
			s.fail(s.row, c.col, "the cell's text is longer than Excel's limit of 32,767 characters")
			return c
		}
		if c.val == "" {
			c.typ = cellBlank
		}
	}
	return c
}

// parseRef parses an A1 cell reference ("AB12" → 28, 12).
func parseRef(ref string) (col, row int, ok bool) {
	i := 0
	for ; i < len(ref); i++ {
		ch := ref[i]
		if ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if ch < 'A' || ch > 'Z' {
			break
		}
		col = col*26 + int(ch-'A'+1)
		if col > maxCols {
			return 0, 0, false
		}
	}
	if i == 0 || i == len(ref) || ref[i] == '0' {
		return 0, 0, false
	}
	for ; i < len(ref); i++ {
		ch := ref[i]
		if ch < '0' || ch > '9' {
			return 0, 0, false
		}
		row = row*10 + int(ch-'0')
		if row > maxRows {
			return 0, 0, false
		}
	}
	return col, row, true
}

// builtinFormat returns the format code of a built-in number format id
// (en-US), or "General".
func builtinFormat(id int) string {
	switch id {
	case 1:
		return "0"
	case 2:
		return "0.00"
	case 3:
		return "#,##0"
	case 4:
		return "#,##0.00"
	case 5:
		return `"$"#,##0_);("$"#,##0)`
	case 6:
		return `"$"#,##0_);[Red]("$"#,##0)`
	case 7:
		return `"$"#,##0.00_);("$"#,##0.00)`
	case 8:
		return `"$"#,##0.00_);[Red]("$"#,##0.00)`
	case 9:
		return "0%"
	case 10:
		return "0.00%"
	case 11:
		return "0.00E+00"
	case 12:
		return "# ?/?"
	case 13:
		return "# ??/??"
	case 14, 15, 16, 17, 22:
		return "m/d/yy"
	case 18, 19, 20, 21, 45, 46, 47:
		return "h:mm:ss"
	case 37:
		return "#,##0_);(#,##0)"
	case 38:
		return "#,##0_);[Red](#,##0)"
	case 39:
		return "#,##0.00_);(#,##0.00)"
	case 40:
		return "#,##0.00_);[Red](#,##0.00)"
	case 41:
		return `_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)`
	case 42:
		return `_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)`
	case 43:
		return `_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)`
	case 44:
		return `_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)`
	case 48:
		return "##0.0E+0"
	case 49:
		return "@"
	}
	return "General"
}
