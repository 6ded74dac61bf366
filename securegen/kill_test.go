package securegen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// buildSecuremig builds the securemig binary for tests that run it as a
// child process.
func buildSecuremig(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "securemig")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/securemig/securemig/cmd/securemig").CombinedOutput()
	if err != nil {
		t.Fatalf("building securemig: %v\n%s", err, out)
	}
	return bin
}

// dumpTrailer ends every complete pg_dump output, hence every complete
// production file and placeholder (newlines aside).
const dumpTrailer = "-- PostgreSQL database dump complete\n--"

// finalNameRE matches the final name of a generated file.
var finalNameRE = regexp.MustCompile(`^[0-9]{14}_import_pricing_data_sample\.(up|down)\.sql$`)

// TestKilledGenLeavesNothingBehind kills the real binary with SIGKILL at 20
// random moments of `gen secure-migration` in one project, and checks after
// each kill that no file under a final name is partial, that no file
// outside tmp/secure holds a real price row or is a temporary file; then
// that a command of another kind removes the stale dump roles and that the
// next run leaves a clean, consistent tree.
func TestKilledGenLeavesNothingBehind(t *testing.T) {
	bin := buildSecuremig(t)
	dsn := contractDB(t)
	ws := newWorkspace(t)
	env := append(os.Environ(), "DATABASE_URL="+dsn)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = ws.root, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	gen := []string{"gen", "secure-migration", "--contract-code", "SAMPLE", "--replace"}

	// A complete run: its duration sets the kill window, its production
	// file gives the secret rows to look for.
	start := time.Now()
	if out, err := run(gen...); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	full := time.Since(start)
	secrets := secretRows(t, filepath.Join(ws.root, "tmp", "secure"))
	if len(secrets) < 1000 {
		t.Fatalf("only %d secret rows found", len(secrets))
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill window %s, seed %d", full, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 20 {
		// Half the kills anywhere in a run, half in its last fifth (the commit).
		frac := rng.Float64()
		if i%2 == 1 {
			frac = 0.8 + 0.3*rng.Float64()
		}
		delay := time.Duration(frac * float64(full))
		cmd := exec.Command(bin, gen...)
		cmd.Dir, cmd.Env = ws.root, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it may have finished
		err := cmd.Wait()
		var ee *exec.ExitError
		if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != -1) {
			t.Fatalf("kill %d: the run failed on its own: %v\n%s", i, err, out.String())
		}
		checkNothingPartial(t, ws, secrets)
		// What the next run will find (a dry run changes nothing).
		found, _ := run("doctor", "--dry-run", "--no-db")
		t.Logf("kill %d after %s: %s; left: %s", i, delay.Round(time.Millisecond),
			map[bool]string{true: "killed", false: "had finished"}[err != nil], strings.ReplaceAll(strings.TrimSpace(found), "\n", "; "))
	}

	// Any command on the database removes the stale dump roles.
	if out, err := run("pricing", "list"); err != nil {
		t.Fatalf("pricing list: %v\n%s", err, out)
	}
	assertNoScopes(t, dsn)

	// The next run completes; the tree is clean and consistent.
	if out, err := run(gen...); err != nil {
		t.Fatalf("run after the kills: %v\n%s", err, out)
	}
	checkNothingPartial(t, ws, secrets)
	assertNoScopes(t, dsn)
	assertCleanTree(t, ws)
	if out, err := run("doctor"); err != nil || !strings.Contains(out, "nothing stale found") {
		t.Errorf("doctor after the next run: %v\n%s", err, out)
	}
}

