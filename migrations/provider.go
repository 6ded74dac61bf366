package migrations

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/actor"
	"github.com/securemig/securemig/internal/buildinfo"
)

// Options configure a Provider. The zero value of every field is usable.
type Options struct {
	// Locations are searched for the manifest's files; later ones override
	// earlier ones.
	Locations []Location
	// AllowChanged accepts applied migrations whose source bytes changed; the
	// acceptance is recorded in the tracking table.
	AllowChanged bool
	// AllowOutOfOrder applies pending migrations older than the newest
	// applied one.
	AllowOutOfOrder bool
	// RetryFailed re-applies no-transaction migrations that failed earlier.
	RetryFailed bool
	// LockTimeout bounds the wait for the migration lock (default 60s).
	LockTimeout time.Duration
	// StatementTimeout and LockWaitTimeout set the PostgreSQL settings
	// statement_timeout and lock_timeout for each file's session (0: the
	// server's default). A file may change them itself, as pg_dump output does.
	StatementTimeout, LockWaitTimeout time.Duration
	// ExpectedDigest returns the hex SHA-256 a migration must have (from the
	// lock file); when ok, a mismatch rolls the migration back.
	ExpectedDigest func(name string) (sha256hex string, ok bool)
	// VerboseErrors adds unredacted server details to errors. They may
	// contain sensitive values: for local debugging only.
	VerboseErrors bool
	// Progress, when set, receives progress reports while files apply.
	Progress func(Progress)
	// AppliedBy is recorded as the runner (default actor.Current():
	// SECUREMIG_ACTOR, else "user@host").
	AppliedBy string
	// ToolVersion is recorded with each migration (default the build's version).
	ToolVersion string
}

// Provider applies and inspects the migrations of a manifest on one database.
type Provider struct {
	dsn     string
	entries []Entry
	opts    Options
}

// New returns a Provider for the database at dsn and the manifest entries,
// which it applies in version order.
func New(dsn string, entries []Entry, opts Options) (*Provider, error) {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return nil, errors.New("invalid database URL") // the parse error may hold the password
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Version, b.Version) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Version == sorted[i-1].Version {
			return nil, fmt.Errorf("manifest lists version %s twice", sorted[i].Version)
		}
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 60 * time.Second
	}
	if opts.AppliedBy == "" {
		opts.AppliedBy = actor.Current()
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = buildinfo.String()
	}
	return &Provider{dsn: dsn, entries: sorted, opts: opts}, nil
}

// State is the state of one migration file.
type State string

// The states Status reports.
const (
	// Applied: recorded as applied and the source still has the same bytes
	// (or they were not read).
	Applied State = "applied"
	// Pending: listed and found, not applied yet.
	Pending State = "pending"
	// Changed: applied, but the source's bytes differ from those applied.
	Changed State = "changed"
	// Missing: listed in the manifest but found in no location.
	Missing State = "missing"
	// Failed: a no-transaction file failed part-way in an earlier run.
	Failed State = "failed"
	// Unlisted: present in a location but not in the manifest (not applied).
	Unlisted State = "unlisted"
	// Unknown: recorded in the database but not in the manifest.
	Unknown State = "unknown"
	// Reverted: applied, then undone by a revert migration (see
	// Result.Reverts). A reverted migration is never applied again.
	Reverted State = "reverted"
)

// FileStatus is the state of one migration.
type FileStatus struct {
	// Name is the migration's file name; Version its version.
	Name, Version string
	// State is the migration's state.
	State State
	// Source is where the file was found ("" when missing).
	Source string
	// SHA256 and Size describe the source's bytes when they were read.
	SHA256 string
	Size   int64
	// Record is the tracking row, nil when never applied.
	Record *Record
	// Revert is the tracking row of the revert migration that reverted
	// this one, nil when none did.
	Revert *Record

	src *Source
}

// Status reports every migration: applied, pending, changed, failed,
// missing, and files found in locations but not listed (and rows of the
// tracking table the manifest no longer lists). It reads every source to
// checksum it and changes nothing.
func (p *Provider) Status(ctx context.Context) ([]FileStatus, error) {
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return p.inspect(ctx, conn, true, true)
}

// ErrVerify is returned (wrapped) by Verify when an applied migration
// changed or is missing, and by Up and Plan when a check refuses the run.
var ErrVerify = errors.New("migration verification failed")

