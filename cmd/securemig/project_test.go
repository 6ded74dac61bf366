package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/localdb"
)

// TestPipelineAsRootInAPrivateHome is the first day of a root user: the
// project copied under a 0700 directory, `make pricing-import`'s script run
// there without any configuration. The cluster goes where postgres can
// reach it, is recorded in the checkout, and later commands (also from a
// subdirectory) find and remove it.
func TestPipelineAsRootInAPrivateHome(t *testing.T) {
	needRoot(t)
	home, err := os.MkdirTemp("", "securemig-home")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(home, "securemig")
	copyProject(t, checkout)
	t.Cleanup(func() { runIn(t, checkout, nil, "securemig", "db", "destroy") })

	r := runIn(t, checkout, []string{"SECUREMIG=" + binary}, "bash", "scripts/pricing-import")
	if r.code != 0 {
		t.Fatalf("scripts/pricing-import in %s: exit %d\nstdout:\n%s\nstderr:\n%s", checkout, r.code, r.stdout, r.stderr)
	}
	rec, err := os.ReadFile(filepath.Join(checkout, "tmp", "pg.location"))
	if err != nil {
		t.Fatalf("the cluster's place was not recorded: %v", err)
	}
	dir := strings.TrimSpace(string(rec))
	if !strings.HasPrefix(dir, localdb.PrivateBase+"/securemig-") {
		t.Fatalf("tmp/pg.location names %q, want a directory under %s", dir, localdb.PrivateBase)
	}
	if !strings.Contains(r.stderr, dir) {
		t.Errorf("the pipeline never said where the cluster lives (%s):\n%s", dir, r.stderr)
	}
	sub := filepath.Join(checkout, "migrations", "schema")
	st := runIn(t, sub, nil, "securemig", "db", "status")
	if st.code != 0 || !strings.Contains(st.stdout, "running") || !strings.Contains(st.stdout, dir) ||
		!strings.Contains(st.stdout, "outside the checkout") {
		t.Fatalf("db status from a subdirectory: exit %d, %q; want running in %s, outside the checkout", st.code, st.stdout, dir)
	}
	u := runIn(t, checkout, nil, "securemig", "db", "url")
	if u.code != 0 || !strings.HasPrefix(u.stdout, "postgres://") || !strings.Contains(u.stderr, dir) {
		t.Fatalf("db url: exit %d, stdout %q, stderr %q; want a URL and where the cluster lives", u.code, u.stdout, u.stderr)
	}
	list := runIn(t, sub, nil, "securemig", "pricing", "list")
	if list.code != 0 || !strings.Contains(list.stdout, "SAMPLE") {
		t.Fatalf("pricing list from a subdirectory: exit %d, %q %q; want the contract imported by the pipeline", list.code, list.stdout, list.stderr)
	}
	if _, err := os.Stat(filepath.Join(sub, "tmp")); !os.IsNotExist(err) {
		t.Fatalf("a command run from a subdirectory created %s/tmp", sub)
	}
	if d := runIn(t, checkout, nil, "securemig", "db", "destroy"); d.code != 0 {
		t.Fatalf("db destroy: exit %d: %s", d.code, d.stderr)
	}
	for _, gone := range []string{dir, filepath.Join(checkout, "tmp", "pg.location")} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("%s left behind by db destroy (%v)", gone, err)
		}
	}
}

// TestOneProjectOneCluster: from any subdirectory the project's cluster is
// meant; outside a project nothing is created and the refusal is one line.
func TestOneProjectOneCluster(t *testing.T) {
	proj := newProject(t)
	sub := filepath.Join(proj, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	st := runIn(t, sub, nil, "securemig", "db", "status")
	if want := filepath.Join(proj, "tmp", "pg"); !strings.Contains(st.stdout, want) {
		t.Fatalf("db status from %s: %q; want the project's cluster %s", sub, st.stdout, want)
	}

	outside := t.TempDir()
	for _, args := range [][]string{{"pricing", "list"}, {"db", "start"}, {"db", "status"}} {
		r := runIn(t, outside, nil, append([]string{"securemig"}, args...)...)
		if r.code == 0 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, "not inside a securemig project") ||
			!strings.Contains(r.stderr, "DATABASE_URL") {
			t.Errorf("securemig %v outside a project: exit %d, stderr %q; want one line saying why and what to do",
				args, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(outside, "tmp")); !os.IsNotExist(err) {
			t.Fatalf("securemig %v outside a project created %s/tmp", args, outside)
		}
	}
}

// TestDotEnvOfTheProjectRoot: DATABASE_URL in the root's .env is used from
// a subdirectory, and an unreachable server is explained with where the URL
// came from and psql's hint, without the password.
func TestDotEnvOfTheProjectRoot(t *testing.T) {
	proj := newProject(t)
	env := "DATABASE_URL=postgres://someone:s3cret-pw@127.0.0.1:1/app?sslmode=disable&connect_timeout=5\n"
	if err := os.WriteFile(filepath.Join(proj, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(proj, "docs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, sub, nil, "securemig", "pricing", "list")
	for _, want := range []string{"DATABASE_URL in " + filepath.Join(proj, ".env"), "127.0.0.1:1", "is the server running"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code == 0 || strings.Contains(r.stderr, "s3cret-pw") {
		t.Fatalf("exit %d, stderr %q: want a failure that never shows the password", r.code, r.stderr)
	}
	if hasCluster(proj) {
		t.Fatal("a local cluster was prepared although .env sets DATABASE_URL")
	}

	r = runIn(t, sub, []string{"DATABASE_URL=postgres://x:pw@127.0.0.1:1/y?connect_timeout=5"}, "securemig", "pricing", "list")
	if !strings.Contains(r.stderr, "DATABASE_URL in the environment") {
		t.Errorf("with DATABASE_URL in the environment, stderr does not say so:\n%s", r.stderr)
	}
}

// TestMissingSchemaSaysHowToApplyIt: a database without the schema gets the
// command to run, not `relation "re_contracts" does not exist`.
func TestMissingSchemaSaysHowToApplyIt(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	r := runIn(t, t.TempDir(), []string{"DATABASE_URL=" + dsn}, "securemig", "pricing", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "the schema is not applied: run `securemig migrate` (or `make db-up`)") {
		t.Fatalf("pricing list on an empty database: exit %d, stderr %q", r.code, r.stderr)
	}
}
