package release

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/securemig/securemig/internal/actor"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/s3store"
)

// Store is the small set of object-store operations the release steps use;
// *s3store.Client implements it.
type Store interface {
	CheckCredentials(ctx context.Context) error
	CheckBucket(ctx context.Context, bucket string) error
	Head(ctx context.Context, bucket, key string) (*s3store.Object, error)
	Put(ctx context.Context, in s3store.PutInput) (*s3store.PutResult, error)
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, *s3store.Object, error)
}

// Connector returns the store that serves an environment.
type Connector func(ctx context.Context, env *Environment) (Store, error)

// ConnectS3 connects to an environment's bucket with the AWS SDK's default
// credential chain.
func ConnectS3(ctx context.Context, env *Environment) (Store, error) {
	c, err := s3store.New(ctx, env.S3Config())
	if err != nil {
		return nil, err
	}
	return c, nil
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
	StateUpload    State = "to upload"     // preflight passed, object absent
	StatePresent   State = "present"       // already holds exactly this file
	StateUploaded  State = "uploaded"      // uploaded and verified now
	StateRefused   State = "refused"       // preflight failed
	StateFailed    State = "failed"        // upload or verification failed
	StateSkipped   State = "not attempted" // not reached (cancelled)
	StateMissing   State = "missing"       // status: no object
	StateDifferent State = "different"     // status: object with other bytes
	StateError     State = "error"         // status: could not check
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
	// Err explains a refused, failed or error state.
	Err error
}

// UploadOptions configures Upload.
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
	// Confirm, when set, is asked once after a successful preflight with
	// something to upload; false aborts with ErrAborted.
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

// ErrAborted reports that the user declined the confirmation.
var ErrAborted = errors.New("upload aborted: not confirmed")

// ErrIncomplete reports that some environments failed after the preflight
// passed; the others hold the file and a re-run completes the rest.
var ErrIncomplete = errors.New("upload incomplete")

// ErrPreflight reports that at least one target failed its preflight, so
// nothing was uploaded anywhere.
var ErrPreflight = errors.New("preflight failed: nothing was uploaded")

var (
	fileNameRE = regexp.MustCompile(`^[0-9]{14}_[a-z0-9][a-z0-9_]*\.up\.sql$`)
	partNameRE = regexp.MustCompile(`^([0-9]{14}_[a-z0-9][a-z0-9_]*)\.part-[0-9]{3}\.up\.sql$`)
)

// wholeName returns the migration file name of a file name or part name.
func wholeName(name string) (string, error) {
	if m := partNameRE.FindStringSubmatch(name); m != nil {
		return m[1] + ".up.sql", nil
	}
	if !fileNameRE.MatchString(name) {
		return "", fmt.Errorf("%q is not a secure migration file name (<YYYYMMDDHHMMSS>_<name>.up.sql, name: a-z, 0-9, _)", name)
	}
	return name, nil
}

// unit is one object to store: the whole production file, or one part of a
// split one.
type unit struct {
	name   string
	f      *os.File
	size   int64
	sha256 [sha256.Size]byte
}

func (u *unit) hexSHA() string { return hex.EncodeToString(u.sha256[:]) }

// localFile is a verified production file: one unit, or its parts in order.
type localFile struct {
	name  string // the migration's file name (never a part name)
	units []*unit
	entry *lockfile.Entry
}

func (lf *localFile) close() {
	for _, u := range lf.units {
		u.f.Close()
	}
}

func (lf *localFile) size() int64 {
	var n int64
	for _, u := range lf.units {
		n += u.size
	}
	return n
}

