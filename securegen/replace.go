package securegen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// replaced is an earlier migration of the contract that Replace removes.
type replaced struct {
	name  string // production file name, the lock file key
	entry *lockfile.Entry
}

// checkShipped finds the lock entries shipping o.ContractCode (reverted
// ones aside: their revert migration runs first, so a new version may ship
// the contract again). A second
// migration's guard would stop every database that applied the first, so
// without Replace any entry is an error; with Replace each must be
// unshipped: never uploaded and its placeholder not in git.
func checkShipped(ctx context.Context, o Options) ([]replaced, error) {
	lf, err := lockfile.Load(o.LockPath)
	if err != nil {
		return nil, err
	}
	var out []replaced
	for _, name := range slices.Sorted(maps.Keys(lf.Migrations)) {
		e := lf.Migrations[name]
		if e == nil || e.ContractCode != o.ContractCode || e.IsRevert() || e.RevertedBy != "" {
			continue // a reverted contract ships again under a new version
		}
		if !o.Replace {
			return nil, fmt.Errorf("contract %s is already shipped by %s (%s); re-run with --replace to regenerate it (allowed while it is neither uploaded nor committed), or import under a new contract code",
				o.ContractCode, name, o.LockPath)
		}
		if len(e.Uploads) > 0 {
			envs := slices.Sorted(maps.Keys(e.Uploads))
			return nil, fmt.Errorf("contract %s cannot be replaced: %s was uploaded to %s (%s), so an environment may already run it; revert it (securemig gen revert-migration --contract-code %[1]s) and generate it again as a new version, or ship the corrected data under a new contract code",
				o.ContractCode, name, strings.Join(envs, ", "), o.LockPath)
		}
		ph := filepath.Join(o.PlaceholderDir, name)
		where, err := inGit(ctx, ph)
		if err != nil {
			return nil, err
		}
		if where != "" {
			return nil, fmt.Errorf("contract %s cannot be replaced: the placeholder %s is %s, so others may already have it; revert it (securemig gen revert-migration --contract-code %[1]s) and generate it again as a new version, or ship the corrected data under a new contract code",
				o.ContractCode, ph, where)
		}
		out = append(out, replaced{name: name, entry: e})
	}
	return out, nil
}

// inGit tells whether git has path: "tracked by git" (in the index),
// "committed in git (HEAD)", or "" when it has not (or path is outside any
// work tree).
func inGit(ctx context.Context, path string) (string, error) {
	abs, dir, ok, err := workTreeDir(ctx, path)
	if err != nil || !ok {
		return "", err
	}
	code, _, err := gitIn(ctx, dir, "ls-files", "--error-unmatch", "--", abs)
	if err != nil {
		return "", fmt.Errorf("checking %s with git: %w", path, err)
	}
	if code == 0 {
		return "tracked by git", nil
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return "", fmt.Errorf("checking %s with git: %w", path, err)
	}
	if code, _, err = gitIn(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD"); err != nil {
		return "", fmt.Errorf("checking %s with git: %w", path, err)
	} else if code != 0 {
		return "", nil // no commit yet
	}
	code, _, err = gitIn(ctx, dir, "cat-file", "-e", "HEAD:./"+filepath.ToSlash(rel))
	if err != nil {
		return "", fmt.Errorf("checking %s with git: %w", path, err)
	}
	if code == 0 {
		return "committed in git (HEAD)", nil
	}
	return "", nil
}

// replacedFiles lists the files of a replaced migration: production file
// (plain or compressed) or parts, down file, placeholder.
func (p *plan) replacedFiles(r replaced) []string {
	o := p.opts
	files := []string{filepath.Join(o.OutDir, r.name), filepath.Join(o.OutDir, r.name+migrations.GzipSuffix),
		filepath.Join(o.OutDir, downName(r.name)),
		filepath.Join(o.PlaceholderDir, r.name), filepath.Join(o.PlaceholderDir, r.name+migrations.GzipSuffix)}
	for _, part := range r.entry.Parts {
		files = append(files, filepath.Join(o.OutDir, filepath.Base(part.Name)))
	}
	return files
}

// removeReplaced removes the replaced migrations' files once the new one
// is recorded (their lock entries and manifest lines are already gone). A
// file that cannot be removed is reported, not fatal: the new migration is
// complete.
func (p *plan) removeReplaced() {
	o := p.opts
	for _, r := range p.replaced {
		for _, f := range p.replacedFiles(r) {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(o.Log, "warning: could not remove %s of the replaced migration: %v\n", f, err)
			}
		}
		fmt.Fprintf(o.Log, "replaced %s (never uploaded nor committed)\n", r.name)
	}
}

// updateManifest appends the new file name and, in the same atomic
// rewrite, drops the replaced migrations' lines. The new manifest is
// written in the staging directory and renamed into place.
func (p *plan) updateManifest() error {
	path := p.opts.ManifestPath
	names := make([]string, len(p.replaced))
	for i, r := range p.replaced {
		names[i] = r.name
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading manifest: %w", err)
	}
	next, err := migrations.EditManifest(old, names, p.res.FileName)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := p.stage.path("manifest")
	if err := writeSynced(tmp, next, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