// Verify checksums the sources of every applied migration against the
// tracking table. It returns the applied migrations' states, and an error
// wrapping ErrVerify when one changed or is missing.
func (p *Provider) Verify(ctx context.Context) ([]FileStatus, error) {
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	files, err := p.inspect(ctx, conn, false, false)
	if err != nil {
		return nil, err
	}
	var applied []FileStatus
	var bad []string
	for _, f := range files {
		if f.Record == nil {
			continue
		}
		applied = append(applied, f)
		if f.State == Changed || f.State == Missing {
			bad = append(bad, fmt.Sprintf("%s is %s", f.Name, f.State))
		}
	}
	if len(bad) > 0 {
		return applied, fmt.Errorf("%w: %s", ErrVerify, strings.Join(bad, "; "))
	}
	return applied, nil
}

// Plan is what Up would do.
type Plan struct {
	// Files is the state of every migration (sources all checksummed).
	Files []FileStatus
	// Pending lists the migrations Up would apply, in order.
	Pending []FileStatus
	// Problems are the reasons Up would refuse to run; empty when it would run.
	Problems []string
}

// Plan resolves and checksums everything and returns what Up would do,
// applying nothing (a dry run). It does not take the migration lock.
func (p *Provider) Plan(ctx context.Context) (*Plan, error) {
	conn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	files, err := p.inspect(ctx, conn, true, true)
	if err != nil {
		return nil, err
	}
	pending, problems := p.check(files)
	return &Plan{Files: files, Pending: pending, Problems: problems}, nil
}

// Up applies every pending migration in version order, one transaction per
// file, under the migration lock. Before applying anything it checks that
// every listed file exists, that applied files still have their recorded
// checksums, that no failed file is left and that pending files are not
// older than applied ones (see Options to override). It returns the results
// of the files applied, also when a later file fails.
func (p *Provider) Up(ctx context.Context) ([]Result, error) {
	lockConn, err := p.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer lockConn.Close(context.WithoutCancel(ctx))
	if err := acquireLock(ctx, lockConn, p.opts.LockTimeout); err != nil {
		return nil, err
	}
	defer releaseLock(ctx, lockConn)
	if err := ensureTracking(ctx, lockConn); err != nil {
		return nil, err
	}
	files, err := p.inspect(ctx, lockConn, false, false)
	if err != nil {
		return nil, err
	}
	pending, problems := p.check(files)
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w, nothing applied:\n  %s", ErrVerify, strings.Join(problems, "\n  "))
	}
	for _, f := range files {
		if f.State == Changed && p.opts.AllowChanged {
			if err := acceptChange(ctx, lockConn, f.Version, f.SHA256, p.opts.AppliedBy); err != nil {
				return nil, err
			}
		}
	}
	var results []Result
	for _, f := range pending {
		res, err := p.applyOne(ctx, f)
		if err != nil {
			return results, err
		}
		results = append(results, res)
	}
	return results, nil
}

// connect opens a session to the database.
func (p *Provider) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(p.dsn)
	if err != nil {
		return nil, errors.New("invalid database URL")
	}
	cfg.RuntimeParams["application_name"] = "securemig migrate"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return conn, nil
}

