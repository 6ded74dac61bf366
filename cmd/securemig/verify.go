package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/securegen"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "round-trip check of a secure migration (production file or placeholder) on a scratch database",
		UsageText: "securemig verify [--lock-file FILE] MIGRATION.up.sql",
		Description: "Creates a scratch database on the local server, applies the schema and the file with the\n" +
			"migration engine (a split file's parts as one stream), and compares per-table row counts with\n" +
			"the file's header and with the contract in the local database; for a production file also\n" +
			"each table's content hash (md5 of its rows). A placeholder must apply cleanly with the same\n" +
			"counts. The file's SHA-256 is checked against the lock file entry when there is one. Prints a\n" +
			"table; the scratch database is dropped. The database is DATABASE_URL, else the local cluster.\n\n" +
			"Exit codes: 0 verified; 1 the file cannot be applied or a database or file failure;\n" +
			"2 applied, but counts, content or digest differ.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lock-file", Value: lockfile.DefaultPath,
				Usage: "lock `FILE` whose recorded SHA-256 the file must match (skipped when it has no entry)"},
		},
		Action: runVerify,
	}
}

// runVerify implements `securemig verify`.
func runVerify(c *cli.Context) error {
	if c.NArg() != 1 {
		return withExitCode(1, errors.New("verify takes exactly one file"))
	}
	dsn, err := databaseURL(c)
	if err != nil {
		return err
	}
	rep, err := securegen.Verify(c.Context, securegen.VerifyOptions{DSN: dsn, File: c.Args().First(), LockPath: c.String("lock-file")})
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
