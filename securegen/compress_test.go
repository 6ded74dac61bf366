package securegen

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securemig/securemig/lockfile"
)

// gunzip returns the SQL inside a compressed file.
func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func shaHex(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

func TestCompressedMigrationRoundTrip(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	var stored [][]byte
	for i := range 2 {
		ws := newWorkspace(t)
		plain := ws.options(dsn, "SAMPLE")
		plain.Version = "20261121140000"
		o := plain
		o.Compress = true
		res, err := Generate(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(res.Production, ".up.sql.gz") || !strings.HasSuffix(res.Placeholder, ".up.sql.gz") ||
			res.FileName != "20261121140000_import_pricing_data_sample.up.sql" {
			t.Fatalf("files %s, %s for %s", res.Production, res.Placeholder, res.FileName)
		}
		prodGz, err := os.ReadFile(res.Production)
		if err != nil {
			t.Fatal(err)
		}
		phGz, err := os.ReadFile(res.Placeholder)
		if err != nil {
			t.Fatal(err)
		}
		prodSQL, phSQL := gunzip(t, res.Production), gunzip(t, res.Placeholder)
		stored = append(stored, prodGz, phGz)
		// The lock records both digests of both files; the manifest the plain name.
		lf, err := lockfile.Load(ws.lock)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := lf.Lookup(res.FileName)
		if !ok {
			t.Fatal("no lock entry under the plain name")
		}
		if e.Compression != lockfile.Gzip || e.SHA256 != shaHex(prodGz) || e.Size != int64(len(prodGz)) ||
			e.SQLSHA256 != shaHex(prodSQL) || e.SQLSize != int64(len(prodSQL)) ||
			e.PlaceholderSHA256 != shaHex(phGz) || e.PlaceholderSQLSHA256 != shaHex(phSQL) {
			t.Errorf("lock entry %+v does not describe the files", e)
		}
		if len(prodGz)*3 > len(prodSQL) {
			t.Errorf("compressed to %d of %d bytes", len(prodGz), len(prodSQL))
		}
		manifest, _ := os.ReadFile(ws.manifest)
		if !strings.HasSuffix(string(manifest), res.FileName+"\n") {
			t.Errorf("manifest does not end with %s", res.FileName)
		}
		if i == 0 {
			// The SQL inside is what a plain run writes.
			ws2 := newWorkspace(t)
			o2 := ws2.options(dsn, "SAMPLE")
			o2.Version = plain.Version
			pres, err := Generate(ctx, o2)
			if err != nil {
				t.Fatal(err)
			}
			plainSQL, _ := os.ReadFile(pres.Production)
			if !bytes.Equal(plainSQL, prodSQL) {
				t.Error("the compressed file's SQL differs from a plain run's")
			}
			for _, f := range []string{res.Production, res.Placeholder} {
				rep, err := Verify(ctx, VerifyOptions{DSN: dsn, File: f, LockPath: ws.lock})
				if err != nil {
					t.Fatalf("verify %s: %v", f, err)
				}
				var buf bytes.Buffer
				rep.WriteTable(&buf)
				if !rep.OK() || rep.LockSHA256 == "" || rep.SHA256 != rep.LockSHA256 {
					t.Errorf("verify %s:\n%s", f, buf.String())
				}
			}
			// A stored file that differs from the lock is reported.
			bad := filepath.Join(t.TempDir(), filepath.Base(res.Production))
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(prodSQL)
			zw.Close()
			os.WriteFile(bad, b.Bytes(), 0o600)
			rep, err := Verify(ctx, VerifyOptions{DSN: dsn, File: bad, LockPath: ws.lock})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "stored (gzip) bytes") {
				t.Errorf("recompressed file: problems %q", rep.Problems)
			}
		}
	}
	if !bytes.Equal(stored[0], stored[2]) || !bytes.Equal(stored[1], stored[3]) {
		t.Error("identical inputs gave different compressed bytes")
	}
}
