package migrations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// connect opens a connection closed at the end of the test.
func connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// execSQL runs sql (simple protocol, several statements allowed).
func execSQL(t testing.TB, dsn, sql string) {
	t.Helper()
	conn := connect(t, dsn)
	if err := conn.PgConn().Exec(context.Background(), sql).Close(); err != nil {
		t.Fatalf("exec: %v", err)
	}
}

// psqlFile applies a file with psql the way the engine must match.
func psqlFile(t testing.TB, dsn, file string) {
	t.Helper()
	out, err := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", file, dsn).CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
}

// tableDigest returns the row count and an order-independent digest of a table.
func tableDigest(t testing.TB, dsn, table string) string {
	t.Helper()
	conn := connect(t, dsn)
	var n int64
	var md5 *string
	q := fmt.Sprintf(`SELECT count(*), md5(string_agg(x::text, E'\n' ORDER BY x::text)) FROM %s x`, table)
	if err := conn.QueryRow(context.Background(), q).Scan(&n, &md5); err != nil {
		t.Fatalf("digest of %s: %v", table, err)
	}
	if md5 == nil {
		return fmt.Sprintf("%d rows", n)
	}
	return fmt.Sprintf("%d rows %s", n, *md5)
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const trickySchema = `
CREATE TABLE public.t (id int PRIMARY KEY, a text, b text);
CREATE TABLE public.c (id int PRIMARY KEY, v text);
CREATE TABLE public.e (a text, b text, n numeric);
CREATE SEQUENCE public.t_id_seq;
`

const trickyData = "\\restrict Abc123\n" +
	"-- Dumped by a hand\n" +
	"SET statement_timeout = 0;\n" +
	"SET standard_conforming_strings = on;\n" +
	"SELECT pg_catalog.set_config('search_path', '', false);\n" +
	"COPY public.t (id, a, b) FROM stdin;\n" +
	"1\ttab\\there\tback\\\\slash\n" +
	"2\t\\N\tsemi;colon -- not a comment\n" +
	"3\tit's \"quoted\"\t/* not a comment */ COPY x FROM stdin; BEGIN; COMMIT;\n" +
	"4\t\\\\.\toctal \\101 hex \\x41 newline\\nhere\n" +
	"5\t$$dollar$$\tE'\\\\x'\n" +
	"\\.\n" +
	"COPY public.c (id, v) FROM stdin WITH (FORMAT csv);\n" +
	"1,\"a,b\"\n" +
	"2,\"line1\nline2\"\n" +
	"3,\"say \"\"hi\"\"; drop table t;\"\n" +
	"4,\n" +
	"5,\"\"\n" +
	"\\.\n" +
	"COPY public.e (a, b, n) FROM stdin;\n" +
	"\tleading empty\t1.50\n" +
	"\\N\t\t-0.0001\n" +
	"\\.\n" +
	"SELECT pg_catalog.setval('public.t_id_seq', 5, true);\n" +
	"\\unrestrict Abc123\n"

// TestApplyFileMatchesPsql applies the same tricky file with the engine and
// with psql and compares the table contents.
func TestApplyFileMatchesPsql(t *testing.T) {
	ctx := context.Background()
	ours, theirs := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	execSQL(t, ours, trickySchema)
	execSQL(t, theirs, trickySchema)
	file := writeFile(t, t.TempDir(), "20261121000000_data.up.sql", trickyData)

	res, err := ApplyFile(ctx, connect(t, ours), "20261121000000_data.up.sql", strings.NewReader(trickyData))
	if err != nil {
		t.Fatal(err)
	}
	psqlFile(t, theirs, file)

	if res.CopyRows != 12 || res.Statements != 7 || res.Bytes != int64(len(trickyData)) {
		t.Errorf("result %+v: want 12 rows, 7 statements, %d bytes", res, len(trickyData))
	}
	for _, table := range []string{"public.t", "public.c", "public.e"} {
		if a, b := tableDigest(t, ours, table), tableDigest(t, theirs, table); a != b {
			t.Errorf("%s: engine %s, psql %s", table, a, b)
		}
	}
	conn := connect(t, ours)
	var a *string
	var b string
	if err := conn.QueryRow(ctx, "SELECT a, b FROM public.t WHERE id = 2").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != nil || b != "semi;colon -- not a comment" {
		t.Errorf("row 2 = %v, %q", a, b)
	}
	var last int64
	if err := conn.QueryRow(ctx, "SELECT last_value FROM public.t_id_seq").Scan(&last); err != nil || last != 5 {
		t.Errorf("sequence = %d, %v", last, err)
	}
}

// TestApplyFileFailureLeavesNoTrace checks that a failing file is rolled back
// completely and that the error names the place without the data.
func TestApplyFileFailureLeavesNoTrace(t *testing.T) {
	const canary = "CANARY_f00d_1234"
	tests := []struct {
		name, sql string
		want      []string
	}{
		{
			name: "bad COPY value",
			sql: "CREATE TABLE x (id int, price numeric);\nINSERT INTO x VALUES (1, 2);\n" +
				"COPY x (id, price) FROM stdin;\n1\t1.5\n2\t" + canary + "\n\\.\n",
			want: []string{"f.up.sql line 5 (statement 3)", "SQLSTATE 22P02", "COPY data line 2", "column price"},
		},
		{
			name: "extra column in COPY row",
			sql:  "CREATE TABLE x (id int);\nCOPY x FROM stdin;\n1\n2\t" + canary + "\n\\.\n",
			want: []string{"line 4 (statement 2)", "SQLSTATE 22P04"},
		},
		{
			name: "unique violation",
			sql:  "CREATE TABLE x (k text PRIMARY KEY);\nINSERT INTO x VALUES ('" + canary + "');\nINSERT INTO x VALUES ('" + canary + "');\n",
			want: []string{"line 3 (statement 3)", "SQLSTATE 23505", "constraint x_pkey"},
		},
		{
			name: "syntax error",
			sql:  "CREATE TABLE x (k text);\n\nINSERT INTO x VALUES ('a') " + canary + ";\n",
			want: []string{"line 3 (statement 2)", "SQLSTATE 42601"},
		},
		{
			name: "bad input in string",
			sql:  "CREATE TABLE x (k int);\nINSERT INTO x VALUES ('" + canary + "');\n",
			want: []string{"line 2 (statement 2)", "SQLSTATE 22P02"},
		},
		{
			name: "unsupported meta-command",
			sql:  "CREATE TABLE x (k int);\n\\i /etc/passwd\n",
			want: []string{"line 2", `\i is not supported`},
		},
		{
			name: "missing COPY terminator",
			sql:  "CREATE TABLE x (k text);\nCOPY x FROM stdin;\n" + canary + "\n",
			want: []string{"line 3", `no terminating \. line`},
		},
		{
			name: "commit inside file",
			sql:  "CREATE TABLE x (k int);\nCOMMIT;\n",
			want: []string{"line 2 (statement 2)", "ended the file's transaction"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			_, err := ApplyFile(context.Background(), connect(t, dsn), "f.up.sql", strings.NewReader(tt.sql))
			var ae *ApplyError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *ApplyError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, canary) || strings.Contains(fmt.Sprintf("%+v", err), canary) {
				t.Fatalf("error leaks the canary: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if tt.name == "commit inside file" {
				return // the file committed its own table, as psql -1 would have refused
			}
			conn := connect(t, dsn)
			var exists bool
			if err := conn.QueryRow(context.Background(), "SELECT to_regclass('public.x') IS NOT NULL").Scan(&exists); err != nil {
				t.Fatal(err)
			}
			if exists {
				t.Fatal("table x survived the failed file")
			}
		})
	}
}

// TestVerboseErrors checks that details appear only when asked for.
func TestVerboseErrors(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	sql := "CREATE TABLE x (k int);\nINSERT INTO x VALUES ('visible');\n"
	_, err := applyStream(context.Background(), connect(t, dsn), strings.NewReader(sql), applyConfig{name: "f", verbose: true})
	if err == nil || !strings.Contains(err.Error(), `"visible"`) {
		t.Fatalf("verbose error lacks the detail: %v", err)
	}
}

// TestNoTransactionDirective checks the opt-out: CREATE INDEX CONCURRENTLY
// cannot run inside a transaction.
func TestNoTransactionDirective(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	execSQL(t, dsn, "CREATE TABLE x (k int)")
	sql := "-- an index\n-- securemig:no-transaction\nCREATE INDEX CONCURRENTLY x_k ON x (k);\n"
	res, err := ApplyFile(context.Background(), connect(t, dsn), "i.up.sql", strings.NewReader(sql))
	if err != nil {
		t.Fatal(err)
	}
	if !res.NoTransaction {
		t.Fatal("directive not seen")
	}
	if _, err := ApplyFile(context.Background(), connect(t, dsn), "j.up.sql",
		strings.NewReader("CREATE INDEX CONCURRENTLY x_k2 ON x (k);\n")); err == nil {
		t.Fatal("CONCURRENTLY inside a transaction succeeded")
	}
}

// rowSource generates COPY text data lines without holding them.
type rowSource struct {
	rows, next int
	ended      bool
	buf        []byte
	maxHeap    uint64
	reads      int
}

func (s *rowSource) Read(p []byte) (int, error) {
	s.reads++
	if s.reads%64 == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.maxHeap = max(s.maxHeap, ms.HeapAlloc)
	}
	for len(s.buf) < len(p) && s.next <= s.rows {
		if s.next == 0 {
			s.buf = append(s.buf, "COPY big (id, a, b) FROM stdin;\n"...)
		} else {
			s.buf = fmt.Appendf(s.buf, "%d\tsome text value number %d with\\ttab\t%s\n", s.next, s.next, strings.Repeat("z", 40))
		}
		s.next++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	if s.next > s.rows && !s.ended {
		s.buf = append(s.buf, "\\.\n"...)
		s.ended = true
	}
	n := copy(p, s.buf)
	s.buf = append(s.buf[:0], s.buf[n:]...)
	return n, nil
}

// TestApplyLargeCopyFlatMemory streams more than 100 MB of COPY data and
// checks that the heap stays small.
func TestApplyLargeCopyFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large COPY skipped in -short mode")
	}
	dsn := pgtest.NewDatabase(t)
	execSQL(t, dsn, "CREATE UNLOGGED TABLE big (id int, a text, b text)")
	src := &rowSource{rows: 1_300_000}
	res, err := ApplyFile(context.Background(), connect(t, dsn), "big.up.sql", src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes < 100<<20 || res.CopyRows != 1_300_000 {
		t.Fatalf("applied %d bytes, %d rows", res.Bytes, res.CopyRows)
	}
	if src.maxHeap > 48<<20 {
		t.Fatalf("heap reached %d MiB while streaming %d MiB", src.maxHeap>>20, res.Bytes>>20)
	}
	if got := tableDigest(t, dsn, "big"); !strings.HasPrefix(got, "1300000 rows") {
		t.Fatalf("table holds %s", got)
	}
}
