package s3store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
)

// Migrations stored in S3 for the engine tests: pg_dump-shaped data files.
var s3Migrations = []struct{ name, sql string }{
	{"20261121120000_create_prices.up.sql", "CREATE TABLE prices (id int PRIMARY KEY, code text, cents bigint);\n"},
	{"20261121120100_load_prices.up.sql", "SET client_encoding = 'UTF8';\nCOPY public.prices (id, code, cents) FROM stdin;\n1\tA\t100\n2\tB\\tX\t200\n3\t\\N\t300\n\\.\n"},
	{"20261121120200_more_prices.up.sql", "COPY public.prices (id, code, cents) FROM stdin;\n4\tD\t400\n\\.\n"},
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// putNoise stores n objects that are not migrations under the prefix; their
// names sort before the migrations, so that the migrations are only found
// past the first 1,000-key page.
func putNoise(t *testing.T, srv *s3test.Server, bucket, prefix string, n int) {
	t.Helper()
	for i := range n {
		srv.PutObject(t, bucket, fmt.Sprintf("%s1%013d_notes.txt", prefix, i), []byte("n"))
	}
}

// tableExists reports whether table exists in the database.
func tableExists(t *testing.T, dsn, table string) bool {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

func countPrices(t *testing.T, dsn string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM prices").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrateFromS3 applies migrations listed in a manifest from an s3://
// location on the real server opened by URL (endpoint and path style in the
// query, credentials from the AWS SDK chain), with 1,200 objects under the
// prefix. It checks that the location refuses objects without the required
// server-side encryption (versitygw stores none) unless the URL allows
// unencrypted objects, and that a digest mismatch against the lock rolls
// back and names the file.
func TestMigrateFromS3(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "app-prd", false)
	const prefix = "secure-migrations/"
	putNoise(t, srv, "app-prd", prefix, 1200)
	c := srv.Client()
	expected := map[string]string{}
	for _, m := range s3Migrations {
		body := []byte(m.sql)
		in := putInput("app-prd", prefix+m.name, body)
		if _, err := c.Put(t.Context(), in); err != nil {
			t.Fatal(err)
		}
		expected[m.name] = sha(m.sql)
	}
	expected[s3Migrations[2].name] = sha("the reviewed bytes were different")

	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	migrations.RegisterScheme("s3", func(ctx context.Context, u *url.URL) (migrations.Location, error) {
		return s3store.OpenURL(ctx, u, func(bucket string) (s3store.LocationDefaults, bool, error) {
			d := s3store.LocationDefaults{Config: s3store.Config{Region: s3test.Region, PathStyle: false},
				Encryption: s3store.Encryption{SSE: s3store.SSES3}}
			return d, bucket == "app-prd", nil
		})
	})
	base := "s3://app-prd/secure-migrations?path_style=true&endpoint=" + url.QueryEscape(srv.URL)
	loc, err := migrations.OpenLocation(t.Context(), base+"&sse=none&allow_unencrypted=true")
	if err != nil {
		t.Fatal(err)
	}
	names, err := loc.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1200+len(s3Migrations) {
		t.Fatalf("listed %d names, want %d", len(names), 1200+len(s3Migrations))
	}

	var entries []migrations.Entry
	for _, m := range s3Migrations[:2] {
		e, err := migrations.ParseName(m.name)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	dsn := pgtest.NewDatabase(t)
	digest := func(name string) (string, bool) { s, ok := expected[name]; return s, ok }

	// The environment requires SSE-S3; the store kept the objects
	// unencrypted: nothing is applied.
	strict, err := migrations.OpenLocation(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	p, err := migrations.New(dsn, entries, migrations.Options{Locations: []migrations.Location{strict}, ExpectedDigest: digest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(t.Context()); !errors.Is(err, s3store.ErrNotEncrypted) || !strings.Contains(err.Error(), s3Migrations[0].name) {
		t.Fatalf("unencrypted objects under an encryption requirement: err = %v, want ErrNotEncrypted naming %s", err, s3Migrations[0].name)
	}
	if tableExists(t, dsn, "prices") {
		t.Fatalf("table prices exists after the refusal")
	}

	opts := migrations.Options{Locations: []migrations.Location{loc}, ExpectedDigest: digest}
	p, err = migrations.New(dsn, entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Up(t.Context())
	if err != nil {
		t.Fatalf("migrate from S3: %v", err)
	}
	if len(res) != 2 {
		t.Fatalf("applied %d migrations, want 2", len(res))
	}
	if n := countPrices(t, dsn); n != 3 {
		t.Errorf("prices has %d rows, want 3", n)
	}

	// The third object is not what the lock expects: rolled back, named.
	e, err := migrations.ParseName(s3Migrations[2].name)
	if err != nil {
		t.Fatal(err)
	}
	p, err = migrations.New(dsn, append(entries, e), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Up(t.Context())
	if err == nil || !strings.Contains(err.Error(), s3Migrations[2].name) || !strings.Contains(err.Error(), "lock file expects") {
		t.Fatalf("mismatch: err = %v", err)
	}
	if strings.Contains(err.Error(), "D\t400") {
		t.Errorf("error leaks row values: %v", err)
	}
	if n := countPrices(t, dsn); n != 3 {
		t.Errorf("prices has %d rows after the rejected migration, want 3 (rolled back)", n)
	}
}
