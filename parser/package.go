package parser

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"
)

// This file reads the package (Open Packaging Conventions) around the
// spreadsheet parts: the zip entries as parts with unique names, the
// relationships that say which part is which, and the two encodings the
// packaging spec allows for XML parts, UTF-8 and UTF-16.

// The two relationship-type namespaces: transitional (what Excel writes) and
// Strict (ISO/IEC 29500 Strict, Excel's "Strict Open XML Spreadsheet").
const (
	relTransitional = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	relStrict       = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
)

// Relationship kinds the parser resolves (the last segment of the type).
const (
	relOfficeDocument = "officeDocument"
	relWorksheet      = "worksheet"
	relSharedStrings  = "sharedStrings"
	relStyles         = "styles"
	relExtendedProps  = "extendedProperties"
)

// relKind returns the kind of a relationship type in either namespace, or
// "" for a type outside both. The extended-properties type is spelled
// differently in the two.
func relKind(typ string) string {
	for _, ns := range [...]string{relTransitional, relStrict} {
		if k, ok := strings.CutPrefix(typ, ns); ok {
			if k == "extended-properties" {
				return relExtendedProps
			}
			return k
		}
	}
	return ""
}

// rel is one relationship of a part.
type rel struct {
	id     string
	kind   string // see relKind
	target string // resolved part name; "" for an external or unresolvable target
	raw    string // the Target attribute as written
}

// maxRels bounds the relationships of one part.
const maxRels = 1 << 14

// indexParts maps the package's part names to their zip entries. Part names
// compare ASCII case-insensitively (OPC), so two entries whose names differ
// only in case, or in a leading slash, are the same part twice: a package
// like that is refused, since readers disagree on which copy counts.
func indexParts(zr *zip.Reader) (map[string]*zip.File, error) {
	parts := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory entry
		}
		key := partKey(f.Name)
		if first, ok := parts[key]; ok {
			return nil, fmt.Errorf("damaged package: it has two entries named %q and %q; part names must be unique "+
				"(programs disagree on which copy counts, so the workbook is refused)", first.Name, f.Name)
		}
		parts[key] = f
	}
	return parts, nil
}

// partKey is the lookup key of a part name: no leading slash, ASCII lower case.
func partKey(name string) string {
	name = strings.TrimPrefix(name, "/")
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return name
}

// file returns the zip entry of a part, or nil.
func (wb *workbook) file(name string) *zip.File {
	if name == "" {
		return nil
	}
	return wb.parts[partKey(name)]
}

// relsPart returns the name of the relationships part of source ("" is the
// package itself).
func relsPart(source string) string {
	if source == "" {
		return "_rels/.rels"
	}
	return path.Join(path.Dir(source), "_rels", path.Base(source)+".rels")
}

// resolveTarget resolves a relationship target against its source part
// ("" is the package root). It returns "" for an empty target.
func resolveTarget(source, target string) string {
	if i := strings.IndexAny(target, "#?"); i >= 0 {
		target = target[:i]
	}
	if strings.Contains(target, "%") {
		if t, err := url.PathUnescape(target); err == nil {
			target = t
		}
	}
	if target == "" {
		return ""
	}
	full := path.Clean(target)
	if !strings.HasPrefix(target, "/") {
		full = path.Join("/"+path.Dir(source), target)
	}
	return strings.TrimPrefix(full, "/")
}

// readRels reads the relationships of source. A missing relationships part
// gives nil, false.
func (wb *workbook) readRels(source string) ([]rel, bool, error) {
	d, name, err := wb.partDecoder(relsPart(source))
	if err != nil || d == nil {
		return nil, false, err
	}
	var rels []rel
	ids := map[string]bool{}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return rels, true, nil
		}
		if err != nil {
			return nil, true, partError(name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			continue
		}
		r := rel{id: attr(&se, "Id"), kind: relKind(attr(&se, "Type")), raw: attr(&se, "Target")}
		if ids[r.id] {
			return nil, true, fmt.Errorf("damaged package: %s defines relationship %q twice", name, shorten(r.id, 64))
		}
		ids[r.id] = true
		if len(rels) == maxRels {
			return nil, true, fmt.Errorf("%s: more than %d relationships", name, maxRels)
		}
		if attr(&se, "TargetMode") != "External" {
			r.target = resolveTarget(source, r.raw)
		}
		rels = append(rels, r)
	}
}

