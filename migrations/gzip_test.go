package migrations

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"

	"github.com/securemig/securemig/internal/pgtest"
)

// gz compresses s as gen --compress does.
func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestUpAppliesCompressedFiles(t *testing.T) {
	ctx := context.Background()
	const name = "20260101000000_data.up.sql"
	sql := "CREATE TABLE t (id int, price_cents int);\nCOPY t (id, price_cents) FROM stdin;\n1\t100\n2\t200\n\\.\n"
	tests := []struct {
		name    string
		files   map[string]string // in the second location (the first holds the plain file)
		wantErr string
		rows    int
	}{
		{"compressed overrides plain", map[string]string{name + ".gz": gz(t, sql)}, "", 2},
		{"both forms in one location", map[string]string{name + ".gz": gz(t, sql), name: sql}, "holds both", 0},
		{"corrupt gzip", map[string]string{name + ".gz": gz(t, sql)[:40]}, "unexpected EOF", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			f := newFixture(t, 2)
			f.add(0, name, "CREATE TABLE other (x int);\n")
			for n, content := range tt.files {
				writeFile(t, f.dirs[1], n, content)
			}
			p := f.provider(dsn, Options{ExpectedDigest: func(string) (string, bool) { return sum(sql), true }})
			res, err := p.Up(ctx)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				if exists(t, dsn, "t") || exists(t, dsn, "other") {
					t.Error("a refused or failed run changed the database")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The engine applies and records the SQL inside, under the plain name.
			if len(res) != 1 || res[0].Name != name || res[0].SHA256 != sum(sql) || res[0].Bytes != int64(len(sql)) {
				t.Fatalf("results %+v", res)
			}
			var n int
			if err := connect(t, dsn).QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != tt.rows {
				t.Fatalf("rows %d, %v", n, err)
			}
			rec := records(t, dsn)["20260101000000"]
			if rec == nil || rec.Name != name || rec.SHA256 != sum(sql) || !strings.Contains(rec.Location, "(gzip)") {
				t.Fatalf("tracking row %+v", rec)
			}
			// Storing the same SQL plainly is no change.
			g := newFixture(t, 1)
			g.add(0, name, sql)
			files, err := g.provider(dsn, Options{}).Verify(ctx)
			if err != nil || len(files) != 1 || files[0].State != Applied {
				t.Fatalf("verify against the plain file: %+v, %v", files, err)
			}
		})
	}
}
