package securegen

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/s3store/s3test"
)

// TestCompressedMigrationThroughS3 runs the real binary through the whole
// path of a compressed secure migration: gen --compress, verify (production
// file and placeholder), upload to a real S3 server (versitygw), upload
// status, download, and migrate from the s3:// location into a database
// holding only the schema, whose contract rows must then equal the source's.
func TestCompressedMigrationThroughS3(t *testing.T) {
	ctx := context.Background()
	bin := buildSecuremig(t)
	dsn := contractDB(t)
	ws := newWorkspace(t)
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "app-exp", true)
	envFile := filepath.Join(ws.root, "migrations", "environments.toml")
	conf := fmt.Sprintf("[environments.exp]\nbucket = \"app-exp\"\nregion = %q\nendpoint = %q\npath_style = true\nsse = \"none\"\nallow_unencrypted = true\n",
		s3test.Region, srv.URL)
	if err := os.WriteFile(envFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := append(os.Environ(), "DATABASE_URL="+dsn, "SECUREMIG_ENVIRONMENTS="+envFile,
		"AWS_ACCESS_KEY_ID="+s3test.AccessKey, "AWS_SECRET_ACCESS_KEY="+s3test.SecretKey,
		"AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_REGION=", "AWS_ENDPOINT_URL=")
	run := func(extraEnv []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = ws.root, append(env, extraEnv...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("securemig %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out) + stderr.String()
	}

	out := run(nil, "gen", "secure-migration", "--contract-code", "SAMPLE", "--compress", "--quiet")
	prod := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "production:"))
	if !strings.HasSuffix(prod, ".up.sql.gz") {
		t.Fatalf("gen printed %q", out)
	}
	name := strings.TrimSuffix(filepath.Base(prod), ".gz")
	run(nil, "verify", prod)
	run(nil, "verify", filepath.Join("migrations", "secure", filepath.Base(prod)))

	out = run(nil, "upload", "--env", "exp", "--yes", prod)
	if !strings.Contains(out, "secure-migrations/"+name+".gz") {
		t.Errorf("upload did not name the compressed key:\n%s", out)
	}
	for _, n := range []string{name, name + ".gz"} {
		if out := run(nil, "upload", "status", n); !strings.Contains(out, "present") {
			t.Errorf("upload status %s:\n%s", n, out)
		}
	}
	got := strings.TrimSpace(strings.SplitN(run(nil, "download", "--env", "exp", "--dir", t.TempDir(), name), "\n", 2)[0])
	if filepath.Base(got) != name+".gz" {
		t.Errorf("download wrote %s", got)
	}
	if a, b := gunzip(t, got), gunzip(t, filepath.Join(ws.root, prod)); string(a) != string(b) {
		t.Error("the downloaded file differs from the production file")
	}

	// Migrate a database holding only the schema from S3.
	target := pgtest.NewSchemaDatabase(t)
	manifest := filepath.Join(t.TempDir(), "manifest.txt")
	if err := os.WriteFile(manifest, []byte(name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = run([]string{"DATABASE_URL=" + target}, "migrate", "--manifest", manifest, "--path", "s3://app-exp/secure-migrations")
	if !strings.Contains(out, "applied "+name) {
		t.Errorf("migrate from S3:\n%s", out)
	}
	assertSameContract(t, ctx, dsn, target, "SAMPLE")
	out = run([]string{"DATABASE_URL=" + target}, "migrate", "verify", "--manifest", manifest, "--path", "s3://app-exp/secure-migrations")
	if !strings.Contains(out, "applied") {
		t.Errorf("migrate verify:\n%s", out)
	}
}

// assertSameContract compares the contract's rows, table by table (count
// and content hash), in two databases.
func assertSameContract(t *testing.T, ctx context.Context, a, b, code string) {
	t.Helper()
	stats := func(dsn string) []TableStat {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		tables, err := resolveTables(ctx, conn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		id, err := ContractID(ctx, conn, code)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Stats(ctx, conn, tables, id, true)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	sa, sb := stats(a), stats(b)
	if len(sa) != len(sb) {
		t.Fatalf("%d tables, %d applied", len(sa), len(sb))
	}
	for i := range sa {
		if sa[i] != sb[i] {
			t.Errorf("%s: source %d rows (%s), applied %d rows (%s)", sa[i].Table, sa[i].Rows, sa[i].MD5, sb[i].Rows, sb[i].MD5)
		}
	}
}
