package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/securegen"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "round-trip check of a secure migration (production file or placeholder) or a revert migration on a scratch database",
		UsageText: "securemig verify [--lock-file FILE] [--quiet] MIGRATION.up.sql\n   securemig verify [--original FILE] REVERT.up.sql",
		Description: "Creates a scratch database on the local server, applies the schema and the file with the\n" +
			"migration engine (a split file's parts as one stream), and compares per-table row counts with\n" +
			"the file's header and with the contract in the local database; for a production file also\n" +
			"each table's content hash (md5 of its rows). A placeholder must apply cleanly with the same\n" +
			"counts. The file's SHA-256 is checked against the lock file entry when there is one. Prints a\n" +
			"table and a final 'verified' line on standard output, problems on standard error; the scratch\n" +
			"database is dropped. With --quiet only problems and the final line are printed. On a terminal a\n" +
			"progress line appears once the check takes over a second. The database is DATABASE_URL, else\n" +
			"the local cluster.\n\n" +
			"For a revert migration (securemig gen revert-migration) it applies the schema, the secure\n" +
			"migration it reverts (production file from --out-dir, else the placeholder; or --original)\n" +
			"and the revert, and checks that every table of schema public returns to its content before the\n" +
			"secure migration (row count and md5 per table) and that migrate status shows it reverted.\n\n" +
			"Exit codes: 0 verified; 1 the file cannot be applied or a database or file failure;\n" +
			"2 applied, but counts, content or digest differ.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lock-file", Value: lockfile.DefaultPath,
				Usage: "lock `FILE` whose recorded SHA-256 the file must match (skipped when it has no entry)"},
			progressFlag(),
			quietFlag(),
			&cli.StringFlag{Name: "original", Usage: "revert migrations: the reverted secure migration's `FILE` (production file or placeholder)"},
			&cli.StringFlag{Name: "out-dir", Value: securegen.DefaultOutDir, Usage: "revert migrations: `DIR` of the production files"},
			&cli.StringFlag{Name: "placeholder-dir", Value: securegen.DefaultPlaceholderDir, Usage: "revert migrations: `DIR` of the placeholders"},
		},
		Action: runVerify,
	}
}

// runVerify implements `securemig verify`.
func runVerify(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError(c, "verify takes exactly one file")
	}
	dsn, err := databaseURL(c)
	if err != nil {
		return err
	}
	file := c.Args().First()
	if revert, err := securegen.IsRevertFile(file); err != nil {
		return err
	} else if revert {
		return runVerifyRevert(c, dsn)
	}
	status, err := startStatus(c, "verifying "+filepath.Base(file)+" on a scratch database")
	if err != nil {
		return err
	}
	rep, err := securegen.Verify(c.Context, securegen.VerifyOptions{DSN: dsn, File: file, LockPath: c.String("lock-file")})
	status.Stop()
	if err != nil {
		return err
	}
	if !c.Bool("quiet") {
		table := *rep
		table.Problems = nil
		if err := table.WriteTable(c.App.Writer); err != nil {
			return err
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(c.App.ErrWriter, "problem: %s\n", p)
	}
	if !rep.OK() {
		return withExitCode(2, fmt.Errorf("verification of %s failed: %d problem(s)", rep.FileName, len(rep.Problems)))
	}
	_, err = fmt.Fprintf(c.App.Writer, "verified %s (%s): %d tables match\n", rep.FileName, rep.Kind, len(rep.Rows))
	return err
}

// runVerifyRevert verifies a revert migration.
func runVerifyRevert(c *cli.Context, dsn string) error {
	rep, err := securegen.VerifyRevert(c.Context, securegen.RevertVerifyOptions{DSN: dsn, File: c.Args().First(),
		Original: c.String("original"), OutDir: c.String("out-dir"), PlaceholderDir: c.String("placeholder-dir"),
		LockPath: c.String("lock-file")})
	if err != nil {
		return err
	}
	if err := rep.WriteTable(c.App.Writer); err != nil {
		return err
	}
	if !rep.OK() {
		return withExitCode(2, errors.New("verification failed"))
	}
	return nil
}
