package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/pgtest"
)

// binary is the securemig binary built once for the CLI tests, with a
// version and commit baked in as the Makefile does.
var binary string

const (
	testVersion = "v9.8.7-test"
	testCommit  = "0123456789ab"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "securemig-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "securemig")
	pkg := "github.com/securemig/securemig/internal/buildinfo"
	build := exec.Command("go", "build", "-o", binary,
		"-ldflags", "-X "+pkg+".Version="+testVersion+" -X "+pkg+".Commit="+testCommit, ".")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes the binary with env added to the environment and returns
// stdout, stderr and the exit code.
func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	default:
		t.Fatalf("running securemig %v: %v", args, err)
		return "", "", -1
	}
}

func TestVersionIsBakedIn(t *testing.T) {
	out, _, code := run(t, nil, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, testVersion) || !strings.Contains(out, testCommit) {
		t.Fatalf("version printed %q, want version %s and commit %s", out, testVersion, testCommit)
	}
}

// TestEveryCommandAndFlagIsExplained walks the whole command tree: every
// command needs a usage line, and every flag a usage text.
func TestEveryCommandAndFlagIsExplained(t *testing.T) {
	var walk func(path string, cmds []*cli.Command)
	count := 0
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := path + " " + c.Name
			count++
			if strings.TrimSpace(c.Usage) == "" || strings.Contains(c.Usage, "not yet implemented") {
				t.Errorf("%s: no usage text", name)
			}
			if len(c.Subcommands) == 0 && c.Action == nil {
				t.Errorf("%s: no action", name)
			}
			for _, f := range c.Flags {
				if u, ok := f.(cli.DocGenerationFlag); ok && strings.TrimSpace(u.GetUsage()) == "" {
					t.Errorf("%s --%s: no usage text", name, f.Names()[0])
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("securemig", newApp().Commands)
	if count < 20 {
		t.Fatalf("walked only %d commands; the command tree looks incomplete", count)
	}
}

func TestHelpRunsForEveryCommand(t *testing.T) {
	var paths [][]string
	var collect func(prefix []string, cmds []*cli.Command)
	collect = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, prefix...), c.Name)
			paths = append(paths, p)
			collect(p, c.Subcommands)
		}
	}
	collect(nil, newApp().Commands)
	for _, p := range paths {
		out, _, code := run(t, nil, append(p, "--help")...)
		if code != 0 || !strings.Contains(out, "USAGE") {
			t.Errorf("securemig %s --help: exit %d, output %q", strings.Join(p, " "), code, out)
		}
	}
}

func TestDBStatusOfAnEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	out, _, code := run(t, []string{"SECUREMIG_PGDIR=" + filepath.Join(dir, "pg")}, "db", "status")
	if code != 3 || !strings.Contains(out, "not initialized") {
		t.Fatalf("db status: exit %d, output %q; want exit 3 and 'not initialized'", code, out)
	}
}

func TestMissingServerBinariesSayHowToInstall(t *testing.T) {
	env := []string{"SECUREMIG_PGDIR=" + filepath.Join(t.TempDir(), "pg"), "SECUREMIG_PG_BIN=" + t.TempDir()}
	_, stderr, code := run(t, env, "db", "start")
	if code != 1 || !strings.Contains(stderr, "apt-get install") {
		t.Fatalf("db start without server binaries: exit %d, stderr %q; want exit 1 and install instructions", code, stderr)
	}
}

func TestDatabaseURLWins(t *testing.T) {
	// With DATABASE_URL set, commands must not touch the local cluster: an
	// unreachable URL fails the command, and no cluster directory appears.
	pgdir := filepath.Join(t.TempDir(), "pg")
	env := []string{"DATABASE_URL=postgres://nobody:s3cret-pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2",
		"SECUREMIG_PGDIR=" + pgdir}
	_, stderr, code := run(t, env, "pricing", "list")
	if code == 0 {
		t.Fatal("pricing list succeeded against an unreachable DATABASE_URL")
	}
	if strings.Contains(stderr, "s3cret-pw") {
		t.Fatalf("the error echoes the database password: %q", stderr)
	}
	if _, err := os.Stat(pgdir); !os.IsNotExist(err) {
		t.Fatalf("a local cluster directory was created although DATABASE_URL is set: %v", err)
	}
}
