package securegen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

func TestSweepRecoversInterruptedCommits(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	tests := []struct {
		step      string
		completed bool // the manifest lists the new migration: completed, else undone
	}{
		{"journal", false},
		{"linked", false},
		{"recorded", false},
		{"committed", true},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			ws := newWorkspace(t)
			first, err := Generate(ctx, ws.options(dsn, "SAMPLE"))
			if err != nil {
				t.Fatal(err)
			}
			before := ws.snapshot(t)
			o := ws.options(dsn, "SAMPLE")
			o.Replace = true
			o.Version = "20261121120500"
			o.crash = func(step string) bool { return step == tt.step }
			if _, err := Generate(ctx, o); !errors.Is(err, errCrash) {
				t.Fatalf("got %v, want the simulated crash", err)
			}
			// A dry run reports and changes nothing.
			dry, err := Sweep(ws.outDir, ws.phDir, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(dry.Removed) != 1 || len(dry.Completed)+len(dry.Undone) != 1 {
				t.Fatalf("dry run: %+v", dry)
			}
			rep, err := Sweep(ws.outDir, ws.phDir, false)
			if err != nil {
				t.Fatal(err)
			}
			const newName = "20261121120500_import_pricing_data_sample.up.sql"
			if !tt.completed {
				if !slices.Equal(rep.Undone, []string{newName}) || len(rep.Completed) != 0 {
					t.Fatalf("sweep %+v, want %s undone", rep, newName)
				}
				sameSnapshot(t, "undone commit", ws.snapshot(t), before)
				return
			}
			if !slices.Equal(rep.Completed, []string{newName}) || len(rep.Undone) != 0 {
				t.Fatalf("sweep %+v, want %s completed", rep, newName)
			}
			lf, err := lockfile.Load(ws.lock)
			if err != nil {
				t.Fatal(err)
			}
			entries, _ := migrations.ReadManifest(ws.manifest)
			if _, ok := lf.Lookup(newName); !ok || len(lf.Migrations) != 1 || entries[len(entries)-1].Name != newName {
				t.Errorf("lock %v, manifest %v", lf.Migrations, entries)
			}
			for _, f := range []string{filepath.Join(ws.outDir, first.FileName), filepath.Join(ws.phDir, first.FileName), first.Down} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("the replaced migration's %s is left", f)
				}
			}
			for _, f := range []string{filepath.Join(ws.outDir, newName), filepath.Join(ws.phDir, newName)} {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("the completed migration lacks %s", f)
				}
			}
			ents, _ := os.ReadDir(ws.outDir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("left in %s: %s", ws.outDir, e.Name())
				}
			}
		})
	}
}

func TestSweepLeavesRunningGenerationsAlone(t *testing.T) {
	dir := t.TempDir()
	name, err := stagingName()
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStaging(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(dir, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Busy) != 1 || !rep.Empty() {
		t.Errorf("sweep of a locked staging directory: %+v", rep)
	}
	if _, err := os.Stat(st.dir); err != nil {
		t.Errorf("the running generation's directory was removed: %v", err)
	}
	st.lock.Close() // the run dies
	if rep, err = Sweep(dir, t.TempDir(), false); err != nil || len(rep.Removed) != 1 {
		t.Errorf("sweep after the run died: %+v, %v", rep, err)
	}
	if _, err := os.Stat(st.dir); err == nil {
		t.Error("the dead run's directory is left")
	}
}
