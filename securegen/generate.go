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
	"syscall"
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

	// Compress writes the production file and the placeholder gzipped
	// (<version>_<name>.up.sql.gz; deterministic: identical SQL gives
	// identical bytes). The down file stays plain.
	Compress bool

	// tamper lets tests change the placeholder's line for each line of the
	// production file's body before the leak check sees it.
	tamper func(prodLine, phLine []byte) ([]byte, error)
	// crash lets tests make the run die (leaving everything as a killed run
	// would) at a step of the commit: "journal", "linked", "recorded",
	// "committed".
	crash func(step string) bool
}

// Result describes a generated secure migration.
type Result struct {
	// Version and Name make the file name FileName.
	Version, Name, FileName string
	// Production is the production file (or, when split, its first part).
	Production string
	Parts      []lockfile.Part
	// SHA256 and Size describe the production file's stored bytes (all
	// parts together; the gzip bytes when compressed).
	SHA256 string
	Size   int64
	// SQLSHA256 and SQLSize describe the SQL inside a compressed production
	// file (equal to SHA256 and Size when it is plain).
	SQLSHA256 string
	SQLSize   int64
	// Compressed reports gzipped production and placeholder files.
	Compressed bool
	// Down is the down migration ("" in --name mode).
	Down string
	// Placeholder is the placeholder file; PlaceholderSHA256 the digest of
	// its stored bytes and PlaceholderSQLSHA256 of the SQL inside.
	Placeholder, PlaceholderSHA256, PlaceholderSQLSHA256 string
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
	// Prepare is connecting, resolving the tables, restricting the dump to
	// the contract and starting pg_dump.
	Prepare time.Duration
	// Dump is running pg_dump (or reading the --name source) while its
	// output streams into the production file, the scrubber writing the
	// placeholder and the leak check, digests included: one pass.
	Dump time.Duration
	// Commit is syncing, naming and recording the files (and removing a
	// replaced migration).
	Commit time.Duration
	// Total is the whole run.
	Total time.Duration
}

