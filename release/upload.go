package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/securemig/securemig/internal/actor"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/s3store"
)

// Store is the small set of object-store operations the release steps use;
// *s3store.Client implements it.
type Store interface {
	// Profile names the shared-config profile credentials come from.
	Profile() string
	CheckCredentials(ctx context.Context) error
	Identity(ctx context.Context) (s3store.Identity, error)
	CheckBucket(ctx context.Context, bucket string) (endpoint string, err error)
	Head(ctx context.Context, bucket, key string) (*s3store.Object, error)
	Put(ctx context.Context, in s3store.PutInput) (*s3store.PutResult, error)
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, *s3store.Object, error)
	Delete(ctx context.Context, bucket, key, versionID string) error
}

// Connector returns the store that serves an environment.
type Connector func(ctx context.Context, env *Environment) (Store, error)

// S3Connector connects to each environment's bucket with the AWS SDK's
// default credential chain and the given transfer options (part size,
// multipart threshold, concurrency).
func S3Connector(opts ...s3store.Option) Connector {
	return func(ctx context.Context, env *Environment) (Store, error) {
		c, err := s3store.New(ctx, env.S3Config(), opts...)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// ConnectS3 is S3Connector with the default transfer options.
func ConnectS3(ctx context.Context, env *Environment) (Store, error) {
	return S3Connector()(ctx, env)
}

// Metadata keys stored on every uploaded object (as x-amz-meta-*).
const (
	MetaSHA256       = "sha256"
	MetaContractCode = "contract-code"
	MetaToolVersion  = "tool-version"
	MetaGitCommit    = "git-commit"
)

// State is what an environment holds (or will hold) for one file.
type State string

// States reported per environment.
const (
	StateUpload      State = "to upload"     // preflight passed, object absent
	StatePresent     State = "present"       // holds exactly this file (checksum or bytes verified)
	StateUploaded    State = "uploaded"      // uploaded and verified now
	StateRefused     State = "refused"       // preflight failed
	StateFailed      State = "failed"        // upload or verification failed
	StateSkipped     State = "not attempted" // not reached (interrupted)
	StateMissing     State = "missing"       // status: no object
	StateDifferent   State = "different"     // status: object with other bytes
	StateUnverified  State = "unverified"    // status: size and metadata match, but no checksum proves the bytes
	StateUnencrypted State = "unencrypted"   // status: the object lacks the required server-side encryption
	StateError       State = "error"         // status: could not check
)

// Result is one environment's outcome.
type Result struct {
	Env   *Environment
	Key   string
	State State
	// Parts is the number of part objects of a split migration (0 when whole).
	Parts int
	// VersionID is the stored object's version (versioned buckets, whole
	// files only).
	VersionID string
	// Identity says whose credentials reach the environment (STS), or why
	// that could not be checked (upload only).
	Identity string
	// Endpoint is the URL the bucket's requests go to (upload only).
	Endpoint string
	// Encryption is the server-side encryption the store reports for the
	// object ("" for none; status only).
	Encryption string
	// Checksum is the SHA-256 checksum the store reports for the object
	// (status only; of the first part that has one for split migrations).
	Checksum string
	// VerifiedBy says how the bytes were proven: "checksum" (the store's
	// SHA-256 checksum), "download" (read back and hashed) or "" (not proven).
	VerifiedBy string
	// Recorded reports whether the lock file records the environment's
	// upload of this digest (status only).
	Recorded bool
	// Err explains a refused, failed, unverified, unencrypted or error state.
	Err error
}

// UploadOptions configures Upload. The caller decides how the upload is
// confirmed: AssumeYes, or a Confirm function (for example a terminal
// prompt); with neither, nothing is uploaded.
type UploadOptions struct {
	// File is the production file (<version>_<name>.up.sql).
	File string
	// LockPath is the lock file (lockfile.DefaultPath when empty).
	LockPath string
	// Targets are the environments to upload to.
	Targets []*Environment
	// Connect opens each environment's store (ConnectS3 when nil).
	Connect Connector
	// DryRun stops after the preflight.
	DryRun bool
	// AssumeYes uploads without asking Confirm.
	AssumeYes bool
	// Confirm is asked once after a successful preflight with something to
	// upload (unless AssumeYes); false, or an error, uploads nothing.
	Confirm func(results []Result) (bool, error)
	// Log receives one plain line per step (nil discards).
	Log io.Writer
	// Progress, when set, receives the bytes stored so far of each object
	// ("ENV NAME"); it may be called from several goroutines.
	Progress func(object string, done, total int64)
	// ToolVersion and Commit are recorded in object metadata.
	ToolVersion, Commit string
	// Now is the clock for upload times (time.Now when nil).
	Now func() time.Time
	// UploadedBy is recorded with each upload in the lock file (default
	// actor.Current(): SECUREMIG_ACTOR, else "user@host"); the
	// environment's AWS profile, when it names one, is added.
	UploadedBy string
}

// ErrAborted reports that the upload was not confirmed; nothing was uploaded.
var ErrAborted = errors.New("upload not confirmed: nothing was uploaded")

// ErrIncomplete reports that some environments failed after the preflight
// passed; the others hold the file and a re-run completes the rest.
var ErrIncomplete = errors.New("upload incomplete")

// ErrPreflight reports a refusal before anything was written: the local
// file or its lock entry is wrong, or some target failed its preflight.
var ErrPreflight = errors.New("nothing was uploaded")

// ErrNotEncrypted reports that a store accepted an object but did not
// encrypt it; the object was removed and a re-run cannot help.
var ErrNotEncrypted = errors.New("the store did not encrypt the object; it was removed; this endpoint does not support server-side encryption")

// Upload runs preflight on every target, then (unless DryRun or not
// confirmed) uploads to those that lack the file, verifies each object with
// HEAD (size, sha256 metadata, the store's SHA-256 checksum, encryption) and
// records it in the lock file. It returns one Result per target in order.
//
// A refusal anywhere uploads nothing (ErrPreflight). An upload failure in one
// environment does not stop the others, and re-running completes what is
// missing (ErrIncomplete). An object the store did not encrypt is removed
// again (ErrNotEncrypted). A run that finds everything present and recorded
// writes nothing, not even the lock file. A split migration's parts are
// separate objects (<version>_<name>.part-NNN.up.sql), each checked and
// verified on its own.
func Upload(ctx context.Context, o UploadOptions) ([]Result, error) {
	o.defaults()
	lf, err := openProductionFile(ctx, o.File, o.LockPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrPreflight)
	}
	defer lf.close()
	o.logf("file %s: %d bytes in %d object(s), sha256 %s matches %s", lf.name, lf.size(), len(lf.units), lf.entry.SHA256, o.LockPath)
	for _, env := range o.Targets {
		if env.Unencrypted() {
			o.logf("%s", env.UnencryptedNotice())
		}
	}

	targets := o.preflight(ctx, lf)
	results := collect(targets)
	if ctx.Err() != nil {
		return results, fmt.Errorf("interrupted during the preflight: %w", ErrPreflight)
	}
	if err := preflightError(results); err != nil {
		return results, err
	}
	if o.DryRun {
		return results, nil
	}
	if anyState(results, StateUpload) && !o.AssumeYes {
		if o.Confirm == nil {
			return results, ErrAborted
		}
		ok, err := o.Confirm(results)
		if err != nil {
			return results, err
		}
		if !ok {
			return results, ErrAborted
		}
	}
	for _, t := range targets {
		switch {
		case ctx.Err() != nil && t.res.State == StateUpload:
			t.res.State, t.res.Err = StateSkipped, errors.New("interrupted before this environment")
		case t.res.State == StateUpload:
			o.transfer(ctx, lf, t)
		case t.res.State == StatePresent:
			o.record(lf, t)
		}
	}
	results = collect(targets)
	return results, runError(ctx, results)
}

func (o *UploadOptions) defaults() {
	if o.LockPath == "" {
		o.LockPath = lockfile.DefaultPath
	}
	if o.Connect == nil {
		o.Connect = ConnectS3
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *UploadOptions) logf(format string, args ...any) {
	fmt.Fprintf(o.Log, format+"\n", args...)
}

func anyState(rs []Result, s State) bool {
	for _, r := range rs {
		if r.State == s {
			return true
		}
	}
	return false
}

func collect(targets []*target) []Result {
	rs := make([]Result, len(targets))
	for i, t := range targets {
		rs[i] = *t.res
	}
	return rs
}

// preflightError summarises refusals: which environments, and once per run
// the missing-credentials hint.
func preflightError(results []Result) error {
	var refused, noCreds []string
	for _, r := range results {
		if r.State != StateRefused {
			continue
		}
		refused = append(refused, r.Env.Name)
		var nc *s3store.NoCredentialsError
		if errors.As(r.Err, &nc) {
			noCreds = append(noCreds, nc.Profile)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	err := fmt.Errorf("preflight refused %s: %w", strings.Join(refused, ", "), ErrPreflight)
	if len(noCreds) > 0 {
		err = fmt.Errorf("%w\n%s", err, s3store.NoCredentialsMessage(noCreds...))
	}
	return err
}

// runError summarises the environments that do not hold the file after
// the transfers.
func runError(ctx context.Context, results []Result) error {
	var failed, unencrypted []string
	for _, r := range results {
		switch {
		case errors.Is(r.Err, ErrNotEncrypted):
			unencrypted = append(unencrypted, r.Env.Name)
		case r.State != StateUploaded && r.State != StatePresent:
			failed = append(failed, r.Env.Name)
		}
	}
	var errs []error
	if len(unencrypted) > 0 {
		errs = append(errs, fmt.Errorf("%s: %w (use sse = %q with allow_unencrypted = true only for a local test store)",
			strings.Join(unencrypted, ", "), ErrNotEncrypted, SSENone))
	}
	if len(failed) > 0 {
		how := "re-run to complete"
		if ctx.Err() != nil {
			how = "interrupted; no partial object was left; re-run to complete"
		}
		errs = append(errs, fmt.Errorf("%w: %s do not hold the file; %s", ErrIncomplete, strings.Join(failed, ", "), how))
	}
	return errors.Join(errs...)
}

// target is one environment during an upload run.
type target struct {
	res     *Result
	store   Store
	missing []*unit // units to upload
	// checksums maps each unit's name to the checksum the store reported
	// for it, once verified.
	checksums map[string]string
}

// preflight checks every target without writing anything.
func (o *UploadOptions) preflight(ctx context.Context, lf *localFile) []*target {
	targets := make([]*target, len(o.Targets))
	credFailures := map[string]error{} // per profile: ask the chain once
	for i, env := range o.Targets {
		t := &target{res: &Result{Env: env, Key: env.Key(lf.entry.StoredName(lf.name))}, checksums: map[string]string{}}
		if len(lf.units) > 1 {
			t.res.Parts = len(lf.units)
		}
		targets[i] = t
		if err := o.preflightOne(ctx, lf, t, credFailures); err != nil {
			t.res.State, t.res.Err = StateRefused, err
			o.logf("preflight %s: refused: %v", env.Name, err)
			continue
		}
		o.logf("preflight %s: ok, s3://%s/%s %s; identity: %s; endpoint %s", env.Name, env.Bucket, t.res.Key, t.res.State, t.res.Identity, t.res.Endpoint)
	}
	return targets
}

func (o *UploadOptions) preflightOne(ctx context.Context, lf *localFile, t *target, credFailures map[string]error) error {
	env := t.res.Env
	if env.SSE != s3store.SSES3 && env.SSE != s3store.SSEKMS && !env.Unencrypted() {
		return fmt.Errorf("environment %s has no server-side encryption configured", env.Name)
	}
	for _, u := range lf.units {
		if env.MaxSize > 0 && u.size > env.MaxSize {
			return fmt.Errorf("too large: %s is %d bytes, over the environment's max_size of %d bytes (generate it split)", u.name, u.size, env.MaxSize)
		}
	}
	store, err := connectChecked(ctx, o.Connect, env, credFailures)
	if err != nil {
		return err
	}
	t.store = store
	t.res.Identity = identity(ctx, store)
	endpoint, err := store.CheckBucket(ctx, env.Bucket)
	t.res.Endpoint = endpoint
	if err != nil {
		return err
	}
	for _, u := range lf.units {
		key := env.Key(u.name)
		obj, err := store.Head(ctx, env.Bucket, key)
		if errors.Is(err, s3store.ErrNotFound) {
			t.missing = append(t.missing, u)
			continue
		}
		if errors.Is(err, s3store.ErrAccessDenied) {
			return fmt.Errorf("%w (checking for an existing object needs s3:GetObject and s3:ListBucket; without ListBucket a missing object reads as 403)", err)
		}
		if err != nil {
			return err
		}
		want := u.object()
		want.checksum = recordedChecksum(lf.entry, env, u.name)
		v := judge(ctx, store, env, obj, want, downloadIfUnverified)
		if v.verifiedBy == "download" {
			o.logf("preflight %s: no checksum proves s3://%s/%s; read it back and hashed it", env.Name, env.Bucket, key)
		}
		if v.state == StateDifferent || v.state == StateUnverified {
			return fmt.Errorf("s3://%s/%s already exists with other content (%v); objects are never overwritten: generate a new version", env.Bucket, key, v.err)
		}
		if v.state == StateError {
			return fmt.Errorf("s3://%s/%s exists but could not be verified: %w", env.Bucket, key, v.err)
		}
		if v.state == StateUnencrypted {
			return fmt.Errorf("s3://%s/%s already holds this file but is %w; it was not written by this run, so it was left in place: remove it and re-run", env.Bucket, key, v.err)
		}
		t.checksums[u.name] = obj.ChecksumSHA256
		if len(lf.units) == 1 {
			t.res.VersionID = obj.VersionID
		}
	}
	t.res.State = StatePresent
	if len(t.missing) > 0 {
		t.res.State = StateUpload
	}
	return nil
}

// identity describes whose credentials reach the store, or why that is
// unknown; it never fails the preflight (S3-compatible stores rarely
// implement STS).
func identity(ctx context.Context, store Store) string {
	id, err := store.Identity(ctx)
	if err != nil {
		return fmt.Sprintf("could not be checked (%v); going on with profile %s", err, store.Profile())
	}
	return id.String()
}

// recordedChecksum returns the checksum the lock file recorded for a
// unit's object in env, if any.
func recordedChecksum(e *lockfile.Entry, env *Environment, name string) string {
	if u := e.Uploads[env.Name]; u != nil && u.Bucket == env.Bucket && u.SHA256 == e.SHA256 {
		return u.Checksums[name]
	}
	return ""
}

// transfer uploads what is missing, verifies every object it wrote and
// records the environment's upload.
func (o *UploadOptions) transfer(ctx context.Context, lf *localFile, t *target) {
	env := t.res.Env
	for _, u := range t.missing {
		o.logf("upload %s: s3://%s/%s (%d bytes)", env.Name, env.Bucket, env.Key(u.name), u.size)
		if err := o.putAndVerify(ctx, lf, u, t); err != nil {
			t.res.State, t.res.Err = StateFailed, err
			o.logf("upload %s: failed: %v", env.Name, err)
			return
		}
	}
	t.res.State = StateUploaded
	o.record(lf, t)
}

// putAndVerify stores one unit and verifies it with HEAD. An object this run
// created (If-None-Match succeeded) that is not encrypted as required, or
// whose checksum shows other bytes, is removed again.
func (o *UploadOptions) putAndVerify(ctx context.Context, lf *localFile, u *unit, t *target) error {
	env := t.res.Env
	key := env.Key(u.name)
	in := s3store.PutInput{
		Bucket:   env.Bucket,
		Key:      key,
		Body:     u.f,
		Size:     u.size,
		SHA256:   u.sha256,
		Metadata: o.metadata(lf, u),
	}
	if env.Unencrypted() {
		in.Unencrypted = true
	} else {
		in.SSE, in.KMSKeyID = env.SSE, env.KMSKeyID
	}
	if o.Progress != nil {
		in.Progress = func(done int64) { o.Progress(env.Name+" "+u.name, done, u.size) }
	}
	put, err := t.store.Put(ctx, in)
	created := err == nil
	if errors.Is(err, s3store.ErrExists) {
		// Someone stored the key since the preflight: fine only if it is
		// exactly this file, which the verification below checks.
		o.logf("upload %s: %s appeared since the preflight; verifying it", env.Name, key)
	} else if err != nil {
		return err
	}
	obj, err := t.store.Head(ctx, env.Bucket, key)
	if err != nil {
		return fmt.Errorf("verifying s3://%s/%s: %w", env.Bucket, key, err)
	}
	want := u.object()
	want.checksum = recordedChecksum(lf.entry, env, u.name)
	if created {
		want.checksum, want.fresh = put.ChecksumSHA256, true
	}
	v := judge(ctx, t.store, env, obj, want, downloadIfUnverified)
	if v.verifiedBy == "download" {
		o.logf("verify %s: the store reported no SHA-256 checksum for %s; read it back and hashed it", env.Name, u.name)
	}
	switch {
	case v.state == StatePresent:
		t.checksums[u.name] = obj.ChecksumSHA256
		if len(lf.units) == 1 {
			t.res.VersionID = obj.VersionID
		}
		return nil
	case !created:
		return fmt.Errorf("s3://%s/%s was written by someone else since the preflight and is %s: %w; it was left in place", env.Bucket, key, v.state, v.err)
	}
	version := put.VersionID
	if version == "" {
		version = obj.VersionID
	}
	rctx, cancel := cleanupContext(ctx)
	defer cancel()
	if derr := t.store.Delete(rctx, env.Bucket, key, version); derr != nil {
		return fmt.Errorf("s3://%s/%s is %s (%v) and removing it failed: remove it by hand: %w", env.Bucket, key, v.state, v.err, derr)
	}
	o.logf("upload %s: removed s3://%s/%s again: %v", env.Name, env.Bucket, key, v.err)
	if v.state == StateUnencrypted {
		return fmt.Errorf("%w (s3://%s/%s: %v)", ErrNotEncrypted, env.Bucket, key, v.err)
	}
	return fmt.Errorf("the stored object did not match what was sent (%v); it was removed", v.err)
}

// cleanupContext returns a context for cleanup work that survives the
// cancellation of ctx (an interrupted run still removes what it must).
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

func (o *UploadOptions) metadata(lf *localFile, u *unit) map[string]string {
	m := map[string]string{MetaSHA256: u.hexSHA()}
	for k, v := range map[string]string{
		MetaContractCode: lf.entry.ContractCode,
		MetaToolVersion:  o.ToolVersion,
		MetaGitCommit:    o.Commit,
	} {
		if v = asciiHeader(v); v != "" {
			m[k] = v
		}
	}
	return m
}

// asciiHeader keeps a metadata value to printable ASCII (S3's requirement).
func asciiHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

// record writes the environment's upload into the lock entry unless the
// lock already records exactly this upload: a run that changes nothing
// leaves the lock file untouched.
func (o *UploadOptions) record(lf *localFile, t *target) {
	env := t.res.Env
	want := o.upload(lf, t)
	if isRecorded(lf.entry.Uploads[env.Name], want) {
		o.logf("upload %s: already holds the file", env.Name)
		return
	}
	err := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
		e, ok := f.Lookup(lf.name)
		if !ok {
			return fmt.Errorf("entry %s disappeared from the lock file", lf.name)
		}
		if e.SHA256 != lf.entry.SHA256 {
			return fmt.Errorf("entry %s changed in the lock file during the upload", lf.name)
		}
		if e.Uploads == nil {
			e.Uploads = map[string]*lockfile.Upload{}
		}
		e.Uploads[env.Name] = want
		return nil
	})
	if err != nil {
		t.res.State, t.res.Err = StateFailed, fmt.Errorf("recording the %s upload in %s: %w", env.Name, o.LockPath, err)
		return
	}
	o.logf("verify %s: ok (%s), recorded in %s", env.Name, t.res.State, o.LockPath)
}

// upload is the lock record of a verified target. For a split migration the
// key is the whole file's key (the parts are its .part-NNN siblings) and the
// version id is empty.
func (o *UploadOptions) upload(lf *localFile, t *target) *lockfile.Upload {
	env := t.res.Env
	at := o.Now().UTC()
	if old := lf.entry.Uploads[env.Name]; old != nil && t.res.State == StatePresent && !old.UploadedAt.IsZero() {
		at = old.UploadedAt
	}
	by := uploadedBy(o.UploadedBy, env)
	if old := lf.entry.Uploads[env.Name]; old != nil && t.res.State == StatePresent && old.UploadedBy != "" {
		by = old.UploadedBy
	}
	u := &lockfile.Upload{
		Bucket: env.Bucket, Key: t.res.Key, VersionID: t.res.VersionID,
		SHA256: lf.entry.SHA256, Size: lf.entry.Size, UploadedAt: at, UploadedBy: by,
	}
	for name, cs := range t.checksums {
		if cs != "" {
			if u.Checksums == nil {
				u.Checksums = map[string]string{}
			}
			u.Checksums[name] = cs
		}
	}
	return u
}

// isRecorded reports whether the lock's record already says what want says
// (the upload time aside).
func isRecorded(have, want *lockfile.Upload) bool {
	return have != nil && have.Bucket == want.Bucket && have.Key == want.Key && have.VersionID == want.VersionID &&
		have.SHA256 == want.SHA256 && have.Size == want.Size && maps.Equal(have.Checksums, want.Checksums)
}

// uploadedBy names who uploaded to env: the actor, with the AWS profile
// the credentials came from when one is named (the environment's, else
// AWS_PROFILE): a name, never a credential.
func uploadedBy(by string, env *Environment) string {
	if by == "" {
		by = actor.Current()
	}
	profile := env.Profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile != "" {
		by += " (profile " + profile + ")"
	}
	return by
}
