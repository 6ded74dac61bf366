// Package sqlscan splits a stream of SQL, as psql reads it, into statements
// in constant memory: only the current statement is held, never the file,
// and lines may be of any length.
//
// It understands -- and nested /* */ comments, single-quoted strings with
// doubled quotes, E'...' strings with backslash escapes, double-quoted
// identifiers, dollar-quoted bodies with any tag, parentheses, and psql's
// BEGIN ... END heuristic for CREATE FUNCTION/PROCEDURE bodies, so semicolons
// inside any of them do not end a statement. Strings are read with
// standard_conforming_strings on, as pg_dump sets it.
//
// A COPY ... FROM STDIN statement is followed by its data lines up to a line
// holding only \. ; the data is streamed unchanged by Scanner.Data. psql
// backslash meta-commands (outside quotes) are returned as Meta items for the
// caller to judge.
//
// The scanner is pure: it does no I/O beyond reading its io.Reader, and the
// Raw bytes of every item, joined with the COPY data, reproduce the input
// exactly.
package sqlscan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Kind is the kind of an Item.
type Kind int

// The kinds of item a Scanner returns.
const (
	// Statement is an SQL statement, ending with its semicolon (or at the end
	// of input). One that holds only whitespace and comments has SQL false.
	Statement Kind = iota + 1
	// Copy is a COPY ... FROM STDIN statement. Its data follows: read it with
	// Scanner.Data before calling Next again (or Next skips it).
	Copy
	// CopyEnd is the \. line that ends the data of a Copy item.
	CopyEnd
	// Meta is a psql backslash meta-command, from the backslash to the end of
	// its line. Whitespace and comments before it are part of its Raw bytes;
	// SQL before it (on the same statement) sets SQL true.
	Meta
)

func (k Kind) String() string {
	switch k {
	case Statement:
		return "statement"
	case Copy:
		return "copy"
	case CopyEnd:
		return "copy end"
	case Meta:
		return "meta-command"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Item is one piece of the input.
type Item struct {
	// Kind says what the item is.
	Kind Kind
	// Raw holds the item's exact input bytes, including whitespace and
	// comments before it. It is valid only until the next call to Next.
	Raw []byte
	// Text is the part of Raw to send to the server: Raw itself for a
	// Statement, Raw up to and including the semicolon for a Copy. It is empty
	// for Meta and CopyEnd items.
	Text []byte
	// SQL reports whether the item holds anything besides whitespace and
	// comments. For a Meta item it reports SQL text pending before the
	// backslash, which psql would have sent with the meta-command.
	SQL bool
	// Line is the 1-based input line where the item's SQL (or the
	// meta-command's backslash) starts; for items without SQL, the line of
	// their first byte.
	Line int
	// DataLine is, for a Copy item, the input line of its first data line.
	DataLine int
	// Command is, for a Meta item, the command name without the backslash,
	// e.g. "restrict".
	Command string
}

// Scanner reads SQL items from a stream.
type Scanner struct {
	br   *bufio.Reader
	line int // current 1-based line
	buf  []byte
	err  error // sticky error

	// per statement state
	sql        bool
	startLine  int
	parenDepth int
	beginDepth int
	identCount int
	idents     [4]byte
	copyCmd    bool // first word is COPY
	afterFrom  bool // previous token was FROM at depth 0
	copyIn     bool // COPY ... FROM STDIN seen

	// copy data state
	inData      bool
	dataStart   int
	atLineStart bool
	term        []byte
	termLine    int
	dataErr     error
}

// bufferSize is the read buffer; COPY data is passed on in chunks of up to
// this many bytes.
const bufferSize = 256 << 10

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{br: bufio.NewReaderSize(r, bufferSize), line: 1}
}

// Line returns the current input line (1-based).
func (s *Scanner) Line() int { return s.line }

// Error is a problem with the shape of the input, naming its line.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Next returns the next item, or io.EOF at the end of the input. Any other
// error (a read error or an *Error) is final. Unread COPY data of the
// previous item is skipped.
func (s *Scanner) Next() (Item, error) {
	if s.err != nil {
		return Item{}, s.err
	}
	if s.inData {
		if _, err := io.Copy(io.Discard, s.Data()); err != nil {
			return Item{}, err
		}
	}
	if s.term != nil {
		it := Item{Kind: CopyEnd, Raw: s.term, Line: s.termLine}
		s.term = nil
		return it, nil
	}
	it, err := s.scan()
	if err != nil {
		s.err = err
		return Item{}, err
	}
	return it, nil
}

// reset clears the per statement state.
func (s *Scanner) reset() {
	s.buf = s.buf[:0]
	s.sql = false
	s.startLine = s.line
	s.parenDepth, s.beginDepth, s.identCount = 0, 0, 0
	s.idents = [4]byte{}
	s.copyCmd, s.afterFrom, s.copyIn = false, false, false
}

// readByte reads one byte into the statement buffer, counting lines.
func (s *Scanner) readByte() (byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, err
	}
	s.buf = append(s.buf, c)
	if c == '\n' {
		s.line++
	}
	return c, nil
}

