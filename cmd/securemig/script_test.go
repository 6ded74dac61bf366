package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scriptProject is a project holding scripts/pricing-import and the
// migrations, for running the pipeline script against.
func scriptProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := repoRoot(t)
	if err := copyFile(filepath.Join(root, "scripts", "pricing-import"), filepath.Join(dir, "scripts", "pricing-import"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "migrations", "schema"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			if err := copyFile(filepath.Join(root, "migrations", "schema", e.Name()), filepath.Join(dir, "migrations", "schema", e.Name()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := copyFile(filepath.Join(root, "migrations", "manifest.txt"), filepath.Join(dir, "migrations", "manifest.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	destroyClusterAtCleanup(t, dir)
	return dir
}

// runScript runs the pipeline script of proj with the test binary.
func runScript(t *testing.T, proj string, env ...string) result {
	t.Helper()
	return runIn(t, proj, append([]string{"SECUREMIG=" + binary}, env...), "bash", "scripts/pricing-import")
}

// fakeInputs writes a file that passes the script's cheap workbook check
// and a reference CSV beside it.
func fakeInputs(t *testing.T, dir string) (xlsx, ref string) {
	t.Helper()
	xlsx, ref = filepath.Join(dir, "w.xlsx"), filepath.Join(dir, "w.rate-areas.csv")
	if err := os.WriteFile(xlsx, []byte("PK\x03\x04 not really a workbook"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ref, []byte("zip3,zip5,rate_area_code\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return xlsx, ref
}

// TestScriptChecksInputsBeforeTheDatabase: a missing or wrong workbook (or
// reference CSV) stops the pipeline before any database is started.
func TestScriptChecksInputsBeforeTheDatabase(t *testing.T) {
	proj := scriptProject(t)
	in := t.TempDir()
	csv := filepath.Join(in, "prices.csv")
	if err := os.WriteFile(csv, []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	xlsx, _ := fakeInputs(t, in)
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"XLSX=" + filepath.Join(in, "missing.xlsx"), "CONTRACT_CODE=X"}, "missing.xlsx does not exist"},
		{[]string{"XLSX=" + csv, "CONTRACT_CODE=X"}, "not an XLSX workbook"},
		{[]string{"XLSX=" + xlsx, "CONTRACT_CODE=X", "RATE_AREAS=" + filepath.Join(in, "none.csv")}, "none.csv does not exist"},
	}
	for _, tc := range cases {
		r := runScript(t, proj, tc.env...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a refusal with %q", tc.env, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "== ") {
			t.Errorf("%v: the pipeline started a step before refusing:\n%s", tc.env, r.stderr)
		}
		if hasCluster(proj) {
			t.Fatalf("%v: a local cluster was prepared before the inputs were checked", tc.env)
		}
	}
}

// TestScriptHonoursDotEnv: DATABASE_URL only in .env is the database of the
// whole pipeline, as for the binary; no local cluster is started.
func TestScriptHonoursDotEnv(t *testing.T) {
	proj := scriptProject(t)
	env := "DATABASE_URL=postgres://nobody@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=5\n"
	if err := os.WriteFile(filepath.Join(proj, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	xlsx, _ := fakeInputs(t, t.TempDir())
	r := runScript(t, proj, "XLSX="+xlsx, "CONTRACT_CODE=X")
	if r.code == 0 || !strings.Contains(r.stderr, "DATABASE_URL in "+filepath.Join(proj, ".env")) {
		t.Fatalf("exit %d, stderr:\n%s\nwant the .env database used (and found unreachable)", r.code, r.stderr)
	}
	if hasCluster(proj) || strings.Contains(r.stderr, "local database") {
		t.Fatalf("the script started a local cluster although .env sets DATABASE_URL:\n%s", r.stderr)
	}
}

// TestScriptRefusesAShippedContractFirst: when the contract's migration was
// already uploaded, the pipeline stops before the import and the report
// are replaced (it never reaches the database).
func TestScriptRefusesAShippedContractFirst(t *testing.T) {
	proj := scriptProject(t)
	sum := strings.Repeat("ab", 32)
	lock := `{"version": 1, "migrations": {"20260101000000_import_pricing_data_shipped.up.sql": {
		"sha256": "` + sum + `", "size": 10, "contract_code": "SHIPPED", "generated_at": "2026-01-01T00:00:00Z",
		"uploads": {"stg": {"bucket": "b", "key": "k", "sha256": "` + sum + `", "size": 10, "uploaded_at": "2026-01-02T00:00:00Z"}}}}}`
	if err := os.WriteFile(filepath.Join(proj, "migrations", "secure.lock"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(proj, "tmp", "reports", "SHIPPED.html")
	if err := os.MkdirAll(filepath.Dir(report), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, []byte("the reviewed report"), 0o600); err != nil {
		t.Fatal(err)
	}
	xlsx, _ := fakeInputs(t, t.TempDir())
	r := runScript(t, proj, "XLSX="+xlsx, "CONTRACT_CODE=SHIPPED", "DATABASE_URL=postgres://nobody@127.0.0.1:1/x?connect_timeout=5")
	if r.code == 0 || !strings.Contains(r.stderr, "cannot be replaced") || !strings.Contains(r.stderr, "uploaded to stg") {
		t.Fatalf("exit %d, stderr:\n%s\nwant the shipped contract refused", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "== applying the schema") || strings.Contains(r.stderr, "== importing") {
		t.Fatalf("the pipeline went on to the database before refusing:\n%s", r.stderr)
	}
	if b, _ := os.ReadFile(report); string(b) != "the reviewed report" {
		t.Fatal("the report was overwritten")
	}
}