// relOfKind returns the single relationship of a kind among rels; found is
// false when there is none. Two of the same kind are ambiguous: an error.
func relOfKind(rels []rel, kind, relsName string) (r rel, found bool, err error) {
	for _, x := range rels {
		if x.kind != kind {
			continue
		}
		if found {
			return r, true, fmt.Errorf("damaged package: %s has two %s relationships (%s and %s)", relsName, kind,
				shorten(r.raw, 128), shorten(x.raw, 128))
		}
		r, found = x, true
	}
	return r, found, nil
}

// resolvePart returns the part a relationship of the given kind of source
// points at, or fallback when source has no such relationship. A
// relationship that points at a missing part is an error; so is a missing
// fallback when required.
func (wb *workbook) resolvePart(rels []rel, source, kind, fallback string) (string, error) {
	relsName := relsPart(source)
	r, found, err := relOfKind(rels, kind, relsName)
	if err != nil {
		return "", err
	}
	if !found {
		if wb.file(fallback) == nil {
			return "", nil
		}
		return wb.file(fallback).Name, nil
	}
	if f := wb.file(r.target); f != nil {
		return f.Name, nil
	}
	return "", missingTarget(relsName, r)
}

// missingTarget is the error for a relationship whose part is not in the
// package.
func missingTarget(relsName string, r rel) error {
	kind := ""
	if r.kind != "" {
		kind = " (" + r.kind + ")"
	}
	return fmt.Errorf("damaged package: %s: relationship %q%s points at %q, which is not in the package",
		relsName, shorten(r.id, 64), kind, shorten(r.raw, 256))
}

// partDecoder reads a whole (small) part and returns an XML decoder of its
// text and the part's name as stored; a missing part gives a nil decoder.
// UTF-16 parts are transcoded; any other encoding than UTF-8 and UTF-16 is
// refused when the decoder reads the XML declaration.
func (wb *workbook) partDecoder(name string) (*xml.Decoder, string, error) {
	f := wb.file(name)
	if f == nil {
		return nil, "", nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, f.Name, partError(f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPartSize+1))
	if err != nil {
		return nil, f.Name, partError(f.Name, err)
	}
	if len(b) > maxPartSize {
		return nil, f.Name, fmt.Errorf("%s: part larger than %d bytes", f.Name, maxPartSize)
	}
	enc, bom := sniffEncoding(b)
	b = b[bom:]
	if enc != encUTF8 {
		if b, err = decodeUTF16(b, enc == encUTF16BE); err != nil {
			return nil, f.Name, partError(f.Name, err)
		}
	}
	return newDecoder(bytes.NewReader(b), f.Name, enc != encUTF8), f.Name, nil
}

// textEncoding is the encoding of an XML part.
type textEncoding uint8

// The encodings the packaging spec allows.
const (
	encUTF8 textEncoding = iota
	encUTF16LE
	encUTF16BE
)

// sniffEncoding detects a part's encoding from its first bytes (XML 1.0
// appendix F): a byte-order mark, or "<?" in UTF-16 without one. It returns
// the encoding and the length of the byte-order mark.
func sniffEncoding(p []byte) (textEncoding, int) {
	switch {
	case bytes.HasPrefix(p, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8, 3
	case bytes.HasPrefix(p, []byte{0xFF, 0xFE}):
		return encUTF16LE, 2
	case bytes.HasPrefix(p, []byte{0xFE, 0xFF}):
		return encUTF16BE, 2
	case bytes.HasPrefix(p, []byte{'<', 0, '?', 0}):
		return encUTF16LE, 0
	case bytes.HasPrefix(p, []byte{0, '<', 0, '?'}):
		return encUTF16BE, 0
	}
	return encUTF8, 0
}

// newDecoder returns an XML decoder of a part's text, which r delivers as
// UTF-8 (transcoded when the part is UTF-16, utf16 set). A declared encoding
// must be UTF-8, or UTF-16 for a UTF-16 part; anything else stops the
// decoder with an *encodingError.
func newDecoder(r io.Reader, part string, utf16 bool) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if utf16 && isUTF16Label(label) {
			return in, nil
		}
		return nil, &encodingError{part: part, label: label}
	}
	return d
}

