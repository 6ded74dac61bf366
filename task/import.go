package task

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/securegen"
)

// ImportOptions configures Import.
type ImportOptions struct {
	Config
	// Env is the environment to ship to: its bucket receives the secure
	// migration (release.Upload) and its database applies it.
	Env *release.Environment
	// Target is the environment's database URL.
	Target string
	// Scratch returns the scratch server's DSN (see CheckOptions); it is
	// called only when a migration has to be generated.
	Scratch func(ctx context.Context) (string, error)
	// Connect opens the environment's bucket (the AWS SDK's default chain
	// with the environment's settings when nil).
	Connect func(ctx context.Context, env *release.Environment) (*s3store.Client, error)
	// PgDump is the pg_dump program for generating (found by the server's
	// major version when empty).
	PgDump string
	// Commit is the git commit recorded on uploaded objects.
	Commit string
	// GenVersion is the tool version written into the migration's header
	// and lock entry, as `gen` writes it (ToolVersion when empty).
	GenVersion string
	// LockTimeout bounds the wait for the target's migration lock (the
	// migration engine's default when 0).
	LockTimeout time.Duration
}

func (o *ImportOptions) defaults() error {
	if err := o.Config.defaults(); err != nil {
		return err
	}
	if o.Env == nil {
		return errors.New("task import: no environment")
	}
	if o.Target == "" {
		return fmt.Errorf("task import: no database URL for environment %s", o.Env.Name)
	}
	if o.Connect == nil {
		o.Connect = func(ctx context.Context, env *release.Environment) (*s3store.Client, error) {
			return s3store.New(ctx, env.S3Config())
		}
	}
	return nil
}

// pendingImport is an approved submission not yet imported.
type pendingImport struct {
	code, id string
	approval Approval
	sum      string // SHA-256 of approval.json
}

// Import runs once: every approved submission that the environment has not
// received yet gets its secure migration (generated once per submission,
// from a scratch import of the kept inputs, by securegen exactly as `gen`
// does), uploaded to the environment's bucket by release.Upload (as
// `upload` does, with its preflight and verification) and applied to the
// environment's database by the migration engine (as `migrate` does: lock,
// checksums, tracking table), oldest approval first. The import is recorded
// beside the workbook. The error reports only a failure to list the index.
func Import(ctx context.Context, o ImportOptions) (*Summary, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	pending, err := o.pending(ctx)
	if err != nil {
		return nil, err
	}
	var scratchDSN string
	o.Scratch = onceDSN(o.Scratch, &scratchDSN)
	sum := &Summary{}
	for _, p := range pending {
		if err := ctx.Err(); err != nil {
			sum.Results = append(sum.Results, Result{Code: p.code, Submission: p.id, Outcome: OutcomeError, Err: err})
			continue
		}
		sum.Results = append(sum.Results, o.importOne(ctx, p))
	}
	sum.Duration = time.Since(start)
	o.Log.Info("import_done", append([]any{"source", o.Source.String(), "env", o.Env.Name, "approved_pending", len(pending),
		"duration_ms", sum.Duration.Milliseconds()}, sum.counts()...)...)
	return sum, nil
}

// pending lists approved submissions without an import marker for the
// environment, oldest approval first: two listings when there is nothing
// to do, plus one read per pending approval.
func (o *ImportOptions) pending(ctx context.Context) ([]pendingImport, error) {
	src := o.Source
	approved, err := src.list(ctx, src.ApprovedIndex(), "")
	if err != nil {
		return nil, err
	}
	done, err := src.list(ctx, src.ImportedIndex(o.Env.Name), "")
	if err != nil {
		return nil, err
	}
	imported := map[string]bool{}
	for _, d := range done {
		if code, id, ok := ParseMarker(src.ImportedIndex(o.Env.Name), d.Key); ok {
			imported[code+"/"+id] = true
		}
	}
	var out []pendingImport
	for _, m := range approved {
		code, id, ok := ParseMarker(src.ApprovedIndex(), m.Key)
		if !ok || imported[code+"/"+id] {
			continue
		}
		p := pendingImport{code: code, id: id}
		found, sum, err := src.getJSON(ctx, src.Approval(code, id), &p.approval)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // the approval is being written, or its write failed
		}
		p.sum = sum
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b pendingImport) int { return a.approval.ApprovedAt.Compare(b.approval.ApprovedAt) })
	return out, nil
}

