package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/migrations/schema"
)

// bench is one benchmark run: configuration, the database server and the
// results gathered so far.
type bench struct {
	cfg     config
	args    []string
	root    string // repository root (absolute)
	bin     string // securemig binary (absolute)
	self    string // this program, for the floor mode
	work    string // scratch directory (absolute)
	srv     *server
	results []result
	notes   []string
	bf      *os.File // benchmark-format output
	log     io.Writer

	template    string // database holding the schema, cloned for fresh databases
	templateErr error
	projects    int
	dropLater   []string
}

// newBench checks the environment and connects to the database server.
func newBench(ctx context.Context, cfg config, args []string) (*bench, error) {
	b := &bench{cfg: cfg, args: args, log: os.Stderr}
	var err error
	if b.root, err = os.Getwd(); err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(b.root, "migrations", "schema")); err != nil {
		return nil, errors.New("run from the repository root (no migrations/schema here)")
	}
	if _, err := os.Stat(cfg.bin); err != nil {
		return nil, fmt.Errorf("%s not found: run 'make build' first", cfg.bin)
	}
	b.self = spawner
	if b.work, err = filepath.Abs(cfg.work); err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	if err := os.MkdirAll(b.work, 0o700); err != nil {
		return nil, fmt.Errorf("creating the work directory: %w", err)
	}
	// Measure private copies of the binary and the pipeline script, so that
	// a rebuild or an edit during the run cannot mix versions in one table.
	b.bin = filepath.Join(b.work, "securemig")
	if err := copyFile(cfg.bin, b.bin); err != nil {
		return nil, err
	}
	if err := copyFile(filepath.Join(b.root, "scripts", "pricing-import"), filepath.Join(b.work, "pricing-import")); err != nil {
		return nil, err
	}
	srvURL := os.Getenv("DATABASE_URL")
	if srvURL == "" {
		s, err := child{name: "securemig db url", argv: []string{b.bin, "db", "url"}, dir: b.root,
			timeout: 2 * time.Minute}.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("starting the local database: %w", err)
		}
		srvURL = strings.TrimSpace(s.stdout)
	}
	b.srv = &server{url: srvURL, prefix: fmt.Sprintf("securemig_bench_%d", os.Getpid())}
	if err := b.srv.exec(ctx, "SELECT 1"); err != nil {
		return nil, fmt.Errorf("the database server does not answer: %w", err)
	}
	if b.bf, err = os.OpenFile(cfg.benchfmt, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644); err != nil {
		return nil, fmt.Errorf("creating %s: %w", cfg.benchfmt, err)
	}
	fmt.Fprintf(b.bf, "goos: %s\ngoarch: %s\npkg: github.com/securemig/securemig/cmd/securemig-bench\ncpu: %s\n",
		runtime.GOOS, runtime.GOARCH, cpuModel())
	return b, nil
}

// logf prints a progress line on standard error.
func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "securemig-bench: "+format+"\n", args...)
}

// removeProject deletes a scratch project (its production files too)
// unless -keep is set.
func (b *bench) removeProject(dir string) {
	if b.cfg.keep || dir == "" {
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		b.logf("removing %s: %v", dir, err)
	}
}

// close drops the template database, removes the scratch projects and
// closes the output file.
func (b *bench) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if !b.cfg.keep {
		for _, db := range b.dropLater {
			if err := b.srv.drop(ctx, db); err != nil {
				b.logf("%v", err)
			}
		}
		b.removeProject(filepath.Join(b.work, "projects"))
	}
	if b.bf != nil {
		b.bf.Close()
	}
}

// available reports why a securemig command cannot be measured yet, or nil.
func (b *bench) available(ctx context.Context, cmdPath ...string) error {
	argv := append(append([]string{b.bin}, cmdPath...), "--help")
	s, err := child{name: "help", argv: argv, dir: b.root, timeout: time.Minute}.run(ctx)
	name := "securemig " + strings.Join(cmdPath, " ")
	if err != nil {
		return fmt.Errorf("%s is not available (%v)", name, err)
	}
	if strings.Contains(s.stdout, "not yet implemented") {
		return fmt.Errorf("%s is not implemented yet", name)
	}
	return nil
}

// record writes samples in Go benchmark format, one line per run, for
// benchstat.
func (b *bench) record(name, sampleTag string, ss []sample) {
	for _, s := range ss {
		fmt.Fprintf(b.bf, "Benchmark%s/sample=%s 1 %d ns/op %d peak-RSS-B\n",
			name, sampleTag, s.wall.Nanoseconds(), s.maxRSS)
	}
}

// trial performs one measured run (with any untimed setup of its own). When
// wrap is not nil, the measured child's command line goes through it (used
// to run it under a profiler).
type trial func(ctx context.Context, wrap func([]string) []string) (sample, error)

