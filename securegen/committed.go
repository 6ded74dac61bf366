package securegen

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/securemig/securemig/lockfile"
)

// InGit tells whether git has path: "tracked by git" (in the index),
// "committed in git (HEAD)", or "" when it has not (or path is outside any
// work tree).
func InGit(ctx context.Context, path string) (string, error) { return inGit(ctx, path) }

// CommittedLock returns the lock file as committed at HEAD: empty when
// path is outside any work tree, there is no commit yet, or HEAD has no
// such file.
func CommittedLock(ctx context.Context, path string) (*lockfile.File, error) {
	where, err := inGit(ctx, path)
	if err != nil || where != "committed in git (HEAD)" && where != "tracked by git" {
		return lockfile.New(), err
	}
	abs, dir, _, err := workTreeDir(ctx, path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return nil, fmt.Errorf("reading %s at HEAD: %w", path, err)
	}
	code, out, err := gitIn(ctx, dir, "show", "HEAD:./"+filepath.ToSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("reading %s at HEAD: %w", path, err)
	}
	if code != 0 {
		return lockfile.New(), nil // tracked in the index only
	}
	return lockfile.Parse(path+" at HEAD", []byte(out))
}