// peek returns the next byte without consuming it; ok is false at the end of
// input.
func (s *Scanner) peek() (byte, bool, error) {
	b, err := s.br.Peek(1)
	if len(b) == 1 {
		return b[0], true, nil
	}
	if errors.Is(err, io.EOF) {
		return 0, false, nil
	}
	return 0, false, err
}

// markSQL notes the start of SQL text in the current statement.
func (s *Scanner) markSQL(line int) {
	if !s.sql {
		s.sql = true
		s.startLine = line
	}
}

// scan reads one Statement, Copy or Meta item.
func (s *Scanner) scan() (Item, error) {
	s.reset()
	for {
		line := s.line
		c, err := s.readByte()
		if errors.Is(err, io.EOF) {
			if len(s.buf) == 0 {
				return Item{}, io.EOF
			}
			return s.statement(), nil
		}
		if err != nil {
			return Item{}, err
		}
		next, _, err := s.peek()
		if err != nil {
			return Item{}, err
		}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		case c == '-' && next == '-':
			err = s.lineComment()
		case c == '/' && next == '*':
			err = s.blockComment()
		case c == ';':
			s.afterFrom = false
			if s.parenDepth == 0 && s.beginDepth == 0 {
				if s.copyIn {
					return s.copyItem()
				}
				return s.statement(), nil
			}
		case c == '\\':
			return s.metaItem(line)
		default:
			s.markSQL(line)
			err = s.token(c)
		}
		if err != nil {
			return Item{}, err
		}
	}
}

// statement returns the buffered statement.
func (s *Scanner) statement() Item {
	return Item{Kind: Statement, Raw: s.buf, Text: s.buf, SQL: s.sql, Line: s.startLine}
}