// importOne ships one approved submission to the environment.
func (o *ImportOptions) importOne(ctx context.Context, p pendingImport) Result {
	res := Result{Code: p.code, Submission: p.id, Verdict: p.approval.Verdict}
	log := o.Log.With("env", o.Env.Name, "contract_code", p.code, "submission", p.id, "workbook_sha256", p.approval.WorkbookSHA256)
	recKey := o.Source.Import(p.code, p.id, o.Env.Name)
	if found, err := o.Source.exists(ctx, recKey); err != nil || found {
		return o.alreadyImported(ctx, p, res, err, log)
	}
	step := "import-" + o.Env.Name
	h, err := o.takeClaim(ctx, p.code, p.id, step)
	var busy *errBusy
	if errors.As(err, &busy) {
		log.Info("busy", "holder", busy.holder.Runner, "claim", busy.holder.N)
		res.Outcome = OutcomeBusy
		return res
	}
	if err != nil {
		return o.importFailed(ctx, nil, res, err, log)
	}
	log = log.With("claim", h.N)
	log.Info("claimed", "step", step)
	if found, err := o.Source.exists(ctx, recKey); err != nil || found {
		o.release(ctx, h, err)
		return o.alreadyImported(ctx, p, res, err, log)
	}
	rec, err := o.ship(ctx, p, h, log)
	if err == nil {
		_, err = o.Source.createJSON(ctx, recKey, rec)
		if errors.Is(err, s3store.ErrExists) {
			err = nil // another runner recorded the same import first
		}
	}
	if err != nil {
		return o.importFailed(ctx, h, res, err, log)
	}
	o.markImported(ctx, p, log)
	log.Info("imported", "migration", rec.Migration, "sha256", rec.SHA256, "applied", rec.Applied,
		"statements", rec.Statements, "copy_rows", rec.CopyRows, "database", rec.Database, "record", o.Source.url(recKey))
	res.Outcome = OutcomeDone
	return res
}

func (o *ImportOptions) alreadyImported(ctx context.Context, p pendingImport, res Result, err error, log *slog.Logger) Result {
	if err != nil {
		return o.importFailed(ctx, nil, res, err, log)
	}
	log.Info("already_imported")
	o.markImported(ctx, p, log)
	res.Outcome = OutcomeSkipped
	return res
}

// importFailed releases the claim, so that the next run retries, and
// classifies the failure: refusals of the upload preflight or the
// migration engine and apply errors are failures, anything else an error.
func (o *ImportOptions) importFailed(ctx context.Context, h *held, res Result, err error, log *slog.Logger) Result {
	if h != nil {
		o.release(ctx, h, err)
	}
	var ae *migrations.ApplyError
	var busy *errBusy
	switch {
	case errors.As(err, &busy):
		log.Info("busy", "holder", busy.holder.Runner, "step", busy.holder.Step)
		res.Outcome = OutcomeBusy
		return res
	case errors.Is(err, release.ErrPreflight), errors.Is(err, migrations.ErrVerify), errors.As(err, &ae), errors.Is(err, errRefused):
		res.Outcome = OutcomeFailed
	default:
		res.Outcome = OutcomeError
	}
	res.Err = err
	log.Error("import_"+string(res.Outcome), "error", err.Error())
	return res
}

// errRefused marks refusals found by the task itself (e.g. records that do
// not match).
var errRefused = errors.New("refused")

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errRefused, fmt.Sprintf(format, args...))
}

func (o *ImportOptions) markImported(ctx context.Context, p pendingImport, log *slog.Logger) {
	key := o.Source.Imported(o.Env.Name, p.code, p.id)
	if err := o.Source.create(ctx, key, []byte(p.id+"\n"), "text/plain"); err != nil && !errors.Is(err, s3store.ErrExists) {
		log.Warn("index_failed", "key", key, "error", err.Error())
	}
}

