package parser

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
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
	zr      *zip.Reader
	tabs    []tab         // every tab in workbook order (hidden ones included)
	strings []string      // shared strings
	long    []int         // indexes of the shared strings longer than maxCellText, ascending
	formats []string      // number format code per cell style index (cellXfs)
	buf     *bufio.Reader // read buffer of the open sheet, reused sheet after sheet
}

// tab is one sheet of the workbook.
type tab struct {
	name string
	part string // zip path of the sheet XML; empty if unresolvable
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
	// maxCellText bounds a cell's text in bytes: Excel's 32767 characters of
	// up to 3 bytes each in UTF-8. A longer text or number reads as the error
	// value tooLong.
	maxCellText = 3 * 32767
)

// tooLong is the value of a cell whose text exceeds maxCellText: an error
// cell, so it is invalid wherever a value is needed.
const tooLong = "#TOOLONG"

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
	wb := &workbook{zr: zr}
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

// file finds a zip entry by name, ignoring case and a leading slash.
func (wb *workbook) file(name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	for _, f := range wb.zr.File {
		if f.Name == name {
			return f
		}
	}
	for _, f := range wb.zr.File {
		if strings.EqualFold(strings.TrimPrefix(f.Name, "/"), name) {
			return f
		}
	}
	return nil
}

// readPart reads a whole (small) part; a missing part gives nil, nil.
func (wb *workbook) readPart(name string) ([]byte, error) {
	f := wb.file(name)
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPartSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > maxPartSize {
		return nil, fmt.Errorf("reading %s: part larger than %d bytes", name, maxPartSize)
	}
	return b, nil
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

// readSheetList reads xl/workbook.xml and its relationships.
func (wb *workbook) readSheetList() error {
	wbPath := "xl/workbook.xml"
	if rels, err := wb.readPart("_rels/.rels"); err == nil && rels != nil {
		for id, target := range relationships(rels, "") {
			_ = id
			if strings.HasSuffix(strings.ToLower(target), "workbook.xml") {
				wbPath = strings.TrimPrefix(target, "/")
			}
		}
	}
	data, err := wb.readPart(wbPath)
	if err != nil {
		return err
	}
	if data == nil {
		return errors.New("not an XLSX workbook: no workbook part (xl/workbook.xml)")
	}
	dir := path.Dir(wbPath)
	relsData, err := wb.readPart(path.Join(dir, "_rels", path.Base(wbPath)+".rels"))
	if err != nil {
		return err
	}
	rels := relationships(relsData, dir)
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", wbPath, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "sheet" {
			continue
		}
		t := tab{name: attr(&se, "name")}
		for _, a := range se.Attr {
			if a.Name.Local == "id" && a.Name.Space != "" {
				t.part = rels[a.Value]
			}
		}
		if len(wb.tabs) == maxTabs {
			return fmt.Errorf("reading %s: more than %d sheets", wbPath, maxTabs)
		}
		wb.tabs = append(wb.tabs, t)
	}
	if len(wb.tabs) == 0 {
		return fmt.Errorf("not an XLSX workbook: %s lists no sheets", wbPath)
	}
	return nil
}

// relationships maps relationship ids to part paths resolved against dir.
func relationships(data []byte, dir string) map[string]string {
	m := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if err != nil {
			return m
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			continue
		}
		target := attr(&se, "Target")
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join(dir, target)
		}
		m[attr(&se, "Id")] = target
	}
}

