package main

import (
	"archive/zip"
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/migrations/schema"
)

// runOK runs the binary and fails the test unless it exits 0; it returns stdout.
func runOK(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, stderr, code := run(t, env, args...)
	if code != 0 {
		t.Fatalf("securemig %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

// rewriteEntry copies the workbook at src to dst with one entry's content
// passed through edit. With keepCRC, the entry keeps the CRC-32 of its
// original content, as a damaged file would.
func rewriteEntry(t *testing.T, src, dst, name string, keepCRC bool, edit func([]byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		crc := crc32.ChecksumIEEE(data)
		if f.Name == name {
			found = true
			edited := edit(data)
			if bytes.Equal(edited, data) {
				t.Fatalf("the edit leaves %s unchanged", name)
			}
			data = edited
			if !keepCRC {
				crc = crc32.ChecksumIEEE(data)
			}
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Store, CRC32: crc,
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("%s has no entry %s", src, name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// databaseDigest returns, per table of the public schema, an md5 of its
// rows: any write shows.
func databaseDigest(t *testing.T, dsn string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tbl := range tables {
		var h string
		err := conn.QueryRow(ctx, "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM "+tbl+" t").Scan(&h)
		if err != nil {
			t.Fatal(err)
		}
		out[tbl] = h
	}
	return out
}

// TestImportOfDamagedWorkbooksChangesNothing imports the sample into a local
// cluster, then tries `pricing import` with damaged copies of it: each is
// refused with its one clear error, and no table changes, the import log
// included.
func TestImportOfDamagedWorkbooksChangesNothing(t *testing.T) {
	dir := t.TempDir()
	// The cluster directory must be reachable by the postgres user when the
	// tests run as root; t.TempDir's parent is private.
	pgdir, err := os.MkdirTemp("", "securemig-cli-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pgdir) })
	env := []string{"SECUREMIG_PGDIR=" + filepath.Join(pgdir, "pg"), "DATABASE_URL="}
	runOK(t, env, "db", "start")
	t.Cleanup(func() { run(t, env, "db", "stop") })
	dsn := strings.TrimSpace(runOK(t, env, "db", "url"))
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	err = schema.Apply(context.Background(), conn)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wb := filepath.Join(dir, "sample.xlsx")
	ref := filepath.Join(dir, "sample.rate-areas.csv")
	runOK(t, env, "pricing", "sample", "--out", wb)
	runOK(t, env, "pricing", "import", "--file", wb, "--contract-code", "SAMPLE")
	before := databaseDigest(t, dsn)

	price := regexp.MustCompile(`(<c r="G15" s="[0-9]+"><v>)([0-9.]+)(</v>)`)
	tests := []struct {
		name    string
		entry   string
		keepCRC bool
		edit    func([]byte) []byte
		want    string
	}{
		{"a price changed under the CRC-32", "xl/worksheets/sheet7.xml", true,
			func(b []byte) []byte { return price.ReplaceAll(b, []byte("${1}1${2}${3}")) },
			"xl/worksheets/sheet7.xml (sheet \"2a) Domestic Linehaul Prices\") fails its CRC-32 check"},
		{"rows out of order", "xl/worksheets/sheet7.xml", false,
			func(b []byte) []byte { return bytes.Replace(b, []byte(`<row r="20">`), []byte(`<row r="2">`), 1) },
			"rows are out of order: row 2 comes after row 19"},
		{"formulas without cached values", "xl/worksheets/sheet13.xml", false,
			func(b []byte) []byte {
				return regexp.MustCompile(`(<f>[^<]*</f>)<v>[^<]*</v>`).ReplaceAll(b, []byte("${1}"))
			},
			"have no cached value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := filepath.Join(dir, "damaged.xlsx")
			rewriteEntry(t, wb, bad, tt.entry, tt.keepCRC, tt.edit)
			out, stderr, code := run(t, env, "pricing", "import", "--file", bad, "--contract-code", "DAMAGED", "--rate-areas", ref)
			if code != 1 || !strings.Contains(out+stderr, tt.want) {
				t.Errorf("exit %d, output %q %q; want exit 1 and %q", code, out, stderr, tt.want)
			}
			if after := databaseDigest(t, dsn); !maps.Equal(before, after) {
				t.Errorf("the database changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}