// String formats the timing as one line of fixed keys in seconds:
// "prepare 0.020s, dump 1.620s, commit 0.050s, total 1.700s".
func (t Timing) String() string {
	return fmt.Sprintf("prepare %.3fs, dump %.3fs, commit %.3fs, total %.3fs",
		t.Prepare.Seconds(), t.Dump.Seconds(), t.Commit.Seconds(), t.Total.Seconds())
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
// in --name mode from a file. On any failure it removes what it wrote; what
// a killed run left is removed by the next one (see Sweep).
func Generate(ctx context.Context, opts Options) (*Result, error) {
	opts.defaults()
	if opts.Replace && opts.ContractCode == "" {
		return nil, errors.New("--replace applies to a contract code, not to --name")
	}
	if opts.Compress && opts.Split {
		return nil, errors.New("--compress and --split cannot be combined: a compressed file is several times smaller than the size limit it would be split at")
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
	stage          *staging
	prod, ph, down *sink
	replaced       []replaced
	header         Header
	guard          string
	// journal is set while committing: a failure then undoes the commit.
	journal *journal
}

// fail removes everything the run wrote and returns err.
func (p *plan) fail(err error) (*Result, error) {
	for _, s := range []*sink{p.prod, p.ph, p.down} {
		if s != nil {
			s.close()
		}
	}
	if p.journal != nil {
		if uerr := undoCommit(p.journal); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	if p.stage != nil {
		if rerr := p.stage.remove(); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return nil, err
}

// prepare removes what killed runs left, picks the version, checks and
// creates the directories and this run's staging directory.
func (p *plan) prepare(ctx context.Context, name string) error {
	o := p.opts
	if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", o.OutDir, err)
	}
	if err := os.Chmod(o.OutDir, 0o700); err != nil {
		return fmt.Errorf("restricting %s to its owner: %w", o.OutDir, err)
	}
	if err := os.MkdirAll(o.PlaceholderDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", o.PlaceholderDir, err)
	}
	sw, err := Sweep(o.OutDir, o.PlaceholderDir, false)
	if err != nil {
		return err
	}
	sw.log(o.Log)
	if o.ContractCode != "" {
		if p.replaced, err = checkShipped(ctx, o); err != nil {
			return err
		}
	}
	version, err := chooseVersion(o, name)
	if err != nil {
		return err
	}
	p.res = &Result{Version: version, Name: name, FileName: version + "_" + name + ".up.sql", SizeLimit: o.SizeLimit, Compressed: o.Compress}
	for _, r := range p.replaced {
		p.res.Replaced = append(p.res.Replaced, r.name)
	}
	if _, err := migrations.ParseName(p.res.FileName); err != nil {
		return err
	}
	if err := sameFileSystem(o.OutDir, o.PlaceholderDir, filepath.Dir(o.ManifestPath), filepath.Dir(o.LockPath)); err != nil {
		return err
	}
	stageName, err := stagingName()
	if err != nil {
		return err
	}
	staged := filepath.Join(o.OutDir, stageName)
	check := []string{filepath.Join(staged, "production.001"), filepath.Join(staged, journalName),
		filepath.Join(o.OutDir, p.res.FileName), filepath.Join(o.OutDir, p.res.FileName+migrations.GzipSuffix),
		filepath.Join(o.OutDir, migrations.PartName(p.res.FileName, 1)), filepath.Join(o.OutDir, downName(p.res.FileName))}
	if err := checkIgnored(ctx, check); err != nil {
		return err
	}
	p.stage, err = newStaging(o.OutDir, stageName)
	return err
}

// sameFileSystem refuses directories on different file systems: files
// move from the staging directory to their final names by link and rename.
func sameFileSystem(outDir string, dirs ...string) error {
	dev := func(dir string) (uint64, bool) {
		fi, err := os.Stat(dir)
		if err != nil {
			return 0, false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return 0, false
		}
		return uint64(st.Dev), true //nolint:unconvert // Dev's type differs between systems
	}
	want, ok := dev(outDir)
	if !ok {
		return nil
	}
	for _, d := range dirs {
		if got, ok := dev(d); ok && got != want {
			return fmt.Errorf("%s and %s are on different file systems: securemig writes every file in %s first and then moves it into place, so both must be on one file system", outDir, d, outDir)
		}
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
		names, _ := filepath.Glob(filepath.Join(dir, "[0-9]*_*.sql*"))
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

// session is the database side of contract mode.
type session struct {
	conn       *pgx.Conn
	contractID string
	workbook   string
	tables     []*Table
	// counts are the expected row counts; fromLog tells they come from the
	// import log rather than from counting.
	counts  []TableCount
	fromLog bool
	pgDump  string
}

func (s *session) close(ctx context.Context) {
	if s != nil && s.conn != nil {
		// Closing the session also releases the advisory lock.
		s.conn.Close(context.WithoutCancel(ctx))
	}
}

func generateContract(ctx context.Context, o Options) (*Result, error) {
	p := &plan{opts: o, start: time.Now()}
	// The files (sweeping, version, staging directory, git checks) are
	// prepared while the database is.
	files := make(chan error, 1)
	go func() { files <- p.prepare(ctx, "import_pricing_data_"+fileCode(o.ContractCode)) }()
	s, err := openSession(ctx, o)
	if ferr := <-files; err == nil {
		err = ferr
	}
	defer s.close(ctx)
	if err != nil {
		return p.fail(err)
	}
	p.header = Header{Kind: KindProduction, Version: p.res.Version, Name: p.res.Name, ContractCode: o.ContractCode,
		ContractID: s.contractID, WorkbookSHA256: s.workbook, ToolVersion: o.ToolVersion, GeneratedAt: generatedAt(p.res.Version),
		Tables: s.counts}
	p.res.Tables = s.counts
	p.guard = guardSQL(o.ContractCode, p.res.FileName)
	sc, err := openScope(ctx, s.conn, s.tables, s.contractID)
	if err != nil {
		return p.fail(err)
	}
	scopeClosed := false
	closeScope := func() {
		if scopeClosed {
			return
		}
		scopeClosed = true
		if err := sc.close(ctx, s.conn); err != nil {
			fmt.Fprintf(o.Log, "warning: %v; the next securemig command on this database removes it\n", err)
		}
	}
	defer closeScope()
	pinned := make([]string, len(s.tables))
	for i, t := range s.tables {
		pinned[i] = dump.QuoteName(t.Schema, t.Name)
	}
	dumpBody := func(w io.Writer) error {
		return dump.Run(ctx, o.DSN, dump.Options{PgDump: s.pgDump, Include: pinned, RowSecurity: true, Role: sc.role}, w)
	}
	fmt.Fprintf(o.Log, "dumping contract %s (%d tables) with %s (prepared in %s)\n", o.ContractCode, len(s.tables), s.pgDump, since(p.start))
	err = p.stream(dumpBody)
	var ce *countError
	if errors.As(err, &ce) && s.fromLog {
		fmt.Fprintf(o.Log, "the contract's rows differ from its import log (%v); counting them and dumping again\n", ce)
		if err = p.restart(); err == nil {
			if s.counts, err = countTables(ctx, s.conn, s.tables, s.contractID); err == nil {
				p.header.Tables, p.res.Tables = s.counts, s.counts
				err = p.stream(dumpBody)
			}
		}
	}
	if err != nil {
		return p.fail(err)
	}
	if err := p.writeDown(downSQL(p.res.FileName, o.ContractCode, s.contractID, s.tables)); err != nil {
		return p.fail(err)
	}
	// The dump role goes while the files are committed.
	scopeDone := make(chan struct{})
	go func() { closeScope(); close(scopeDone) }()
	res, err := p.finish(ctx)
	<-scopeDone
	return res, err
}

// openSession connects to the local database, takes the generator's
// advisory lock, removes stale dump roles, and resolves the contract, its
// tables, their expected row counts and pg_dump.
func openSession(ctx context.Context, o Options) (*session, error) {
	cfg, err := pgx.ParseConfig(o.DSN)
	if err != nil {
		return nil, errors.New("invalid database URL") // the parse error may hold the password
	}
	cfg.RuntimeParams["application_name"] = "securemig gen"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the local database: %w", err)
	}
	s := &session{conn: conn}
	type found struct {
		prog string
		err  error
	}
	pgDump := make(chan found, 1)
	go func() {
		major, err := serverMajor(ctx, conn)
		if err != nil {
			pgDump <- found{err: err}
			return
		}
		prog, err := dump.FindPgDump(ctx, o.PgDump, major)
		pgDump <- found{prog, err}
	}()
	err = s.resolve(ctx, o)
	f := <-pgDump
	if err == nil {
		s.pgDump, err = f.prog, f.err
	}
	if err != nil {
		s.close(ctx)
		return nil, err
	}
	return s, nil
}

// serverMajor reads the server's major version from what it reported when
// the session started (no query: conn may be busy).
func serverMajor(ctx context.Context, conn *pgx.Conn) (int, error) {
	v := conn.PgConn().ParameterStatus("server_version")
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	if n == 0 {
		return 0, fmt.Errorf("unrecognised server version %q", v)
	}
	return n, nil
}

func (s *session) resolve(ctx context.Context, o Options) error {
	lock := fmt.Sprintf("SET lock_timeout = '60s'; SELECT pg_advisory_lock(%d); RESET lock_timeout", scopeLockKey)
	if _, err := s.conn.PgConn().Exec(ctx, lock).ReadAll(); err != nil {
		return fmt.Errorf("waiting for another securemig gen on this database: %w", err)
	}
	if _, err := sweepScopes(ctx, s.conn, true); err != nil {
		return err
	}
	var err error
	if s.contractID, err = ContractID(ctx, s.conn, o.ContractCode); err != nil {
		return err
	}
	if s.tables, err = resolveTables(ctx, s.conn, o); err != nil {
		return err
	}
	logged, err := importLog(ctx, s.conn, o.ContractCode)
	if err != nil {
		return err
	}
	s.workbook = o.WorkbookSHA256
	if s.workbook == "" {
		s.workbook = logged.workbook
	}
	if s.counts, s.fromLog = logged.countsOf(s.tables); !s.fromLog {
		s.counts, err = countTables(ctx, s.conn, s.tables, s.contractID)
	}
	return err
}

// countTables counts the contract's rows in each table.
func countTables(ctx context.Context, conn *pgx.Conn, tables []*Table, contractID string) ([]TableCount, error) {
	stats, err := Stats(ctx, conn, tables, contractID, false)
	if err != nil {
		return nil, err
	}
	counts := make([]TableCount, len(stats))
	for i, st := range stats {
		counts[i] = TableCount{Table: st.Table, Rows: st.Rows}
	}
	return counts, nil
}

// resolveTables resolves the patterns and keeps the contract tables in
// foreign-key order; explicit patterns selecting other data are an error.
// The default patterns resolve once: their tables without a path to the
// contracts table are left out.
func resolveTables(ctx context.Context, conn *pgx.Conn, o Options) ([]*Table, error) {
	if len(o.Include) == 0 {
		rels, err := dump.Resolve(ctx, conn, DefaultInclude, append(append([]string(nil), DefaultExclude...), o.Exclude...))
		if err != nil {
			return nil, fmt.Errorf("resolving the default pricing patterns: %w", err)
		}
		var tableRels []dump.Relation
		for _, r := range rels {
			if r.Kind == dump.KindTable {
				tableRels = append(tableRels, r)
			}
		}
		tables, _, err := ContractTables(ctx, conn, tableRels)
		if err != nil {
			return nil, err
		}
		return tables, requireContracts(tables)
	}
	rels, err := dump.Resolve(ctx, conn, o.Include, o.Exclude)
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
	return tables, requireContracts(tables)
}

func requireContracts(tables []*Table) error {
	for _, t := range tables {
		if t.Schema == contractsSchema && t.Name == contractsTable {
			return nil
		}
	}
	return fmt.Errorf("the patterns must select %s.%s (the contract row itself)", contractsSchema, contractsTable)
}

// loggedImport is what the import log says about a contract's last
// successful import.
type loggedImport struct {
	workbook string
	counts   map[string]int64 // by table name (schema public)
}

// importLog reads the contract's last successful import from the import
// log (zero when there is none).
func importLog(ctx context.Context, conn *pgx.Conn, code string) (loggedImport, error) {
	var l loggedImport
	err := conn.QueryRow(ctx, `SELECT l.workbook_sha256, l.row_counts FROM public.pricing_imports l
WHERE to_regclass('public.pricing_imports') IS NOT NULL AND l.contract_code = $1 AND l.status = 'imported'
ORDER BY l.started_at DESC LIMIT 1`, code).Scan(&l.workbook, &l.counts)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return loggedImport{}, nil
	case err != nil:
		var exists bool
		if qerr := conn.QueryRow(ctx, "SELECT to_regclass('public.pricing_imports') IS NOT NULL").Scan(&exists); qerr == nil && !exists {
			return loggedImport{}, nil
		}
		return l, fmt.Errorf("reading the import log: %w", err)
	}
	l.workbook = strings.TrimSpace(l.workbook)
	return l, nil
}

// countsOf returns the logged row counts of tables, in their order; ok is
// false unless the log has every one of them.
func (l loggedImport) countsOf(tables []*Table) ([]TableCount, bool) {
	if len(l.counts) == 0 {
		return nil, false
	}
	out := make([]TableCount, len(tables))
	for i, t := range tables {
		n, ok := l.counts[t.Name]
		if !ok || t.Schema != "public" {
			return nil, false
		}
		out[i] = TableCount{Table: t.String(), Rows: n}
	}
	return out, true
}

// stream writes the production file and the placeholder in one pass over
// the body produced by body: each chunk of pg_dump's output (through the
// \restrict filter) goes to the production file, then through the
// scrubber to the placeholder, and both to the leak check, digests
// computed on the way. It checks the dumped row counts against the
// header's.
func (p *plan) stream(body func(w io.Writer) error) error {
	o := p.opts
	start := time.Now()
	limit := int64(0)
	if o.Split {
		limit = o.SizeLimit
	}
	var err error
	if p.prod, err = newSink(p.stage.dir, "production", p.res.FileName, limit, o.Compress); err != nil {
		return err
	}
	if p.ph, err = newSink(p.stage.dir, "placeholder", p.res.FileName, 0, o.Compress); err != nil {
		return err
	}
	phHeader := p.header
	phHeader.Kind = KindPlaceholder
	if _, err := io.WriteString(p.prod, p.header.Format()+p.guard); err != nil {
		return err
	}
	if _, err := io.WriteString(p.ph, phHeader.Format()+p.guard); err != nil {
		return err
	}
	st := newTee(p.prod, p.ph, o.tamper)
	f := newBodyFilter(st)
	err = body(f)
	if err == nil {
		err = f.close()
	}
	// The placeholder side's error (a leak, say) explains a failed write.
	if terr := st.close(); terr != nil && (err == nil || errors.Is(err, terr) || errors.Is(err, errTeeEnded)) {
		err = terr
	}
	if err != nil {
		return err
	}
	if err := checkCounts(p.header.Tables, f); err != nil {
		return err
	}
	if err := p.prod.finish(); err != nil {
		return err
	}
	if err := p.ph.finish(); err != nil {
		return err
	}
	p.res.Timing.Dump = time.Since(start)
	p.res.Timing.Prepare = start.Sub(p.start)
	fmt.Fprintf(o.Log, "production file: %d bytes; placeholder %d bytes, leak check passed (written in %s)\n", p.prod.size, p.ph.size, since(start))
	return nil
}

// restart discards the staged production file and placeholder.
func (p *plan) restart() error {
	for _, s := range []*sink{p.prod, p.ph} {
		s.close()
		for _, part := range s.parts {
			if err := os.Remove(part.path); err != nil {
				return fmt.Errorf("discarding %s: %w", part.path, err)
			}
		}
	}
	p.prod, p.ph = nil, nil
	return nil
}

// countError is a dump whose row counts differ from the expected ones.
type countError struct{ msg string }

func (e *countError) Error() string { return e.msg }

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
			return &countError{fmt.Sprintf("the dump holds %d rows of %s where the contract has %d (was the database changed meanwhile?)", got, t.Table, t.Rows)}
		}
	}
	return nil
}

