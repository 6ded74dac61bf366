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

// checkIgnored applies CheckIgnored to paths, running git three times per
// directory (side by side) rather than three times per path.
func checkIgnored(ctx context.Context, paths []string) error {
	byDir := map[string][]string{} // nearest existing directory -> absolute paths
	var dirs []string
	for _, path := range paths {
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("checking %s: %w", path, err)
		}
		dir := nearestDir(abs)
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

// checkIgnoredIn checks absolute paths whose nearest existing directory
// is dir. Whether dir is in a work tree, which paths git tracks and which
// it ignores are asked at once; the answers count only inside a work tree.
func checkIgnoredIn(ctx context.Context, dir string, abs []string) error {
	type answer struct {
		code int
		out  string
		err  error
	}
	ask := func(args ...string) chan answer {
		c := make(chan answer, 1)
		go func() {
			code, out, err := gitIn(ctx, dir, args...)
			c <- answer{code, out, err}
		}()
		return c
	}
	inTree := ask("rev-parse", "--is-inside-work-tree")
	tracked := ask(append([]string{"ls-files", "--"}, abs...)...)
	ignored := ask(append([]string{"check-ignore", "--no-index", "--"}, abs...)...)
	t, tr, ig := <-inTree, <-tracked, <-ignored
	if t.err != nil {
		return fmt.Errorf("checking %s with git: %w", abs[0], t.err)
	}
	if t.code != 0 || t.out != "true" {
		return nil // not in a work tree (or inside .git): nothing can commit it
	}
	if tr.err != nil || tr.code != 0 {
		return fmt.Errorf("checking %s with git ls-files: %v %s", abs[0], tr.err, tr.out)
	}
	if tr.out != "" {
		return fmt.Errorf("refusing to write a production file to %s: git tracks that path", filepath.Join(dir, strings.Split(tr.out, "\n")[0]))
	}
	if ig.err != nil || ig.code > 1 {
		return fmt.Errorf("checking %s with git check-ignore: %v %s", abs[0], ig.err, ig.out)
	}
	isIgnored := map[string]bool{}
	if ig.code == 0 {
		for _, l := range strings.Split(ig.out, "\n") {
			isIgnored[l] = true
		}
	}
	for _, a := range abs {
		if !isIgnored[a] {
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
