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
	"regexp"
	"strings"

	"github.com/securemig/securemig/lockfile"
)

var (
	fileNameRE = regexp.MustCompile(`^[0-9]{14}_[a-z0-9][a-z0-9_]*\.up\.sql$`)
	partNameRE = regexp.MustCompile(`^([0-9]{14}_[a-z0-9][a-z0-9_]*)\.part-[0-9]{3}\.up\.sql$`)
)

// wholeName returns the migration file name of a file name, part name or
// compressed file name (NAME.up.sql.gz: the lock file and the manifest name
// the migration NAME.up.sql).
func wholeName(name string) (string, error) {
	name = strings.TrimSuffix(name, lockfile.GzipSuffix)
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
	stored := entry.StoredName(name)
	wants := []want{{stored, entry.SHA256, entry.Size}}
	if len(entry.Parts) > 0 {
		wants = wants[:0]
		for _, p := range entry.Parts {
			wants = append(wants, want{p.Name, p.SHA256, p.Size})
		}
	} else if base := filepath.Base(path); base != stored {
		if base == name || base == name+lockfile.GzipSuffix {
			return nil, fmt.Errorf("%s: the lock entry of %s records the production file as %s", path, name, stored)
		}
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
