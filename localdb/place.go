package localdb

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// PrivateBase is the directory under which a checkout's cluster is placed
// when the postgres OS user cannot reach the checkout (a clone under a 0700
// home directory, as root). It is created root-owned, mode 0755; each
// cluster in it is a 0700 directory owned by postgres.
const PrivateBase = "/var/lib/securemig"

// sharedTemp is the fallback parent when PrivateBase cannot be created. It
// is world-writable, so a cluster directory there is created with Mkdir and
// accepted only when it is a real directory owned by root or postgres.
const sharedTemp = "/var/tmp"

// Placement is where a checkout's cluster lives, as decided by Place.
type Placement struct {
	// Dir is the cluster directory (absolute).
	Dir string
	// Default is the directory the checkout would use (absolute).
	Default string
	// Record is the file that remembers a Dir other than Default.
	Record string
	// Recorded reports that Dir was read from Record.
	Recorded bool
	// Reason says why Dir is not Default ("" when it is).
	Reason string
}

// Moved reports whether the cluster lives outside its default directory.
func (p Placement) Moved() bool { return p.Dir != p.Default }

// Place decides where the cluster of a checkout lives. defaultDir is the
// cluster directory inside the checkout, record the file remembering another
// choice, and checkout the checkout's directory (it names and keys the
// directory chosen outside it, so each checkout gets its own cluster).
//
// A directory named in record wins. Otherwise the cluster stays in
// defaultDir unless the caller is root, no cluster exists there yet and the
// postgres OS user (which runs the server for root) cannot reach it; then it
// goes to PrivateBase/<name>-<hash> (or /var/tmp/securemig-<name>-<hash>
// when PrivateBase cannot be made). Place creates nothing: Start creates the
// directory safely and writes record (see Cluster.Record).
func Place(checkout, defaultDir, record string) (Placement, error) {
	def, err := filepath.Abs(defaultDir)
	if err != nil {
		return Placement{}, fmt.Errorf("cluster directory %s: %w", defaultDir, err)
	}
	p := Placement{Dir: def, Default: def, Record: record}
	if dir, ok, err := readRecord(record); err != nil {
		return Placement{}, err
	} else if ok {
		p.Dir, p.Recorded = dir, true
		if p.Moved() {
			p.Reason = "recorded in " + record
			if os.Geteuid() == 0 {
				if blocker, _ := serverBlocker(def); blocker != "" {
					p.Reason = "the postgres OS user cannot reach " + def + " because " + blocker + "; " + p.Reason
				}
			}
		}
		return p, nil
	}
	if os.Geteuid() != 0 {
		return p, nil
	}
	if _, err := os.Stat(filepath.Join(def, "data", "PG_VERSION")); err == nil {
		return p, nil // an existing cluster stays where it is
	}
	blocker, err := serverBlocker(def)
	if err != nil || blocker == "" {
		return p, err
	}
	p.Dir = fallbackDir(checkout)
	p.Reason = "the postgres OS user cannot reach " + def + " because " + blocker
	return p, nil
}

// readRecord reads the directory recorded in file.
func readRecord(file string) (string, bool, error) {
	if file == "" {
		return "", false, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading the cluster location: %w", err)
	}
	dir := strings.TrimSpace(string(b))
	if !filepath.IsAbs(dir) || strings.ContainsAny(dir, "\n\x00") {
		return "", false, fmt.Errorf("%s does not hold an absolute cluster directory; remove it to let securemig choose again", file)
	}
	return filepath.Clean(dir), true, nil
}

// writeRecord records dir in file (atomically), unless it already does.
func writeRecord(file, dir string) error {
	if got, ok, _ := readRecord(file); ok && got == dir {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("recording the cluster location: %w", err)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(dir+"\n"), 0o644); err != nil {
		return fmt.Errorf("recording the cluster location: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("recording the cluster location: %w", err)
	}
	return nil
}

// fallbackDir names the cluster directory of checkout outside it.
func fallbackDir(checkout string) string {
	abs, err := filepath.Abs(checkout)
	if err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
	}
	sum := sha256.Sum256([]byte(abs))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, filepath.Base(abs))
	if len(name) > 32 || name == "." || name == ".." || name == "" {
		name = "checkout"
	}
	leaf := name + "-" + hex.EncodeToString(sum[:6])
	if fi, err := os.Lstat(filepath.Dir(PrivateBase)); err == nil && fi.IsDir() && ownedBy(fi, 0) {
		return filepath.Join(PrivateBase, leaf)
	}
	return filepath.Join(sharedTemp, "securemig-"+leaf)
}