func (p *plan) writeDown(sql string) error {
	s, err := newSink(p.stage.dir, "down", downName(p.res.FileName), 0, false)
	if err != nil {
		return err
	}
	p.down = s
	if _, err := io.WriteString(s, sql); err != nil {
		return err
	}
	return s.finish()
}

// finish syncs the staged files, gives them their final names and records
// the migration in the lock file and the manifest, journalled (see staging).
func (p *plan) finish(ctx context.Context) (*Result, error) {
	o, r := p.opts, p.res
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return p.fail(err)
	}
	r.SHA256, r.Size = p.prod.storedDigest()
	r.SQLSHA256, r.SQLSize = p.prod.sqlDigest(), p.prod.size
	r.PlaceholderSHA256, _ = p.ph.storedDigest()
	r.PlaceholderSQLSHA256 = p.ph.sqlDigest()
	r.OverLimit = !o.Split && r.Size > o.SizeLimit
	j, err := p.journalFor()
	if err != nil {
		return p.fail(err)
	}
	// The journal is written while the files are synced; both are done
	// before the first final name appears.
	journalled := make(chan error, 1)
	go func() { journalled <- p.stage.writeJournal(j) }()
	err = p.syncAll()
	if jerr := <-journalled; err == nil {
		err = jerr
	}
	if err != nil {
		return p.fail(err)
	}
	p.journal = j
	if p.crashAt("journal") {
		return p.abandon()
	}
	for i, f := range j.Files {
		if err := linkNew(f.Staged, f.Final); err != nil {
			return p.fail(err)
		}
		if i == 0 && p.crashAt("linked") {
			return p.abandon()
		}
	}
	if err := p.record(); errors.Is(err, errCrash) {
		return p.abandon()
	} else if err != nil {
		return p.fail(err)
	}
	p.journal = nil // committed: the manifest lists the migration
	if p.crashAt("committed") {
		return p.abandon()
	}
	p.removeReplaced()
	if err := p.stage.remove(); err != nil {
		fmt.Fprintf(o.Log, "warning: %v\n", err)
	}
	r.Timing.Commit = time.Since(start)
	r.Timing.Total = time.Since(p.start)
	return r, nil
}

