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
	name = filepath.Base(name)
	if !fileNameRE.MatchString(name) {
		return "", nil, fmt.Errorf("%q is not a secure migration file name (<YYYYMMDDHHMMSS>_<name>.up.sql)", name)
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
	for i, env := range targets {
		r := Result{Env: env, Key: env.Key(name)}
		store, err := connect(ctx, env)
		var obj *s3store.Object
		if err == nil {
			obj, err = store.Head(ctx, env.Bucket, r.Key)
		}
		switch {
		case errors.Is(err, s3store.ErrNotFound):
			r.State = StateMissing
		case err != nil:
			r.State, r.Err = StateError, err
		default:
			r.VersionID = obj.VersionID
			if derr := sameContent(obj, entry.SHA256, entry.Size); derr != nil {
				r.State, r.Err = StateDifferent, derr
			} else {
				r.State = StatePresent
			}
		}
		results[i] = r
	}
	return results, nil
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
// path. On any failure nothing is left on disk.
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
	key := env.Key(name)
	body, _, err := store.Get(ctx, env.Bucket, key)
	if err != nil {
		return "", fmt.Errorf("environment %s: %w", env.Name, err)
	}
	defer body.Close()

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
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, body})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("downloading s3://%s/%s (environment %s): %w", env.Bucket, key, env.Name, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != entry.SHA256 || n != entry.Size {
		return "", fmt.Errorf("s3://%s/%s (environment %s) %w: sha256 %s, %d bytes; lock has %s, %d bytes; the object was replaced or tampered with, nothing was kept",
			env.Bucket, key, env.Name, ErrDigestMismatch, got, n, entry.SHA256, entry.Size)
	}
	return path, nil
}