// openProductionFile checks the file name, permissions, lock entry and
// digests. For a split migration, path may name the whole file or any part;
// all parts are taken from path's directory.
func openProductionFile(ctx context.Context, path, lockPath string) (*localFile, error) {
	name, err := wholeName(filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lock, err := lockfile.Load(lockPath)
	if err != nil {
		return nil, err
	}
	entry, ok := lock.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%s: no entry for %s in %s (generate it with securemig gen)", path, name, lockPath)
	}
	if entry.PlaceholderSHA256 != "" && entry.PlaceholderSHA256 == entry.SHA256 {
		return nil, fmt.Errorf("%s: lock entry's placeholder and production digests are equal; refusing to upload a placeholder", name)
	}
	lf := &localFile{name: name, entry: entry}
	type want struct {
		name   string
		sha256 string
		size   int64
	}
	wants := []want{{name, entry.SHA256, entry.Size}}
	if len(entry.Parts) > 0 {
		wants = wants[:0]
		for _, p := range entry.Parts {
			wants = append(wants, want{p.Name, p.SHA256, p.Size})
		}
	} else if filepath.Base(path) != name {
		return nil, fmt.Errorf("%s: the lock entry of %s has no parts", path, name)
	}
	whole := sha256.New()
	dir := filepath.Dir(path)
	for _, w := range wants {
		p := filepath.Join(dir, w.name)
		u, err := openUnit(ctx, p, w.name, whole)
		if err != nil {
			lf.close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		lf.units = append(lf.units, u)
		if entry.PlaceholderSHA256 != "" && u.hexSHA() == entry.PlaceholderSHA256 {
			lf.close()
			return nil, fmt.Errorf("%s: this is the placeholder, not the production file (its sha256 is the lock's placeholder_sha256)", p)
		}
		if u.hexSHA() != w.sha256 || u.size != w.size {
			lf.close()
			return nil, fmt.Errorf("%s does not match its lock entry (file sha256 %s, %d bytes; lock sha256 %s, %d bytes)",
				p, u.hexSHA(), u.size, w.sha256, w.size)
		}
	}
	if got := hex.EncodeToString(whole.Sum(nil)); got != entry.SHA256 || lf.size() != entry.Size {
		lf.close()
		return nil, fmt.Errorf("%s: the parts together (sha256 %s, %d bytes) do not match the lock entry (sha256 %s, %d bytes)",
			name, got, lf.size(), entry.SHA256, entry.Size)
	}
	return lf, nil
}

// openUnit opens one file, checks it is private and hashes it (also into whole).
func openUnit(ctx context.Context, path, name string, whole io.Writer) (*unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening production file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		f.Close()
		return nil, fmt.Errorf("permissions %04o let others read it; production files must be 0600 (chmod 600)", perm)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(h, whole), ctxReader{ctx, f}); err != nil {
		f.Close()
		return nil, fmt.Errorf("hashing: %w", err)
	}
	u := &unit{name: name, f: f, size: st.Size()}
	copy(u.sha256[:], h.Sum(nil))
	return u, nil
}

// ctxReader stops a long read when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// target is one environment during an upload run.
type target struct {
	res     *Result
	store   Store
	missing []*unit // units to upload
}

