package release

import (
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
func objectsOf(name string, e *lockfile.Entry) []lockfile.Part {
	if len(e.Parts) > 0 {
		return e.Parts
	}
	return []lockfile.Part{{Name: name, SHA256: e.SHA256, Size: e.Size}}
}

// Status compares what every target environment holds for the named file
// with its lock entry, by HEAD only (nothing is downloaded). Each Result has
// StatePresent, StateMissing, StateDifferent or StateError; Recorded reports
// whether the lock file records that environment's upload.
func Status(ctx context.Context, lockPath, name string, targets []*Environment, connect Connector) ([]Result, error) {
	name, entry, err := lockEntry(lockPath, name)
	if err != nil {
		return nil, err
	}
	if connect == nil {
		connect = ConnectS3
	}
	results := make([]Result, len(targets))
	objects := objectsOf(name, entry)
	for i, env := range targets {
		r := Result{Env: env, Key: env.Key(name), State: StatePresent}
		if len(entry.Parts) > 0 {
			r.Parts = len(entry.Parts)
		}
		store, err := connect(ctx, env)
		if err != nil {
			r.State, r.Err = StateError, err
			results[i] = r
			continue
		}
		for _, o := range objects {
			obj, err := store.Head(ctx, env.Bucket, env.Key(o.Name))
			switch {
			case errors.Is(err, s3store.ErrNotFound):
				r.State, r.Err = worse(r.State, StateMissing), fmt.Errorf("%s is missing", o.Name)
			case err != nil:
				r.State, r.Err = worse(r.State, StateError), err
			default:
				if derr := sameContent(obj, o.SHA256, o.Size); derr != nil {
					r.State, r.Err = worse(r.State, StateDifferent), fmt.Errorf("%s: %w", o.Name, derr)
				} else if len(objects) == 1 {
					r.VersionID = obj.VersionID
				}
			}
		}
		results[i] = r
	}
	return results, nil
}

// worse returns the more serious of two status states.
func worse(a, b State) State {
	rank := map[State]int{StatePresent: 0, StateMissing: 1, StateDifferent: 2, StateError: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Recorded reports whether the lock entry records an upload of the locked
// digest to env under key.
func Recorded(lockPath, name string, env *Environment) bool {
	name, e, err := lockEntry(lockPath, name)
	if err != nil {
		return false
	}
	u := e.Uploads[env.Name]
	return u != nil && u.Bucket == env.Bucket && u.Key == env.Key(name) && u.SHA256 == e.SHA256
}

// ErrDigestMismatch reports that downloaded bytes differ from the lock entry.
var ErrDigestMismatch = errors.New("does not match the lock entry")

// Download fetches the named secure migration from env into a new private
// directory (0700) under parent (the system temp dir when empty) as a 0600
// file, verifies its size and SHA-256 against the lock entry and returns its
// path. A split migration's parts are each verified and joined into the
// whole file. On any failure nothing is left on disk.
func Download(ctx context.Context, lockPath, name string, env *Environment, connect Connector, parent string) (path string, err error) {
	name, entry, err := lockEntry(lockPath, name)
	if err != nil {
		return "", err
	}
	if connect == nil {
		connect = ConnectS3
	}
	store, err := connect(ctx, env)
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
	path = filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", path, err)
	}
	whole := sha256.New()
	var total int64
	for _, o := range objectsOf(name, entry) {
		n, sum, derr := fetch(ctx, store, env, o.Name, io.MultiWriter(f, whole))
		total += n
		if derr == nil && (sum != o.SHA256 || n != o.Size) {
			derr = fmt.Errorf("s3://%s/%s (environment %s) %w: sha256 %s, %d bytes; lock has %s, %d bytes; the object was replaced or tampered with, nothing was kept",
				env.Bucket, env.Key(o.Name), env.Name, ErrDigestMismatch, sum, n, o.SHA256, o.Size)
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
	return path, nil
}

// fetch streams one object into w and returns its size and hex SHA-256.
func fetch(ctx context.Context, store Store, env *Environment, name string, w io.Writer) (int64, string, error) {
	key := env.Key(name)
	body, _, err := store.Get(ctx, env.Bucket, key)
	if err != nil {
		return 0, "", fmt.Errorf("environment %s: %w", env.Name, err)
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), ctxReader{ctx, body})
	if err != nil {
		return n, "", fmt.Errorf("downloading s3://%s/%s (environment %s): %w", env.Bucket, key, env.Name, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
