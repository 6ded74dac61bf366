package securegen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CheckIgnored refuses a path for a production file unless git would
// never commit it: inside a git work tree, the path must be ignored and not
// tracked. Outside any work tree there is nothing to commit it to.
func CheckIgnored(ctx context.Context, path string) error {
	return checkIgnored(ctx, []string{path})
}

// checkIgnored applies CheckIgnored to paths, with two git runs per work
// tree directory rather than three per path.
func checkIgnored(ctx context.Context, paths []string) error {
	byDir := map[string][]string{} // work tree directory -> absolute paths
	inTree := map[string]bool{}    // nearest existing directory -> in a work tree
	var dirs []string
	for _, path := range paths {
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("checking %s: %w", path, err)
		}
		dir := nearestDir(abs)
		ok, seen := inTree[dir]
		if !seen {
			if _, _, ok, err = workTreeDir(ctx, path); err != nil {
				return err
			}
			inTree[dir] = ok
		}
		if !ok {
			continue
		}
		if byDir[dir] == nil {
			dirs = append(dirs, dir)
		}
		byDir[dir] = append(byDir[dir], abs)
	}
	for _, dir := range dirs {
		if err := checkIgnoredIn(ctx, dir, byDir[dir]); err != nil {
			return err
		}
	}
	return nil
}

// checkIgnoredIn checks absolute paths whose nearest existing directory,
// in a work tree, is dir.
func checkIgnoredIn(ctx context.Context, dir string, abs []string) error {
	code, out, err := gitIn(ctx, dir, append([]string{"ls-files", "--"}, abs...)...)
	if err != nil {
		return fmt.Errorf("checking %s with git: %w", abs[0], err)
	}
	if code != 0 {
		return fmt.Errorf("checking %s with git ls-files: %s", abs[0], out)
	}
	if out != "" {
		tracked := filepath.Join(dir, strings.Split(out, "\n")[0])
		return fmt.Errorf("refusing to write a production file to %s: git tracks that path", tracked)
	}
	code, out, err = gitIn(ctx, dir, append([]string{"check-ignore", "--no-index", "--"}, abs...)...)
	if err != nil {
		return fmt.Errorf("checking %s with git: %w", abs[0], err)
	}
	if code > 1 {
		return fmt.Errorf("checking %s with git check-ignore: %s", abs[0], out)
	}
	ignored := map[string]bool{}
	if code == 0 {
		for _, l := range strings.Split(out, "\n") {
			ignored[l] = true
		}
	}
	for _, a := range abs {
		if !ignored[a] {
			return fmt.Errorf("refusing to write a production file to %s: git does not ignore that path (add its directory to .gitignore)", a)
		}
	}
	return nil
}

// workTreeDir returns path made absolute and its nearest existing
// directory; ok is false when that directory is in no git work tree.
func workTreeDir(ctx context.Context, path string) (abs, dir string, ok bool, err error) {
	abs, err = filepath.Abs(path)
	if err != nil {
		return "", "", false, fmt.Errorf("checking %s: %w", path, err)
	}
	dir = nearestDir(abs)
	if _, err := os.Stat(dir); err != nil {
		return abs, dir, false, nil
	}
	code, out, err := gitIn(ctx, dir, "rev-parse", "--is-inside-work-tree")
	if err != nil {
		return "", "", false, fmt.Errorf("checking %s with git: %w", path, err)
	}
	// Not in a work tree (or inside .git): nothing can commit it.
	return abs, dir, code == 0 && out == "true", nil
}

// nearestDir returns the nearest existing directory holding the absolute
// path abs (the root when none exists).
func nearestDir(abs string) string {
	dir := filepath.Dir(abs)
	for {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

// gitIn runs git in dir and returns its exit code with its trimmed output
// (stdout on success, stderr on failure); err is set only when git could
// not run.
func gitIn(ctx context.Context, dir string, args ...string) (int, string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), strings.TrimSpace(stderr.String()), nil
	}
	if err != nil {
		return -1, "", err
	}
	return 0, strings.TrimSpace(out.String()), nil
}