// secretRows collects the COPY rows of the production file in dir that
// hold prices (rows with a decimal or long number in a sensitive column).
func secretRows(t *testing.T, dir string) map[string]bool {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.up.sql"))
	if len(names) != 1 {
		t.Fatalf("production files in %s: %v", dir, names)
	}
	f, err := os.Open(names[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	var sensitive []bool
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if h, ok, _ := parseCopyHeader([]byte(line + "\n")); ok {
			sensitive = sensitive[:0]
			for _, c := range h.Columns {
				sensitive = append(sensitive, Sensitive(c))
			}
			continue
		}
		if line == `\.` {
			sensitive = nil
			continue
		}
		if slices.Contains(sensitive, true) {
			out[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkNothingPartial checks the project right after a kill: every file
// under a final name is complete, and outside tmp/secure there is neither
// a temporary file nor a real price row.
func checkNothingPartial(t *testing.T, ws *workspace, secrets map[string]bool) {
	t.Helper()
	secureDir := filepath.Join(ws.root, "tmp", "secure")
	err := filepath.WalkDir(ws.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(ws.root, path)
		switch {
		case d.IsDir() && (rel == ".git" || path == secureDir):
			if path == secureDir {
				checkSecureDir(t, path)
			}
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		switch {
		case rel == ".gitignore" || rel == filepath.Join("migrations", "manifest.txt") || rel == filepath.Join("migrations", "secure.lock"):
		case filepath.Dir(rel) == filepath.Join("migrations", "secure") && finalNameRE.MatchString(d.Name()):
			checkComplete(t, path)
		default:
			t.Errorf("unexpected file %s after a kill", rel)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for line := range bytes.Lines(b) {
			if secrets[strings.TrimSuffix(string(line), "\n")] {
				t.Errorf("%s holds a real price row", rel)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkSecureDir checks the final files of tmp/secure; staging directories
// (what a killed run left, or a commit in progress) are the next run's to
// remove.
func checkSecureDir(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v, mode %v", dir, err, fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		switch {
		case e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix):
		case finalNameRE.MatchString(e.Name()):
			checkComplete(t, filepath.Join(dir, e.Name()))
		default:
			t.Errorf("unexpected %s in %s", e.Name(), dir)
		}
	}
}

// checkComplete fails on a production file, placeholder or down file that
// does not end as a complete one does.
func checkComplete(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	want := dumpTrailer
	if strings.HasSuffix(path, ".down.sql") {
		want = "DELETE FROM \"public\".\"re_contracts\" WHERE \"id\" = "
		if i := bytes.LastIndex(b, []byte("\nDELETE FROM")); i < 0 || !bytes.HasPrefix(b[i+1:], []byte(want)) || !bytes.HasSuffix(b, []byte(";\n")) {
			t.Errorf("%s is partial", path)
		}
		return
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\n"), []byte(want)) {
		t.Errorf("%s is partial (%d bytes)", path, len(b))
	}
}

// assertNoScopes fails when a dump role or policy is left on the server.
func assertNoScopes(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var roles, policies, rls int
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'securemig\_dump\_%'),
  (SELECT count(*) FROM pg_policy WHERE polname LIKE 'securemig\_dump\_%'),
  (SELECT count(*) FROM pg_class WHERE relrowsecurity)`).Scan(&roles, &policies, &rls)
	if err != nil {
		t.Fatal(err)
	}
	if roles+policies+rls != 0 {
		t.Errorf("left in the database: %d dump roles, %d policies, %d tables with row security", roles, policies, rls)
	}
}

// assertCleanTree checks the project after a complete run: one migration,
// consistent, nothing else.
func assertCleanTree(t *testing.T, ws *workspace) {
	t.Helper()
	lf, err := lockfile.Load(ws.lock)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := migrations.ReadManifest(ws.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(lf.Migrations) != 1 || len(entries) != 2 {
		t.Fatalf("%d lock entries, %d manifest entries (want 1 and 2)", len(lf.Migrations), len(entries))
	}
	name := entries[1].Name
	e, ok := lf.Lookup(name)
	if !ok {
		t.Fatalf("the manifest's %s has no lock entry", name)
	}
	want := []string{
		filepath.Join("migrations", "secure", name),
		filepath.Join("tmp", "secure", name),
		filepath.Join("tmp", "secure", downName(name)),
	}
	var got []string
	filepath.WalkDir(ws.root, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(ws.root, path)
		if d.IsDir() && rel == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() && rel != ".gitignore" && rel != filepath.Join("migrations", "manifest.txt") && rel != filepath.Join("migrations", "secure.lock") {
			got = append(got, rel)
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".securemig") {
			t.Errorf("left behind: %s", rel)
		}
		return nil
	})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if sum, _ := fileSHA256(filepath.Join(ws.root, "tmp", "secure", name)); sum != e.SHA256 {
		t.Error("the production file does not match its lock entry")
	}
	if sum, _ := fileSHA256(filepath.Join(ws.root, "migrations", "secure", name)); sum != e.PlaceholderSHA256 {
		t.Error("the placeholder does not match its lock entry")
	}
	cmd := exec.Command("git", "status", "--porcelain", "--untracked-files=all")
	cmd.Dir = ws.root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var untracked []string
	for l := range strings.Lines(string(out)) {
		if p, ok := strings.CutPrefix(strings.TrimSpace(l), "?? "); ok {
			untracked = append(untracked, p)
		}
	}
	slices.Sort(untracked)
	if want := []string{"migrations/secure.lock", "migrations/secure/" + name}; !slices.Equal(untracked, want) {
		t.Errorf("git status shows untracked %q, want %q", untracked, want)
	}
}
