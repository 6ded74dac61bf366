package release

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/s3store"
)

// lockEntry loads the lock entry of a migration file name (a path is
// reduced to its base name).
func lockEntry(lockPath, name string) (string, *lockfile.Entry, error) {
	if lockPath == "" {
		lockPath = lockfile.DefaultPath
	}
	name, err := wholeName(filepath.Base(name))
	if err != nil {
		return "", nil, err
	}
	lock, err := lockfile.Load(lockPath)
	if err != nil {
		return "", nil, err
	}
	e, ok := lock.Lookup(name)
	if !ok {
		return "", nil, fmt.Errorf("no entry for %s in %s", name, lockPath)
	}
	return name, e, nil
}

// objectsOf lists the objects a lock entry is stored as: the whole file, or
// its parts.
func objectsOf(name string, e *lockfile.Entry) []expected {
	if len(e.Parts) == 0 {
		return []expected{{name: e.StoredName(name), sha256: e.SHA256, size: e.Size}}
	}
	out := make([]expected, len(e.Parts))
	for i, p := range e.Parts {
		out[i] = expected{name: p.Name, sha256: p.SHA256, size: p.Size}
	}
	return out
}

// StatusOptions configures Status.
type StatusOptions struct {
	// LockPath is the lock file (lockfile.DefaultPath when empty).
	LockPath string
	// Name is the migration's file name (a path is reduced to its base name).
	Name string
	// Targets are the environments to check.
	Targets []*Environment
	// Connect opens each environment's store (ConnectS3 when nil).
	Connect Connector
	// Deep reads every object back and hashes it instead of trusting the
	// store's checksum.
	Deep bool
}

// connectChecked connects to env's store and resolves its credentials; a
// credential failure is remembered per profile so that the chain (which may
// wait for an instance-metadata service) is asked once per run.
func connectChecked(ctx context.Context, connect Connector, env *Environment, credFailures map[string]error) (Store, error) {
	store, err := connect(ctx, env)
	if err != nil {
		return nil, err
	}
	if err, seen := credFailures[store.Profile()]; seen {
		return nil, err
	}
	if err := store.CheckCredentials(ctx); err != nil {
		credFailures[store.Profile()] = err
		return nil, err
	}
	return store, nil
}

// StatusReport is what Status found: the lock entry's digest and size, and
// one Result per target environment.
type StatusReport struct {
	// Migration is the migration's file name.
	Migration string
	// SHA256 and Size are the lock entry's.
	SHA256 string
	Size   int64
	// Deep reports whether the objects were downloaded and hashed.
	Deep    bool
	Results []Result
}

// AllPresent reports whether every environment holds the locked file.
func (r *StatusReport) AllPresent() bool {
	for _, res := range r.Results {
		if res.State != StatePresent {
			return false
		}
	}
	return true
}

// Status compares what every target environment holds for the named file
// with its lock entry. By default it uses HEAD only: an object is present
// when its size and sha256 metadata match and the store's SHA-256 checksum
// proves the bytes (for a multipart upload, the composite checksum the lock
// file recorded when the upload was verified), unverified when no checksum
// can prove them, and unencrypted when it lacks the environment's required
// encryption. With Deep every object is downloaded and hashed.
func Status(ctx context.Context, o StatusOptions) (*StatusReport, error) {
	name, entry, err := lockEntry(o.LockPath, o.Name)
	if err != nil {
		return nil, err
	}
	if o.Connect == nil {
		o.Connect = ConnectS3
	}
	mode := downloadNever
	if o.Deep {
		mode = downloadAlways
	}
	rep := &StatusReport{Migration: name, SHA256: entry.SHA256, Size: entry.Size, Deep: o.Deep, Results: make([]Result, len(o.Targets))}
	credFailures := map[string]error{} // per profile: ask the chain once
	for i, env := range o.Targets {
		r := statusOne(ctx, o.Connect, env, name, entry, mode, credFailures)
		u := entry.Uploads[env.Name]
		r.Recorded = u != nil && u.Bucket == env.Bucket && u.Key == env.Key(entry.StoredName(name)) && u.SHA256 == entry.SHA256
		rep.Results[i] = r
	}
	return rep, nil
}

// statusRank orders states from best to worst; an environment reports the
// worst state of its objects.
var statusRank = map[State]int{
	StatePresent: 0, StateUnverified: 1, StateUnencrypted: 2, StateMissing: 3, StateDifferent: 4, StateError: 5,
}