// ship uploads the submission's migration to the environment's bucket and
// applies it to its database.
func (o *ImportOptions) ship(ctx context.Context, p pendingImport, h *held, log *slog.Logger) (*ImportRecord, error) {
	started := o.now().UTC()
	work, err := o.workDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	mig, err := o.migration(ctx, p, work, log)
	if err != nil {
		return nil, err
	}
	// The lock file and production file, as `upload` expects them.
	dir := filepath.Join(work, "ship")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(dir, "secure.lock")
	for _, f := range []File{mig.Production, mig.Lock} {
		got, err := o.Source.download(ctx, f.Key, dir)
		if err != nil {
			return nil, err
		}
		if got.SHA256 != f.SHA256 {
			return nil, refused("%s has SHA-256 %s, migration.json records %s", o.Source.url(f.Key), got.SHA256, f.SHA256)
		}
		if f.Key == mig.Lock.Key {
			if err := os.Rename(got.Path, lockPath); err != nil {
				return nil, err
			}
		}
	}
	uploadLog := eventWriter(log, "upload")
	_, err = release.Upload(ctx, release.UploadOptions{
		File: filepath.Join(dir, mig.FileName), LockPath: lockPath, Targets: []*release.Environment{o.Env},
		Connect: func(ctx context.Context, env *release.Environment) (release.Store, error) {
			return o.Connect(ctx, env)
		},
		Log: uploadLog, ToolVersion: o.ToolVersion, Commit: o.Commit,
		AssumeYes: true, // the recorded approval is the person's confirmation
	})
	uploadLog.Close()
	if err != nil {
		return nil, err
	}
	lock, err := lockfile.Load(lockPath)
	if err != nil {
		return nil, err
	}
	entry, _ := lock.Lookup(mig.FileName)
	if entry == nil || entry.Uploads[o.Env.Name] == nil {
		return nil, fmt.Errorf("the upload of %s to %s was not recorded", mig.FileName, o.Env.Name)
	}
	applied, err := o.apply(ctx, mig, log)
	if err != nil {
		return nil, err
	}
	rec := &ImportRecord{Record: KindImport, Submission: p.id, ContractCode: p.code, Environment: o.Env.Name,
		Migration: mig.FileName, SHA256: mig.Entry.SHA256, Upload: entry.Uploads[o.Env.Name],
		Database: redactDSN(o.Target), ApprovalSHA256: p.sum, ToolVersion: o.ToolVersion, Runner: o.Runner,
		Claim: h.N, StartedAt: started, FinishedAt: o.now().UTC()}
	if applied != nil {
		rec.Applied, rec.Statements, rec.CopyRows = true, applied.Statements, applied.CopyRows
	}
	return rec, nil
}

// apply runs the migration engine on the environment's database with the
// one migration as its manifest, read from the environment's bucket and
// checked against the lock entry's SHA-256. It returns nil when the
// tracking table already records the migration.
func (o *ImportOptions) apply(ctx context.Context, mig *MigrationRecord, log *slog.Logger) (*migrations.Result, error) {
	entry, err := migrations.ParseName(mig.FileName)
	if err != nil {
		return nil, err
	}
	client, err := o.Connect(ctx, o.Env)
	if err != nil {
		return nil, err
	}
	loc := s3store.NewLocation(client, o.Env.Bucket, o.Env.Prefix)
	p, err := migrations.New(o.Target, []migrations.Entry{entry}, migrations.Options{
		Locations:   []migrations.Location{loc},
		LockTimeout: o.LockTimeout,
		ExpectedDigest: func(name string) (string, bool) {
			return mig.Entry.SHA256, name == mig.FileName
		},
		ToolVersion: o.ToolVersion,
	})
	if err != nil {
		return nil, err
	}
	log.Info("applying", "migration", mig.FileName, "from", loc.String(), "database", redactDSN(o.Target))
	results, err := p.Up(ctx)
	if err != nil {
		return nil, err
	}
	if len(results) == 0 {
		log.Info("already_applied", "migration", mig.FileName)
		return nil, nil
	}
	return &results[0], nil
}

// migration returns the submission's secure migration, generating it on
// first use (under its own claim) so that every environment receives the
// same bytes.
func (o *ImportOptions) migration(ctx context.Context, p pendingImport, work string, log *slog.Logger) (*MigrationRecord, error) {
	key := o.Source.Migration(p.code, p.id)
	var rec MigrationRecord
	if found, _, err := o.Source.getJSON(ctx, key, &rec); err != nil || found {
		return &rec, err
	}
	h, err := o.takeClaim(ctx, p.code, p.id, "migration")
	if err != nil {
		return nil, err
	}
	if found, _, err := o.Source.getJSON(ctx, key, &rec); err != nil || found {
		o.release(ctx, h, err)
		return &rec, err
	}
	gen, err := o.generate(ctx, p, h, work, log)
	if err != nil {
		o.release(ctx, h, err)
		return nil, err
	}
	if _, err := o.Source.createJSON(ctx, key, gen); errors.Is(err, s3store.ErrExists) {
		// Another runner outlived its claim and recorded first: ship its
		// migration, so that every environment gets the same bytes.
		if _, _, err := o.Source.getJSON(ctx, key, &rec); err != nil {
			return nil, err
		}
		return &rec, nil
	} else if err != nil {
		o.release(ctx, h, err)
		return nil, err
	}
	return gen, nil
}

