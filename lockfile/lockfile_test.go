package lockfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoadMissingIsEmpty(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "secure.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != FormatVersion || len(f.Migrations) != 0 {
		t.Fatalf("got %+v, want an empty version-%d file", f, FormatVersion)
	}
}

func TestRoundTripIsCanonical(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secure.lock")
	at := time.Date(2026, 11, 21, 5, 30, 0, 0, time.UTC)
	err := Update(path, func(f *File) error {
		f.Migrations["20261121053000_import_pricing_data_b.up.sql"] = &Entry{SHA256: "bb", Size: 2, GeneratedAt: at,
			Tables: map[string]int64{"re_zip3s": 908, "re_contracts": 1}}
		f.Migrations["20261121053000_import_pricing_data_a.up.sql"] = &Entry{SHA256: "aa", Size: 1, GeneratedAt: at,
			Uploads: map[string]*Upload{"stg": {Bucket: "b", Key: "k", SHA256: "aa", Size: 1, UploadedAt: at}}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := f.Lookup("20261121053000_import_pricing_data_a.up.sql")
	if !ok || e.Uploads["stg"].Key != "k" || !e.Uploads["stg"].UploadedAt.Equal(at) {
		t.Fatalf("entry a did not round-trip: %+v", e)
	}
	again, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(first) {
		t.Fatalf("re-encoding changed the bytes:\n%s\nvs\n%s", first, again)
	}
	if a, b := strings.Index(string(first), "_a.up.sql"), strings.Index(string(first), "_b.up.sql"); a > b {
		t.Fatalf("keys are not sorted:\n%s", first)
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secure.lock")
	err := Update(path, func(f *File) error {
		f.Migrations["x.up.sql"] = &Entry{SHA256: "x"}
		return fmt.Errorf("refused")
	})
	if err == nil || err.Error() != "refused" {
		t.Fatalf("got %v, want the callback's error", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("lock file was written after a failed update: %v", err)
	}
}

func TestConcurrentUpdatesKeepEveryEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secure.lock")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Update(path, func(f *File) error {
				f.Migrations[fmt.Sprintf("%02d.up.sql", i)] = &Entry{SHA256: "s"}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Migrations) != 20 {
		t.Fatalf("got %d entries, want 20: concurrent updates lost entries", len(f.Migrations))
	}
}

func TestRejectsUnknownFieldsAndVersions(t *testing.T) {
	for name, content := range map[string]string{
		"unknown field": `{"version":1,"migrations":{},"extra":true}`,
		"future format": `{"version":2,"migrations":{}}`,
		"not json":      `version = 1`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secure.lock")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s", err, path)
			}
		})
	}
}

func TestUpdateLeavesNoStrayFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secure.lock")
	if err := Update(path, func(f *File) error { f.Migrations["a.up.sql"] = &Entry{SHA256: "a"}; return nil }); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secure.lock" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only secure.lock", names)
	}
}
