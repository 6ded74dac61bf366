package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/localdb"
	"github.com/securemig/securemig/securegen"
)

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "find and remove what killed securemig runs left behind (temporary files, dump roles)",
		ArgsUsage: " ",
		Description: "A killed 'gen secure-migration' can leave a staging directory in --out-dir\n" +
			"(tmp/secure/.securemig-gen-*, git-ignored), an interrupted commit, and its throwaway dump role\n" +
			"with row-level security policies in the database. Every 'gen' removes what earlier runs left,\n" +
			"and every command that connects to a database removes the stale dump roles it can; doctor does\n" +
			"both on demand and says what it found. An interrupted commit is completed when the manifest\n" +
			"already lists the migration, and undone otherwise (its files removed, the lock file's\n" +
			"entries restored). Runs still going are left alone: a staging directory is stale once its\n" +
			"run's lock is free, a dump role once the database session that created it is gone.\n" +
			"Temporary files of older securemig versions (.securemig-*.tmp) are removed too.\n" +
			"The database is DATABASE_URL, else the local cluster (started if needed).\n\n" +
			"Exit codes: 0 nothing stale is left (found things were removed), 1 error,\n" +
			"2 stale things remain (--dry-run, or dump roles of another database: run doctor there).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out-dir", Value: securegen.DefaultOutDir, Usage: "`DIR` of the production files (gen's --out-dir)"},
			&cli.StringFlag{Name: "placeholder-dir", Value: securegen.DefaultPlaceholderDir, Usage: "`DIR` of the placeholders (gen's --placeholder-dir)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "only report what is stale; remove nothing"},
			&cli.BoolFlag{Name: "no-db", Usage: "check the files only, not the database"},
		},
		Action: runDoctor,
	}
}

// runDoctor implements `securemig doctor`.
func runDoctor(c *cli.Context) error {
	w := c.App.Writer
	dry := c.Bool("dry-run")
	rep, err := securegen.Sweep(c.String("out-dir"), c.String("placeholder-dir"), dry)
	if err != nil {
		return err
	}
	verb := map[bool]string{false: "removed", true: "stale"}[dry]
	for _, n := range rep.Completed {
		fmt.Fprintf(w, "%s: interrupted commit of %s (completed: the manifest lists it)\n", map[bool]string{false: "completed", true: "stale"}[dry], n)
	}
	for _, n := range rep.Undone {
		fmt.Fprintf(w, "%s: interrupted commit of %s (undone)\n", map[bool]string{false: "undone", true: "stale"}[dry], n)
	}
	for _, p := range rep.Removed {
		fmt.Fprintf(w, "%s: %s\n", verb, p)
	}
	for _, p := range rep.Busy {
		fmt.Fprintf(w, "running: %s (a securemig gen is using it)\n", p)
	}
	remaining := dry && !rep.Empty()
	if !c.Bool("no-db") {
		left, err := doctorDatabase(c, w, dry)
		if err != nil {
			return err
		}
		remaining = remaining || left
	}
	if remaining {
		return withExitCode(2, errors.New("stale leftovers remain"))
	}
	if rep.Empty() {
		fmt.Fprintln(w, "nothing stale found")
	}
	return nil
}

// doctorDatabase removes (or, dry, lists) the stale dump roles; it reports
// whether stale ones remain.
func doctorDatabase(c *cli.Context, w io.Writer, dry bool) (bool, error) {
	dsn, err := resolveDatabaseURL(c)
	if err != nil {
		return false, err
	}
	conn, err := pgx.Connect(c.Context, dsn)
	if err != nil {
		return false, fmt.Errorf("connecting to the database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(c.Context))
	if dry {
		stale, err := securegen.StaleScopes(c.Context, conn)
		if err != nil {
			return false, err
		}
		for _, s := range stale {
			fmt.Fprintf(w, "stale: dump role %s\n", s)
		}
		return len(stale) > 0, nil
	}
	sw, err := securegen.SweepScopes(c.Context, conn)
	if err != nil {
		return false, err
	}
	for _, s := range sw.Removed {
		fmt.Fprintf(w, "removed: dump role %s with its policies\n", s)
	}
	for _, s := range sw.Elsewhere {
		fmt.Fprintf(w, "stale: dump role %s: run securemig doctor with DATABASE_URL naming that database\n", s)
	}
	return len(sw.Elsewhere) > 0, nil
}

// sweepsItself lists the commands that remove stale dump roles themselves
// (under gen's lock, or reporting them).
var sweepsItself = map[string]bool{"secure-migration": true, "doctor": true}

// sweepStaleScopes removes the dump roles killed gen runs left in the
// database at dsn, so that any command cleans up after them. It never
// fails the command: problems are warnings.
func sweepStaleScopes(c *cli.Context, dsn string) {
	if c.Command != nil && sweepsItself[c.Command.Name] {
		return
	}
	ctx, cancel := context.WithTimeout(c.Context, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return // the command itself reports the connection problem
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sw, err := securegen.SweepScopes(ctx, conn)
	if err != nil {
		fmt.Fprintf(c.App.ErrWriter, "warning: %v\n", err)
		return
	}
	for _, s := range sw.Removed {
		fmt.Fprintf(c.App.ErrWriter, "removed stale dump role %s (left by a killed securemig gen)\n", s)
	}
}

// staleScopesHelp ends the description of `db status`.
const staleScopesHelp = "When running, it also lists the dump roles (with row-level security policies) that killed\n" +
	"'gen secure-migration' runs left behind; any securemig command on their database, or\n" +
	"'securemig doctor', removes them."

// reportStaleScopes prints one line per stale dump role of the local
// cluster (for `db status`); problems reading them are printed too.
func reportStaleScopes(c *cli.Context, cl *localdb.Cluster) {
	u, err := cl.URL("")
	if err != nil {
		fmt.Fprintf(c.App.Writer, "stale dump roles: unknown (%v)\n", err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Context, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		fmt.Fprintf(c.App.Writer, "stale dump roles: unknown (%v)\n", err)
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	stale, err := securegen.StaleScopes(ctx, conn)
	if err != nil {
		fmt.Fprintf(c.App.Writer, "stale dump roles: unknown (%v)\n", err)
		return
	}
	for _, s := range stale {
		fmt.Fprintf(c.App.Writer, "stale: dump role %s, left by a killed securemig gen (securemig doctor removes it)\n", s)
	}
}
