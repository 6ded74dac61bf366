package migrations

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{
			name: "comments blanks spaces",
			in: "# schema\n\n  20261121000000_extensions.up.sql  \n" +
				"20261121000100_tables.up.sql # trailing\n\t\n20261201000000_import_pricing_data_x.up.sql",
			want: []Entry{
				{Name: "20261121000000_extensions.up.sql", Version: "20261121000000", Line: 3},
				{Name: "20261121000100_tables.up.sql", Version: "20261121000100", Line: 4},
				{Name: "20261201000000_import_pricing_data_x.up.sql", Version: "20261201000000", Line: 6},
			},
		},
		{name: "crlf", in: "20261121000000_a.up.sql\r\n", want: []Entry{{Name: "20261121000000_a.up.sql", Version: "20261121000000", Line: 1}}},
		{name: "short version", in: "2026112100000_a.up.sql\n", wantErr: "line 1"},
		{name: "no suffix", in: "\n20261121000000_a.sql\n", wantErr: "line 2"},
		{name: "path", in: "../20261121000000_a.up.sql\n", wantErr: "line 1"},
		{name: "part listed", in: "20261121000000_a.part-001.up.sql\n", wantErr: "line 1"},
		{name: "duplicate name", in: "20261121000000_a.up.sql\n#\n20261121000000_a.up.sql\n", wantErr: "line 3: version 20261121000000 of 20261121000000_a.up.sql is already listed on line 1"},
		{name: "duplicate version", in: "20261121000000_a.up.sql\n20261121000000_b.up.sql\n", wantErr: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseManifest(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAppendManifest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.txt")
	if err := os.WriteFile(path, []byte("# header\n20261121000000_a.up.sql"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendManifest(path, "20261122000000_b.up.sql"); err != nil {
		t.Fatal(err)
	}
	if err := AppendManifest(path, "20261122000000_c.up.sql"); err == nil {
		t.Fatal("duplicate version accepted")
	}
	if err := AppendManifest(path, "bad name.up.sql"); err == nil {
		t.Fatal("invalid name accepted")
	}
	got, _ := os.ReadFile(path)
	want := "# header\n20261121000000_a.up.sql\n20261122000000_b.up.sql\n"
	if string(got) != want {
		t.Fatalf("manifest = %q, want %q", got, want)
	}
	fresh := filepath.Join(t.TempDir(), "new.txt")
	if err := AppendManifest(fresh, "20261121000000_a.up.sql"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); string(got) != "20261121000000_a.up.sql\n" {
		t.Fatalf("new manifest = %q", got)
	}
}

func TestPartOf(t *testing.T) {
	tests := []struct {
		in    string
		whole string
		n     int
		ok    bool
	}{
		{"20261121000000_a.part-001.up.sql", "20261121000000_a.up.sql", 1, true},
		{"20261121000000_a.part-012.up.sql", "20261121000000_a.up.sql", 12, true},
		{"20261121000000_a.part-000.up.sql", "", 0, false},
		{"20261121000000_a.up.sql", "", 0, false},
		{"20261121000000_a.part-1.up.sql", "", 0, false},
	}
	for _, tt := range tests {
		whole, n, ok := partOf(tt.in)
		if whole != tt.whole || n != tt.n || ok != tt.ok {
			t.Errorf("partOf(%q) = %q, %d, %v", tt.in, whole, n, ok)
		}
	}
	if got := PartName("20261121000000_a.up.sql", 3); got != "20261121000000_a.part-003.up.sql" {
		t.Errorf("PartName = %q", got)
	}
}

func TestFileLocation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "20261121000000_a.up.sql"), []byte("select 1;"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "20261121000000_a.up.sql"), filepath.Join(dir, "20261122000000_link.up.sql")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	loc, err := OpenLocation(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if loc.String() != "file://"+dir {
		t.Errorf("String() = %q", loc.String())
	}
	names, err := loc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"20261121000000_a.up.sql", "20261122000000_link.up.sql"}) {
		t.Fatalf("List = %v", names)
	}
	rc, err := loc.Open(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "select 1;" {
		t.Fatalf("content %q", b)
	}
	if _, err := loc.Open(ctx, "../x"); err == nil {
		t.Fatal("path escape accepted")
	}
	missing, err := OpenLocation(ctx, "file://"+filepath.Join(dir, "nope"))
	if err != nil {
		t.Fatal(err)
	}
	if names, err := missing.List(ctx); err != nil || len(names) != 0 {
		t.Fatalf("missing dir: %v %v", names, err)
	}
	if _, err := OpenLocation(ctx, "gopher://x/y"); err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestOpenFileURLRelative(t *testing.T) {
	loc, err := OpenLocation(context.Background(), "file://migrations/schema")
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.(fileLocation).dir; got != filepath.FromSlash("migrations/schema") {
		t.Fatalf("dir = %q", got)
	}
	if loc.String() != "file://migrations/schema" {
		t.Fatalf("String = %q", loc.String())
	}
}

func TestRegisterScheme(t *testing.T) {
	var got string
	RegisterScheme("memtest", func(_ context.Context, u *url.URL) (Location, error) {
		got = u.Host + u.Path
		return NewFileLocation(t.TempDir()), nil
	})
	if _, err := OpenLocation(context.Background(), "memtest://bucket/prefix"); err != nil {
		t.Fatal(err)
	}
	if got != "bucket/prefix" {
		t.Fatalf("opener got %q", got)
	}
}

func TestEditManifest(t *testing.T) {
	const (
		old = "20261121120000_import_pricing_data_x.up.sql"
		add = "20261121130000_import_pricing_data_x.up.sql"
	)
	tests := []struct {
		name, in, want, wantErr string
		add                     string
	}{
		{"drops the old line, keeps comments", "# c\n20261121000000_a.up.sql\n" + old + "\n\n# end\n",
			"# c\n20261121000000_a.up.sql\n\n# end\n" + add + "\n", "", add},
		{"drop only", "# c\n" + old + "\n20261121000000_a.up.sql", "# c\n20261121000000_a.up.sql", "", "-"},
		{"indented old line", "  " + old + "  \n", add + "\n", "", add},
		{"no final newline", "20261121000000_a.up.sql", "20261121000000_a.up.sql\n" + add + "\n", "", add},
		{"empty manifest", "", add + "\n", "", add},
		{"version taken", "20261121130000_other.up.sql\n", "", "already listed on line 1", add},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EditManifest([]byte(tt.in), []string{old}, strings.TrimPrefix(tt.add, "-"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