// inspect resolves the manifest and compares it with the tracking table.
// The sources of recorded migrations are always checksummed; hashPending
// checksums pending ones too; listAll adds unlisted files and tracking rows
// the manifest does not list.
func (p *Provider) inspect(ctx context.Context, conn *pgx.Conn, hashPending, listAll bool) ([]FileStatus, error) {
	recs, err := readRecords(ctx, conn)
	if err != nil {
		return nil, err
	}
	res, err := resolve(ctx, p.opts.Locations, p.entries)
	if err != nil {
		return nil, err
	}
	revertOf := map[string]*Record{} // reverted version -> its revert's row
	for _, r := range recs {
		if r.Reverts != "" {
			revertOf[r.Reverts] = r
		}
	}
	var files []FileStatus
	for _, e := range p.entries {
		f := FileStatus{Name: e.Name, Version: e.Version, Record: recs[e.Version], Revert: revertOf[e.Version]}
		src, found := res.sources[e.Name]
		switch {
		case f.Record != nil && f.Record.RevertedBy != "":
			// Final: its source may even be gone.
			f.State = Reverted
		case !found:
			f.State = Missing
		case f.Record != nil && f.Record.Status == "failed":
			f.State = Failed
		case f.Record != nil:
			f.State = Applied
		default:
			f.State = Pending
		}
		if found {
			f.src, f.Source = &src, src.String()
			if f.State == Reverted {
				files = append(files, f)
				continue
			}
			if f.Record != nil || hashPending {
				if f.SHA256, f.Size, err = digest(ctx, src); err != nil {
					return nil, fmt.Errorf("checksumming %s: %w", e.Name, err)
				}
			}
			if f.State == Applied && f.SHA256 != f.Record.expectedSHA256() {
				f.State = Changed
			}
		}
		files = append(files, f)
	}
	if !listAll {
		return files, nil
	}
	for _, u := range res.unlisted {
		files = append(files, FileStatus{Name: u.name, State: Unlisted, Source: u.loc.String()})
	}
	listed := map[string]bool{}
	for _, e := range p.entries {
		listed[e.Version] = true
	}
	for _, r := range recs {
		if !listed[r.Version] {
			files = append(files, FileStatus{Name: r.Name, Version: r.Version, State: Unknown, Source: r.Location, Record: r})
		}
	}
	return files, nil
}

// check returns the migrations to apply and the problems that stop a run.
func (p *Provider) check(files []FileStatus) (pending []FileStatus, problems []string) {
	newest := ""
	for _, f := range files {
		if f.Record != nil && f.Record.Status == "applied" && f.Version > newest {
			newest = f.Version
		}
	}
	for _, f := range files {
		switch f.State {
		case Missing:
			problems = append(problems, fmt.Sprintf("%s (manifest line %d) is in no location (%s)",
				f.Name, p.lineOf(f.Name), p.locationList()))
		case Changed:
			if !p.opts.AllowChanged {
				problems = append(problems, fmt.Sprintf(
					"%s was applied with SHA-256 %s but %s now has %s; restore the applied file, or accept the change with --allow-changed",
					f.Name, f.Record.expectedSHA256(), f.Source, f.SHA256))
			}
		case Failed:
			if !p.opts.RetryFailed {
				problems = append(problems, fmt.Sprintf(
					"%s (no-transaction) failed at statement %d (line %d) on %s by %s: its earlier statements may have taken effect; "+
						"check the database, undo or finish them by hand (or make the file idempotent), then rerun with --retry-failed",
					f.Name, f.Record.FailedStatement, f.Record.FailedLine, f.Record.AppliedAt.UTC().Format(time.RFC3339), f.Record.AppliedBy))
				continue
			}
			pending = append(pending, f)
		case Pending:
			if f.Revert != nil {
				problems = append(problems, fmt.Sprintf(
					"%s was reverted by %s (applied %s by %s) and is never applied again; to ship its data again, "+
						"generate a new secure migration (a new version)",
					f.Name, f.Revert.Name, f.Revert.AppliedAt.UTC().Format(time.RFC3339), f.Revert.AppliedBy))
				continue
			}
			if f.Version < newest && !p.opts.AllowOutOfOrder {
				problems = append(problems, fmt.Sprintf(
					"%s is older than the newest applied migration %s; apply it anyway with --allow-out-of-order", f.Name, newest))
				continue
			}
			pending = append(pending, f)
		}
	}
	return pending, problems
}

// lineOf returns the manifest line of name.
func (p *Provider) lineOf(name string) int {
	for _, e := range p.entries {
		if e.Name == name {
			return e.Line
		}
	}
	return 0
}

// locationList names the locations searched.
func (p *Provider) locationList() string {
	if len(p.opts.Locations) == 0 {
		return "no locations given"
	}
	names := make([]string, len(p.opts.Locations))
	for i, l := range p.opts.Locations {
		names[i] = l.String()
	}
	return strings.Join(names, ", ")
}

