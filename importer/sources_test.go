package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// stagedSources computes, with SQL over the staging tables, what the import
// should have recorded for its row keys: "source|a|b" → first Excel row.
func stagedSources(t *testing.T, conn *pgx.Conn) map[string]int {
	t.Helper()
	var parts []string
	for _, k := range sourceKeys {
		a, b := "''", "''"
		if k.a != "" {
			a = "btrim(" + k.a + ")"
		}
		if k.b != "" {
			b = "btrim(" + k.b + ")"
		}
		parts = append(parts, fmt.Sprintf("SELECT '%s' || '|' || %s || '|' || %s, min(source_row) FROM %s GROUP BY 1",
			k.source, a, b, k.table))
	}
	return sourceMap(t, conn, strings.Join(parts, " UNION ALL "))
}

// recordedSources returns the recorded rows of the latest import of code.
func recordedSources(t *testing.T, conn *pgx.Conn, code string) map[string]int {
	t.Helper()
	return sourceMap(t, conn, `SELECT s.source || '|' || u.a || '|' || u.b, u.r
		FROM pricing_import_sources s, unnest(s.key_a, s.key_b, s.source_row) AS u(a, b, r)
		WHERE s.import_id = (SELECT id FROM pricing_imports WHERE contract_code = $1 ORDER BY started_at DESC LIMIT 1)`, code)
}

func sourceMap(t *testing.T, conn *pgx.Conn, sql string, args ...any) map[string]int {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	m := map[string]int{}
	var (
		k string
		n int
	)
	if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { m[k] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestImportRecordsSourceRows(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	for _, code := range []string{"KEEP", "DROP"} {
		if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts(code)); err != nil {
			t.Fatal(err)
		}
	}
	want := stagedSources(t, conn)
	if len(want) < len(sourceKeys)/2 {
		t.Fatalf("the small workbook stages only %d row keys", len(want))
	}
	for _, code := range []string{"KEEP", "DROP"} {
		if got := recordedSources(t, conn, code); !equalInts(got, want) {
			t.Errorf("%s: recorded source rows %v, want %v", code, got, want)
		}
	}

	if _, err := Rollback(ctx, conn, "DROP"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(*) FROM pricing_import_sources s JOIN pricing_imports i ON i.id = s.import_id
		WHERE i.contract_code = 'DROP'`); n != 0 {
		t.Errorf("rollback left %d source rows of DROP", n)
	}
	if got := recordedSources(t, conn, "KEEP"); !equalInts(got, want) {
		t.Errorf("rolling DROP back changed KEEP's source rows: %v", got)
	}

	o := opts("KEEP")
	o.Replace, o.Now = true, time.Now().Add(time.Hour)
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), o); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(DISTINCT import_id) FROM pricing_import_sources`); n != 1 {
		t.Errorf("source rows of %d imports after replacing KEEP, want only the new import's", n)
	}
	if got := recordedSources(t, conn, "KEEP"); !equalInts(got, want) {
		t.Errorf("replaced KEEP: recorded source rows %v, want %v", got, want)
	}
}

func equalInts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
