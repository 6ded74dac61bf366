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
	"github.com/securemig/securemig/internal/actor"
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

	// Actor is recorded in the lock entry as who generated it (default
	// actor.Current()).
	Actor string

	// Replace (contract mode) replaces the contract's earlier migration when
	// it was neither uploaded nor committed: the new one is generated first,
	// then the old one's files, manifest line and lock entry are removed.
	Replace bool

	// afterScrub lets tests tamper with the (temporary) files before the
	// leak check.
	afterScrub func(production, placeholder string) error
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
	// Replaced lists the earlier migrations of the contract that Replace
	// removed.
	Replaced []string
	// Timing gives the duration of each phase.
	Timing Timing
}

// Timing is the duration of each phase of Generate.
type Timing struct {
	// Production is the production phase: running pg_dump (or reading the
	// --name source) and writing the production file, digest included.
	Production time.Duration
	// Placeholder is scrubbing the production file into the placeholder.
	Placeholder time.Duration
	// LeakCheck is comparing the placeholder with the production file.
	LeakCheck time.Duration
	// Commit is syncing, naming and recording the files (and removing a
	// replaced migration).
	Commit time.Duration
	// Total is the whole run, connecting and preparing included.
	Total time.Duration
}

// String formats the timing as one line of fixed keys in seconds:
// "production 1.620s, placeholder 0.900s, leak check 0.400s, commit 0.050s, total 3.100s".
func (t Timing) String() string {
	return fmt.Sprintf("production %.3fs, placeholder %.3fs, leak check %.3fs, commit %.3fs, total %.3fs",
		t.Production.Seconds(), t.Placeholder.Seconds(), t.LeakCheck.Seconds(), t.Commit.Seconds(), t.Total.Seconds())
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
	if opts.Replace && opts.ContractCode == "" {
		return nil, errors.New("--replace applies to a contract code, not to --name")
	}
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
	opts           Options
	start          time.Time
	res            *Result
	pending        []*sink // temporary files to remove on failure
	prod, ph, down *sink
	created        []string // committed files to remove on failure
	replaced       []replaced
	header         Header
	guard          string
}

func (p *plan) fail(err error) (*Result, error) {
	for _, s := range p.pending {
		s.cleanup()
	}
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
	for _, r := range p.replaced {
		p.res.Replaced = append(p.res.Replaced, r.name)
	}
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
	p := &plan{opts: o, start: start}
	if p.replaced, err = checkShipped(ctx, o); err != nil {
		return nil, err
	}
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
// (through the \restrict filter) to the production file, checks the dumped
// row counts against the header's, then writes the placeholder from the
// production file. Both stay under temporary names until finish: the
// production phase (what benchmarks compare with a bare pg_dump) is not
// slowed by the scrubber competing for the CPU.
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
	p.pending = append(p.pending, prod)
	p.prod = prod
	prefix := p.header.Format() + p.guard
	if _, err := io.WriteString(prod, prefix); err != nil {
		return err
	}
	f := newBodyFilter(prod)
	if err := body(f); err != nil {
		return err
	}
	if err := f.close(); err != nil {
		return err
	}
	if err := checkCounts(p.header.Tables, f); err != nil {
		return err
	}
	if err := prod.flush(); err != nil {
		return err
	}
	p.res.SHA256, p.res.Size = prod.digest(), prod.size
	p.res.OverLimit = !o.Split && prod.size > o.SizeLimit
	p.res.Timing.Production = time.Since(start)
	fmt.Fprintf(o.Log, "production file: %d bytes, sha256 %s (written in %s)\n", prod.size, p.res.SHA256, since(start))
	return p.writePlaceholder(int64(len(prefix)))
}

// writePlaceholder scrubs the production file's body (after its skip bytes
// of header and guard) into the placeholder.
func (p *plan) writePlaceholder(skip int64) error {
	o := p.opts
	start := time.Now()
	ph, err := newSink(o.PlaceholderDir, p.res.FileName, 0)
	if err != nil {
		return err
	}
	p.pending = append(p.pending, ph)
	p.ph = ph
	phHeader := p.header
	phHeader.Kind = KindPlaceholder
	if _, err := io.WriteString(ph, phHeader.Format()+p.guard); err != nil {
		return err
	}
	r, err := openConcat(p.prod.tempPaths())
	if err != nil {
		return fmt.Errorf("writing the placeholder: %w", err)
	}
	defer r.Close()
	if _, err := io.CopyN(io.Discard, r, skip); err != nil {
		return fmt.Errorf("writing the placeholder: reading the production file: %w", err)
	}
	if _, err := Scrub(r, ph); err != nil {
		return fmt.Errorf("writing the placeholder: %w", err)
	}
	if err := ph.flush(); err != nil {
		return err
	}
	p.res.PlaceholderSHA256 = ph.digest()
	p.res.Timing.Placeholder = time.Since(start)
	fmt.Fprintf(o.Log, "placeholder: %d bytes (scrubbed in %s)\n", ph.size, since(start))
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
	p.pending = append(p.pending, s)
	p.down = s
	if _, err := io.WriteString(s, sql); err != nil {
		return err
	}
	return s.flush()
}

