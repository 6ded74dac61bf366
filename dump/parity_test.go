package dump

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// trickySchema holds names that exercise pg_dump's pattern rules.
const trickySchema = `
CREATE TABLE re_rates (id serial PRIMARY KEY, v int);
CREATE TABLE re_owned (id serial PRIMARY KEY);
CREATE TABLE re_services (id int);
CREATE TABLE re_services_map (id int);
CREATE TABLE "RE_Upper" (id int);
CREATE TABLE "re_Mixed" (id int);
CREATE TABLE rex_other (id int);
CREATE TABLE "re.dot" (id int);
CREATE TABLE "re$dollar" (id int);
CREATE TABLE "re*star" (id int);
CREATE TABLE "we""ird" (id int);
CREATE VIEW re_view AS SELECT 1 AS x;
CREATE MATERIALIZED VIEW re_mat AS SELECT 1 AS x;
CREATE SEQUENCE re_seq;
CREATE TABLE re_ident (id int GENERATED ALWAYS AS IDENTITY, v int);
CREATE TABLE re_part (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE re_part_1 PARTITION OF re_part FOR VALUES FROM (0) TO (10);
CREATE UNLOGGED TABLE re_unlogged (id int);
CREATE SCHEMA s2;
CREATE TABLE s2.re_prices (id int);
CREATE TABLE s2."Re_Other" (id int);
CREATE SCHEMA "S3 Mixed";
CREATE TABLE "S3 Mixed".re_x (id int);
CREATE SCHEMA s4;
CREATE TABLE s4.re_vis (id int);
`

type patternCase struct {
	name             string
	include, exclude []string
}

func parityCases(db string) []patternCase {
	return []patternCase{
		{"unqualified wildcard skips other schemas", []string{"re_*"}, nil},
		{"qualified with prefix exclusion", []string{"public.re_*"}, []string{"public.re_services*"}},
		{"exact exclusion keeps re_services_map", []string{"public.re_*"}, []string{"public.re_services"}},
		{"unquoted upper case folds and misses", []string{"RE_Upper"}, nil},
		{"quoted keeps case", []string{`"RE_Upper"`}, nil},
		{"mixed-case table needs quotes", []string{"re_mixed"}, nil},
		{"every schema", []string{"*.re_*"}, nil},
		{"question mark", []string{"re_?ates"}, nil},
		{"quoted dot is literal", []string{`"re.dot"`}, nil},
		{"dollar is literal", []string{"re$dollar"}, nil},
		{"quoted star is literal", []string{`"re*star"`}, nil},
		{"doubled quote", []string{`"we""ird"`}, nil},
		{"regex alternation passes through", []string{"re_(rates|services)"}, nil},
		{"bracket expression", []string{"re_[rs]*"}, nil},
		{"view only yields nothing", []string{"re_view", "re_mat"}, nil},
		{"partitions match by name", []string{"re_part*"}, nil},
		{"identity sequence follows its table", []string{"re_ident"}, nil},
		{"owned sequence follows its table despite -T", []string{"public.re_rates"}, []string{"public.re_rates_id_seq"}},
		{"owned sequence not dumped with excluded table", []string{"public.re_owned*"}, []string{"public.re_owned"}},
		{"standalone sequence", []string{"re_seq"}, nil},
		{"other schema, all", []string{"s2.*"}, nil},
		{"other schema, quoted case", []string{"s2.re_*", `s2."Re_Other"`}, nil},
		{"other schema, unquoted case misses", []string{"s2.Re_Other"}, nil},
		{"quoted schema with space", []string{`"S3 Mixed".*`}, nil},
		{"visible through database search_path", []string{"re_vis"}, nil},
		{"strict names: one of several matches nothing", []string{"re_*", "zz_*"}, nil},
		{"database-qualified", []string{db + ".public.re_rates"}, nil},
		{"other database refused", []string{"nodb.public.re_rates"}, nil},
		{"too many dots", []string{"a.b.c.d"}, nil},
		{"empty name part", []string{"public."}, nil},
		{"exclusion wins over inclusion", []string{"public.re_services*"}, []string{"re_*"}},
	}
}

// restoreListRE matches the data entries of `pg_restore -l`.
var restoreListRE = regexp.MustCompile(`^\d+; \d+ \d+ (TABLE DATA|SEQUENCE SET) (.+) postgres$`)

// pgDumpList runs pg_dump -Fc and pg_restore -l and returns the dumped data
// entries as "kind schema.name", or pg_dump's error.
func pgDumpList(t *testing.T, prog, dsn string, include, exclude []string, names map[string]Relation) ([]string, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "x.dump")
	opts := Options{Include: include, Exclude: exclude}
	args := append(opts.Args(), "--format=custom", "--file="+file, "--dbname="+dsn)
	var stderr bytes.Buffer
	cmd := exec.Command(prog, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.New(strings.TrimSpace(stderr.String()))
	}
	out, err := exec.Command(filepath.Join(filepath.Dir(prog), "pg_restore"), "-l", file).Output()
	if err != nil {
		t.Fatalf("pg_restore -l: %v", err)
	}
	var got []string
	for _, line := range strings.Split(string(out), "\n") {
		m := restoreListRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		// pg_restore prints "schema name" separated by one space; names
		// with spaces are resolved through the catalog list.
		r, ok := names[m[2]]
		if !ok {
			t.Fatalf("pg_restore entry %q not in the catalog", m[2])
		}
		kind := KindTable
		if m[1] == "SEQUENCE SET" {
			kind = KindSequence
		}
		got = append(got, kind+" "+r.String())
	}
	sort.Strings(got)
	return got, nil
}

