package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
)

// TestMain serves the launcher mode when the test binary is re-run as
// "spawn -- PROGRAM ..." and otherwise runs the tests against a real
// PostgreSQL.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "spawn" {
		os.Exit(spawnMain(os.Args[2:]))
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	spawner = self
	pgtest.Main(m)
}

func TestServerDatabases(t *testing.T) {
	ctx := context.Background()
	srv := &server{url: pgtest.ServerURL(t), prefix: "bench_test"}
	tmpl, _, err := srv.create(ctx, "tmpl", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.drop(context.Background(), tmpl) })
	tmplDSN, err := srv.dsn(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(dsn, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(tmplDSN, `CREATE TABLE re_a (x int); CREATE TABLE stage_b (y int); CREATE TABLE other (z int);
		INSERT INTO re_a VALUES (1); INSERT INTO other VALUES (1), (2)`)

	name, dsn, err := srv.create(ctx, "clone", tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "bench_test_clone_") || !strings.Contains(dsn, "/"+name) {
		t.Errorf("clone %q at %q", name, dsn)
	}
	exec(dsn, `INSERT INTO re_a VALUES (2), (3); INSERT INTO stage_b VALUES (1)`)
	staging, rateEngine, err := countRows(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if staging != 1 || rateEngine != 3 {
		t.Errorf("countRows = %d staging, %d rate-engine; want 1 and 3 (other tables not counted)", staging, rateEngine)
	}
	if err := srv.drop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, _, err := countRows(ctx, dsn); err == nil {
		t.Error("the dropped database still answers")
	}
	if v, err := srv.version(ctx); err != nil || !strings.HasPrefix(v, "PostgreSQL ") {
		t.Errorf("version = %q, %v", v, err)
	}
}
