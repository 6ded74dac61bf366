package securegen

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securemig/securemig/lockfile"
)

// snapshot reads every file of the workspace's migration and output
// directories, the manifest and the lock file.
func (w *workspace) snapshot(t *testing.T) map[string]string {
	t.Helper()
	snap := map[string]string{}
	for _, dir := range []string{w.outDir, w.phDir} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			snap[filepath.Join(dir, e.Name())] = string(b)
		}
	}
	for _, f := range []string{w.manifest, w.lock} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		snap[f] = string(b)
	}
	return snap
}

func sameSnapshot(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s changed or disappeared", what, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

func TestReplaceRegeneratesUnshippedContract(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	first, err := Generate(ctx, ws.options(dsn, "SAMPLE"))
	if err != nil {
		t.Fatal(err)
	}
	before := ws.snapshot(t)

	_, err = Generate(ctx, ws.options(dsn, "SAMPLE"))
	if err == nil || !strings.Contains(err.Error(), "--replace") || !strings.Contains(err.Error(), first.FileName) {
		t.Fatalf("second run without --replace: got %v, want a refusal naming %s and --replace", err, first.FileName)
	}
	sameSnapshot(t, "refused run", ws.snapshot(t), before)

	o := ws.options(dsn, "SAMPLE")
	o.Replace = true
	second, err := Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if second.FileName == first.FileName {
		t.Fatalf("the replacement reuses %s", first.FileName)
	}
	if !slices.Equal(second.Replaced, []string{first.FileName}) {
		t.Errorf("replaced %v, want [%s]", second.Replaced, first.FileName)
	}
	for _, f := range []string{first.Production, first.Down, first.Placeholder} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s of the replaced migration is still there (%v)", f, err)
		}
	}
	for _, f := range []string{second.Production, second.Down, second.Placeholder} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("new file: %v", err)
		}
	}
	manifest, err := os.ReadFile(ws.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# test manifest\n20261121000000_extensions.up.sql\n" + second.FileName + "\n"; string(manifest) != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", manifest, want)
	}
	lf, err := lockfile.Load(ws.lock)
	if err != nil {
		t.Fatal(err)
	}
	if len(lf.Migrations) != 1 || lf.Migrations[second.FileName] == nil || lf.Migrations[second.FileName].SHA256 != second.SHA256 {
		t.Errorf("lock entries %v, want only %s", slices.Collect(maps.Keys(lf.Migrations)), second.FileName)
	}
	// Same data: same bytes apart from the version (header and guard).
	ws2 := newWorkspace(t)
	o2 := ws2.options(dsn, "SAMPLE")
	o2.Version = second.Version
	third, err := Generate(ctx, o2)
	if err != nil {
		t.Fatal(err)
	}
	if third.SHA256 != second.SHA256 || third.PlaceholderSHA256 != second.PlaceholderSHA256 {
		t.Error("a replacement differs from a first generation of the same data and version")
	}
}

func TestReplaceRefusesShippedContract(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	tests := []struct {
		name    string
		ship    func(t *testing.T, ws *workspace, res *Result)
		wantErr []string
	}{
		{"uploaded", func(t *testing.T, ws *workspace, res *Result) {
			err := lockfile.Update(ws.lock, func(f *lockfile.File) error {
				f.Migrations[res.FileName].Uploads = map[string]*lockfile.Upload{"staging": {
					Bucket: "b", Key: res.FileName, SHA256: res.SHA256, Size: res.Size,
					UploadedAt: time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC)}}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}, []string{"cannot be replaced", "uploaded to staging", "new contract code", "gen revert-migration --contract-code"}},
		{"staged", func(t *testing.T, ws *workspace, res *Result) {
			gitRun(t, ws.root, "add", res.Placeholder)
		}, []string{"cannot be replaced", "tracked by git", "new contract code"}},
		{"committed", func(t *testing.T, ws *workspace, res *Result) {
			gitRun(t, ws.root, "add", res.Placeholder)
			gitRun(t, ws.root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "ship")
			gitRun(t, ws.root, "rm", "-q", "--cached", res.Placeholder)
		}, []string{"cannot be replaced", "committed in git (HEAD)", "gen revert-migration --contract-code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := newWorkspace(t)
			res, err := Generate(ctx, ws.options(dsn, "SAMPLE"))
			if err != nil {
				t.Fatal(err)
			}
			tt.ship(t, ws, res)
			before := ws.snapshot(t)
			o := ws.options(dsn, "SAMPLE")
			o.Replace = true
			_, err = Generate(ctx, o)
			if err == nil {
				t.Fatal("replaced a shipped migration")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			sameSnapshot(t, "refused replacement", ws.snapshot(t), before)
		})
	}
}

func TestFailedReplacementKeepsTheOldMigration(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	if _, err := Generate(ctx, ws.options(dsn, "SAMPLE")); err != nil {
		t.Fatal(err)
	}
	before := ws.snapshot(t)
	o := ws.options(dsn, "SAMPLE")
	o.Replace = true
	boom := errors.New("injected failure")
	o.tamper = func([]byte, []byte) ([]byte, error) { return nil, boom }
	if _, err := Generate(ctx, o); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the injected failure", err)
	}
	sameSnapshot(t, "failed replacement", ws.snapshot(t), before)
}