func statusOne(ctx context.Context, connect Connector, env *Environment, name string, entry *lockfile.Entry, mode downloadMode, credFailures map[string]error) Result {
	r := Result{Env: env, Key: env.Key(entry.StoredName(name)), State: StatePresent}
	if len(entry.Parts) > 0 {
		r.Parts = len(entry.Parts)
	}
	store, err := connectChecked(ctx, connect, env, credFailures)
	if err != nil {
		r.State, r.Err = StateError, err
		return r
	}
	objects := objectsOf(name, entry)
	verifiedBy := ""
	for i, want := range objects {
		v := verdict{}
		obj, err := store.Head(ctx, env.Bucket, env.Key(want.name))
		switch {
		case errors.Is(err, s3store.ErrNotFound):
			v = verdict{state: StateMissing, err: fmt.Errorf("%s is missing", want.name)}
		case err != nil:
			v = verdict{state: StateError, err: err}
		default:
			want.checksum = recordedChecksum(entry, env, want.name)
			v = judge(ctx, store, env, obj, want, mode)
			if r.Checksum == "" {
				r.Checksum = obj.ChecksumSHA256
			}
			if i == 0 || obj.SSE != r.Encryption {
				r.Encryption = obj.SSE
			}
			if len(objects) == 1 {
				r.VersionID = obj.VersionID
			}
		}
		if i == 0 || v.verifiedBy != verifiedBy {
			verifiedBy = v.verifiedBy
		}
		if statusRank[v.state] > statusRank[r.State] {
			r.State, r.Err = v.state, v.err
			if len(objects) > 1 && v.err != nil {
				r.Err = fmt.Errorf("%s: %w", want.name, v.err)
			}
		}
	}
	if r.State == StatePresent {
		r.VerifiedBy = verifiedBy
	}
	return r
}

// ErrDigestMismatch reports that downloaded bytes differ from the lock entry.
var ErrDigestMismatch = errors.New("does not match the lock entry")

// Download fetches the named secure migration from env into a new private
// directory (0700) under parent (the system temp dir when empty) as a 0600
// file, verifies its size and SHA-256 against the lock entry and the
// object's server-side encryption against the environment's requirement,
// and returns its path. An object without the required encryption gives an
// error matching s3store.ErrNotEncrypted. A split migration's parts are each verified and
// joined into the whole file. On any failure nothing is left on disk.
func Download(ctx context.Context, lockPath, name string, env *Environment, connect Connector, parent string) (path string, err error) {
	name, entry, err := lockEntry(lockPath, name)
	if err != nil {
		return "", err
	}
	if connect == nil {
		connect = ConnectS3
	}
	store, err := connectChecked(ctx, connect, env, map[string]error{})
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(parent, "securemig-"+env.Name+"-")
	if err != nil {
		return "", fmt.Errorf("creating private directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating private directory: %w", err)
	}
	path = filepath.Join(dir, entry.StoredName(name))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", path, err)
	}
	whole := sha256.New()
	var total int64
	var out io.Writer = io.MultiWriter(f, whole)
	var sql *sqlDigest
	if entry.Compression == lockfile.Gzip {
		sql = newSQLDigest()
		out = io.MultiWriter(out, sql)
	}
	for _, o := range objectsOf(name, entry) {
		n, sum, derr := fetch(ctx, store, env, o.name, out, true)
		total += n
		if derr == nil && (sum != o.sha256 || n != o.size) {
			derr = fmt.Errorf("s3://%s/%s (environment %s) %w: sha256 %s, %d bytes; lock has %s, %d bytes; the object was replaced or tampered with, nothing was kept",
				env.Bucket, env.Key(o.name), env.Name, ErrDigestMismatch, sum, n, o.sha256, o.size)
		}
		if derr != nil {
			f.Close()
			return "", derr
		}
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if got := hex.EncodeToString(whole.Sum(nil)); got != entry.SHA256 || total != entry.Size {
		return "", fmt.Errorf("%s (environment %s) %w: sha256 %s, %d bytes; lock has %s, %d bytes; nothing was kept",
			name, env.Name, ErrDigestMismatch, got, total, entry.SHA256, entry.Size)
	}
	if sql != nil {
		sum, n, err := sql.sum()
		if err != nil {
			return "", fmt.Errorf("%s (environment %s): decompressing: %w; nothing was kept", entry.StoredName(name), env.Name, err)
		}
		if sum != entry.SQLSHA256 || n != entry.SQLSize {
			return "", fmt.Errorf("%s (environment %s) %w: the SQL inside has sha256 %s, %d bytes; lock has %s, %d bytes; nothing was kept",
				entry.StoredName(name), env.Name, ErrDigestMismatch, sum, n, entry.SQLSHA256, entry.SQLSize)
		}
	}
	return path, nil
}

// sqlDigest hashes the SQL inside gzip bytes written to it, decompressing
// on a goroutine as they stream past.
type sqlDigest struct {
	pw   *io.PipeWriter
	done chan struct{}
	hash string
	n    int64
	err  error
}

func newSQLDigest() *sqlDigest {
	pr, pw := io.Pipe()
	d := &sqlDigest{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		zr, err := gzip.NewReader(pr)
		if err == nil {
			h := sha256.New()
			d.n, err = io.Copy(h, zr)
			d.hash = hex.EncodeToString(h.Sum(nil))
		}
		d.err = err
		pr.CloseWithError(err)  // unblocks the writer when decompressing failed
		io.Copy(io.Discard, pr) //nolint:errcheck // drain whatever follows
	}()
	return d
}

// Write passes gzip bytes on; a decompression error shows in sum, not here.
func (d *sqlDigest) Write(p []byte) (int, error) {
	d.pw.Write(p) //nolint:errcheck // see sum
	return len(p), nil
}

// sum ends the stream and returns the SQL's digest and size.
func (d *sqlDigest) sum() (string, int64, error) {
	d.pw.Close()
	<-d.done
	return d.hash, d.n, d.err
}