// Upload runs preflight on every target, then (unless DryRun or declined)
// uploads to those that lack the file, verifies each object with HEAD and
// records it in the lock file. It returns one Result per target in order.
// A preflight failure anywhere uploads nothing (ErrPreflight); an upload
// failure in one environment does not stop the others, and re-running
// completes what is missing. A split migration's parts are separate objects
// (<version>_<name>.part-NNN.up.sql), each checked and verified on its own.
func Upload(ctx context.Context, o UploadOptions) ([]Result, error) {
	o.defaults()
	lf, err := openProductionFile(ctx, o.File, o.LockPath)
	if err != nil {
		return nil, err
	}
	defer lf.close()
	o.logf("file %s: %d bytes in %d object(s), sha256 %s matches %s", lf.name, lf.size(), len(lf.units), lf.entry.SHA256, o.LockPath)

	targets := preflight(ctx, o, lf)
	results := make([]Result, len(targets))
	var refused []string
	for i, t := range targets {
		results[i] = *t.res
		if t.res.State == StateRefused {
			refused = append(refused, t.res.Env.Name)
		}
	}
	if len(refused) > 0 {
		return results, fmt.Errorf("%w (refused: %s)", ErrPreflight, strings.Join(refused, ", "))
	}
	if o.DryRun {
		return results, nil
	}
	if o.Confirm != nil && anyState(results, StateUpload) {
		ok, err := o.Confirm(results)
		if err != nil {
			return results, err
		}
		if !ok {
			return results, ErrAborted
		}
	}
	var failed []string
	for i, t := range targets {
		if err := ctx.Err(); err != nil {
			t.res.State, t.res.Err = StateSkipped, err
		} else {
			o.transfer(ctx, lf, t)
		}
		results[i] = *t.res
		if t.res.State != StateUploaded && t.res.State != StatePresent {
			failed = append(failed, t.res.Env.Name)
		}
	}
	if len(failed) > 0 {
		return results, fmt.Errorf("%w: %s do not hold the file; re-run to complete", ErrIncomplete, strings.Join(failed, ", "))
	}
	return results, nil
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

// preflight checks every target without writing anything.
func preflight(ctx context.Context, o UploadOptions, lf *localFile) []*target {
	targets := make([]*target, len(o.Targets))
	for i, env := range o.Targets {
		t := &target{res: &Result{Env: env, Key: env.Key(lf.name)}}
		if len(lf.units) > 1 {
			t.res.Parts = len(lf.units)
		}
		targets[i] = t
		if err := preflightOne(ctx, o, lf, t); err != nil {
			t.res.State, t.res.Err = StateRefused, err
			o.logf("preflight %s: refused: %v", env.Name, err)
			continue
		}
		o.logf("preflight %s: ok, s3://%s/%s %s", env.Name, env.Bucket, t.res.Key, t.res.State)
	}
	return targets
}

func preflightOne(ctx context.Context, o UploadOptions, lf *localFile, t *target) error {
	env := t.res.Env
	if env.SSE != s3store.SSES3 && env.SSE != s3store.SSEKMS {
		return fmt.Errorf("environment %s has no server-side encryption configured", env.Name)
	}
	for _, u := range lf.units {
		if env.MaxSize > 0 && u.size > env.MaxSize {
			return fmt.Errorf("%s is %d bytes, over the environment's max_size of %d bytes (generate it split)", u.name, u.size, env.MaxSize)
		}
	}
	store, err := o.Connect(ctx, env)
	if err != nil {
		return err
	}
	t.store = store
	if err := store.CheckCredentials(ctx); err != nil {
		return err
	}
	if err := store.CheckBucket(ctx, env.Bucket); err != nil {
		return err
	}
	for _, u := range lf.units {
		key := env.Key(u.name)
		obj, err := store.Head(ctx, env.Bucket, key)
		if errors.Is(err, s3store.ErrNotFound) {
			t.missing = append(t.missing, u)
			continue
		}
		if err != nil {
			return err
		}
		if err := sameContent(obj, u.hexSHA(), u.size); err != nil {
			return fmt.Errorf("s3://%s/%s already exists with other content (%v); objects are never overwritten: generate a new version", env.Bucket, key, err)
		}
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

// sameContent reports whether a stored object holds exactly the bytes with
// the given hex digest and size, judged by size, the sha256 metadata and,
// when the server stored one, the whole-object SHA-256 checksum.
func sameContent(obj *s3store.Object, hexSHA string, size int64) error {
	if obj.Size != size {
		return fmt.Errorf("size %d, want %d", obj.Size, size)
	}
	if got := obj.Metadata[MetaSHA256]; got != hexSHA {
		if got == "" {
			return errors.New("no sha256 metadata")
		}
		return fmt.Errorf("sha256 metadata %s, want %s", got, hexSHA)
	}
	if cs := obj.ChecksumSHA256; cs != "" && !strings.Contains(cs, "-") {
		raw, err := hex.DecodeString(hexSHA)
		if err != nil {
			return err
		}
		if cs != base64.StdEncoding.EncodeToString(raw) {
			return errors.New("stored SHA-256 checksum differs")
		}
	}
	return nil
}

// transfer uploads what is missing, verifies every object and records the
// environment's upload.
func (o *UploadOptions) transfer(ctx context.Context, lf *localFile, t *target) {
	env := t.res.Env
	for _, u := range t.missing {
		o.logf("upload %s: s3://%s/%s (%d bytes)", env.Name, env.Bucket, env.Key(u.name), u.size)
		if err := o.put(ctx, lf, u, t); err != nil {
			t.res.State, t.res.Err = StateFailed, err
			o.logf("upload %s: failed: %v", env.Name, err)
			return
		}
	}
	var last *s3store.Object
	for _, u := range lf.units {
		key := env.Key(u.name)
		obj, err := t.store.Head(ctx, env.Bucket, key)
		if err == nil {
			err = verify(obj, env, u)
		}
		if err != nil {
			t.res.State, t.res.Err = StateFailed, fmt.Errorf("verifying s3://%s/%s: %w", env.Bucket, key, err)
			o.logf("verify %s: failed: %v", env.Name, err)
			return
		}
		last = obj
	}
	if len(lf.units) == 1 {
		t.res.VersionID = last.VersionID
	}
	if t.res.State == StateUpload {
		t.res.State = StateUploaded
	}
	at := o.Now().UTC()
	if t.res.State == StatePresent && !last.LastModified.IsZero() {
		at = last.LastModified.UTC()
	}
	if err := recordUpload(o.LockPath, lf, env, t.res.Key, t.res.VersionID, at, uploadedBy(o.UploadedBy, env)); err != nil {
		t.res.State, t.res.Err = StateFailed, err
		return
	}
	o.logf("verify %s: ok (%s), recorded in %s", env.Name, t.res.State, o.LockPath)
}

func (o *UploadOptions) put(ctx context.Context, lf *localFile, u *unit, t *target) error {
	env := t.res.Env
	in := s3store.PutInput{
		Bucket:   env.Bucket,
		Key:      env.Key(u.name),
		Body:     u.f,
		Size:     u.size,
		SHA256:   u.sha256,
		Metadata: o.metadata(lf, u),
		SSE:      env.SSE,
		KMSKeyID: env.KMSKeyID,
	}
	if o.Progress != nil {
		in.Progress = func(done int64) { o.Progress(env.Name+" "+u.name, done, u.size) }
	}
	_, err := t.store.Put(ctx, in)
	if errors.Is(err, s3store.ErrExists) {
		// Someone stored the key since the preflight: fine only if it is
		// exactly this file, which the verification that follows checks.
		o.logf("upload %s: %s appeared since the preflight; verifying it", env.Name, in.Key)
		return nil
	}
	return err
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

// verify checks a stored object against its unit and the environment's
// encryption setting.
func verify(obj *s3store.Object, env *Environment, u *unit) error {
	if err := sameContent(obj, u.hexSHA(), u.size); err != nil {
		return err
	}
	if obj.SSE != env.SSE {
		return fmt.Errorf("server-side encryption is %q, want %q", obj.SSE, env.SSE)
	}
	if env.SSE == s3store.SSEKMS && obj.KMSKeyID != "" && strings.HasPrefix(env.KMSKeyID, "arn:") &&
		strings.Contains(env.KMSKeyID, ":key/") && obj.KMSKeyID != env.KMSKeyID {
		return fmt.Errorf("encrypted with KMS key %s, want %s", obj.KMSKeyID, env.KMSKeyID)
	}
	return nil
}

// recordUpload writes the environment's upload into the lock entry. For a
// split migration, key is the whole file's key (the parts are its
// .part-NNN siblings) and versionID is empty.
func recordUpload(lockPath string, lf *localFile, env *Environment, key, versionID string, at time.Time, by string) error {
	err := lockfile.Update(lockPath, func(f *lockfile.File) error {
		e, ok := f.Lookup(lf.name)
		if !ok {
			return fmt.Errorf("entry %s disappeared from the lock file", lf.name)
		}
		if e.SHA256 != lf.entry.SHA256 {
			return fmt.Errorf("entry %s changed in the lock file during the upload", lf.name)
		}
		if u := e.Uploads[env.Name]; u != nil && u.Bucket == env.Bucket && u.Key == key &&
			u.SHA256 == e.SHA256 && u.VersionID == versionID {
			return nil // already recorded
		}
		if e.Uploads == nil {
			e.Uploads = map[string]*lockfile.Upload{}
		}
		e.Uploads[env.Name] = &lockfile.Upload{
			Bucket: env.Bucket, Key: key, VersionID: versionID,
			SHA256: e.SHA256, Size: e.Size, UploadedAt: at, UploadedBy: by,
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording the %s upload in %s: %w", env.Name, lockPath, err)
	}
	return nil
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