func TestResolveMatchesPgDump(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, trickySchema); err != nil {
		t.Fatal(err)
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ALTER DATABASE "`+db+`" SET search_path = "$user", public, s4`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	// A new session picks up the database default; a session search_path
	// must not change the result (pg_dump resets it).
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path = s2"); err != nil {
		t.Fatal(err)
	}
	major, err := ServerMajor(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := FindPgDump(ctx, "", major)
	if err != nil {
		t.Fatal(err)
	}
	// "schema name" as pg_restore prints it → relation.
	names := map[string]Relation{}
	rows, err := conn.Query(ctx, `SELECT n.nspname, c.relname, c.relkind = 'S' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r Relation
		var seq bool
		if err := rows.Scan(&r.Schema, &r.Name, &seq); err != nil {
			t.Fatal(err)
		}
		names[r.Schema+" "+r.Name] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	cases := parityCases(db)
	if len(cases) < 15 {
		t.Fatalf("only %d parity cases", len(cases))
	}
	var nonEmpty, failing int
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, dumpErr := pgDumpList(t, prog, dsn, tc.include, tc.exclude, names)
			rels, err := Resolve(ctx, conn, tc.include, tc.exclude)
			if dumpErr != nil {
				failing++
				if err == nil {
					t.Fatalf("pg_dump failed (%v) but Resolve returned %v", dumpErr, rels)
				}
				t.Logf("both fail: pg_dump %q; Resolve %q", dumpErr, err)
				return
			}
			if errors.Is(err, ErrNothingSelected) {
				err, rels = nil, nil
			}
			if err != nil {
				t.Fatalf("Resolve: %v (pg_dump dumped %v)", err, want)
			}
			var got []string
			for _, r := range rels {
				got = append(got, r.Kind+" "+r.String())
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("include %q exclude %q:\nResolve: %q\npg_dump: %q", tc.include, tc.exclude, got, want)
			}
			if len(want) > 0 {
				nonEmpty++
			}
		})
	}
	if nonEmpty < 15 || failing < 4 {
		t.Errorf("parity cases cover %d non-empty selections and %d failures; want ≥15 and ≥4", nonEmpty, failing)
	}
}

func TestRunStreamsPinnedTables(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, trickySchema+`INSERT INTO "re.dot" VALUES (7); INSERT INTO re_services_map VALUES (1);`); err != nil {
		t.Fatal(err)
	}
	rels, err := Resolve(ctx, conn, []string{"public.re_*", `"re.dot"`}, []string{"public.re_services", "public.re_rates"})
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, r := range rels {
		pinned = append(pinned, QuoteName(r.Schema, r.Name))
	}
	major, err := ServerMajor(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := FindPgDump(ctx, "", major)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(ctx, dsn, Options{PgDump: prog, Include: pinned}, &out); err != nil {
		t.Fatal(err)
	}
	dumped := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "COPY ") {
			dumped[strings.Fields(line)[1]] = true
		}
	}
	for _, want := range []string{`public."re.dot"`, "public.re_services_map", `public."re_Mixed"`} {
		if !dumped[want] {
			t.Errorf("dump lacks COPY for %s; has %v", want, dumped)
		}
	}
	for _, unwanted := range []string{"public.re_services", "public.re_rates"} {
		if dumped[unwanted] {
			t.Errorf("dump has excluded table %s", unwanted)
		}
	}
	if !strings.Contains(out.String(), "1\n\\.") {
		t.Errorf("re_services_map row missing from the dump")
	}

	// A pinned name that no longer exists fails with pg_dump's message.
	err = Run(ctx, dsn, Options{PgDump: prog, Include: []string{QuoteName("public", "gone")}}, &out)
	if err == nil || !strings.Contains(err.Error(), "no matching tables") {
		t.Errorf("Run with a missing table: %v", err)
	}
}

func TestFindPgDumpMismatch(t *testing.T) {
	ctx := context.Background()
	prog, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatal("pg_dump not on PATH (it comes with the PostgreSQL client; run scripts/setup)")
	}
	major, err := ToolMajor(ctx, prog)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FindPgDump(ctx, prog, major); err != nil {
		t.Errorf("matching major refused: %v", err)
	}
	_, err = FindPgDump(ctx, prog, major+1)
	if err == nil || !strings.Contains(err.Error(), "major version") {
		t.Errorf("mismatch: got %v", err)
	}
	_, err = FindPgDump(ctx, filepath.Join(t.TempDir(), "pg_dump"), major)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing program: got %v", err)
	}
}

func TestSplitPassword(t *testing.T) {
	tests := []struct{ in, conn, pw string }{
		{"postgres://u:s3cret@h:5/db?sslmode=disable", "postgres://u@h:5/db?sslmode=disable", "s3cret"},
		{"postgres://u@h/db?password=pw&sslmode=disable", "postgres://u@h/db?sslmode=disable", "pw"},
		{"host=h user=u password='a b\\'c' dbname=d", "host='h' user='u' dbname='d'", "a b'c"},
		{"host=h dbname = d", "host='h' dbname='d'", ""},
	}
	for _, tt := range tests {
		conn, pw, err := splitPassword(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if conn != tt.conn || pw != tt.pw {
			t.Errorf("splitPassword(%q) = %q, %q; want %q, %q", tt.in, conn, pw, tt.conn, tt.pw)
		}
	}
	if _, _, err := splitPassword("host='unterminated"); err == nil {
		t.Error("unterminated quote accepted")
	}
}