// syncAll makes the staged files durable, all at once.
func (p *plan) syncAll() error {
	sinks := []*sink{p.prod, p.ph}
	if p.down != nil {
		sinks = append(sinks, p.down)
	}
	for _, part := range p.ph.parts {
		if err := part.f.Chmod(0o644); err != nil {
			return fmt.Errorf("writing the placeholder: %w", err)
		}
	}
	errs := make(chan error, len(sinks))
	for _, s := range sinks {
		go func() { errs <- s.sync() }()
	}
	var err error
	for range sinks {
		err = errors.Join(err, <-errs)
	}
	return err
}

// journalFor lists the commit: final files, lock entry, replaced migrations.
func (p *plan) journalFor() (*journal, error) {
	o, r := p.opts, p.res
	abs := func(path string) (string, error) {
		a, err := filepath.Abs(path)
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w", path, err)
		}
		return a, nil
	}
	j := &journal{Name: r.FileName, SHA256: r.SHA256}
	var err error
	if j.LockPath, err = abs(o.LockPath); err != nil {
		return nil, err
	}
	if j.ManifestPath, err = abs(o.ManifestPath); err != nil {
		return nil, err
	}
	add := func(s *sink, dir string) {
		staged, final, _ := s.finals(dir)
		for i := range staged {
			j.Files = append(j.Files, journalFile{Staged: staged[i], Final: final[i]})
		}
	}
	add(p.prod, o.OutDir)
	if p.down != nil {
		add(p.down, o.OutDir)
	}
	add(p.ph, o.PlaceholderDir)
	for i := range j.Files {
		if j.Files[i].Staged, err = abs(j.Files[i].Staged); err != nil {
			return nil, err
		}
		if j.Files[i].Final, err = abs(j.Files[i].Final); err != nil {
			return nil, err
		}
	}
	for _, rp := range p.replaced {
		files := p.replacedFiles(rp)
		for i := range files {
			if files[i], err = abs(files[i]); err != nil {
				return nil, err
			}
		}
		j.Replaced = append(j.Replaced, journalReplaced{Name: rp.name, Entry: rp.entry, Files: files})
	}
	return j, nil
}