// readSharedStrings reads xl/sharedStrings.xml: each <si> is the text of its
// <t> elements, phonetic runs (<rPh>) excluded.
func (wb *workbook) readSharedStrings() error {
	data, err := wb.readPart("xl/sharedStrings.xml")
	if err != nil || data == nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		sb            strings.Builder
		inSI, inT     bool
		phoneticDepth int
		long          bool // the current string exceeds maxCellText
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading xl/sharedStrings.xml: %w", err)
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
					return fmt.Errorf("reading xl/sharedStrings.xml: more than %d shared strings", maxSharedStrings)
				}
				if long {
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

// readStyles reads the number format of every cell style (cellXfs).
func (wb *workbook) readStyles() error {
	data, err := wb.readPart("xl/styles.xml")
	if err != nil || data == nil {
		return err
	}
	custom := map[int]string{}
	var xfIDs []int
	d := xml.NewDecoder(bytes.NewReader(data))
	inCellXfs := false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading xl/styles.xml: %w", err)
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
					return fmt.Errorf("reading xl/styles.xml: number format %d is longer than %d bytes", id, maxFormatCode)
				}
				custom[id] = code
			case "cellXfs":
				inCellXfs = true
			case "xf":
				if inCellXfs {
					if len(xfIDs) == maxCellStyles {
						return fmt.Errorf("reading xl/styles.xml: more than %d cell styles", maxCellStyles)
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

// sheetReader streams the rows of one sheet.
type sheetReader struct {
	wb     *workbook
	rc     io.ReadCloser
	d      *xml.Decoder
	row    int     // current row number
	cells  []xcell // cells of the current row, in document order
	err    error
	done   bool
	cellSB strings.Builder
}

// openSheet starts reading the sheet of tab t. One sheet is open at a time.
func (wb *workbook) openSheet(t tab) (*sheetReader, error) {
	f := wb.file(t.part)
	if t.part == "" || f == nil {
		return nil, fmt.Errorf("sheet %q: its part is missing from the package", t.name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", t.name, err)
	}
	if wb.buf == nil {
		wb.buf = bufio.NewReaderSize(rc, 64<<10)
	} else {
		wb.buf.Reset(rc)
	}
	return &sheetReader{wb: wb, rc: rc, d: xml.NewDecoder(wb.buf)}, nil
}

// Close releases the sheet's stream.
func (s *sheetReader) Close() error { return s.rc.Close() }

// Err returns the error that ended reading early, if any.
func (s *sheetReader) Err() error { return s.err }

// next advances to the next <row> element that has cells. It returns false at
// the end of the sheet data or on an error (see Err).
func (s *sheetReader) next() bool {
	for !s.done {
		tok, err := s.d.RawToken()
		if err != nil {
			s.done = true
			if err != io.EOF {
				s.err = err
			}
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "row" {
				s.readRow(&t)
				if s.err != nil {
					s.done = true
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

// readRow reads one <row> element (whose start tag is se) into s.cells.
func (s *sheetReader) readRow(se *xml.StartElement) {
	if r, err := strconv.Atoi(attr(se, "r")); err == nil && r > 0 && r <= maxRows {
		s.row = r
	} else {
		s.row++
	}
	s.cells = s.cells[:0]
	col := 0
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			s.err = fmt.Errorf("row %d: %w", s.row, err)
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
				if len(s.cells) == maxCols {
					s.err = fmt.Errorf("row %d: more than %d cells", s.row, maxCols)
					return
				}
				s.cells = append(s.cells, c)
			}
		case xml.EndElement:
			if t.Name.Local == "row" {
				return
			}
		}
	}
}

// readCell reads one <c> element; prev is the previous cell's column.
func (s *sheetReader) readCell(se *xml.StartElement, prev int) xcell {
	c := xcell{col: min(prev+1, maxCols)}
	var typeAttr string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "r":
			if col, ok := refColumn(a.Value); ok {
				c.col = col
			}
		case "s":
			if st, err := strconv.Atoi(a.Value); err == nil && st >= 0 {
				c.style = st
			}
		case "t":
			typeAttr = a.Value
		}
	}
	var v string
	hasV, inV, inIS, inT, long := false, false, false, false, false
	phonetic := 0
	s.cellSB.Reset()
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			s.err = fmt.Errorf("cell %s%d: %w", ColumnName(c.col), s.row, err)
			return c
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				inV, hasV = true, true
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
					c.typ, c.val = cellError, tooLong
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

// finishCell sets the type and value of a cell from its t attribute and text.
func (s *sheetReader) finishCell(c xcell, typeAttr, v string, hasV bool) xcell {
	switch typeAttr {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		_, long := slices.BinarySearch(s.wb.long, i)
		switch {
		case hasV && err == nil && long:
			c.typ, c.val = cellError, tooLong
		case hasV && err == nil && i >= 0 && i < len(s.wb.strings):
			c.typ, c.val = cellText, s.wb.strings[i]
		case hasV:
			c.typ, c.val = cellError, "#BADSTRINGINDEX"
		}
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
	default:
		if hasV && strings.TrimSpace(v) != "" {
			c.typ, c.val = cellNumber, strings.TrimSpace(v)
		}
	}
	if c.typ == cellText && c.val == "" {
		c.typ = cellBlank
	}
	return c
}

// refColumn extracts the column number from an A1 reference ("AB12" → 28).
func refColumn(ref string) (int, bool) {
	col, i := 0, 0
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
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return col, true
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
