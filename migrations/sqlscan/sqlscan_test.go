package sqlscan

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// piece is a simplified item for comparisons.
type piece struct {
	Kind Kind
	Text string // Text for statements, data for Copy, Command for Meta
	SQL  bool
	Line int
}

// scanAll scans in and returns its pieces and the re-joined input.
func scanAll(t testing.TB, r io.Reader) ([]piece, string, error) {
	t.Helper()
	var (
		out    []piece
		joined bytes.Buffer
	)
	s := NewScanner(r)
	for {
		it, err := s.Next()
		if errors.Is(err, io.EOF) {
			return out, joined.String(), nil
		}
		if err != nil {
			return out, joined.String(), err
		}
		joined.Write(it.Raw)
		p := piece{Kind: it.Kind, Text: string(it.Text), SQL: it.SQL, Line: it.Line}
		switch it.Kind {
		case Copy:
			var data bytes.Buffer
			if _, err := io.Copy(&data, s.Data()); err != nil {
				return out, joined.String(), err
			}
			joined.Write(data.Bytes())
			p.Text += "|" + data.String()
		case Meta:
			p.Text = it.Command
		case CopyEnd:
			p.Text = string(it.Raw)
		}
		out = append(out, p)
	}
}

func TestScanner(t *testing.T) {
	st := func(text string, line int) piece { return piece{Kind: Statement, Text: text, SQL: true, Line: line} }
	tests := []struct {
		name string
		in   string
		want []piece
	}{
		{"empty", "", nil},
		{"two", "select 1;\nselect 2;", []piece{st("select 1;", 1), st("\nselect 2;", 2)}},
		{"no final semicolon", "select 1", []piece{st("select 1", 1)}},
		{"blank tail", "select 1;\n  -- bye\n", []piece{st("select 1;", 1), {Kind: Statement, Text: "\n  -- bye\n", Line: 1}}},
		{"line comment with semicolon and quote", "select 1 -- a; b'\n;", []piece{st("select 1 -- a; b'\n;", 1)}},
		{"dashes in string", "select '--x;'; select 2;", []piece{st("select '--x;';", 1), st(" select 2;", 1)}},
		{"nested block comment", "/* a /* b; */ c; */ select 1;", []piece{st("/* a /* b; */ c; */ select 1;", 1)}},
		{"doubled quotes", "select 'it''s; ok';", []piece{st("select 'it''s; ok';", 1)}},
		{"E string backslash quote", `select E'a\';b';`, []piece{st(`select E'a\';b';`, 1)}},
		{"e string lower with doubled", `select e'x\\'';y';`, []piece{st(`select e'x\\'';y';`, 1)}},
		{"backslash in standard string", `select 'a\'; select 2;`, []piece{st(`select 'a\';`, 1), st(" select 2;", 1)}},
		{"identifier ending in e", `select some'x\';`, []piece{st(`select some'x\';`, 1)}},
		{"quoted identifier", `select 1 as "a;""b";`, []piece{st(`select 1 as "a;""b";`, 1)}},
		{"dollar empty tag", "do $$ begin; end $$;", []piece{st("do $$ begin; end $$;", 1)}},
		{"dollar tag", "select $fn$ a $$; $x$ ; $fn$;", []piece{st("select $fn$ a $$; $x$ ; $fn$;", 1)}},
		{"dollar param", "select $1; select 2;", []piece{st("select $1;", 1), st(" select 2;", 1)}},
		{"dollar in identifier", "select a$b$; select 2;", []piece{st("select a$b$;", 1), st(" select 2;", 1)}},
		{"parens", "create rule r as on insert to t do (insert into a values (1); insert into b values (2));",
			[]piece{st("create rule r as on insert to t do (insert into a values (1); insert into b values (2));", 1)}},
		{"begin atomic", "create function f() returns int language sql begin atomic select 1; select case when true then 1 end; end;\nselect 2;",
			[]piece{st("create function f() returns int language sql begin atomic select 1; select case when true then 1 end; end;", 1), st("\nselect 2;", 2)}},
		{"create or replace procedure", "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC insert into t values (1); END; x;",
			[]piece{st("CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC insert into t values (1); END;", 1), st(" x;", 1)}},
		{"begin transaction", "begin; select 1; commit;", []piece{st("begin;", 1), st(" select 1;", 1), st(" commit;", 1)}},
		{"multi-line literal keeps spaces", "insert into t values ('a\n   b');\n", []piece{st("insert into t values ('a\n   b');", 1), {Kind: Statement, Text: "\n", Line: 2}}},
		{"empty statements", ";;select 1;", []piece{{Kind: Statement, Text: ";", Line: 1}, {Kind: Statement, Text: ";", Line: 1}, st("select 1;", 1)}},
		{"crlf", "select 1;\r\nselect 2;\r\n", []piece{st("select 1;", 1), st("\r\nselect 2;", 2), {Kind: Statement, Text: "\r\n", Line: 2}}},
		{"unterminated string at eof", "select 'abc", []piece{st("select 'abc", 1)}},
		{"meta restrict", "\\restrict abc123\nselect 1;\n\\unrestrict abc123\n", []piece{
			{Kind: Meta, Text: "restrict", Line: 1}, st("select 1;", 2), {Kind: Meta, Text: "unrestrict", Line: 3}}},
		{"meta after statement text", "select 1 \\g\n", []piece{{Kind: Meta, Text: "g", SQL: true, Line: 1}}},
		{"backslash inside string is not meta", "select '\\x';", []piece{st("select '\\x';", 1)}},
		{"copy", "COPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n\\.\nselect 1;\n", []piece{
			{Kind: Copy, Text: "COPY public.t (a, b) FROM stdin;|1\tx;y\n2\t\\N\n", SQL: true, Line: 1},
			{Kind: CopyEnd, Text: "\\.\n", Line: 4},
			st("select 1;", 5), {Kind: Statement, Text: "\n", Line: 5}}},
		{"copy csv with keywords and comments in data", "copy t from STDIN with (format csv);\n\"a;b\",'--x'\n\"/*\",\\.x\n\\.\r\n", []piece{
			{Kind: Copy, Text: "copy t from STDIN with (format csv);|\"a;b\",'--x'\n\"/*\",\\.x\n", SQL: true, Line: 1},
			{Kind: CopyEnd, Text: "\\.\r\n", Line: 4}}},
		{"copy empty data and terminator at eof", "copy t from stdin; -- c\n\\.", []piece{
			{Kind: Copy, Text: "copy t from stdin;|", SQL: true, Line: 1}, {Kind: CopyEnd, Text: "\\.", Line: 2}}},
		{"copy to stdout is a statement", "copy t to stdout;\nselect 1;", []piece{st("copy t to stdout;", 1), st("\nselect 1;", 2)}},
		{"copy from file is a statement", "copy t from '/x/stdin';", []piece{st("copy t from '/x/stdin';", 1)}},
		{"copy query from stdin in parens", "copy (select a from stdin) to stdout;", []piece{st("copy (select a from stdin) to stdout;", 1)}},
		{"select from stdin is a statement", "select * from stdin;", []piece{st("select * from stdin;", 1)}},
		{"two copies", "copy a from stdin;\n1\n\\.\ncopy b from stdin;\n2\n\\.\n", []piece{
			{Kind: Copy, Text: "copy a from stdin;|1\n", SQL: true, Line: 1}, {Kind: CopyEnd, Text: "\\.\n", Line: 3},
			{Kind: Copy, Text: "copy b from stdin;|2\n", SQL: true, Line: 4}, {Kind: CopyEnd, Text: "\\.\n", Line: 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{{"whole", strings.NewReader(tt.in)}, {"one byte reads", iotest.OneByteReader(strings.NewReader(tt.in))}} {
				got, joined, err := scanAll(t, r.r)
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("%s:\n got %+v\nwant %+v", r.name, got, tt.want)
				}
				if joined != tt.in {
					t.Fatalf("%s: re-joined %q, want %q", r.name, joined, tt.in)
				}
			}
		})
	}
}

func TestScannerErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"missing terminator", "select 1;\ncopy t from stdin;\n1\n2\n", `line 3: COPY data has no terminating \. line (input ends at line 5)`},
		{"terminator with trailing text only", "copy t from stdin;\n1\n\\.x\n", `line 2: COPY data has no terminating`},
		{"text after copy", "copy t from stdin; select 1;\n", "line 1: text after COPY ... FROM stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := scanAll(t, strings.NewReader(tt.in))
			var se *Error
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want *Error containing %q", err, tt.want)
			}
		})
	}
}

// TestReadErrorIsNotEOF checks that a failing reader is reported, not taken
// as the end of the input, both inside a statement and inside COPY data.
func TestReadErrorIsNotEOF(t *testing.T) {
	boom := errors.New("boom")
	for _, in := range []string{"select 1;\nselect 2", "copy t from stdin;\n1\n2"} {
		r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom))
		_, _, err := scanAll(t, r)
		if !errors.Is(err, boom) {
			t.Errorf("%q: err = %v, want boom", in, err)
		}
	}
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", 3*bufferSize+17)
	in := "select '" + long + "';\ncopy t from stdin;\n" + long + "\t\\N\n" + long + "\n\\.\nselect 1;"
	got, joined, err := scanAll(t, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if joined != in {
		t.Fatal("re-joined input differs")
	}
	if len(got) != 4 || got[1].Text != "\ncopy t from stdin;|"+long+"\t\\N\n"+long+"\n" || got[3].Line != 6 {
		t.Fatalf("unexpected pieces: %d, last line %d", len(got), got[len(got)-1].Line)
	}
}

// TestSkipUnreadData checks that Next skips COPY data the caller did not read.
func TestSkipUnreadData(t *testing.T) {
	s := NewScanner(strings.NewReader("copy t from stdin;\n1\n2\n\\.\nselect 3;"))
	var kinds []Kind
	for {
		it, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, it.Kind)
		if it.Kind == Statement && (string(it.Text) != "select 3;" || it.Line != 5) {
			t.Fatalf("statement %q at line %d", it.Text, it.Line)
		}
	}
	if !reflect.DeepEqual(kinds, []Kind{Copy, CopyEnd, Statement}) {
		t.Fatalf("kinds %v", kinds)
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		"select 1; select 'a;b'; -- c\n/* d /* e */ */ select $x$;$x$;",
		"copy t from stdin;\n1\t\\N\n\\.\n",
		"\\restrict k\nselect E'\\';';\n\\unrestrict k\n",
		"create function f() begin atomic select 1; end; select \"x\"\"\";",
		"copy t from stdin with csv;\n\"a\n\\.\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, joined, err := scanAll(t, strings.NewReader(in))
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("non-syntax error: %v", err)
			}
			if !strings.HasPrefix(in, joined) {
				t.Fatalf("consumed bytes are not a prefix of the input")
			}
			return
		}
		if joined != in {
			t.Fatalf("re-joined %q, want %q", joined, in)
		}
		for _, p := range got {
			if p.Line < 1 {
				t.Fatalf("line %d", p.Line)
			}
		}
	})
}
