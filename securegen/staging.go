package securegen

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// A run of Generate writes everything (production file, placeholder, down
// file, the new manifest and lock file) into its own staging directory
// inside the git-ignored out dir, tmp/secure/.securemig-gen-<random>, and
// holds an exclusive flock on that directory while it runs; the kernel
// releases it when the process dies, however it dies. Nothing is ever
// written half-way under a final name: files reach their final names by
// link or rename once complete and synced.
//
// Committing is journalled: before the first final name appears, the
// staging directory gets journal.json listing every final file, the lock
// entry and the replaced migrations. The manifest is written last; a
// manifest that lists the migration marks the commit as done. A staging
// directory whose lock is free belongs to a dead run: Sweep (run by every
// Generate and by `securemig doctor`) completes its commit when the manifest
// lists it (removing the replaced migrations' files) and otherwise undoes
// it (removing the files it linked, restoring the lock file's entries),
// then removes the directory.

const (
	// stagingPrefix starts the name of a run's staging directory.
	stagingPrefix = ".securemig-gen-"
	// journalName is the commit journal in a staging directory.
	journalName = "journal.json"
	// legacyTempPattern matches the temporary files of securemig versions
	// that wrote them beside the final files.
	legacyTempPattern = ".securemig-*.tmp"
)

// staging is a run's staging directory, locked while the run lives.
type staging struct {
	dir  string
	lock *os.File // the directory, flocked
}

// stagingName returns a new random staging directory name.
func stagingName() (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("naming a staging directory: %w", err)
	}
	return stagingPrefix + hex.EncodeToString(rnd[:]), nil
}

// newStaging creates and locks the staging directory name in outDir. The
// out dir's own flock is held meanwhile, so a concurrent Sweep never sees
// the new directory before it is locked.
func newStaging(outDir, name string) (*staging, error) {
	var st *staging
	err := withDirLock(outDir, func() error {
		dir := filepath.Join(outDir, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("creating a staging directory in %s: %w", outDir, err)
		}
		f, err := lockDir(dir, false)
		if err != nil {
			os.RemoveAll(dir)
			return err
		}
		st = &staging{dir: dir, lock: f}
		return nil
	})
	return st, err
}

// remove deletes the staging directory and releases its lock.
func (s *staging) remove() error {
	err := os.RemoveAll(s.dir)
	s.lock.Close()
	if err != nil {
		return fmt.Errorf("removing %s: %w", s.dir, err)
	}
	return nil
}

// path returns the path of a file in the staging directory.
func (s *staging) path(name string) string { return filepath.Join(s.dir, name) }

// lockDir opens dir and takes an exclusive flock on it; with try, it fails
// with errLocked instead of waiting.
func lockDir(dir string, try bool) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	how := syscall.LOCK_EX
	if try {
		how |= syscall.LOCK_NB
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return f, nil
}

var errLocked = errors.New("locked by a running process")

// withDirLock runs fn holding an exclusive flock on dir.
func withDirLock(dir string, fn func() error) error {
	f, err := lockDir(dir, false)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn()
}

// journal is a commit in progress, written before any final name appears.
type journal struct {
	// Name is the migration's file name (the manifest line and lock key).
	Name string `json:"name"`
	// SHA256 is the production file's stored digest (the new lock entry's).
	SHA256 string `json:"sha256"`
	// Files pair each staged file with the final name it is linked to.
	Files []journalFile `json:"files"`
	// LockPath and ManifestPath are the lock file and manifest written.
	LockPath     string `json:"lock_path"`
	ManifestPath string `json:"manifest_path"`
	// Replaced are the migrations this one replaces: their lock entries
	// (restored when the commit is undone) and files (removed when it is
	// completed).
	Replaced []journalReplaced `json:"replaced,omitempty"`
}

type journalFile struct {
	Staged string `json:"staged"`
	Final  string `json:"final"`
}

type journalReplaced struct {
	Name  string          `json:"name"`
	Entry *lockfile.Entry `json:"entry"`
	Files []string        `json:"files"`
}

// writeJournal writes the journal into the staging directory. It is not
// synced: it only has to be there for a run killed later, and a file
// written before the links exists before them; the files it lists are.
func (s *staging) writeJournal(j *journal) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the commit journal: %w", err)
	}
	return writeNew(s.path(journalName), data, 0o600, false)
}

// writeSynced writes a new file and syncs it.
func writeSynced(path string, data []byte, perm os.FileMode) error {
	return writeNew(path, data, perm, true)
}

