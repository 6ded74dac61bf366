package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/joho/godotenv"
	"github.com/urfave/cli/v2"
)

// projectMarker marks a project's root directory: securemig works on the
// nearest directory at or above the working directory that holds it.
const projectMarker = "migrations/manifest.txt"

// runState is what the app learns before a command runs.
type runState struct {
	// root is the project root ("" outside any project).
	root string
	// wd is the working directory.
	wd string
	// urlSource says where DATABASE_URL came from: "the environment" or a
	// .env file; "" when it is not set.
	urlSource string
	// command is the full name of the running command ("pricing import").
	command string
}

const stateKey = "securemig.state"

// state returns the run's state (an empty one before setup ran).
func state(app *cli.App) *runState {
	if st, ok := app.Metadata[stateKey].(*runState); ok {
		return st
	}
	st := &runState{}
	if app.Metadata == nil {
		app.Metadata = map[string]any{}
	}
	app.Metadata[stateKey] = st
	return st
}

// setup runs before every command: it finds the project root, loads .env
// (the working directory's, then the project root's; variables already set
// win) and, when run from below the root, makes the project-relative
// defaults of every flag (migrations/..., tmp/...) point into the root.
func setup(c *cli.Context) error {
	st := state(c.App)
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("finding the working directory: %w", err)
	}
	st.wd, st.root = wd, findProjectRoot(wd)
	if os.Getenv("DATABASE_URL") != "" {
		st.urlSource = "DATABASE_URL in the environment"
	}
	files := []string{filepath.Join(wd, ".env")}
	if st.root != "" && st.root != wd {
		files = append(files, filepath.Join(st.root, ".env"))
	}
	for _, f := range files {
		if err := godotenv.Load(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("loading %s: %w", f, err)
		}
		if st.urlSource == "" && os.Getenv("DATABASE_URL") != "" {
			st.urlSource = "DATABASE_URL in " + f
		}
	}
	if st.root != "" && st.root != wd {
		rebaseDefaults(c.App.Commands, st.root)
	}
	return nil
}

// findProjectRoot returns the nearest directory at or above dir that holds
// projectMarker, or "".
func findProjectRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, projectMarker)); err == nil && fi.Mode().IsRegular() {
			return d
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}

// projectRelative reports whether a flag default names a path inside the
// project.
func projectRelative(v string) bool {
	v = strings.TrimPrefix(v, "file://")
	return strings.HasPrefix(v, "migrations/") || strings.HasPrefix(v, "tmp/")
}

// rebaseDefaults makes every flag default naming a path inside the project
// absolute under root, so a command run from a subdirectory works on the
// same files as from the root. Values given on the command line or through
// the environment are left alone.
func rebaseDefaults(cmds []*cli.Command, root string) {
	rebase := func(v string) string {
		if !projectRelative(v) {
			return v
		}
		if rest, ok := strings.CutPrefix(v, "file://"); ok {
			return "file://" + filepath.Join(root, rest)
		}
		return filepath.Join(root, v)
	}
	for _, cmd := range cmds {
		for _, f := range cmd.Flags {
			switch f := f.(type) {
			case *cli.StringFlag:
				f.Value = rebase(f.Value)
			case *cli.StringSliceFlag:
				if f.Value != nil {
					vals := f.Value.Value()
					for i, v := range vals {
						vals[i] = rebase(v)
					}
					f.Value = cli.NewStringSlice(vals...)
				}
			}
		}
		rebaseDefaults(cmd.Subcommands, root)
	}
}

// errNotInProject reports a command that needs the local cluster run
// outside any project.
var errNotInProject = errors.New("not inside a securemig project")

// errNoProject explains why no local cluster can be used outside a project.
func errNoProject(wd string) error {
	return fmt.Errorf("%w (no %s in %s or any directory above it) and DATABASE_URL is not set: "+
		"run securemig from the project's directory, or set DATABASE_URL", errNotInProject, projectMarker, wd)
}