// isUTF16Label reports whether an encoding name is one of UTF-16's.
func isUTF16Label(label string) bool {
	switch strings.ToLower(label) {
	case "utf-16", "utf-16le", "utf-16be", "utf16", "unicode", "ucs-2":
		return true
	}
	return false
}

// encodingError is a part that declares an encoding the parser does not
// read.
type encodingError struct {
	part, label string
}

func (e *encodingError) Error() string {
	if isUTF16Label(e.label) {
		return fmt.Sprintf("%s declares encoding %q but is not UTF-16 encoded; open the workbook in Excel or "+
			"LibreOffice and save it again as .xlsx (UTF-8)", e.part, shorten(e.label, 64))
	}
	return fmt.Sprintf("%s is encoded as %q, which XLSX does not allow (only UTF-8 and UTF-16); open the workbook "+
		"in Excel or LibreOffice and save it again as .xlsx, which writes UTF-8", e.part, shorten(e.label, 64))
}

// partError describes a failure to read a part: a damaged zip entry, a
// refused encoding or malformed XML.
func partError(part string, err error) error {
	var ee *encodingError
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &ee):
		return ee
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("damaged package: the zip entry %s fails its CRC-32 check (the file is corrupt; "+
			"use an intact copy)", part)
	case errors.As(err, &se):
		return fmt.Errorf("%s is not well-formed XML (line %d): %s", part, se.Line, se.Msg)
	case errors.Is(err, errUTF16):
		return fmt.Errorf("%s: %w", part, err)
	}
	return fmt.Errorf("damaged package: the zip entry %s cannot be read (the file is corrupt; use an intact copy): %w", part, err)
}

// errUTF16 is invalid UTF-16 text.
var errUTF16 = errors.New("invalid UTF-16 text (an odd number of bytes or an unpaired surrogate)")

// decodeUTF16 transcodes a whole UTF-16 text to UTF-8.
func decodeUTF16(p []byte, big bool) ([]byte, error) {
	out := make([]byte, 0, len(p)/2+len(p)/8)
	u := utf16Reader{big: big}
	out, rest, err := u.appendUTF8(out, p)
	if err == nil && len(rest) > 0 {
		err = errUTF16
	}
	return out, err
}

// utf16Reader streams UTF-16 text from src as UTF-8.
type utf16Reader struct {
	src  io.Reader
	big  bool
	in   []byte // undecoded input: in[:n] read, a partial unit or surrogate kept between reads
	n    int
	out  []byte // decoded output not yet returned
	err  error
	done bool
}

// newUTF16Reader returns a reader of src's UTF-16 text as UTF-8.
func newUTF16Reader(src io.Reader, big bool) *utf16Reader {
	return &utf16Reader{src: src, big: big, in: make([]byte, 32<<10)}
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		m, err := u.src.Read(u.in[u.n:])
		u.n += m
		var rest []byte
		u.out, rest, u.err = u.appendUTF8(u.out[:0], u.in[:u.n])
		u.n = copy(u.in, rest)
		if err != nil && u.err == nil {
			u.err = err
			if err == io.EOF && u.n > 0 {
				u.err = errUTF16
			}
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// appendUTF8 appends the UTF-8 of the complete code points in p to out and
// returns the bytes left over (an incomplete unit or a high surrogate
// waiting for its pair).
func (u *utf16Reader) appendUTF8(out, p []byte) ([]byte, []byte, error) {
	unit := func(i int) rune {
		if u.big {
			return rune(p[i])<<8 | rune(p[i+1])
		}
		return rune(p[i]) | rune(p[i+1])<<8
	}
	i := 0
	for ; i+1 < len(p); i += 2 {
		r := unit(i)
		switch {
		case r < 0x80:
			out = append(out, byte(r))
			continue
		case r >= 0xD800 && r < 0xDC00:
			if i+3 >= len(p) {
				return out, p[i:], nil
			}
			r2 := unit(i + 2)
			if r2 < 0xDC00 || r2 >= 0xE000 {
				return out, nil, errUTF16
			}
			r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
			i += 2
		case r >= 0xDC00 && r < 0xE000:
			return out, nil, errUTF16
		}
		out = utf8.AppendRune(out, r)
	}
	return out, p[i:], nil
}
