package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/pgtest"
)

// TestWorkbookMistakesComeFirst: the workbook is checked before the
// reference CSV, and anything but an XLSX is called what it is.
func TestWorkbookMistakesComeFirst(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "prices.csv")
	if err := os.WriteFile(csv, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"pricing", "import", "--file", "missing.xlsx", "-c", "X"}, "workbook missing.xlsx does not exist"},
		{[]string{"pricing", "import", "--filename", "missing.xlsx", "--contract-code", "X", "--rate-areas", "missing.csv"},
			"workbook missing.xlsx does not exist"},
		{[]string{"pricing", "import", "-f", csv, "-c", "X"}, "not an XLSX workbook"},
		{[]string{"pricing", "parse", "--file", csv}, "not an XLSX workbook"},
		{[]string{"pricing", "import", "--file", dir, "-c", "X"}, "is not a regular file"},
	}
	for _, tc := range cases {
		r := runIn(t, dir, nil, append([]string{"securemig"}, tc.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "rate-areas") ||
			len(lines(r.stderr)) != 1 {
			t.Errorf("securemig %v: exit %d, stderr %q; want exit 1 and one line with %q (nothing about the rate areas)",
				tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestUsageMistakesAreOneLine: a missing required flag or a wrong flag is
// one line naming the command's --help, not the whole help page.
func TestUsageMistakesAreOneLine(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"pricing", "import", "--file", "x.xlsx"}, "missing --contract-code"},
		{[]string{"pricing", "import", "-c", "X"}, "missing --file"},
		{[]string{"pricing", "parse", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"pricing", "rollback"}, "missing --contract-code"},
	}
	for _, tc := range cases {
		r := runIn(t, t.TempDir(), nil, append([]string{"securemig"}, tc.args...)...)
		cmd := strings.Join(tc.args[:2], " ")
		if r.code != 1 || r.stdout != "" || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, tc.want) ||
			!strings.Contains(r.stderr, "see `securemig "+cmd+" --help`") {
			t.Errorf("securemig %v: exit %d, stdout %q, stderr %q; want one line on stderr with %q and the command's --help",
				tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// TestFlagsAfterPositionalArguments: `securemig upload FILE --dry-run`
// means what it says, for every command.
func TestFlagsAfterPositionalArguments(t *testing.T) {
	dir := t.TempDir()
	r := runIn(t, dir, nil, "securemig", "upload", "tmp/secure/x.up.sql", "--dry-run", "--environments", "none.toml")
	if strings.Contains(r.stderr, "exactly one FILE") || !strings.Contains(r.stderr, "none.toml") {
		t.Fatalf("upload FILE --dry-run --environments none.toml: stderr %q; want the flags applied (an error about none.toml)", r.stderr)
	}
	app := newApp()
	cases := []struct{ in, want []string }{
		{[]string{"upload", "F", "--dry-run"}, []string{"upload", "--dry-run", "F"}},
		{[]string{"upload", "F", "--env", "exp", "--yes"}, []string{"upload", "--env", "exp", "--yes", "F"}},
		{[]string{"upload", "status", "N", "--env=stg"}, []string{"upload", "status", "--env=stg", "N"}},
		{[]string{"verify", "F", "--lock", "L"}, []string{"verify", "--lock", "L", "F"}},
		{[]string{"verify", "--", "-odd-name", "--x"}, []string{"verify", "--", "-odd-name", "--x"}},
		{[]string{"verify", "F", "--generate-bash-completion"}, []string{"verify", "F", "--generate-bash-completion"}},
		{[]string{"pricing", "import", "-f", "W", "-c", "X"}, []string{"pricing", "import", "-f", "W", "-c", "X"}},
		{[]string{"nosuch", "a", "--b"}, []string{"nosuch", "a", "--b"}},
	}
	for _, tc := range cases {
		got := reorderArgs(app.Commands, append([]string{"securemig"}, tc.in...))[1:]
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("reorderArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestOneSpellingPerConcept walks every command: a concept has one flag
// name everywhere and the same aliases everywhere.
func TestOneSpellingPerConcept(t *testing.T) {
	want := map[string][]string{"contract-code": {"c"}, "file": {"f", "filename"}, "lock-file": {"lock"}, "out": {"o"}}
	seen := map[string]int{}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(path + " " + c.Name)
			for _, f := range c.Flags {
				names := f.Names()
				if names[0] == "lock" {
					t.Errorf("%s: flag --lock; the concept is spelled --lock-file", name)
				}
				for _, a := range want[names[0]] {
					seen[names[0]]++
					found := false
					for _, n := range names[1:] {
						found = found || n == a
					}
					if !found {
						t.Errorf("%s --%s: no alias %q", name, names[0], a)
					}
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", newApp().Commands)
	for concept := range want {
		if seen[concept] == 0 {
			t.Errorf("no command has --%s; the walk is broken", concept)
		}
	}
}

// TestRefusedImportDetailsGoToStderr: the sheet!cell and CSV-line details
// of a refused import reach stderr (a CI log keeping stderr keeps them);
// stdout stays free of them.
func TestRefusedImportDetailsGoToStderr(t *testing.T) {
	xlsx := sampleWorkbook(t)
	ref, err := os.ReadFile(strings.TrimSuffix(xlsx, ".xlsx") + ".rate-areas.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	broken := strings.Replace(string(ref), "\n", "\n123,,NOPE\n0x1,,US1\n", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, dir, []string{"DATABASE_URL=postgres://nobody@127.0.0.1:1/x"}, "securemig", "pricing", "import",
		"--file", xlsx, "-c", "X", "--rate-areas", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.csv:3") || strings.Contains(r.stdout, "bad.csv") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant the CSV line details on stderr only", r.code, r.stdout, r.stderr)
	}
}

// TestServerGoneMidImport: the server ends the import's session while it
// runs (here: while it waits for a lock held by the test); the user reads
// what happened and that nothing was imported.
func TestServerGoneMidImport(t *testing.T) {
	xlsx := sampleWorkbook(t)
	dsn := pgtest.NewSchemaDatabase(t)
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE stage_domestic_linehaul_prices IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() {
		done <- runIn(t, t.TempDir(), []string{"DATABASE_URL=" + dsn}, "securemig", "pricing", "import", "-f", xlsx, "-c", "GONE")
	}()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n int
		err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the import ended before it waited: exit %d: %s", r.code, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the import never waited for the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := <-done
	if r.code != 1 || !strings.Contains(r.stderr, "the database server closed the connection during the import") ||
		!strings.Contains(r.stderr, "nothing was imported") {
		t.Fatalf("exit %d, stderr %q; want the server's hang-up explained", r.code, r.stderr)
	}
	tx.Rollback(ctx)
	var contracts int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM re_contracts").Scan(&contracts); err != nil || contracts != 0 {
		t.Fatalf("%d contracts after the failed import (%v), want 0", contracts, err)
	}
}