// series runs t n times.
func series(ctx context.Context, n int, t trial) ([]sample, error) {
	var out []sample
	for range n {
		s, err := t(ctx, nil)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// pairs runs a and b alternately (a b a b ...) n times each.
func pairs(ctx context.Context, n int, a, b trial) (as, bs []sample, err error) {
	for range n {
		s, err := a(ctx, nil)
		if err != nil {
			return as, bs, err
		}
		as = append(as, s)
		if s, err = b(ctx, nil); err != nil {
			return as, bs, err
		}
		bs = append(bs, s)
	}
	return as, bs, nil
}

// wrapArgv applies wrap to argv when wrap is set.
func wrapArgv(wrap func([]string) []string, argv []string) []string {
	if wrap == nil {
		return argv
	}
	return wrap(argv)
}

// ensureTemplate builds, once, the database that fresh databases are cloned
// from: the schema applied by 'securemig migrate' (so that the migration
// engine's tracking table is there too), or by the schema package when the
// migrate command is not available yet.
func (b *bench) ensureTemplate(ctx context.Context) (string, error) {
	if b.template != "" || b.templateErr != nil {
		return b.template, b.templateErr
	}
	b.template, b.templateErr = b.buildTemplate(ctx)
	return b.template, b.templateErr
}

func (b *bench) buildTemplate(ctx context.Context) (string, error) {
	name, dsn, err := b.srv.create(ctx, "template", "")
	if err != nil {
		return "", err
	}
	b.dropLater = append(b.dropLater, name)
	if err := b.available(ctx, "migrate"); err == nil {
		proj, err := b.newProject()
		if err != nil {
			return "", err
		}
		defer b.removeProject(proj)
		_, err = child{name: "securemig migrate (schema)", dir: proj, env: []string{"DATABASE_URL=" + dsn},
			argv: append([]string{b.bin, "migrate"}, migrateSchemaArgs...)}.run(ctx)
		if err != nil {
			return "", fmt.Errorf("applying the schema with securemig migrate: %w", err)
		}
		b.notes = append(b.notes, "Fresh databases are clones of a template database whose schema was applied by `securemig migrate`.")
		return name, nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("connecting to the template database: %w", err)
	}
	defer conn.Close(ctx)
	if err := schema.Apply(ctx, conn); err != nil {
		return "", fmt.Errorf("applying the schema to the template database: %w", err)
	}
	b.notes = append(b.notes, "Fresh databases are clones of a template database whose schema was applied by the schema package (securemig migrate was not available).")
	return name, nil
}

// freshDatabase clones the template into a new database.
func (b *bench) freshDatabase(ctx context.Context, tag string) (name, dsn string, err error) {
	tmpl, err := b.ensureTemplate(ctx)
	if err != nil {
		return "", "", err
	}
	return b.srv.create(ctx, tag, tmpl)
}

// dropDatabase drops a database unless -keep is set.
func (b *bench) dropDatabase(ctx context.Context, name string) {
	if b.cfg.keep || name == "" {
		return
	}
	if err := b.srv.drop(ctx, name); err != nil {
		b.logf("%v", err)
	}
}

// newProject creates a scratch project directory shaped like the
// repository (migrations/schema, an empty migrations/secure, a manifest
// listing only the schema files, and the snapshot of
// scripts/pricing-import), so that commands writing migration files never
// touch the repository.
func (b *bench) newProject() (string, error) {
	b.projects++
	dir := filepath.Join(b.work, "projects", fmt.Sprintf("p%d", b.projects))
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("clearing %s: %w", dir, err)
	}
	for _, d := range []string{"migrations/schema", "migrations/secure", "scripts"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return "", fmt.Errorf("creating the scratch project: %w", err)
		}
	}
	files, err := schema.Files()
	if err != nil {
		return "", fmt.Errorf("listing schema files: %w", err)
	}
	var manifest bytes.Buffer
	manifest.WriteString("# scratch project of securemig-bench\n")
	for _, f := range files {
		if err := copyFile(filepath.Join(b.root, "migrations", "schema", f), filepath.Join(dir, "migrations", "schema", f)); err != nil {
			return "", err
		}
		manifest.WriteString(f + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "migrations", "manifest.txt"), manifest.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("writing the scratch manifest: %w", err)
	}
	if err := copyFile(filepath.Join(b.work, "pricing-import"), filepath.Join(dir, "scripts", "pricing-import")); err != nil {
		return "", err
	}
	return dir, nil
}

// copyFile copies src to dst (replacing it), keeping the executable bit.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(src); err == nil && fi.Mode()&0o100 != 0 {
		mode = 0o700
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}

// cpuModel returns the CPU model name from /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal returns the machine's memory from /proc/meminfo.
func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

// toolVersion returns the first line of "prog --version", or "not found".
func toolVersion(ctx context.Context, prog string) string {
	out, err := exec.CommandContext(ctx, prog, "--version").Output()
	if err != nil {
		return prog + " not found"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}
