// Package scripts_test runs the project's pipeline script end to end, with
// the real binary against a real PostgreSQL.
package scripts_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securemig/securemig/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// copyInto copies the repository files names (relative to root) into dir.
func copyInto(t *testing.T, root, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// env is the test's environment without the variables the pipeline reads,
// plus extra.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "DATABASE_URL", "SECUREMIG_PGDIR", "XLSX", "CONTRACT_CODE", "RATE_AREAS", "SECUREMIG", "ALLOW_FAIL":
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// TestPricingImportEndsWithVerdictAndReports runs scripts/pricing-import on
// the built-in sample and checks that its last lines repeat the report's
// verdict and the paths of both report files.
func TestPricingImportEndsWithVerdictAndReports(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "securemig")
	build := exec.Command("go", "build", "-o", bin, "./cmd/securemig")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building securemig: %v\n%s", err, out)
	}
	proj := t.TempDir()
	schema, err := filepath.Glob(filepath.Join(root, "migrations", "schema", "*.up.sql"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"scripts/pricing-import", "migrations/manifest.txt"}
	for _, f := range schema {
		names = append(names, filepath.Join("migrations", "schema", filepath.Base(f)))
	}
	copyInto(t, root, proj, names...)
	dsn := pgtest.NewDatabase(t)

	cmd := exec.Command("bash", "scripts/pricing-import")
	cmd.Dir, cmd.Env = proj, env("SECUREMIG="+bin, "DATABASE_URL="+dsn)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pricing-import: %v\n%s", err, stderr.String())
	}

	rep := exec.Command(bin, "pricing", "report", "--contract-code", "SAMPLE", "--format", "json")
	rep.Dir, rep.Env = proj, env("DATABASE_URL="+dsn)
	out, err := rep.Output()
	var r struct {
		Summary struct{ Verdict string } `json:"summary"`
	}
	if jerr := json.Unmarshal(out, &r); jerr != nil || r.Summary.Verdict == "" {
		t.Fatalf("report: %v, %v", err, jerr)
	}

	var last []string
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			last = append(last, l)
		}
	}
	last = last[max(0, len(last)-3):]
	html, md := filepath.Join("tmp", "reports", "SAMPLE.html"), filepath.Join("tmp", "reports", "SAMPLE.md")
	if len(last) != 3 || !strings.HasPrefix(last[0], "verdict") || strings.Fields(last[0])[1] != r.Summary.Verdict ||
		!strings.HasSuffix(last[1], html) || last[2] != md {
		t.Errorf("the pipeline ends with\n%s\nwant the verdict %q and the paths %s and %s", strings.Join(last, "\n"), r.Summary.Verdict, html, md)
	}
	for _, f := range []string{html, md} {
		if fi, err := os.Stat(filepath.Join(proj, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