// generate imports the approved inputs into a scratch database and
// generates the secure migration with securegen into a private project
// directory, then stores its files beside the workbook.
func (o *ImportOptions) generate(ctx context.Context, p pendingImport, h *held, work string, log *slog.Logger) (*MigrationRecord, error) {
	var check CheckRecord
	found, checkSum, err := o.Source.getJSON(ctx, o.Source.Check(p.code, p.id), &check)
	if err != nil {
		return nil, err
	}
	if !found || checkSum != p.approval.CheckSHA256 {
		return nil, refused("the check record of %s/%s is not the one approved (SHA-256 %s, approved %s)",
			p.code, p.id, checkSum, p.approval.CheckSHA256)
	}
	if wb := check.input("workbook"); wb == nil || wb.SHA256 != p.approval.WorkbookSHA256 {
		return nil, refused("the checked workbook of %s/%s is not the approved one", p.code, p.id)
	}
	srv, err := o.Scratch(ctx)
	if err != nil {
		return nil, fmt.Errorf("scratch database server: %w", err)
	}
	db, err := newScratch(ctx, srv)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	inputs := filepath.Join(work, "inputs")
	if err := os.Mkdir(inputs, 0o700); err != nil {
		return nil, err
	}
	if _, err := o.loadChecked(ctx, db.Conn, &check, inputs); err != nil {
		return nil, err
	}
	proj := filepath.Join(work, "project")
	genLog := eventWriter(log, "generate")
	res, err := securegen.Generate(ctx, securegen.Options{
		DSN: db.DSN, ContractCode: p.code, OutDir: filepath.Join(proj, "secure"),
		PlaceholderDir: filepath.Join(proj, "placeholders"), ManifestPath: filepath.Join(proj, "manifest.txt"),
		LockPath: filepath.Join(proj, "secure.lock"), PgDump: o.PgDump, ToolVersion: cmp.Or(o.GenVersion, o.ToolVersion),
		WorkbookSHA256: p.approval.WorkbookSHA256, Log: genLog,
	})
	genLog.Close()
	if err != nil {
		return nil, err
	}
	if res.OverLimit {
		log.Warn("over_size_limit", "migration", res.FileName, "bytes", res.Size, "limit", res.SizeLimit)
	}
	lock, err := lockfile.Load(filepath.Join(proj, "secure.lock"))
	if err != nil {
		return nil, err
	}
	entry, ok := lock.Lookup(res.FileName)
	if !ok {
		return nil, fmt.Errorf("securegen recorded no lock entry for %s", res.FileName)
	}
	rec := &MigrationRecord{Record: KindMigration, Submission: p.id, ContractCode: p.code, FileName: res.FileName,
		Manifest: res.FileName, Entry: entry, ApprovalSHA256: p.sum, ToolVersion: o.ToolVersion, Runner: o.Runner,
		Claim: h.N, GeneratedAt: o.now().UTC()}
	run := o.Source.Run(p.code, p.id, "migration", h.N)
	for _, f := range []struct {
		dst  *File
		name string
		path string
	}{
		{&rec.Production, "production", res.Production},
		{&rec.Down, "down", res.Down},
		{&rec.Placeholder, "placeholder", res.Placeholder},
		{&rec.Lock, "lock", filepath.Join(proj, "secure.lock")},
	} {
		key := run + f.name + "/" + filepath.Base(f.path)
		sum, size, err := o.Source.createFile(ctx, key, f.path, "application/sql")
		if err != nil {
			return nil, err
		}
		*f.dst = File{Name: filepath.Base(f.path), Key: key, SHA256: sum, Size: size}
	}
	if rec.Production.SHA256 != entry.SHA256 {
		return nil, fmt.Errorf("stored production file %s does not match its lock entry", rec.Production.Key)
	}
	log.Info("generated", "migration", res.FileName, "sha256", entry.SHA256, "bytes", entry.Size, "timing", res.Timing.String())
	return rec, nil
}

// eventWriter turns the plain progress lines of release and securegen into
// events; Close flushes the last line.
func eventWriter(log *slog.Logger, step string) io.WriteCloser {
	r, w := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				log.Info(step, "detail", line)
			}
		}
		io.Copy(io.Discard, r) //nolint:errcheck // drain after an overlong line
	}()
	return &pipeCloser{w: w, done: done}
}

type pipeCloser struct {
	w    *io.PipeWriter
	done chan struct{}
}

func (p *pipeCloser) Write(b []byte) (int, error) { return p.w.Write(b) }

func (p *pipeCloser) Close() error {
	err := p.w.Close()
	<-p.done
	return err
}
