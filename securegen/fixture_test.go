package securegen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/sample"
	"github.com/securemig/securemig/zipref"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sampleFiles caches generated sample workbooks per seed and scale.
var (
	sampleMu    sync.Mutex
	sampleCache = map[string][2]string{}
	sampleDir   string
)

func sampleWorkbook(t testing.TB, seed uint64, scale int) (xlsx, csv string) {
	t.Helper()
	sampleMu.Lock()
	defer sampleMu.Unlock()
	key := fmt.Sprintf("%d-%d", seed, scale)
	if f, ok := sampleCache[key]; ok {
		return f[0], f[1]
	}
	if sampleDir == "" {
		d, err := os.MkdirTemp("", "securegen-sample")
		if err != nil {
			t.Fatal(err)
		}
		sampleDir = d
	}
	xlsx = filepath.Join(sampleDir, key+".xlsx")
	csv = filepath.Join(sampleDir, key+".rate-areas.csv")
	if _, err := sample.GenerateFiles(context.Background(), xlsx, csv, sample.Options{Seed: seed, Scale: scale}); err != nil {
		t.Fatal(err)
	}
	sampleCache[key] = [2]string{xlsx, csv}
	return xlsx, csv
}

// importContract imports a sample workbook as the given contract.
func importContract(t testing.TB, dsn, code string, seed uint64, scale int) {
	t.Helper()
	ctx := context.Background()
	xlsx, csv := sampleWorkbook(t, seed, scale)
	res, err := parser.ParseFile(ctx, xlsx)
	if err != nil {
		t.Fatal(err)
	}
	if res.HasErrors() {
		t.Fatalf("sample workbook has %d parse errors", res.ErrorCount())
	}
	ref, problems, err := zipref.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Logf("reference CSV: %d problems", len(problems))
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = importer.Import(ctx, conn, res, ref, importer.Options{
		ContractCode: code, WorkbookName: filepath.Base(xlsx),
		WorkbookSHA256: fmt.Sprintf("%064x", seed+1), ToolVersion: "test",
		Now: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatalf("importing %s: %v", code, err)
	}
}

// fixture is a local database with two contracts, SAMPLE (being shipped)
// and OTHER, shared by the tests that only read it.
var (
	fixtureOnce sync.Once
	fixtureDSN  string
	fixtureErr  error
)

func contractDB(t *testing.T) string {
	t.Helper()
	fixtureOnce.Do(func() {
		// The database must outlive the first test, so it is created
		// through the server URL rather than NewSchemaDatabase (dropped at
		// that test's cleanup).
		fixtureErr = errors.New("the shared contract database could not be built (see the first failing test)")
		fixtureDSN = pgtest.NewSchemaDatabase(&keepTB{TB: t})
		importContract(t, fixtureDSN, "SAMPLE", 1, 1)
		importContract(t, fixtureDSN, "OTHER", 2, 1)
		fixtureErr = nil
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureDSN
}

// keepTB ignores Cleanup so a database outlives the test that made it
// (pgtest drops the whole server at the end of the package).
type keepTB struct{ testing.TB }

func (k *keepTB) Cleanup(func()) {}

// workspace is a git repository laid out like the project: tmp/ ignored,
// migrations/ tracked.
type workspace struct {
	root                          string
	outDir, phDir, manifest, lock string
}

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	root := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte("/tmp/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "migrations", "secure"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(root, "migrations", "manifest.txt")
	if err := os.WriteFile(manifest, []byte("# test manifest\n20261121000000_extensions.up.sql\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", ".gitignore", "migrations/manifest.txt")
	return &workspace{
		root: root, outDir: filepath.Join(root, "tmp", "secure"), phDir: filepath.Join(root, "migrations", "secure"),
		manifest: manifest, lock: filepath.Join(root, "migrations", "secure.lock"),
	}
}

func (w *workspace) options(dsn, code string) Options {
	return Options{
		DSN: dsn, ContractCode: code, OutDir: w.outDir, PlaceholderDir: w.phDir,
		ManifestPath: w.manifest, LockPath: w.lock, ToolVersion: "test",
		Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) },
	}
}

var execCommand = exec.Command
