package schema_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/migrations/schema"
)

// TestImportSourcesBecomeArrays applies the schema up to the row-per-key
// pricing_import_sources, records keys of an import in it, applies the
// migration to arrays and checks that the keys are kept.
func TestImportSourcesBecomeArrays(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	names, err := schema.Files()
	if err != nil {
		t.Fatal(err)
	}
	const arrays = "20261204173100_import_sources_arrays.up.sql"
	at := slices.Index(names, arrays)
	if at < 0 {
		t.Fatalf("%s is not a schema file", arrays)
	}
	apply := func(name string) {
		t.Helper()
		sql, err := schema.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(sql)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, name := range names[:at] {
		apply(name)
	}
	if _, err := conn.Exec(ctx, `
INSERT INTO pricing_imports (id, contract_code, contract_name, workbook_name, workbook_sha256, tool_version)
VALUES ('00000000-0000-0000-0000-000000001001', 'C1', 'C1', 'w.xlsx', repeat('a', 64), 'dev');
INSERT INTO pricing_import_sources VALUES
  ('00000000-0000-0000-0000-000000001001', '2a', '008', '', 15),
  ('00000000-0000-0000-0000-000000001001', '2a', '004', '', 14),
  ('00000000-0000-0000-0000-000000001001', '3a', 'AR', 'GE', 12)`); err != nil {
		t.Fatal(err)
	}
	apply(arrays)
	for _, name := range names[at+1:] {
		apply(name)
	}
	rows, err := conn.Query(ctx, `SELECT s.source || ' ' || u.a || ' ' || u.b || ' ' || u.r
		FROM pricing_import_sources s, unnest(s.key_a, s.key_b, s.source_row) WITH ORDINALITY AS u(a, b, r, i)
		ORDER BY s.source, u.i`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2a 004  14", "2a 008  15", "3a AR GE 12"}; !slices.Equal(got, want) {
		t.Errorf("keys after the migration: %q, want %q", got, want)
	}
	var left bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('pricing_import_source_keys') IS NOT NULL`).Scan(&left); err != nil || left {
		t.Errorf("the row-per-key table is left behind (%v)", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO pricing_import_sources VALUES
		('00000000-0000-0000-0000-000000001001', '2b', '{004,008}', '{""}', '{14,15}')`); err == nil {
		t.Error("arrays of different lengths were accepted")
	}
}
