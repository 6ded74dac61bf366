// Package securegen generates secure migrations and verifies them.
//
// A secure migration ships one contract's pricing data: a production file
// (the real data, written only to a git-ignored directory with 0600
// permissions), a matching down migration, a scrubbed placeholder committed
// in migrations/secure/ (same tables, rows and keys, synthetic prices), a
// manifest line and a lock entry linking the placeholder to the production
// file's exact bytes (SHA-256, size, per-table row counts).
//
// The production file is pg_dump's data-only output for exactly the
// contract's rows: pg_dump runs under a throwaway role that row-level
// security policies restrict to the contract (--role, --enable-row-security),
// so other contracts in the local database never reach the file.
package securegen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/dump"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// Defaults for the generator's paths and limits.
const (
	// DefaultOutDir holds production files; it must be git-ignored.
	DefaultOutDir = "tmp/secure"
	// DefaultPlaceholderDir holds the committed placeholders.
	DefaultPlaceholderDir = "migrations/secure"
	// DefaultManifest is the migration manifest.
	DefaultManifest = "migrations/manifest.txt"
	// DefaultSizeLimit is the antivirus scanner limit some buckets enforce.
	DefaultSizeLimit = 250 << 20
	// versionLayout is the UTC timestamp of migration versions.
	versionLayout = "20060102150405"
)

// Options configures Generate.
type Options struct {
	// DSN is the local database holding the imported contract.
	DSN string
	// ContractCode selects the contract to ship (contract mode).
	ContractCode string
	// Name and Source select --name mode: wrap the dump or SQL file Source
	// as migration <version>_<Name>.up.sql.
	Name, Source string
	// Include and Exclude are pg_dump patterns; DefaultPatterns when empty.
	Include, Exclude []string
	// Version forces the version (YYYYMMDDHHMMSS); it must be free.
	Version string
	// Now gives the clock for the version (time.Now when nil).
	Now func() time.Time
	// OutDir, PlaceholderDir, ManifestPath and LockPath default to
	// DefaultOutDir, DefaultPlaceholderDir, DefaultManifest and
	// lockfile.DefaultPath.
	OutDir, PlaceholderDir, ManifestPath, LockPath string
	// PgDump is the pg_dump program (found by major version when empty).
	PgDump string
	// ToolVersion is written into the header and the lock entry.
	ToolVersion string
	// WorkbookSHA256 overrides the digest read from the import log.
	WorkbookSHA256 string
	// SizeLimit is the production file size that triggers a warning, or with
	// Split the maximum part size (DefaultSizeLimit when 0).
	SizeLimit int64
	// Split cuts a production file larger than SizeLimit into parts.
	Split bool
	// Log receives one line per stage (nil: discarded).
	Log io.Writer

	// afterScrub lets tests tamper with the placeholder before the leak check.
	afterScrub func(placeholderPath string) error
}

