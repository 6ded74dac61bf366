package migrations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/migrations/schema"
)

// fixture is a set of migration directories and a manifest.
type fixture struct {
	t       *testing.T
	dirs    []string
	entries []Entry
}

func newFixture(t *testing.T, ndirs int) *fixture {
	f := &fixture{t: t}
	for range ndirs {
		f.dirs = append(f.dirs, t.TempDir())
	}
	return f
}

// add writes a file into dir i and, for whole files, lists it.
func (f *fixture) add(i int, name, content string) {
	f.t.Helper()
	writeFile(f.t, f.dirs[i], name, content)
	if e, err := ParseName(name); err == nil {
		for _, x := range f.entries {
			if x.Name == name {
				return
			}
		}
		f.entries = append(f.entries, e)
	}
}

func (f *fixture) provider(dsn string, opts Options) *Provider {
	f.t.Helper()
	for _, d := range f.dirs {
		opts.Locations = append(opts.Locations, NewFileLocation(d))
	}
	p, err := New(dsn, f.entries, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func exists(t *testing.T, dsn, rel string) bool {
	t.Helper()
	var ok bool
	if err := connect(t, dsn).QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", rel).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func records(t *testing.T, dsn string) map[string]*Record {
	t.Helper()
	recs, err := readRecords(context.Background(), connect(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func states(files []FileStatus) map[string]State {
	m := map[string]State{}
	for _, f := range files {
		m[f.Name] = f.State
	}
	return m
}

func TestUpAppliesRecordsAndOverrides(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, 2)
	const a = "CREATE TABLE a (id int);\n"
	const placeholder = "-- placeholder\nSELECT 1;\n"
	const real = "CREATE TABLE b (id int);\nCOPY b FROM stdin;\n1\n2\n\\.\n"
	f.add(0, "20261121000000_a.up.sql", a)
	f.add(0, "20261122000000_b.up.sql", placeholder)
	f.add(1, "20261122000000_b.up.sql", real)
	f.add(1, "20261123000000_stray.up.sql", "SELECT 1;")
	f.entries = f.entries[:2] // stray is not listed
	p := f.provider(dsn, Options{AppliedBy: "tester@host", ToolVersion: "test"})

	plan, err := p.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Pending) != 2 || len(plan.Problems) != 0 || plan.Pending[1].SHA256 != sum(real) {
		t.Fatalf("plan %+v", plan)
	}
	if exists(t, dsn, TrackingTable) {
		t.Fatal("dry run created the tracking table")
	}

	var reports []Progress
	p.opts.Progress = func(pr Progress) { reports = append(reports, pr) }
	results, err := p.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[1].CopyRows != 2 || results[1].SHA256 != sum(real) {
		t.Fatalf("results %+v", results)
	}
	if last := reports[len(reports)-1]; !last.Done || last.File != "20261122000000_b.up.sql" {
		t.Fatalf("last progress %+v", last)
	}
	recs := records(t, dsn)
	b := recs["20261122000000"]
	if b == nil || b.SHA256 != sum(real) || b.Location != "file://"+f.dirs[1] || b.Status != "applied" ||
		b.AppliedBy != "tester@host" || b.ToolVersion != "test" || b.CopyRows != 2 || b.Statements != 2 {
		t.Fatalf("record %+v", b)
	}
	again, err := p.Up(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run applied %v, %v", again, err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := states(st)
	if got["20261121000000_a.up.sql"] != Applied || got["20261122000000_b.up.sql"] != Applied || got["20261123000000_stray.up.sql"] != Unlisted {
		t.Fatalf("status %v", got)
	}
	if _, err := p.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestUpSplitParts(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, 1)
	whole := "CREATE TABLE s (id int, v text);\nCOPY s FROM stdin;\n1\ta\n2\tb\n3\tc\n\\.\nSELECT 1;\n"
	lines := strings.SplitAfter(whole, "\n")
	f.add(0, "20261121000000_split.part-001.up.sql", strings.Join(lines[:3], "")) // cut inside the COPY block
	f.add(0, "20261121000000_split.part-002.up.sql", strings.Join(lines[3:], ""))
	f.entries = []Entry{{Name: "20261121000000_split.up.sql", Version: "20261121000000", Line: 1}}
	p := f.provider(dsn, Options{ExpectedDigest: func(string) (string, bool) { return sum(whole), true }})
	res, err := p.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].SHA256 != sum(whole) || res[0].CopyRows != 3 {
		t.Fatalf("results %+v", res)
	}
	if got := tableDigest(t, dsn, "s"); !strings.HasPrefix(got, "3 rows") {
		t.Fatalf("s holds %s", got)
	}
	if r := records(t, dsn)["20261121000000"]; r.SHA256 != sum(whole) || !strings.Contains(r.Location, "(2 parts)") {
		t.Fatalf("record %+v", r)
	}

	// A failure in part 2 names the part and its line; part 1's work is rolled back.
	dsn2 := pgtest.NewDatabase(t)
	bad := newFixture(t, 1)
	bad.add(0, "20261121000000_split.part-001.up.sql", "CREATE TABLE s (id int);\nCOPY s FROM stdin;\n1\n")
	bad.add(0, "20261121000000_split.part-002.up.sql", "2\nnotanumber\n\\.\n")
	bad.entries = f.entries
	_, err = bad.provider(dsn2, Options{}).Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "20261121000000_split.part-002.up.sql line 2") {
		t.Fatalf("err = %v", err)
	}
	if exists(t, dsn2, "public.s") {
		t.Fatal("part 1 was not rolled back")
	}

	gap := newFixture(t, 1)
	gap.add(0, "20261121000000_split.part-002.up.sql", "SELECT 1;\n")
	gap.entries = f.entries
	if _, err := gap.provider(pgtest.NewDatabase(t), Options{}).Up(ctx); err == nil || !strings.Contains(err.Error(), "part-001.up.sql is missing") {
		t.Fatalf("gap: %v", err)
	}
}

func TestUpRefusals(t *testing.T) {
	ctx := context.Background()

	t.Run("missing entry applies nothing", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		f := newFixture(t, 1)
		f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id int);")
		f.entries = append(f.entries, Entry{Name: "20261122000000_gone.up.sql", Version: "20261122000000", Line: 2})
		_, err := f.provider(dsn, Options{}).Up(ctx)
		if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "20261122000000_gone.up.sql (manifest line 2) is in no location") {
			t.Fatalf("err = %v", err)
		}
		if exists(t, dsn, "public.a") {
			t.Fatal("a was applied despite a missing entry")
		}
	})

	t.Run("changed checksum", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		f := newFixture(t, 1)
		f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id int);")
		if _, err := f.provider(dsn, Options{}).Up(ctx); err != nil {
			t.Fatal(err)
		}
		f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id bigint);")
		f.add(0, "20261122000000_b.up.sql", "CREATE TABLE b (id int);")
		_, err := f.provider(dsn, Options{}).Up(ctx)
		if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "--allow-changed") {
			t.Fatalf("err = %v", err)
		}
		if exists(t, dsn, "public.b") {
			t.Fatal("b applied despite the changed checksum")
		}
		if _, err := f.provider(dsn, Options{}).Verify(ctx); !errors.Is(err, ErrVerify) {
			t.Fatalf("verify: %v", err)
		}
		if _, err := f.provider(dsn, Options{AllowChanged: true, AppliedBy: "ops@x"}).Up(ctx); err != nil {
			t.Fatal(err)
		}
		r := records(t, dsn)["20261121000000"]
		if r.AcceptedSHA256 != sum("CREATE TABLE a (id bigint);") || r.AcceptedBy != "ops@x" || r.SHA256 != sum("CREATE TABLE a (id int);") {
			t.Fatalf("acceptance not recorded: %+v", r)
		}
		if _, err := f.provider(dsn, Options{}).Up(ctx); err != nil {
			t.Fatalf("accepted change still refused: %v", err)
		}
	})

	t.Run("out of order", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		f := newFixture(t, 1)
		f.add(0, "20261122000000_b.up.sql", "CREATE TABLE b (id int);")
		if _, err := f.provider(dsn, Options{}).Up(ctx); err != nil {
			t.Fatal(err)
		}
		f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id int);")
		if _, err := f.provider(dsn, Options{}).Up(ctx); !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "--allow-out-of-order") {
			t.Fatalf("err = %v", err)
		}
		if _, err := f.provider(dsn, Options{AllowOutOfOrder: true}).Up(ctx); err != nil || !exists(t, dsn, "public.a") {
			t.Fatalf("allowed out-of-order run: %v", err)
		}
	})

	t.Run("expected digest mismatch rolls back", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		f := newFixture(t, 1)
		f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id int);")
		_, err := f.provider(dsn, Options{ExpectedDigest: func(string) (string, bool) { return sum("other"), true }}).Up(ctx)
		if err == nil || !strings.Contains(err.Error(), "not the reviewed file") || exists(t, dsn, "public.a") {
			t.Fatalf("err = %v", err)
		}
		if len(records(t, dsn)) != 0 {
			t.Fatal("mismatch recorded as applied")
		}
	})
}

func TestUpFailureLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, 1)
	f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id int);")
	f.add(0, "20261122000000_b.up.sql", "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nINSERT INTO b VALUES ('x');\n")
	res, err := f.provider(dsn, Options{}).Up(ctx)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Statement != 3 || ae.Line != 3 || len(res) != 1 {
		t.Fatalf("res %v, err %v", res, err)
	}
	if exists(t, dsn, "public.b") {
		t.Fatal("b survived")
	}
	recs := records(t, dsn)
	if len(recs) != 1 || recs["20261121000000"] == nil {
		t.Fatalf("records %v", recs)
	}
	f.add(0, "20261122000000_b.up.sql", "CREATE TABLE b (id int);\n")
	if res, err := f.provider(dsn, Options{}).Up(ctx); err != nil || len(res) != 1 {
		t.Fatalf("after the fix: %v %v", res, err)
	}
}

func TestUpNoTransactionFailure(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, 1)
	f.add(0, "20261121000000_a.up.sql", "-- securemig:no-transaction\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_x ON a (nope);\n")
	_, err := f.provider(dsn, Options{}).Up(ctx)
	if err == nil {
		t.Fatal("no error")
	}
	r := records(t, dsn)["20261121000000"]
	if r == nil || r.Status != "failed" || r.FailedStatement != 2 || r.FailedLine != 3 || !strings.Contains(r.Error, "42703") {
		t.Fatalf("record %+v", r)
	}
	_, err = f.provider(dsn, Options{}).Up(ctx)
	if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "failed at statement 2 (line 3)") || !strings.Contains(err.Error(), "--retry-failed") {
		t.Fatalf("second run: %v", err)
	}
	f.add(0, "20261121000000_a.up.sql", "-- securemig:no-transaction\nCREATE TABLE IF NOT EXISTS a (id int);\nCREATE INDEX CONCURRENTLY a_x ON a (id);\n")
	if _, err := f.provider(dsn, Options{RetryFailed: true}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	if r := records(t, dsn)["20261121000000"]; r.Status != "applied" || r.FailedStatement != 0 || !r.NoTransaction {
		t.Fatalf("record after retry %+v", r)
	}
}

func TestUpLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, 1)
	f.add(0, "20261121000000_a.up.sql", "CREATE TABLE a (id int);\nSELECT pg_sleep(0.3);\n")
	f.add(0, "20261122000000_b.up.sql", "CREATE TABLE b (id int);\n")

	// A held lock makes a runner give up clearly after its bounded wait.
	holder := connect(t, dsn)
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		t.Fatal(err)
	}
	_, err := f.provider(dsn, Options{LockTimeout: 300 * time.Millisecond}).Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "another migration run holds the migration lock (server pid") {
		t.Fatalf("err = %v", err)
	}
	if exists(t, dsn, "public.a") {
		t.Fatal("applied without the lock")
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
		t.Fatal(err)
	}

	// Two concurrent runners: each file is applied exactly once (a second
	// CREATE TABLE would fail) and both runners succeed.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	applied := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			res, err := f.provider(dsn, Options{LockTimeout: time.Minute}).Up(ctx)
			errs[i], applied[i] = err, len(res)
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || applied[0]+applied[1] != 2 {
		t.Fatalf("errors %v, applied %v", errs, applied)
	}
	if len(records(t, dsn)) != 2 {
		t.Fatal("wrong number of records")
	}
}

// TestPgDumpRoundTrip applies a real pg_dump --data-only of a populated
// database to an empty one and compares every table.
func TestPgDumpRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, dst := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	ddl := `CREATE TABLE re_parent (id serial PRIMARY KEY, name text, note text, at date, ts timestamptz, j jsonb, arr text[], b bytea);
CREATE TABLE re_child (id bigserial PRIMARY KEY, parent_id int REFERENCES re_parent, price numeric(12,4), flag boolean);`
	execSQL(t, src, ddl)
	execSQL(t, dst, ddl)
	execSQL(t, src, `INSERT INTO re_parent (name, note, at, ts, j, arr, b)
SELECT 'name ' || g || E'\t\\' || chr(9) || 'x',
       CASE WHEN g % 7 = 0 THEN NULL ELSE E'multi\nline; -- not a comment\r\n' || repeat('é', g % 5) || '\.' END,
       date '2026-01-01' + g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute',
       jsonb_build_object('k', g, 's', E'q"uote\\'), ARRAY['a,b', NULL, E'\\N'], decode(md5(g::text), 'hex')
FROM generate_series(1, 3000) g;
INSERT INTO re_child (parent_id, price, flag) SELECT 1 + g % 3000, g * 1.0001, g % 2 = 0 FROM generate_series(1, 20000) g;`)
	dump := filepath.Join(t.TempDir(), "20261121000000_import_pricing_data_x.up.sql")
	out, err := exec.Command("pg_dump", "--data-only", "-t", "public.re_*", "-f", dump, src).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	content, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(content), "\\restrict ") {
		t.Log("pg_dump emitted no \\restrict line")
	}
	p, err := New(dst, []Entry{{Name: filepath.Base(dump), Version: "20261121000000"}},
		Options{Locations: []Location{NewFileLocation(filepath.Dir(dump))}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].CopyRows != 23000 || res[0].SHA256 != sum(string(content)) {
		t.Fatalf("result %+v", res[0])
	}
	for _, table := range []string{"re_parent", "re_child"} {
		if a, b := tableDigest(t, src, table), tableDigest(t, dst, table); a != b {
			t.Errorf("%s: source %s, target %s", table, a, b)
		}
	}
	var seq int64
	if err := connect(t, dst).QueryRow(ctx, "SELECT last_value FROM re_child_id_seq").Scan(&seq); err != nil || seq != 20000 {
		t.Errorf("sequence %d, %v", seq, err)
	}
}

// TestSchemaThroughEngine applies the rate-engine schema files through the
// engine, as `securemig migrate` does.
func TestSchemaThroughEngine(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	names, err := schema.Files()
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for _, n := range names {
		e, err := ParseName(n)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	p, err := New(dsn, entries, Options{Locations: []Location{NewFileLocation("schema")}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(names) || len(records(t, dsn)) != len(names) {
		t.Fatalf("applied %d of %d schema files", len(res), len(names))
	}
}