// linkNew gives the staged file its final name; it fails rather than
// replace an existing file. The staged name stays until the commit is done,
// so an interrupted commit can tell its own files.
func linkNew(staged, path string) error {
	if err := os.Link(staged, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; refusing to overwrite it", path)
		}
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return nil
}

// record adds the lock entry (dropping the replaced ones in the same
// write), then updates the manifest, which completes the commit. Both are
// written through the staging directory, never leaving a temporary file
// beside them.
func (p *plan) record() error {
	o, r := p.opts, p.res
	entry := &lockfile.Entry{
		SHA256: r.SHA256, Size: r.Size, ContractCode: o.ContractCode, WorkbookSHA256: p.header.WorkbookSHA256,
		GeneratedAt: p.header.GeneratedAt, ToolVersion: o.ToolVersion, Tables: map[string]int64{},
		PlaceholderSHA256: r.PlaceholderSHA256, CreatedAt: time.Now().UTC(), CreatedBy: o.actor(),
	}
	if r.Compressed {
		entry.Compression = lockfile.Gzip
		entry.SQLSHA256, entry.SQLSize = r.SQLSHA256, r.SQLSize
		entry.PlaceholderSQLSHA256 = r.PlaceholderSQLSHA256
	}
	for _, t := range r.Tables {
		entry.Tables[t.Table] = t.Rows
	}
	if p.down != nil {
		_, final, _ := p.down.finals(o.OutDir)
		r.Down = final[0]
		entry.DownSHA256 = p.down.sqlDigest()
	}
	_, finals, parts := p.prod.finals(o.OutDir)
	r.Production, r.Parts, entry.Parts = finals[0], parts, parts
	_, finals, _ = p.ph.finals(o.PlaceholderDir)
	r.Placeholder = finals[0]
	err := lockfile.UpdateVia(o.LockPath, p.stage.dir, func(f *lockfile.File) error {
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
			delete(f.Migrations, rp.name)
		}
		f.Migrations[r.FileName] = entry
		return nil
	})
	if err != nil {
		return err
	}
	if p.crashAt("recorded") {
		return errCrash
	}
	return p.updateManifest()
}

// errCrash is a crash simulated by a test (Options.crash).
var errCrash = errors.New("simulated crash")

// crashAt reports whether a test wants the run to die at step.
func (p *plan) crashAt(step string) bool { return p.opts.crash != nil && p.opts.crash(step) }

// abandon leaves everything as a killed run would: files staged and
// linked, the staging directory unlocked.
func (p *plan) abandon() (*Result, error) {
	for _, s := range []*sink{p.prod, p.ph, p.down} {
		if s != nil {
			s.close()
		}
	}
	p.stage.lock.Close()
	return nil, errCrash
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