// token consumes the SQL token starting with c (already read).
func (s *Scanner) token(c byte) error {
	switch {
	case c == '\'':
		s.afterFrom = false
		return s.quoted('\'', false)
	case c == '"':
		s.afterFrom = false
		return s.quoted('"', false)
	case c == '$':
		s.afterFrom = false
		return s.dollar()
	case isIdentStart(c):
		return s.ident(c)
	case c >= '0' && c <= '9':
		s.afterFrom = false
		return s.number()
	case c == '(':
		s.parenDepth++
	case c == ')':
		if s.parenDepth > 0 {
			s.parenDepth--
		}
	}
	s.afterFrom = false
	return nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

// lineComment consumes a -- comment up to and including its newline.
func (s *Scanner) lineComment() error {
	for {
		c, err := s.readByte()
		if errors.Is(err, io.EOF) || err == nil && c == '\n' {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// blockComment consumes a /* comment */, which may nest. The opening slash
// has been read.
func (s *Scanner) blockComment() error {
	if _, err := s.readByte(); err != nil { // the '*'
		return err
	}
	depth := 1
	for depth > 0 {
		c, err := s.readByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		next, _, err := s.peek()
		if err != nil {
			return err
		}
		switch {
		case c == '/' && next == '*':
			depth++
		case c == '*' && next == '/':
			depth--
		default:
			continue
		}
		if _, err := s.readByte(); err != nil {
			return err
		}
	}
	return nil
}

// quoted consumes a quoted string or identifier whose opening quote q has
// been read. A doubled quote stands for itself; with backslashes set (E'...'
// strings), a backslash escapes the next byte.
func (s *Scanner) quoted(q byte, backslashes bool) error {
	for {
		c, err := s.readByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case c == '\\' && backslashes:
			if _, err := s.readByte(); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
		case c == q:
			next, ok, err := s.peek()
			if err != nil {
				return err
			}
			if !ok || next != q {
				return nil
			}
			if _, err := s.readByte(); err != nil {
				return err
			}
		}
	}
}

// maxTag bounds the dollar-quote tags recognised; a longer "tag" is read as
// ordinary text.
const maxTag = 4096

// dollar handles a '$' (already read) outside an identifier: the start of a
// dollar-quoted body $tag$...$tag$, or an ordinary character such as in $1.
func (s *Scanner) dollar() error {
	n := 1
	for ; ; n++ {
		b, err := s.br.Peek(n)
		if len(b) < n {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		c := b[n-1]
		if c == '$' {
			break
		}
		if !isIdentStart(c) && !(n > 1 && c >= '0' && c <= '9') || n > maxTag {
			return nil
		}
	}
	b, _ := s.br.Peek(n)
	delim := append([]byte{'$'}, b...) // $tag$
	for range n {
		if _, err := s.readByte(); err != nil {
			return err
		}
	}
	for {
		c, err := s.readByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if c != '$' {
			continue
		}
		b, err := s.br.Peek(len(delim) - 1)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if bytes.Equal(b, delim[1:]) {
			for range len(b) {
				if _, err := s.readByte(); err != nil {
					return err
				}
			}
			return nil
		}
	}
}

// number consumes the rest of a numeric literal.
func (s *Scanner) number() error {
	for {
		c, ok, err := s.peek()
		if err != nil || !ok || !(isIdentCont(c) || c == '.') {
			return err
		}
		if _, err := s.readByte(); err != nil {
			return err
		}
	}
}

// ident consumes an identifier or keyword starting with c, tracking the
// words psql looks at: E'...' strings, COPY ... FROM STDIN, and BEGIN/CASE/END
// inside CREATE [OR REPLACE] FUNCTION/PROCEDURE.
func (s *Scanner) ident(c byte) error {
	var word [10]byte
	n := 0
	add := func(c byte) {
		if n < len(word) {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			word[n] = c
		}
		n++
	}
	add(c)
	for {
		next, ok, err := s.peek()
		if err != nil {
			return err
		}
		if !ok || !isIdentCont(next) {
			break
		}
		if _, err := s.readByte(); err != nil {
			return err
		}
		add(next)
	}
	w := ""
	if n <= len(word) {
		w = string(word[:n])
	}
	if w == "e" {
		next, ok, err := s.peek()
		if err != nil {
			return err
		}
		if ok && next == '\'' {
			s.afterFrom = false
			if _, err := s.readByte(); err != nil {
				return err
			}
			return s.quoted('\'', true)
		}
	}
	s.keyword(w)
	return nil
}

// keyword updates the statement state for the identifier w (lower case, or
// "" when long).
func (s *Scanner) keyword(w string) {
	if s.identCount == 0 {
		s.copyCmd = w == "copy"
	}
	switch w {
	case "create", "function", "procedure", "or", "replace":
		if s.identCount < len(s.idents) {
			s.idents[s.identCount] = w[0]
		}
	}
	s.identCount++
	id := s.idents
	if id[0] == 'c' && (id[1] == 'f' || id[1] == 'p' || id[1] == 'o' && id[2] == 'r' && (id[3] == 'f' || id[3] == 'p')) &&
		s.parenDepth == 0 {
		switch w {
		case "begin":
			s.beginDepth++
		case "case":
			if s.beginDepth >= 1 {
				s.beginDepth++
			}
		case "end":
			if s.beginDepth > 0 {
				s.beginDepth--
			}
		}
	}
	if s.parenDepth != 0 {
		s.afterFrom = false
		return
	}
	if s.afterFrom && w == "stdin" && s.copyCmd {
		s.copyIn = true
	}
	s.afterFrom = w == "from"
}

// metaItem reads a backslash meta-command (its backslash already read) to
// the end of its line.
func (s *Scanner) metaItem(line int) (Item, error) {
	start := len(s.buf)
	for {
		c, err := s.readByte()
		if errors.Is(err, io.EOF) || err == nil && c == '\n' {
			break
		}
		if err != nil {
			return Item{}, err
		}
	}
	cmd := bytes.TrimRight(s.buf[start:], "\r\n")
	if i := bytes.IndexAny(cmd, " \t\f\v"); i >= 0 {
		cmd = cmd[:i]
	}
	it := Item{Kind: Meta, Raw: s.buf, SQL: s.sql, Line: line, Command: string(cmd)}
	return it, nil
}

// copyItem finishes a COPY ... FROM STDIN statement whose semicolon was just
// read: the rest of its line must be blank or a comment, and its data starts
// on the next line.
func (s *Scanner) copyItem() (Item, error) {
	text := len(s.buf)
	line := s.line
	for {
		c, err := s.readByte()
		if errors.Is(err, io.EOF) || err == nil && c == '\n' {
			break
		}
		if err != nil {
			return Item{}, err
		}
	}
	rest := bytes.TrimSpace(s.buf[text:])
	if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("--")) {
		return Item{}, &Error{Line: line, Msg: "text after COPY ... FROM stdin on the same line"}
	}
	s.inData, s.atLineStart, s.dataStart = true, true, s.line
	return Item{Kind: Copy, Raw: s.buf, Text: s.buf[:text], SQL: true, Line: s.startLine, DataLine: s.line}, nil
}

// Data returns a reader over the data lines of the current Copy item, up to
// but not including the \. line, byte for byte. It returns io.EOF at once
// when no COPY data is pending. Input that ends before the \. line is an
// *Error, never a silent end of data.
func (s *Scanner) Data() io.Reader { return dataReader{s} }

type dataReader struct{ s *Scanner }

func (d dataReader) Read(p []byte) (int, error) { return d.s.readData(p) }

var termPrefix = []byte("\n\\.")

// readData implements Data.
func (s *Scanner) readData(p []byte) (int, error) {
	if !s.inData {
		return 0, io.EOF
	}
	if s.dataErr != nil {
		return 0, s.dataErr
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.atLineStart {
		done, err := s.checkTerminator()
		if err != nil || done {
			return 0, err
		}
	}
	if s.br.Buffered() == 0 {
		if _, err := s.br.Peek(1); err != nil {
			return 0, s.failData(err)
		}
	}
	b, _ := s.br.Peek(min(s.br.Buffered(), len(p)))
	// Stop before a line that may be the terminator, so that the next call
	// checks it at a line start.
	if i := bytes.Index(b, termPrefix); i >= 0 {
		b = b[:i+1]
	} else if bytes.HasSuffix(b, termPrefix[:2]) {
		b = b[:len(b)-1]
	}
	n := copy(p, b)
	s.line += bytes.Count(p[:n], termPrefix[:1])
	s.atLineStart = p[n-1] == '\n'
	if _, err := s.br.Discard(n); err != nil {
		return n, s.failData(err)
	}
	return n, nil
}

// checkTerminator looks for a \. line at a line start. When found it is
// consumed and kept for the CopyEnd item, and done is true.
func (s *Scanner) checkTerminator() (done bool, err error) {
	b, err := s.br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return false, s.failData(err)
	}
	if len(b) == 0 {
		return false, s.failData(io.EOF)
	}
	var n int
	switch {
	case len(b) < 2 || b[0] != '\\' || b[1] != '.':
		return false, nil
	case len(b) == 2:
		n = 2
	case b[2] == '\n':
		n = 3
	case b[2] == '\r' && len(b) == 3:
		n = 3
	case b[2] == '\r' && b[3] == '\n':
		n = 4
	default:
		return false, nil
	}
	s.term, s.termLine = make([]byte, n), s.line
	copy(s.term, b)
	if _, err := s.br.Discard(n); err != nil {
		return false, s.failData(err)
	}
	if s.term[n-1] == '\n' {
		s.line++
	}
	s.inData = false
	return true, nil
}

// failData records a COPY data error; the end of input there is a missing
// terminator.
func (s *Scanner) failData(err error) error {
	if errors.Is(err, io.EOF) {
		err = &Error{Line: s.dataStart, Msg: fmt.Sprintf(`COPY data has no terminating \. line (input ends at line %d)`, s.line)}
	}
	s.dataErr, s.err = err, err
	return err
}