// Result describes a generated secure migration.
type Result struct {
	// Version and Name make the file name FileName.
	Version, Name, FileName string
	// Production is the production file (or, when split, its parts).
	Production string
	Parts      []lockfile.Part
	// SHA256 and Size describe the production bytes (all parts together).
	SHA256 string
	Size   int64
	// Down is the down migration ("" in --name mode).
	Down string
	// Placeholder is the placeholder file and its digest.
	Placeholder, PlaceholderSHA256 string
	// Tables lists the row counts in load order.
	Tables []TableCount
	// OverLimit reports a production file larger than the size limit that
	// was not split.
	OverLimit bool
	// SizeLimit is the limit applied.
	SizeLimit int64
	// DumpDuration is the time spent producing the production file (and,
	// concurrently, the placeholder).
	DumpDuration time.Duration
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OutDir == "" {
		o.OutDir = DefaultOutDir
	}
	if o.PlaceholderDir == "" {
		o.PlaceholderDir = DefaultPlaceholderDir
	}
	if o.ManifestPath == "" {
		o.ManifestPath = DefaultManifest
	}
	if o.LockPath == "" {
		o.LockPath = lockfile.DefaultPath
	}
	if o.SizeLimit <= 0 {
		o.SizeLimit = DefaultSizeLimit
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Generate writes a secure migration: in contract mode from the database,
// in --name mode from a file. On any failure it removes what it wrote.
func Generate(ctx context.Context, opts Options) (*Result, error) {
	opts.defaults()
	switch {
	case opts.ContractCode != "" && opts.Name != "":
		return nil, errors.New("give either a contract code or a migration name, not both")
	case opts.ContractCode != "":
		return generateContract(ctx, opts)
	case opts.Name != "":
		return generateNamed(ctx, opts)
	default:
		return nil, errors.New("a contract code or a migration name is required")
	}
}

// plan is what both modes share once the data source is known.
type plan struct {
	opts    Options
	res     *Result
	created []string // files to remove on failure
	header  Header
	guard   string
}

func (p *plan) fail(err error) (*Result, error) {
	for _, f := range p.created {
		os.Remove(f)
	}
	return nil, err
}

// prepare picks the version and checks and creates the directories.
func (p *plan) prepare(ctx context.Context, name string) error {
	o := p.opts
	version, err := chooseVersion(o, name)
	if err != nil {
		return err
	}
	p.res = &Result{Version: version, Name: name, FileName: version + "_" + name + ".up.sql", SizeLimit: o.SizeLimit}
	if _, err := migrations.ParseName(p.res.FileName); err != nil {
		return err
	}
	if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", o.OutDir, err)
	}
	if err := os.Chmod(o.OutDir, 0o700); err != nil {
		return fmt.Errorf("restricting %s to its owner: %w", o.OutDir, err)
	}
	for _, f := range []string{p.res.FileName, migrations.PartName(p.res.FileName, 1), downName(p.res.FileName)} {
		if err := CheckIgnored(ctx, filepath.Join(o.OutDir, f)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.PlaceholderDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", o.PlaceholderDir, err)
	}
	return nil
}

func downName(fileName string) string {
	return strings.TrimSuffix(fileName, ".up.sql") + ".down.sql"
}

// chooseVersion returns the forced version if free, else the clock's UTC
// time, bumped by a second while the manifest or a directory already has it.
func chooseVersion(o Options, name string) (string, error) {
	taken := map[string]bool{}
	entries, err := migrations.ReadManifest(o.ManifestPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	for _, e := range entries {
		taken[e.Version] = true
	}
	for _, dir := range []string{o.OutDir, o.PlaceholderDir} {
		names, _ := filepath.Glob(filepath.Join(dir, "[0-9]*_*.sql"))
		for _, n := range names {
			if b := filepath.Base(n); len(b) > 14 {
				taken[b[:14]] = true
			}
		}
	}
	if o.Version != "" {
		if _, err := time.Parse(versionLayout, o.Version); err != nil || len(o.Version) != 14 {
			return "", fmt.Errorf("invalid version %q: want a UTC timestamp YYYYMMDDHHMMSS", o.Version)
		}
		if taken[o.Version] {
			return "", fmt.Errorf("version %s is already used (manifest %s or an existing file)", o.Version, o.ManifestPath)
		}
		return o.Version, nil
	}
	t := o.Now().UTC().Truncate(time.Second)
	for taken[t.Format(versionLayout)] {
		t = t.Add(time.Second)
	}
	return t.Format(versionLayout), nil
}

// generatedAt is the version's timestamp: identical inputs, identical bytes.
func generatedAt(version string) time.Time {
	t, _ := time.Parse(versionLayout, version)
	return t.UTC()
}

func generateContract(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	conn, err := pgx.Connect(ctx, o.DSN)
	if err != nil {
		return nil, fmt.Errorf("connecting to the local database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SET lock_timeout = '60s'"); err != nil {
		return nil, fmt.Errorf("preparing the session: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", scopeLockKey); err != nil {
		return nil, fmt.Errorf("waiting for another securemig gen on this database: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", scopeLockKey) //nolint:errcheck // the session ends anyway
	if _, err := conn.Exec(ctx, "RESET lock_timeout"); err != nil {
		return nil, fmt.Errorf("preparing the session: %w", err)
	}
	if err := removeStaleScopes(ctx, conn); err != nil {
		return nil, err
	}
	contractID, err := ContractID(ctx, conn, o.ContractCode)
	if err != nil {
		return nil, err
	}
	tables, err := resolveTables(ctx, conn, o)
	if err != nil {
		return nil, err
	}
	expected, err := Stats(ctx, conn, tables, contractID, false)
	if err != nil {
		return nil, err
	}
	wb := o.WorkbookSHA256
	if wb == "" {
		if wb, err = workbookDigest(ctx, conn, o.ContractCode); err != nil {
			return nil, err
		}
	}
	if err := checkNotShipped(o.LockPath, o.ContractCode); err != nil {
		return nil, err
	}
	p := &plan{opts: o}
	if err := p.prepare(ctx, "import_pricing_data_"+fileCode(o.ContractCode)); err != nil {
		return nil, err
	}
	major, err := dump.ServerMajor(ctx, conn)
	if err != nil {
		return nil, err
	}
	prog, err := dump.FindPgDump(ctx, o.PgDump, major)
	if err != nil {
		return nil, err
	}
	p.header = Header{Kind: KindProduction, Version: p.res.Version, Name: p.res.Name, ContractCode: o.ContractCode,
		ContractID: contractID, WorkbookSHA256: wb, ToolVersion: o.ToolVersion, GeneratedAt: generatedAt(p.res.Version)}
	for _, s := range expected {
		p.header.Tables = append(p.header.Tables, TableCount{Table: s.Table, Rows: s.Rows})
	}
	p.res.Tables = p.header.Tables
	p.guard = guardSQL(o.ContractCode, p.res.FileName)
	fmt.Fprintf(o.Log, "dumping contract %s (%d tables) with %s (prepared in %s)\n", o.ContractCode, len(tables), prog, since(start))
	err = p.writeProduction(func(w io.Writer) error {
		sc, err := openScope(ctx, conn, tables, contractID)
		if err != nil {
			return err
		}
		pinned := make([]string, len(tables))
		for i, t := range tables {
			pinned[i] = dump.QuoteName(t.Schema, t.Name)
		}
		runErr := dump.Run(ctx, o.DSN, dump.Options{PgDump: prog, Include: pinned, RowSecurity: true, Role: sc.role}, w)
		if err := sc.close(ctx, conn); err != nil && runErr == nil {
			runErr = err
		}
		return runErr
	})
	if err != nil {
		return p.fail(err)
	}
	down := downSQL(p.res.FileName, o.ContractCode, contractID, tables)
	if err := p.writeDown(down); err != nil {
		return p.fail(err)
	}
	return p.finish(ctx)
}

// checkNotShipped refuses a contract that the lock file already ships: the
// second migration's guard would stop every database that applied the first.
func checkNotShipped(lockPath, code string) error {
	lf, err := lockfile.Load(lockPath)
	if err != nil {
		return err
	}
	for name, e := range lf.Migrations {
		if e != nil && e.ContractCode == code {
			return fmt.Errorf("contract %s is already shipped by %s (%s); a contract is shipped once: remove that migration (placeholder, manifest line, lock entry) if it was never merged, or import under a new code", code, name, lockPath)
		}
	}
	return nil
}

// resolveTables resolves the patterns and keeps the contract tables in
// foreign-key order; explicit patterns selecting other data are an error.
func resolveTables(ctx context.Context, conn *pgx.Conn, o Options) ([]*Table, error) {
	include, exclude := o.Include, o.Exclude
	if len(include) == 0 {
		var err error
		if include, exclude, err = DefaultPatterns(ctx, conn); err != nil {
			return nil, err
		}
		exclude = append(exclude, o.Exclude...)
	}
	rels, err := dump.Resolve(ctx, conn, include, exclude)
	if err != nil {
		return nil, err
	}
	tables, unlinked, err := ContractTables(ctx, conn, rels)
	if err != nil {
		return nil, err
	}
	if len(unlinked) > 0 {
		names := make([]string, len(unlinked))
		for i, r := range unlinked {
			names[i] = r.String()
		}
		return nil, fmt.Errorf("the patterns select tables that hold no contract data (no foreign key leads to %s.%s): %s; exclude them with -T",
			contractsSchema, contractsTable, strings.Join(names, ", "))
	}
	var hasContracts bool
	for _, t := range tables {
		hasContracts = hasContracts || (t.Schema == contractsSchema && t.Name == contractsTable)
	}
	if !hasContracts {
		return nil, fmt.Errorf("the patterns must select %s.%s (the contract row itself)", contractsSchema, contractsTable)
	}
	return tables, nil
}

// workbookDigest reads the workbook SHA-256 of the contract's last
// successful import from the import log ("" when there is none).
func workbookDigest(ctx context.Context, conn *pgx.Conn, code string) (string, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('public.pricing_imports') IS NOT NULL").Scan(&exists); err != nil {
		return "", fmt.Errorf("reading the import log: %w", err)
	}
	if !exists {
		return "", nil
	}
	var sum string
	err := conn.QueryRow(ctx, `SELECT workbook_sha256 FROM public.pricing_imports
WHERE contract_code = $1 AND status = 'imported' ORDER BY started_at DESC LIMIT 1`, code).Scan(&sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the import log: %w", err)
	}
	return strings.TrimSpace(sum), nil
}

// writeProduction writes header, guard and the body produced by body
// (through the \restrict filter) to the production file and, at the same
// time, the scrubbed body to the placeholder (a goroutine scrubs a copy of
// the stream, so the placeholder costs no second pass). Then it checks the
// dumped row counts against the header's and moves both files into place.
func (p *plan) writeProduction(body func(w io.Writer) error) error {
	o := p.opts
	start := time.Now()
	limit := int64(0)
	if o.Split {
		limit = o.SizeLimit
	}
	prod, err := newSink(o.OutDir, p.res.FileName, limit)
	if err != nil {
		return err
	}
	ph, err := newSink(o.PlaceholderDir, p.res.FileName, 0)
	if err != nil {
		prod.cleanup()
		return err
	}
	cleanup := func(err error) error {
		prod.cleanup()
		ph.cleanup()
		return err
	}
	phHeader := p.header
	phHeader.Kind = KindPlaceholder
	if _, err := io.WriteString(prod, p.header.Format()+p.guard); err != nil {
		return cleanup(err)
	}
	if _, err := io.WriteString(ph, phHeader.Format()+p.guard); err != nil {
		return cleanup(err)
	}
	pipe := newChunkPipe(64)
	scrubbed := make(chan error, 1)
	go func() {
		_, err := Scrub(pipe, ph)
		pipe.closeRead()
		scrubbed <- err
	}()
	f := newBodyFilter(io.MultiWriter(prod, pipe))
	err = body(f)
	if err == nil {
		err = f.close()
	}
	pipe.closeWrite()
	if scrubErr := <-scrubbed; scrubErr != nil {
		return cleanup(fmt.Errorf("writing the placeholder: %w", scrubErr))
	}
	if err != nil {
		return cleanup(err)
	}
	if err := checkCounts(p.header.Tables, f); err != nil {
		return cleanup(err)
	}
	w, err := prod.commit()
	if err != nil {
		ph.cleanup()
		return err
	}
	p.created = append(p.created, w.Paths...)
	p.res.Production, p.res.SHA256, p.res.Size, p.res.Parts = w.Path, w.SHA256, w.Size, w.Parts
	if len(w.Parts) > 0 {
		p.res.Production = w.Paths[0]
	}
	p.res.OverLimit = !o.Split && w.Size > o.SizeLimit
	pw, err := ph.commit()
	if err != nil {
		return err
	}
	p.created = append(p.created, pw.Path)
	if err := os.Chmod(pw.Path, 0o644); err != nil {
		return fmt.Errorf("writing the placeholder: %w", err)
	}
	p.res.Placeholder, p.res.PlaceholderSHA256 = pw.Path, pw.SHA256
	p.res.DumpDuration = time.Since(start)
	fmt.Fprintf(o.Log, "production file %s: %d bytes, sha256 %s (dumped and scrubbed in %s)\n", p.res.Production, w.Size, w.SHA256, since(start))
	return nil
}

// checkCounts compares the rows dumped per table with the expected counts.
func checkCounts(expected []TableCount, f *bodyFilter) error {
	want := map[string]int64{}
	for _, t := range expected {
		want[t.Table] = t.Rows
	}
	for _, t := range f.order {
		if _, ok := want[t]; !ok {
			return fmt.Errorf("the dump holds table %s, which was not selected", t)
		}
	}
	for _, t := range expected {
		if got := f.counts[t.Table]; got != t.Rows {
			return fmt.Errorf("the dump holds %d rows of %s where the contract has %d (was the database changed meanwhile?)", got, t.Table, t.Rows)
		}
	}
	return nil
}

func (p *plan) writeDown(sql string) error {
	s, err := newSink(p.opts.OutDir, downName(p.res.FileName), 0)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(s, sql); err != nil {
		s.cleanup()
		return err
	}
	w, err := s.commit()
	if err != nil {
		return err
	}
	p.created = append(p.created, w.Path)
	p.res.Down = w.Path
	return nil
}

// openProduction opens the production file, or its parts as one stream.
func (p *plan) openProduction() (io.ReadCloser, error) {
	paths := []string{p.res.Production}
	if len(p.res.Parts) > 0 {
		paths = paths[:0]
		for _, part := range p.res.Parts {
			paths = append(paths, filepath.Join(p.opts.OutDir, part.Name))
		}
	}
	return openConcat(paths)
}

// finish runs the leak check and records the migration in the lock file
// and the manifest.
func (p *plan) finish(ctx context.Context) (*Result, error) {
	o := p.opts
	start := time.Now()
	if o.afterScrub != nil {
		if err := o.afterScrub(p.res.Placeholder); err != nil {
			return p.fail(err)
		}
	}
	if err := p.leakCheck(); err != nil {
		return p.fail(err)
	}
	fmt.Fprintf(o.Log, "placeholder %s: leak check passed in %s\n", p.res.Placeholder, since(start))
	if err := ctx.Err(); err != nil {
		return p.fail(err)
	}
	if err := p.record(); err != nil {
		return p.fail(err)
	}
	return p.res, nil
}

func (p *plan) leakCheck() error {
	prod, err := p.openProduction()
	if err != nil {
		return err
	}
	defer prod.Close()
	ph, err := os.Open(p.res.Placeholder)
	if err != nil {
		return fmt.Errorf("leak check: %w", err)
	}
	defer ph.Close()
	return CheckLeak(prod, ph)
}

// record adds the lock entry, then the manifest line (removing the lock
// entry again if the manifest cannot be updated).
func (p *plan) record() error {
	o, r := p.opts, p.res
	entry := &lockfile.Entry{
		SHA256: r.SHA256, Size: r.Size, ContractCode: o.ContractCode, WorkbookSHA256: p.header.WorkbookSHA256,
		GeneratedAt: p.header.GeneratedAt, ToolVersion: o.ToolVersion, Tables: map[string]int64{},
		Parts: r.Parts, PlaceholderSHA256: r.PlaceholderSHA256,
	}
	for _, t := range r.Tables {
		entry.Tables[t.Table] = t.Rows
	}
	if r.Down != "" {
		sum, err := fileSHA256(r.Down)
		if err != nil {
			return err
		}
		entry.DownSHA256 = sum
	}
	err := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
		if _, ok := f.Lookup(r.FileName); ok {
			return fmt.Errorf("%s already has an entry for %s", o.LockPath, r.FileName)
		}
		f.Migrations[r.FileName] = entry
		return nil
	})
	if err != nil {
		return err
	}
	if err := migrations.AppendManifest(o.ManifestPath, r.FileName); err != nil {
		undo := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
			delete(f.Migrations, r.FileName)
			return nil
		})
		return errors.Join(err, undo)
	}
	return nil
}

// since formats the time elapsed since t for log lines.
func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
