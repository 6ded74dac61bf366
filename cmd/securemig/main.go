// Command securemig gets spreadsheet-sourced pricing data into production
// PostgreSQL databases safely: parsed, spot-checked, versioned, encrypted,
// verifiable and reversible.
//
// This package only wires command-line flags to the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels the work, which then cleans up (aborts a
	// multipart upload, rolls back a transaction); a second one, during
	// that cleanup, ends the process at once.
	context.AfterFunc(ctx, stop)
	app := newApp()
	err := app.RunContext(ctx, reorderArgs(app.Commands, os.Args))
	stop()
	os.Exit(exitCode(explainError(app, err)))
}

// newApp builds the command tree, with the CLI-wide flag conventions
// applied to every command (see normalizeCommands).
func newApp() *cli.App {
	app := &cli.App{
		Name:  "securemig",
		Usage: "parse, import, spot-check, dump, version, upload and apply pricing secure migrations",
		Description: "securemig turns a GHC pricing workbook into a reviewed, checksummed secure migration\n" +
			"and applies it to PostgreSQL. The project is the nearest directory at or above the working\n" +
			"directory that holds migrations/manifest.txt. Without DATABASE_URL securemig uses the project's\n" +
			"local PostgreSQL cluster (tmp/pg) that it starts itself (see 'securemig db --help').\n" +
			"Configuration comes from the environment and an optional .env file in the working directory\n" +
			"or the project root (see .env.example); variables already set win.\n\n" +
			"Flags may follow positional arguments (securemig upload FILE --dry-run). Everywhere: -c is\n" +
			"--contract-code, -f and --filename are --file, --lock is --lock-file, -o is --out, -q is --quiet.",
		Version:              buildinfo.String(),
		EnableBashCompletion: true,
		Before:               setup,
		Commands: []*cli.Command{
			dbCommand(),
			migrateCommand(),
			pricingCommand(),
			dumpCommand(),
			genCommand(),
			verifyCommand(),
			uploadCommand(),
			downloadCommand(),
			taskCommand(),
			doctorCommand(),
			versionCommand(),
		},
	}
	normalizeCommands(app.Commands, "")
	return app
}

// exitError carries a process exit code alongside an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExitCode wraps err so that the process exits with code.
func withExitCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// exitCode prints err (if any) and returns the process exit code.
// Exit codes: 0 success and 1 failure, unless a command documents its own in
// --help (pricing report: 0 pass, 1 warnings, 2 fail, 3 no report; migrate and
// upload: 2 refused before anything was changed).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "securemig:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "securemig:", err)
	return 1
}
