package release

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/securemig/securemig/s3store"
)

// expected is what one stored object must hold.
type expected struct {
	name   string
	sha256 string // hex
	size   int64
	// checksum is the multipart composite checksum the store should report,
	// if known: computed by this run's upload (fresh: a mismatch proves other
	// bytes) or recorded in the lock file (a mismatch may also be the same
	// bytes uploaded in other parts).
	checksum string
	fresh    bool
}

func (u *unit) object() expected { return expected{name: u.name, sha256: u.hexSHA(), size: u.size} }

// Download modes of judge.
type downloadMode int

const (
	downloadNever        downloadMode = iota // HEAD only
	downloadIfUnverified                     // read the bytes when no checksum proves them
	downloadAlways                           // always read and hash the bytes (--deep)
)

// verdict is what judge found out about one stored object.
type verdict struct {
	state      State // StatePresent, StateUnverified, StateDifferent, StateUnencrypted or StateError
	verifiedBy string
	err        error
}

// judge decides whether a stored object holds exactly the expected bytes
// and carries the environment's encryption. Size and the sha256 metadata
// must match; then the store's own SHA-256 checksum must equal the file's
// digest (single PUT) or want.checksum, the composite computed or recorded
// at upload (multipart). When no checksum proves the bytes the object is
// unverified, unless mode reads it back and hashes it.
func judge(ctx context.Context, store Store, env *Environment, obj *s3store.Object, want expected, mode downloadMode) verdict {
	if err := sameSizeAndMeta(obj, want); err != nil {
		return verdict{state: StateDifferent, err: err}
	}
	v := checksumVerdict(obj.ChecksumSHA256, want)
	if mode == downloadAlways || mode == downloadIfUnverified && v.state == StateUnverified {
		v = hashObject(ctx, store, env, want)
	}
	if v.state != StatePresent && v.state != StateUnverified {
		return v
	}
	if err := env.Encryption().Check(obj); err != nil {
		return verdict{state: StateUnencrypted, verifiedBy: v.verifiedBy, err: err}
	}
	return v
}

// sameSizeAndMeta compares the size and the sha256 metadata entry.
func sameSizeAndMeta(obj *s3store.Object, want expected) error {
	if obj.Size != want.size {
		return fmt.Errorf("size %d, want %d", obj.Size, want.size)
	}
	if got := obj.Metadata[MetaSHA256]; got != want.sha256 {
		if got == "" {
			return errors.New("no sha256 metadata")
		}
		return fmt.Errorf("sha256 metadata %s, want %s", got, want.sha256)
	}
	return nil
}

// checksumVerdict compares the store's SHA-256 checksum cs with the file.
func checksumVerdict(cs string, want expected) verdict {
	switch {
	case cs == "":
		return verdict{state: StateUnverified, err: errors.New("the store keeps no SHA-256 checksum for it, so HEAD cannot prove its bytes (--deep reads them)")}
	case !strings.Contains(cs, "-"):
		raw, err := hex.DecodeString(want.sha256)
		if err != nil {
			return verdict{state: StateError, err: err}
		}
		if cs != base64.StdEncoding.EncodeToString(raw) {
			return verdict{state: StateDifferent, err: fmt.Errorf("the store's SHA-256 checksum %s is not the file's digest", cs)}
		}
		return verdict{state: StatePresent, verifiedBy: "checksum"}
	case want.checksum == "":
		return verdict{state: StateUnverified, err: fmt.Errorf("its multipart checksum %s was never verified against the file (no record in the lock file; --deep reads the bytes)", cs)}
	case cs != want.checksum && want.fresh:
		return verdict{state: StateDifferent, err: fmt.Errorf("the store's multipart checksum %s is not %s, the one of the parts sent", cs, want.checksum)}
	case cs != want.checksum:
		return verdict{state: StateUnverified, err: fmt.Errorf("its multipart checksum %s is not %s, the one verified at upload: replaced, or uploaded again in other parts (--deep reads the bytes)", cs, want.checksum)}
	}
	return verdict{state: StatePresent, verifiedBy: "checksum"}
}

// hashObject reads an object back and compares its digest.
func hashObject(ctx context.Context, store Store, env *Environment, want expected) verdict {
	n, sum, err := fetch(ctx, store, env, want.name, io.Discard, false)
	if err != nil {
		return verdict{state: StateError, err: err}
	}
	if sum != want.sha256 || n != want.size {
		return verdict{state: StateDifferent, verifiedBy: "download", err: fmt.Errorf("its bytes hash to %s (%d bytes), want %s (%d bytes)", sum, n, want.sha256, want.size)}
	}
	return verdict{state: StatePresent, verifiedBy: "download"}
}

// fetch streams one object into w and returns its size and hex SHA-256.
// With encrypted, an object without the environment's required encryption
// is refused before any of its bytes are read.
func fetch(ctx context.Context, store Store, env *Environment, name string, w io.Writer, encrypted bool) (int64, string, error) {
	key := env.Key(name)
	body, obj, err := store.Get(ctx, env.Bucket, key)
	if err != nil {
		return 0, "", fmt.Errorf("environment %s: %w", env.Name, err)
	}
	defer body.Close()
	if encrypted {
		if err := env.Encryption().Check(obj); err != nil {
			return 0, "", fmt.Errorf("s3://%s/%s (environment %s) is %w; nothing was kept", env.Bucket, key, env.Name, err)
		}
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), ctxReader{ctx, body})
	if err != nil {
		return n, "", fmt.Errorf("downloading s3://%s/%s (environment %s): %w", env.Bucket, key, env.Name, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
