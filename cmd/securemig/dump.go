package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/dump"
	"github.com/securemig/securemig/securegen"
)

func dumpCommand() *cli.Command {
	return &cli.Command{
		Name:      "dump",
		Usage:     "list or run the data-only pg_dump that -t/-T patterns select (pg_dump's own pattern rules)",
		UsageText: "securemig dump --list [-t PATTERN ...] [-T PATTERN ...]\n   securemig dump --out FILE [-t PATTERN ...] [-T PATTERN ...]",
		Description: "Patterns follow pg_dump (psql \\d rules, not SQL LIKE): '*' and '?' are wildcards, '_' is\n" +
			"literal, unquoted letters fold to lower case, double quotes keep case and make '*', '?' and\n" +
			"'.' literal, and an unqualified pattern only matches tables visible on the default\n" +
			"search_path: write 'public.re_*', not 're_*'. Quote patterns in the shell. A table is selected\n" +
			"when some -t and no -T matches it. Without -t the pricing defaults apply: every public.re_*\n" +
			"table that holds contract data (re_services and tables without a foreign-key path to\n" +
			"re_contracts are excluded).\n\n" +
			"--list prints, resolved from the catalog, exactly the tables and sequences whose data\n" +
			"`pg_dump --data-only --strict-names` would dump. --out runs that pg_dump with the resolved\n" +
			"names pinned (one quoted -t each) and streams the dump to FILE (mode 0600; refused in a\n" +
			"path git tracks or does not ignore). pg_dump must have the server's major version.\n" +
			"The database is DATABASE_URL, else the local cluster.\n\n" +
			"Exit codes: 0 success; 1 a pattern matches nothing, nothing is selected, pg_dump is\n" +
			"missing or mismatched, or a database or file failure.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "table", Aliases: []string{"t"},
				Usage: "include the tables matching `PATTERN` (repeatable; default: the pricing tables)"},
			&cli.StringSliceFlag{Name: "exclude-table", Aliases: []string{"T"},
				Usage: "exclude the tables matching `PATTERN` (repeatable; exclusion wins)"},
			&cli.BoolFlag{Name: "list", Usage: "print the selected tables and sequences, one per line, and dump nothing"},
			&cli.StringFlag{Name: "out", Usage: "write the data-only dump to `FILE` (git-ignored path, mode 0600)"},
			&cli.StringFlag{Name: "pg-dump", EnvVars: []string{"SECUREMIG_PG_DUMP"},
				Usage: "pg_dump `PROGRAM` to run (default: /usr/lib/postgresql/<server major>/bin/pg_dump, then PATH)"},
		},
		Action: runDump,
	}
}

// runDump implements `securemig dump`.
func runDump(c *cli.Context) error {
	if c.Bool("list") == (c.String("out") != "") {
		return withExitCode(1, errors.New("give exactly one of --list and --out"))
	}
	ctx := c.Context
	dsn, err := databaseURL(c)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to the database: %w", err)
	}
	defer conn.Close(ctx)
	include, exclude := c.StringSlice("table"), c.StringSlice("exclude-table")
	if len(include) == 0 {
		if include, exclude, err = securegen.DefaultPatterns(ctx, conn); err != nil {
			return err
		}
		exclude = append(exclude, c.StringSlice("exclude-table")...)
	}
	rels, err := dump.Resolve(ctx, conn, include, exclude)
	if err != nil {
		return err
	}
	if c.Bool("list") {
		for _, r := range rels {
			fmt.Fprintf(c.App.Writer, "%-8s  %s\n", r.Kind, r)
		}
		return nil
	}
	return dumpToFile(c, conn, dsn, rels)
}

func dumpToFile(c *cli.Context, conn *pgx.Conn, dsn string, rels []dump.Relation) error {
	ctx := c.Context
	out := c.String("out")
	if err := securegen.CheckIgnored(ctx, out); err != nil {
		return err
	}
	major, err := dump.ServerMajor(ctx, conn)
	if err != nil {
		return err
	}
	prog, err := dump.FindPgDump(ctx, c.String("pg-dump"), major)
	if err != nil {
		return err
	}
	pinned := make([]string, len(rels))
	for i, r := range rels {
		pinned[i] = dump.QuoteName(r.Schema, r.Name)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(out), err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	if err := dump.Run(ctx, dsn, dump.Options{PgDump: prog, Include: pinned}, f); err != nil {
		f.Close()
		os.Remove(out)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(out)
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(c.App.Writer, "dumped %d tables/sequences to %s\n", len(rels), out)
	return nil
}