// applyOne applies one pending migration in its own session and records it.
func (p *Provider) applyOne(ctx context.Context, f FileStatus) (Result, error) {
	src := *f.src
	expected := ""
	if p.opts.ExpectedDigest != nil {
		if sum, ok := p.opts.ExpectedDigest(f.Name); ok {
			expected = strings.ToLower(sum)
			if err := p.precheckNoTx(ctx, f.Name, src, expected); err != nil {
				return Result{Name: f.Name}, err
			}
		}
	}
	conn, err := p.connect(ctx)
	if err != nil {
		return Result{Name: f.Name}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := p.setTimeouts(ctx, conn); err != nil {
		return Result{Name: f.Name}, err
	}
	r := openSource(ctx, src)
	defer r.Close()
	rec := &Record{Version: f.Version, Name: f.Name, Location: src.String(), AppliedBy: p.opts.AppliedBy, ToolVersion: p.opts.ToolVersion}
	cfg := applyConfig{
		name:     f.Name,
		verbose:  p.opts.VerboseErrors,
		progress: p.opts.Progress,
		expected: expected,
		record: func(ctx context.Context, conn *pgx.Conn, res Result) error {
			rec.Status = "applied"
			rec.fill(res)
			if res.Reverts != "" {
				if err := markReverted(ctx, conn, rec, res.Reverts); err != nil {
					return &ApplyError{File: f.Name, Message: "revert refused: " + err.Error(), err: err}
				}
			}
			return writeRecord(ctx, conn, rec)
		},
	}
	if len(src.Files) > 1 {
		cfg.locate = r.locate
	}
	res, err := applyStream(ctx, conn, r, cfg)
	if err != nil && res.NoTransaction {
		p.recordFailure(ctx, rec, res, err)
	}
	return res, err
}

// fill copies a result into the record.
func (r *Record) fill(res Result) {
	r.SHA256, r.Bytes, r.Statements, r.CopyRows = res.SHA256, res.Bytes, res.Statements, res.CopyRows
	r.NoTransaction, r.Duration = res.NoTransaction, res.Duration
}

// recordFailure records a failed no-transaction file so that the next run
// stops and says how to resolve it.
func (p *Provider) recordFailure(ctx context.Context, rec *Record, res Result, err error) {
	rec.Status = "failed"
	rec.fill(res)
	var ae *ApplyError
	if errors.As(err, &ae) {
		rec.FailedStatement, rec.FailedLine = ae.Statement, ae.Line
		plain := *ae
		plain.verbose = ""
		rec.Error = plain.Error()
	}
	if rec.SHA256 == "" {
		rec.SHA256 = "unknown"
	}
	ctx = context.WithoutCancel(ctx)
	conn, cerr := p.connect(ctx)
	if cerr != nil {
		return
	}
	defer conn.Close(ctx)
	writeRecord(ctx, conn, rec) //nolint:errcheck // the apply error is what the caller reports
}

// precheckNoTx verifies the digest of a no-transaction file before running
// it, since it cannot be rolled back afterwards.
func (p *Provider) precheckNoTx(ctx context.Context, name string, src Source, expected string) error {
	r := openSource(ctx, src)
	noTx, err := sniffNoTransaction(r)
	r.Close()
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if !noTx {
		return nil
	}
	sum, _, err := digest(ctx, src)
	if err != nil {
		return fmt.Errorf("checksumming %s: %w", name, err)
	}
	if sum != expected {
		return &ApplyError{File: name, Message: fmt.Sprintf(
			"SHA-256 of %s is %s, the lock file expects %s: the object is not the reviewed file; nothing applied", src, sum, expected)}
	}
	return nil
}

// setTimeouts applies the statement and lock wait timeouts to a session.
func (p *Provider) setTimeouts(ctx context.Context, conn *pgx.Conn) error {
	for _, s := range []struct {
		name string
		d    time.Duration
	}{{"statement_timeout", p.opts.StatementTimeout}, {"lock_timeout", p.opts.LockWaitTimeout}} {
		if s.d <= 0 {
			continue
		}
		if _, err := conn.Exec(ctx, "SELECT set_config($1, $2, false)", s.name, fmt.Sprintf("%dms", s.d.Milliseconds())); err != nil {
			return fmt.Errorf("setting %s: %w", s.name, err)
		}
	}
	return nil
}

// Sources resolves the manifest in the locations and returns where each
// listed migration is read from; migrations found nowhere are absent.
func (p *Provider) Sources(ctx context.Context) (map[string]Source, error) {
	res, err := resolve(ctx, p.opts.Locations, p.entries)
	if err != nil {
		return nil, err
	}
	return res.sources, nil
}
