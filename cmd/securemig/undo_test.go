package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/history"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/securegen"
)

// project is a git work tree laid out like the repository (tmp/ ignored,
// migrations/ committed), with a full-size sample workbook, a local
// database holding the schema and a deployed database that the migration
// engine set up from the schema files.
type project struct {
	dir, local, deployed, schemaDir, xlsx, csv string
}

func newUndoProject(t *testing.T) *project {
	t.Helper()
	schemaDir, err := filepath.Abs(filepath.Join("..", "..", "migrations", "schema"))
	if err != nil {
		t.Fatal(err)
	}
	p := &project{dir: t.TempDir(), local: pgtest.NewSchemaDatabase(t), deployed: pgtest.NewDatabase(t), schemaDir: schemaDir}
	p.git(t, "init", "-q")
	p.write(t, ".gitignore", "/tmp/\n")
	manifest, err := os.ReadFile(filepath.Join(schemaDir, "..", "manifest.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, "migrations/manifest.txt", string(manifest))
	p.git(t, "add", ".")
	p.git(t, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "project")
	p.xlsx = sampleWorkbook(t)
	p.csv = strings.TrimSuffix(p.xlsx, ".xlsx") + ".rate-areas.csv"
	p.ok(t, p.deployed, p.migrate()...)
	return p
}

func (p *project) write(t *testing.T, name, content string) {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *project) git(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// migrate is the deployed command of the README, with tmp/secure standing
// in for the environment's bucket.
func (p *project) migrate(sub ...string) []string {
	args := append([]string{"migrate"}, sub...)
	args = append(args, "--path", "file://"+p.schemaDir, "--path", "file://migrations/revert", "--path", "file://tmp/secure")
	if len(sub) == 0 {
		args = append(args, "--progress", "never")
	}
	return args
}

// run runs securemig in the project against the database dsn.
func (p *project) run(t *testing.T, dsn string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "SECUREMIG_ACTOR=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	}
	t.Fatalf("running securemig %v: %v", args, err)
	return "", "", -1
}

// ok runs securemig and fails the test unless it exits 0.
func (p *project) ok(t *testing.T, dsn string, args ...string) string {
	t.Helper()
	out, errOut, code := p.run(t, dsn, args...)
	if code != 0 {
		t.Fatalf("securemig %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (p *project) importContract(t *testing.T, dsn, code string) {
	t.Helper()
	p.ok(t, dsn, "pricing", "import", "--file", p.xlsx, "--rate-areas", p.csv, "--contract-code", code)
}

// field returns the value of the first "key: value" line of out.
func field(t *testing.T, out, key string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q line in:\n%s", key, out)
	return ""
}

func tableDigests(t *testing.T, dsn string) []securegen.TableDigest {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	d, err := securegen.TableDigests(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sameTables(t *testing.T, what string, got, want []securegen.TableDigest) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tables, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %s has %d rows (md5 %s), before: %d rows (md5 %s)", what, want[i].Table, got[i].Rows, got[i].MD5, want[i].Rows, want[i].MD5)
		}
	}
}

func execIn(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		t.Fatalf("exec: %v", err)
	}
}

// TestUndoEverywhere: import, generate, apply to a second database,
// generate the revert, apply it, and find the second database as it was;
// the history shows every step in order.
func TestUndoEverywhere(t *testing.T) {
	p := newUndoProject(t)
	// The deployed database already holds another contract, and a table
	// outside the contract tables referencing it.
	p.importContract(t, p.deployed, "OTHER")
	execIn(t, p.deployed, `CREATE TABLE moves (id int PRIMARY KEY, contract_id uuid REFERENCES re_contracts (id));
		INSERT INTO moves SELECT 1, id FROM re_contracts WHERE code = 'OTHER'`)
	before := tableDigests(t, p.deployed)

	p.importContract(t, p.local, "ACME")
	gen := p.ok(t, p.local, "gen", "secure-migration", "--contract-code", "ACME")
	secure := filepath.Base(field(t, gen, "production"))
	p.ok(t, p.deployed, p.migrate()...)
	if sameAsBefore := tableDigests(t, p.deployed); len(sameAsBefore) == len(before) && sameAsBefore[0] == before[0] &&
		strings.Contains(p.ok(t, p.deployed, p.migrate("status")...), "pending") {
		t.Fatal("the secure migration was not applied")
	}

	rev := p.ok(t, p.local, "gen", "revert-migration", "--contract-code", "ACME")
	revPath := field(t, rev, "revert")
	if field(t, rev, "reverts") != secure || !strings.HasPrefix(revPath, filepath.Join("migrations", "revert")) {
		t.Fatalf("gen revert-migration printed:\n%s", rev)
	}
	if out := p.ok(t, p.local, "verify", revPath); !strings.Contains(out, "every table is as it was") {
		t.Fatalf("verify of the revert:\n%s", out)
	}
	applied := p.ok(t, p.deployed, p.migrate()...)
	if !strings.Contains(applied, "applied "+filepath.Base(revPath)) {
		t.Fatalf("migrate did not apply the revert:\n%s", applied)
	}
	sameTables(t, "the deployed database after the revert", tableDigests(t, p.deployed), before)

	status := p.ok(t, p.deployed, p.migrate("status")...)
	if !strings.Contains(status, "reverted  "+secure) && !strings.Contains(status, "reverted "+secure) {
		t.Errorf("migrate status does not show %s reverted:\n%s", secure, status)
	}
	var doc struct {
		Migrations []struct {
			Name, State string
			Applied     *struct {
				Reverts    string `json:"reverts"`
				RevertedBy string `json:"reverted_by"`
			}
		}
	}
	if err := json.Unmarshal([]byte(p.ok(t, p.deployed, p.migrate("status", "--json")...)), &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range doc.Migrations {
		switch m.Name {
		case secure:
			if m.State != "reverted" || m.Applied == nil || m.Applied.RevertedBy != filepath.Base(revPath) {
				t.Errorf("status --json: %+v", m)
			}
		case filepath.Base(revPath):
			if m.State != "applied" || m.Applied == nil || m.Applied.Reverts != secure[:14] {
				t.Errorf("status --json: %+v", m)
			}
		}
	}

	// The history shows every step, in order.
	out := p.ok(t, p.local, "pricing", "history", "--contract-code", "ACME", "--database-url", p.deployed, "--json")
	var h struct {
		ContractCode string          `json:"contract_code"`
		Events       []history.Event `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("history --json: %v\n%s", err, out)
	}
	var steps []string
	for _, e := range h.Events {
		steps = append(steps, e.Step+" "+e.Migration)
		if e.Actor == "" {
			t.Errorf("step %s has no actor", e.Step)
		}
	}
	want := []string{"import ", "generate " + secure, "apply " + secure, "generate-revert " + filepath.Base(revPath),
		"apply-revert " + filepath.Base(revPath)}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("history steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if h.ContractCode != "ACME" || len(h.Events) > 0 && h.Events[0].Details["workbook"] != "sample.xlsx" {
		t.Errorf("history: %s", out)
	}
	text := p.ok(t, p.local, "pricing", "history", "--contract-code", "ACME", "--database-url", p.deployed)
	for _, s := range []string{"import", "generate", "apply", "generate-revert", "apply-revert", secure} {
		if !strings.Contains(text, s) {
			t.Errorf("history text lacks %q:\n%s", s, text)
		}
	}

	// The reverted version never runs again.
	execIn(t, p.deployed, "DELETE FROM securemig_migrations WHERE name = '"+secure+"'")
	if out, errOut, code := p.run(t, p.deployed, p.migrate()...); code != 2 || !strings.Contains(errOut, "never applied again") {
		t.Errorf("re-applying the reverted migration: exit %d\n%s%s", code, out, errOut)
	}

	// A reverted contract is not undone locally: undo points at the revert.
	if out, errOut, code := p.run(t, p.local, "pricing", "undo", "--contract-code", "ACME", "--yes"); code != 2 ||
		!strings.Contains(errOut, "gen revert-migration") {
		t.Errorf("undo of a reverted contract: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRevertRefusedByDownstreamRow: a table outside the contract tables
// references a price of the contract; the revert is refused and the
// deployed database is unchanged.
func TestRevertRefusedByDownstreamRow(t *testing.T) {
	p := newUndoProject(t)
	p.importContract(t, p.local, "ACME")
	gen := p.ok(t, p.local, "gen", "secure-migration", "--contract-code", "ACME")
	secure := filepath.Base(field(t, gen, "production"))
	p.ok(t, p.deployed, p.migrate()...)
	execIn(t, p.deployed, `CREATE TABLE shipments (id int PRIMARY KEY, price_id uuid REFERENCES re_domestic_linehaul_prices (id) ON DELETE CASCADE);
		INSERT INTO shipments SELECT 1, p.id FROM re_domestic_linehaul_prices p JOIN re_contracts c ON c.id = p.contract_id
		WHERE c.code = 'ACME' LIMIT 1`)
	before := tableDigests(t, p.deployed)
	rev := filepath.Base(field(t, p.ok(t, p.local, "gen", "revert-migration", "--contract-code", "ACME"), "revert"))

	out, errOut, code := p.run(t, p.deployed, p.migrate()...)
	if code != 1 || !strings.Contains(errOut, rev) ||
		!strings.Contains(errOut, "revert refused: rows of shipments reference contract ACME in re_domestic_linehaul_prices") {
		t.Fatalf("migrate with a referencing row: exit %d\n%s%s", code, out, errOut)
	}
	sameTables(t, "the deployed database after the refused revert", tableDigests(t, p.deployed), before)
	status := p.ok(t, p.deployed, p.migrate("status")...)
	for _, want := range []string{"applied  " + secure, "pending  " + rev} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
}

// TestPricingUndo: the local side effects of a contract that never left
// the machine go away; a committed one is refused.
func TestPricingUndo(t *testing.T) {
	p := newUndoProject(t)
	p.importContract(t, p.local, "ACME")
	p.importContract(t, p.local, "KEEP")
	gen := p.ok(t, p.local, "gen", "secure-migration", "--contract-code", "ACME")
	prod, placeholder, down := field(t, gen, "production"), field(t, gen, "placeholder"), field(t, gen, "down")
	p.write(t, "tmp/reports/ACME.html", "<html></html>")
	p.write(t, "tmp/reports/ACME.md", "# report")
	p.write(t, "tmp/reports/ACME-2.md", "# another contract's report")
	manifestBefore, err := os.ReadFile(filepath.Join(p.dir, "migrations", "manifest.txt"))
	if err != nil {
		t.Fatal(err)
	}

	dry := p.ok(t, p.local, "pricing", "undo", "--contract-code", "ACME", "--dry-run")
	for _, want := range []string{"rows in the local database: 67744", prod, placeholder, down, "tmp/reports/ACME.html",
		"lock entry: " + filepath.Base(prod), "manifest line: " + filepath.Base(prod), "dry run: nothing removed"} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry)
		}
	}
	if strings.Contains(dry, "ACME-2") {
		t.Errorf("the plan includes another contract's report:\n%s", dry)
	}
	if _, errOut, code := p.run(t, p.local, "pricing", "undo", "--contract-code", "ACME"); code != 1 || !strings.Contains(errOut, "--yes") {
		t.Errorf("undo without a terminal and without --yes: exit %d, %s", code, errOut)
	}
	for _, f := range []string{prod, placeholder, down} {
		if _, err := os.Stat(filepath.Join(p.dir, f)); err != nil {
			t.Fatalf("a refused undo removed %s: %v", f, err)
		}
	}

	p.ok(t, p.local, "pricing", "undo", "--contract-code", "ACME", "--yes")
	for _, f := range []string{prod, placeholder, down, "tmp/reports/ACME.html", "tmp/reports/ACME.md"} {
		if _, err := os.Stat(filepath.Join(p.dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(p.dir, "tmp/reports/ACME-2.md")); err != nil {
		t.Errorf("another contract's report was removed: %v", err)
	}
	lf, err := lockfile.Load(filepath.Join(p.dir, lockfile.DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	if len(lf.Contract("ACME")) != 0 {
		t.Errorf("lock entries left: %v", lf.Contract("ACME"))
	}
	manifest, err := os.ReadFile(filepath.Join(p.dir, "migrations", "manifest.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(manifest), filepath.Base(prod)) || !bytes.HasPrefix(manifestBefore, manifest) {
		t.Errorf("manifest after undo:\n%s", manifest)
	}
	list := p.ok(t, p.local, "pricing", "list")
	if contracts, _, _ := strings.Cut(list, "contract(s)"); strings.Contains(contracts, "ACME") || !strings.Contains(contracts, "KEEP") {
		t.Errorf("pricing list after undo:\n%s", list)
	}
	hist := p.ok(t, p.local, "pricing", "history", "--contract-code", "ACME")
	if !strings.Contains(hist, "undo") || !strings.Contains(hist, "rollback") {
		t.Errorf("history after undo:\n%s", hist)
	}
	if out := p.ok(t, p.local, "pricing", "undo", "--contract-code", "ACME", "--yes"); !strings.Contains(out, "nothing to undo") {
		t.Errorf("second undo: %s", out)
	}

	// A committed migration is refused, and nothing is removed.
	gen = p.ok(t, p.local, "gen", "secure-migration", "--contract-code", "KEEP")
	p.git(t, "add", "migrations")
	p.git(t, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "KEEP")
	out, errOut, code := p.run(t, p.local, "pricing", "undo", "--contract-code", "KEEP", "--yes")
	if code != 2 || !strings.Contains(errOut, "committed in git (HEAD)") || !strings.Contains(errOut, "gen revert-migration --contract-code KEEP") {
		t.Errorf("undo of a committed migration: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(p.dir, field(t, gen, "production"))); err != nil {
		t.Errorf("the refused undo removed the production file: %v", err)
	}
}
