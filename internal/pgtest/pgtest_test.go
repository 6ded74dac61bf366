package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func scalar(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestDatabasesAreFreshAndSeparate(t *testing.T) {
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("two calls returned the same database %s", a)
	}
	if err := exec(context.Background(), a, "CREATE TABLE only_in_a (v int)"); err != nil {
		t.Fatal(err)
	}
	if got := scalar(t, b, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'only_in_a'"); got != "0" {
		t.Fatal("a table created in one test database is visible in another")
	}
}

func TestSchemaDatabaseHasSchema(t *testing.T) {
	dsn := NewSchemaDatabase(t)
	if got := scalar(t, dsn, "SELECT count(*)::text FROM pg_extension WHERE extname = 'btree_gist'"); got != "1" {
		t.Fatal("schema database lacks the btree_gist extension of the first schema file")
	}
}

func TestDatabaseURL(t *testing.T) {
	got := DatabaseURL("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "other")
	if want := "postgres://postgres@127.0.0.1:5432/other?sslmode=disable"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