// serverUserInfo is the OS user that runs the server.
type serverUserInfo struct {
	uid, gid uint32
	groups   []uint32
}

// lookupServerUser returns the postgres OS user with its groups.
func lookupServerUser() (serverUserInfo, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return serverUserInfo{}, fmt.Errorf("running as root needs the 'postgres' OS user (created by the postgresql package): %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	s := serverUserInfo{uid: uint32(uid), gid: uint32(gid), groups: []uint32{uint32(gid)}}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				s.groups = append(s.groups, uint32(g))
			}
		}
	}
	return s, nil
}

// canTraverse reports whether s may search (x) a directory with info fi.
func (s serverUserInfo) canTraverse(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == s.uid:
		return perm&0o100 != 0
	case slices.Contains(s.groups, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// serverBlocker returns, when the postgres OS user cannot reach dir, the
// first existing ancestor that stops it ("/root has mode 0700"), else "".
// The direct parent of dir is not held against it when the caller owns it:
// Start lets others traverse it (see allowTraverse).
func serverBlocker(dir string) (string, error) {
	s, err := lookupServerUser()
	if err != nil {
		return "", err
	}
	parent := filepath.Dir(dir)
	for p := parent; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return "", fmt.Errorf("checking %s: %w", p, err)
		case p == parent && ownedBy(fi, uint32(os.Geteuid())):
		case !s.canTraverse(fi):
			return fmt.Sprintf("%s has mode %04o", p, fi.Mode().Perm()), nil
		}
		if p == filepath.Dir(p) {
			return "", nil
		}
	}
}

// ownedBy reports whether fi's owner is uid.
func ownedBy(fi fs.FileInfo, uid uint32) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == uid
}

// ensureBase creates PrivateBase (root-owned, 0755) and checks that nobody
// else could have prepared it: a real directory, owned by root, writable by
// root only.
func ensureBase(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	if !fi.IsDir() || !ownedBy(fi, 0) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("refusing to place the cluster under %s: it is not a directory owned and writable only by root (mode %v); remove it or set SECUREMIG_PGDIR",
			dir, fi.Mode())
	}
	return nil
}

// ensurePrivateDir creates dir (its parent must exist) or accepts an existing
// one only when it is a real directory (not a symlink) owned by the caller or
// by the server's OS user, then makes it 0700 and, when root, gives it to the
// server's OS user. The ownership and mode changes go through a descriptor
// opened without following symlinks, so a directory swapped for a link in
// between is never followed.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("refusing to use %s for the cluster: not a directory, or a symbolic link (%w); remove it or set SECUREMIG_PGDIR", dir, err)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	euid := uint32(os.Geteuid())
	allowed := st.Uid == euid
	var srv serverUserInfo
	if euid == 0 {
		if srv, err = lookupServerUser(); err != nil {
			return err
		}
		allowed = allowed || st.Uid == srv.uid
	}
	if !allowed {
		return fmt.Errorf("refusing to use %s for the cluster: it belongs to uid %d, not to you or the postgres OS user; remove it or set SECUREMIG_PGDIR", dir, st.Uid)
	}
	if euid == 0 && (st.Uid != srv.uid || st.Gid != srv.gid) {
		if err := syscall.Fchown(fd, int(srv.uid), int(srv.gid)); err != nil {
			return fmt.Errorf("giving %s to the postgres OS user: %w", dir, err)
		}
	}
	if st.Mode&0o777 != 0o700 {
		if err := syscall.Fchmod(fd, 0o700); err != nil {
			return fmt.Errorf("making %s private: %w", dir, err)
		}
	}
	return nil
}
