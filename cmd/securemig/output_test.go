package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securemig/securemig/internal/pgtest"
)

// TestQuietImport: --quiet prints the final line only; without a terminal
// the default output has no progress line.
func TestQuietImport(t *testing.T) {
	xlsx := sampleWorkbook(t)
	dsn := pgtest.NewSchemaDatabase(t)
	env := []string{"DATABASE_URL=" + dsn}
	r := runIn(t, t.TempDir(), env, "securemig", "pricing", "import", "-f", xlsx, "-c", "QUIET", "--quiet")
	if r.code != 0 || r.stderr != "" || len(lines(r.stdout)) != 1 ||
		!strings.HasPrefix(r.stdout, "contract QUIET imported: ") {
		t.Fatalf("import --quiet: exit %d, stdout %q, stderr %q; want only the final line", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, t.TempDir(), env, "securemig", "pricing", "import", "-f", xlsx, "-c", "LOUD")
	if r.code != 0 || len(lines(r.stdout)) < 10 || strings.ContainsAny(r.stdout+r.stderr, "\r\033") {
		t.Fatalf("import without a terminal: exit %d, stdout %q, stderr %q; want the table and no progress line", r.code, r.stdout, r.stderr)
	}
	last := lines(r.stdout)[len(lines(r.stdout))-1]
	if !strings.HasPrefix(last, "contract LOUD imported: ") {
		t.Fatalf("the final line is %q", last)
	}
}

// TestProgressOnlyWhenAsked: the status line is drawn with --progress
// always (as on a terminal), never without a terminal by default, and the
// standard output is the same either way.
func TestProgressOnlyWhenAsked(t *testing.T) {
	xlsx := sampleWorkbook(t)
	dir := t.TempDir()
	auto := runIn(t, dir, nil, "securemig", "pricing", "parse", "-f", xlsx)
	always := runIn(t, dir, nil, "securemig", "pricing", "parse", "-f", xlsx, "--progress", "always")
	if auto.code != 0 || always.code != 0 {
		t.Fatalf("parse: exit %d / %d: %s %s", auto.code, always.code, auto.stderr, always.stderr)
	}
	if strings.ContainsAny(auto.stderr, "\r\033") {
		t.Fatalf("progress drawn without a terminal: %q", auto.stderr)
	}
	if !strings.Contains(always.stderr, "\r\033[Kparsing "+filepath.Base(xlsx)) || !strings.HasSuffix(always.stderr, "\r\033[K") {
		t.Fatalf("--progress always: stderr %q; want a status line, erased at the end", always.stderr)
	}
	if stripTimes(auto.stdout) != stripTimes(always.stdout) {
		t.Fatalf("stdout differs with progress:\n%s\nvs\n%s", auto.stdout, always.stdout)
	}
	quiet := runIn(t, dir, nil, "securemig", "pricing", "parse", "-f", xlsx, "--progress", "always", "-q")
	if quiet.stderr != "" || len(lines(quiet.stdout)) != 1 {
		t.Fatalf("parse --quiet: stdout %q, stderr %q; want the final line only", quiet.stdout, quiet.stderr)
	}
	bad := runIn(t, dir, nil, "securemig", "pricing", "parse", "-f", xlsx, "--progress", "sometimes")
	if bad.code != 1 || !strings.Contains(bad.stderr, "--progress must be auto, always or never") {
		t.Fatalf("--progress sometimes: exit %d, %q", bad.code, bad.stderr)
	}
}

// stripTimes drops the per-sheet time column, which differs run to run.
func stripTimes(s string) string {
	var out []string
	for _, l := range lines(s) {
		f := strings.Fields(l)
		if len(f) > 0 {
			if _, err := time.ParseDuration(f[len(f)-1]); err == nil {
				f = f[:len(f)-1]
			}
		}
		out = append(out, strings.Join(f, " "))
	}
	return strings.Join(out, "\n")
}

// TestVersionJSON: `version --json` has the documented shape.
func TestVersionJSON(t *testing.T) {
	r := runIn(t, t.TempDir(), nil, "securemig", "version", "--json")
	var v struct {
		Version, Commit, Go, Platform string
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil || r.code != 0 {
		t.Fatalf("version --json: exit %d, %q: %v", r.code, r.stdout, err)
	}
	if v.Version != testVersion || v.Commit != testCommit || !strings.HasPrefix(v.Go, "go") || !strings.Contains(v.Platform, "/") {
		t.Fatalf("version --json = %+v", v)
	}
}

// TestPricingListJSON: `pricing list --json` has the documented shape and
// the imported contract and its run.
func TestPricingListJSON(t *testing.T) {
	xlsx := sampleWorkbook(t)
	dsn := pgtest.NewSchemaDatabase(t)
	env := []string{"DATABASE_URL=" + dsn}
	if r := runIn(t, t.TempDir(), env, "securemig", "pricing", "import", "-f", xlsx, "-c", "JSON1", "-q"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	r := runIn(t, t.TempDir(), env, "securemig", "pricing", "list", "--json")
	var doc struct {
		Contracts []struct {
			Code      string    `json:"code"`
			Name      string    `json:"name"`
			Years     int       `json:"years"`
			Start     *string   `json:"start"`
			End       *string   `json:"end"`
			CreatedAt time.Time `json:"created_at"`
		} `json:"contracts"`
		Imports []struct {
			ID             string           `json:"id"`
			ContractCode   string           `json:"contract_code"`
			Status         string           `json:"status"`
			Workbook       string           `json:"workbook"`
			WorkbookSHA256 string           `json:"workbook_sha256"`
			ToolVersion    string           `json:"tool_version"`
			Replace        bool             `json:"replace"`
			StartedAt      time.Time        `json:"started_at"`
			FinishedAt     *time.Time       `json:"finished_at"`
			ParseMS        *int64           `json:"parse_ms"`
			ImportMS       *int64           `json:"import_ms"`
			Rows           map[string]int64 `json:"rows"`
			Problems       int              `json:"problems"`
			Error          *string          `json:"error"`
		} `json:"imports"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil || r.code != 0 {
		t.Fatalf("pricing list --json: exit %d, %q: %v", r.code, r.stdout, err)
	}
	if len(doc.Contracts) != 1 || doc.Contracts[0].Code != "JSON1" || doc.Contracts[0].Years == 0 || doc.Contracts[0].Start == nil {
		t.Fatalf("contracts = %+v", doc.Contracts)
	}
	if _, err := time.Parse(time.DateOnly, *doc.Contracts[0].Start); err != nil {
		t.Fatalf("start %q is not YYYY-MM-DD", *doc.Contracts[0].Start)
	}
	if len(doc.Imports) != 1 {
		t.Fatalf("imports = %+v", doc.Imports)
	}
	run := doc.Imports[0]
	if run.ContractCode != "JSON1" || run.Status != "imported" || run.Workbook != filepath.Base(xlsx) ||
		len(run.WorkbookSHA256) != 64 || run.FinishedAt == nil || run.Rows["re_contracts"] != 1 || run.Error != nil {
		t.Fatalf("import run = %+v", run)
	}
}

// TestMigrateStatusJSON: `migrate status --json` has the documented shape,
// before and after applying the schema.
func TestMigrateStatusJSON(t *testing.T) {
	root := repoRoot(t)
	env := []string{"DATABASE_URL=" + pgtest.NewDatabase(t)}
	args := []string{"--manifest", filepath.Join(root, "migrations", "manifest.txt"),
		"--path", "file://" + filepath.Join(root, "migrations", "schema"), "--lock-file", filepath.Join(t.TempDir(), "none.lock")}
	type doc struct {
		Migrations []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			State   string `json:"state"`
			Source  string `json:"source"`
			SHA256  string `json:"sha256"`
			Size    int64  `json:"size"`
			Applied *struct {
				Status          string    `json:"status"`
				SHA256          string    `json:"sha256"`
				Location        string    `json:"location"`
				AppliedAt       time.Time `json:"applied_at"`
				AppliedBy       string    `json:"applied_by"`
				ToolVersion     string    `json:"tool_version"`
				DurationMS      int64     `json:"duration_ms"`
				FailedStatement int       `json:"failed_statement"`
				FailedLine      int       `json:"failed_line"`
			} `json:"applied"`
		} `json:"migrations"`
		NeedsAttention bool `json:"needs_attention"`
	}
	status := func(wantState string) {
		t.Helper()
		r := runIn(t, root, env, append([]string{"securemig", "migrate", "status", "--json"}, args...)...)
		var d doc
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil || r.code != 0 {
			t.Fatalf("migrate status --json: exit %d, %q %q: %v", r.code, r.stdout, r.stderr, err)
		}
		if len(d.Migrations) < 4 || d.NeedsAttention {
			t.Fatalf("migrate status --json = %+v", d)
		}
		for _, m := range d.Migrations {
			if m.State != wantState || len(m.SHA256) != 64 || m.Size == 0 || (m.Applied != nil) != (wantState == "applied") {
				t.Fatalf("migration %+v; want %s", m, wantState)
			}
			if m.Applied != nil && (m.Applied.SHA256 != m.SHA256 || m.Applied.Status != "applied") {
				t.Fatalf("applied record %+v", m.Applied)
			}
		}
	}
	status("pending")
	if r := runIn(t, root, env, append([]string{"securemig", "migrate"}, args...)...); r.code != 0 {
		t.Fatalf("migrate: %s", r.stderr)
	}
	status("applied")
}