// writeNew writes a new file, synced when sync is set.
func writeNew(path string, data []byte, perm os.FileMode, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// SweepReport lists what Sweep found and did.
type SweepReport struct {
	// Completed lists the migrations whose interrupted commit was completed.
	Completed []string
	// Undone lists the migrations whose interrupted commit was undone.
	Undone []string
	// Removed lists the stale staging directories and temporary files removed.
	Removed []string
	// Busy lists the staging directories of runs still going.
	Busy []string
}

// Empty reports that nothing stale was found.
func (r *SweepReport) Empty() bool {
	return len(r.Completed)+len(r.Undone)+len(r.Removed) == 0
}

// log writes one line per finding to w.
func (r *SweepReport) log(w io.Writer) {
	for _, n := range r.Completed {
		fmt.Fprintf(w, "completed the interrupted commit of %s\n", n)
	}
	for _, n := range r.Undone {
		fmt.Fprintf(w, "undid the interrupted commit of %s\n", n)
	}
	for _, n := range r.Removed {
		fmt.Fprintf(w, "removed %s, left by a killed securemig gen\n", n)
	}
}

// Sweep finds what killed runs of Generate left in outDir (the production
// files' directory) and placeholderDir, and removes it: stale staging
// directories (completing or undoing an interrupted commit, see staging)
// and the temporary files of older securemig versions. With dryRun it only
// reports. Runs still going are left alone. A missing directory holds
// nothing.
func Sweep(outDir, placeholderDir string, dryRun bool) (*SweepReport, error) {
	rep := &SweepReport{}
	if _, err := os.Stat(outDir); errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	// Under the out dir's lock (so no run is between creating and locking
	// its directory), lock every stale staging directory; recover them
	// after releasing it (recovering may lock the lock file's directory).
	var stale []*os.File
	defer func() {
		for _, f := range stale {
			f.Close()
		}
	}()
	err := withDirLock(outDir, func() error {
		ents, err := os.ReadDir(outDir)
		if err != nil {
			return fmt.Errorf("sweeping %s: %w", outDir, err)
		}
		for _, e := range ents {
			if !e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
				continue
			}
			path := filepath.Join(outDir, e.Name())
			f, err := lockDir(path, true)
			if errors.Is(err, errLocked) {
				rep.Busy = append(rep.Busy, path)
				continue
			}
			if err != nil {
				return err
			}
			stale = append(stale, f)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, f := range stale {
		if err := sweepStaging(f.Name(), dryRun, rep); err != nil {
			return rep, err
		}
	}
	for _, dir := range []string{outDir, placeholderDir} {
		temps, _ := filepath.Glob(filepath.Join(dir, legacyTempPattern))
		for _, t := range temps {
			if !dryRun {
				if err := os.Remove(t); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return rep, fmt.Errorf("removing %s: %w", t, err)
				}
			}
			rep.Removed = append(rep.Removed, t)
		}
	}
	return rep, nil
}

// sweepStaging recovers one stale staging directory (locked by the caller).
func sweepStaging(dir string, dryRun bool, rep *SweepReport) error {
	data, err := os.ReadFile(filepath.Join(dir, journalName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Killed before committing: only staged files.
	case err != nil:
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, journalName), err)
	default:
		var j journal
		if err := json.Unmarshal(data, &j); err != nil {
			// Killed while writing the journal, so before committing.
			break
		}
		if err := recoverJournal(&j, dryRun, rep); err != nil {
			return err
		}
	}
	if !dryRun {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("removing %s: %w", dir, err)
		}
	}
	rep.Removed = append(rep.Removed, dir)
	return nil
}

// recoverJournal completes a commit whose manifest line was written, and
// undoes any other.
func recoverJournal(j *journal, dryRun bool, rep *SweepReport) error {
	entries, err := migrations.ReadManifest(j.ManifestPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recovering %s: %w", j.Name, err)
	}
	done := slices.ContainsFunc(entries, func(e migrations.Entry) bool { return e.Name == j.Name })
	if done {
		rep.Completed = append(rep.Completed, j.Name)
		if dryRun {
			return nil
		}
		for _, r := range j.Replaced {
			for _, f := range r.Files {
				if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("completing %s: removing %s: %w", j.Name, f, err)
				}
			}
		}
		return nil
	}
	rep.Undone = append(rep.Undone, j.Name)
	if dryRun {
		return nil
	}
	return undoCommit(j)
}

// undoCommit removes the final files a commit linked (only those that are
// still the staged files) and restores the lock file's entries.
func undoCommit(j *journal) error {
	for _, f := range j.Files {
		fi, err := os.Stat(f.Final)
		if err != nil {
			continue
		}
		si, err := os.Stat(f.Staged)
		if err != nil || !os.SameFile(fi, si) {
			continue // not ours
		}
		if err := os.Remove(f.Final); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("undoing %s: removing %s: %w", j.Name, f.Final, err)
		}
	}
	if _, err := os.Stat(j.LockPath); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	err := lockfile.Update(j.LockPath, func(f *lockfile.File) error {
		e, ok := f.Lookup(j.Name)
		if !ok || e.SHA256 != j.SHA256 {
			return errUnchanged // the lock entry was never written
		}
		delete(f.Migrations, j.Name)
		for _, r := range j.Replaced {
			if _, ok := f.Lookup(r.Name); !ok && r.Entry != nil {
				f.Migrations[r.Name] = r.Entry
			}
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

var errUnchanged = errors.New("unchanged")
