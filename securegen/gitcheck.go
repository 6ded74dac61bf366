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
	abs, dir, ok, err := workTreeDir(ctx, path)
	if err != nil || !ok {
		return err
	}
	if code, _, err := gitIn(ctx, dir, "ls-files", "--error-unmatch", "--", abs); err != nil {
		return fmt.Errorf("checking %s with git: %w", path, err)
	} else if code == 0 {
		return fmt.Errorf("refusing to write a production file to %s: git tracks that path", path)
	}
	code, msg, err := gitIn(ctx, dir, "check-ignore", "-q", "--no-index", "--", abs)
	if err != nil {
		return fmt.Errorf("checking %s with git: %w", path, err)
	}
	switch code {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("refusing to write a production file to %s: git does not ignore that path (add its directory to .gitignore)", path)
	default:
		return fmt.Errorf("checking %s with git check-ignore: %s", path, msg)
	}
}

// workTreeDir returns path made absolute and its nearest existing
// directory; ok is false when that directory is in no git work tree.
func workTreeDir(ctx context.Context, path string) (abs, dir string, ok bool, err error) {
	abs, err = filepath.Abs(path)
	if err != nil {
		return "", "", false, fmt.Errorf("checking %s: %w", path, err)
	}
	dir = filepath.Dir(abs)
	for {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, dir, false, nil
		}
		dir = parent
	}
	code, out, err := gitIn(ctx, dir, "rev-parse", "--is-inside-work-tree")
	if err != nil {
		return "", "", false, fmt.Errorf("checking %s with git: %w", path, err)
	}
	// Not in a work tree (or inside .git): nothing can commit it.
	return abs, dir, code == 0 && out == "true", nil
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