// finish runs the leak check on the temporary files, moves them to their
// final names and records the migration in the lock file and the manifest.
func (p *plan) finish(ctx context.Context) (*Result, error) {
	o := p.opts
	start := time.Now()
	if o.afterScrub != nil {
		if err := o.afterScrub(p.prod.tempPaths()[0], p.ph.tempPaths()[0]); err != nil {
			return p.fail(err)
		}
	}
	if err := p.leakCheck(); err != nil {
		return p.fail(err)
	}
	p.res.Timing.LeakCheck = time.Since(start)
	fmt.Fprintf(o.Log, "placeholder: leak check passed in %s\n", since(start))
	if err := ctx.Err(); err != nil {
		return p.fail(err)
	}
	start = time.Now()
	if err := p.commit(); err != nil {
		return p.fail(err)
	}
	if err := p.record(); err != nil {
		return p.fail(err)
	}
	p.removeReplaced()
	p.res.Timing.Commit = time.Since(start)
	p.res.Timing.Total = time.Since(p.start)
	return p.res, nil
}

func (p *plan) leakCheck() error {
	prod, err := openConcat(p.prod.tempPaths())
	if err != nil {
		return fmt.Errorf("leak check: %w", err)
	}
	defer prod.Close()
	ph, err := os.Open(p.ph.tempPaths()[0])
	if err != nil {
		return fmt.Errorf("leak check: %w", err)
	}
	defer ph.Close()
	return CheckLeak(prod, ph)
}

// commit syncs the written files and gives them their final names.
func (p *plan) commit() error {
	w, err := p.prod.commit()
	if err != nil {
		return err
	}
	p.created = append(p.created, w.Paths...)
	p.res.Production, p.res.Parts = w.Path, w.Parts
	if len(w.Parts) > 0 {
		p.res.Production = w.Paths[0]
	}
	if p.down != nil {
		w, err := p.down.commit()
		if err != nil {
			return err
		}
		p.created = append(p.created, w.Path)
		p.res.Down = w.Path
	}
	w, err = p.ph.commit()
	if err != nil {
		return err
	}
	p.created = append(p.created, w.Path)
	p.res.Placeholder = w.Path
	if err := os.Chmod(w.Path, 0o644); err != nil {
		return fmt.Errorf("writing the placeholder: %w", err)
	}
	return nil
}

// record adds the lock entry (dropping the replaced ones in the same
// write), then updates the manifest (restoring the lock file if that fails).
func (p *plan) record() error {
	o, r := p.opts, p.res
	entry := &lockfile.Entry{
		SHA256: r.SHA256, Size: r.Size, ContractCode: o.ContractCode, WorkbookSHA256: p.header.WorkbookSHA256,
		GeneratedAt: p.header.GeneratedAt, ToolVersion: o.ToolVersion, Tables: map[string]int64{},
		Parts: r.Parts, PlaceholderSHA256: r.PlaceholderSHA256, CreatedAt: time.Now().UTC(), CreatedBy: o.actor(),
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
	old := map[string]*lockfile.Entry{}
	err := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
		if _, ok := f.Lookup(r.FileName); ok {
			return fmt.Errorf("%s already has an entry for %s", o.LockPath, r.FileName)
		}
		for _, rp := range p.replaced {
			e, ok := f.Lookup(rp.name)
			if !ok {
				continue
			}
			if len(e.Uploads) > 0 {
				return fmt.Errorf("%s was uploaded meanwhile (%s); it can no longer be replaced", rp.name, o.LockPath)
			}
			old[rp.name] = e
			delete(f.Migrations, rp.name)
		}
		f.Migrations[r.FileName] = entry
		return nil
	})
	if err != nil {
		return err
	}
	if err = p.updateManifest(); err != nil {
		undo := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
			delete(f.Migrations, r.FileName)
			for name, e := range old {
				f.Migrations[name] = e
			}
			return nil
		})
		return errors.Join(err, undo)
	}
	return nil
}

// actor returns who runs the generation.
func (o *Options) actor() string {
	if o.Actor != "" {
		return o.Actor
	}
	return actor.Current()
}

// since formats the time elapsed since t for log lines.
func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
