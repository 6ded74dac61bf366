package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/securegen"
)

func genCommand() *cli.Command {
	return &cli.Command{
		Name:  "gen",
		Usage: "generate migrations",
		Subcommands: []*cli.Command{
			genSecureMigrationCommand(),
			genRevertMigrationCommand(),
		},
	}
}

func genSecureMigrationCommand() *cli.Command {
	return &cli.Command{
		Name:  "secure-migration",
		Usage: "generate a secure migration: production file, down file, scrubbed placeholder, manifest line, lock entry",
		UsageText: "securemig gen secure-migration --contract-code CODE [-t PATTERN ...] [-T PATTERN ...]\n" +
			"   securemig gen secure-migration --name NAME --file DUMP.sql",
		Description: "With --contract-code, dumps exactly that contract's rows from the local database (pg_dump\n" +
			"--data-only under a throwaway role restricted to the contract by row-level security) into\n" +
			"<version>_import_pricing_data_<code>.up.sql, version = UTC YYYYMMDDHHMMSS. The production\n" +
			"file goes to --out-dir (mode 0700, files 0600; refused when git tracks or does not ignore the\n" +
			"path) and starts with a header (version, contract, workbook SHA-256, tool version, per-table\n" +
			"row counts; no prices) and a guard that stops it when the contract already exists; pg_dump's\n" +
			"\\restrict lines are removed, so identical data gives identical bytes. A down file removing\n" +
			"exactly the contract is written beside it. The placeholder (same name, in --placeholder-dir)\n" +
			"has the same tables, rows and keys with synthetic prices, factors and escalations; a leak\n" +
			"check fails the run if any real value tuple reaches it. Finally the manifest gets the file\n" +
			"name and the lock file an entry (SHA-256, size, row counts, parts, placeholder SHA-256).\n" +
			"With --name and --file, an existing dump or SQL file is wrapped the same way (no guard, no\n" +
			"down file; the placeholder keeps only scrubbed COPY blocks and SET/setval lines).\n" +
			"On failure nothing is left behind. The database is DATABASE_URL, else the local cluster.\n\n" +
			"A contract already in the lock file is refused, unless its migration was reverted (gen\n" +
			"revert-migration): then a new version ships it again. With --replace, its earlier migration is\n" +
			"replaced when it was never uploaded (no uploads in its lock entry) and its placeholder is\n" +
			"not in git (index or HEAD): the new one (a new version) is generated and checked first, then\n" +
			"the old production, down and placeholder files, manifest line and lock entry are removed.\n" +
			"An uploaded or committed migration is never replaced: revert it (gen revert-migration) and\n" +
			"generate it again as a new version, or ship a new contract code.\n\n" +
			"With --compress, the production file and the placeholder are gzipped, NAME.up.sql.gz (fixed\n" +
			"header, no time stamp: identical SQL gives identical bytes); the manifest still names NAME.up.sql\n" +
			"and the lock entry records the SHA-256 and size of the stored bytes and of the SQL inside.\n\n" +
			"Prints 'production: PATH' (first part when split), 'down:', 'placeholder:', 'sha256:',\n" +
			"'size:' (of the stored bytes), with --compress 'sql-sha256:' and 'sql-size:' (of the SQL),\n" +
			"one 'rows: TABLE N' line per table, 'replaced: FILE' per replaced migration and\n" +
			"'timing: prepare S.SSSs, dump S.SSSs, commit S.SSSs, total S.SSSs' (dump = pg_dump streaming into\n" +
			"the production file, the scrubber and the leak check in one pass, comparable with a bare pg_dump).\n\n" +
			"--check only runs the shipped-contract check above (lock file and git, no database) and exits 0\n" +
			"when generating would be allowed: scripts/pricing-import runs it before importing, so a shipped\n" +
			"contract is refused before the local import or the report are replaced.\n" +
			"Stage notes go to standard error; on a terminal a progress line shows the current stage once\n" +
			"generation takes over a second. --quiet prints only errors and the 'production: PATH' line.\n\n" +
			"Exit codes: 0 generated (a production file over --size-limit-mib without --split is\n" +
			"generated with a warning on stderr); 1 failure (bad input, leak, refused path, contract\n" +
			"already shipped, database or file failure; nothing written or removed).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "contract-code", Usage: "contract `CODE` to ship (imported with `securemig pricing import`)"},
			&cli.StringFlag{Name: "name", Usage: "migration `NAME` (a-z, 0-9, _) for wrapping --file instead of a contract"},
			&cli.StringFlag{Name: "file", Usage: "dump or SQL `FILE` to wrap (with --name)"},
			&cli.StringSliceFlag{Name: "table", Aliases: []string{"t"},
				Usage: "dump the tables matching `PATTERN` (pg_dump rules; default: the pricing contract tables)"},
			&cli.StringSliceFlag{Name: "exclude-table", Aliases: []string{"T"},
				Usage: "do not dump the tables matching `PATTERN`"},
			&cli.StringFlag{Name: "version", Usage: "use this `VERSION` (YYYYMMDDHHMMSS, UTC) instead of the clock; it must be unused"},
			&cli.StringFlag{Name: "out-dir", Value: securegen.DefaultOutDir, Usage: "git-ignored `DIR` for the production and down files"},
			&cli.StringFlag{Name: "placeholder-dir", Value: securegen.DefaultPlaceholderDir, Usage: "`DIR` for the committed placeholder"},
			&cli.StringFlag{Name: "manifest", Value: securegen.DefaultManifest, Usage: "manifest `FILE` to append the migration to"},
			&cli.StringFlag{Name: "lock-file", Value: lockfile.DefaultPath, Usage: "lock `FILE` to record the migration in"},
			&cli.StringFlag{Name: "workbook-sha256", Usage: "workbook `SHA256` for the header (default: from the import log)"},
			&cli.StringFlag{Name: "pg-dump", EnvVars: []string{"SECUREMIG_PG_DUMP"},
				Usage: "pg_dump `PROGRAM` (default: /usr/lib/postgresql/<server major>/bin/pg_dump, then PATH)"},
			&cli.Int64Flag{Name: "size-limit-mib", Value: securegen.DefaultSizeLimit >> 20, EnvVars: []string{"SECUREMIG_SIZE_LIMIT_MIB"},
				Usage: "warn when the production file exceeds `MIB` MiB (the antivirus limit); with --split, the part size"},
			&cli.BoolFlag{Name: "replace", Usage: "replace this contract's earlier migration if it was never uploaded nor committed (contract mode)"},
			&cli.BoolFlag{Name: "split", Usage: "cut a production file over the size limit into parts <version>_<name>.part-NNN.up.sql, applied as one version"},
			&cli.BoolFlag{Name: "compress", EnvVars: []string{"SECUREMIG_COMPRESS"},
				Usage: "write the production file and the placeholder gzipped (<version>_<name>.up.sql.gz, deterministic); not with --split"},
			&cli.BoolFlag{Name: "check", Usage: "only check that the contract's migration may be (re)generated (not uploaded nor committed); no database needed"},
			progressFlag(),
			quietFlag(),
		},
		Action: runGenSecureMigration,
	}
}

// runGenSecureMigration implements `securemig gen secure-migration`.
func runGenSecureMigration(c *cli.Context) error {
	if (c.String("contract-code") == "") == (c.String("name") == "") {
		return withExitCode(1, errors.New("give exactly one of --contract-code and --name"))
	}
	if c.String("name") != "" && c.String("file") == "" {
		return withExitCode(1, errors.New("--name needs --file"))
	}
	if c.Bool("check") {
		if c.String("contract-code") == "" {
			return usageError(c, "--check needs --contract-code")
		}
		err := securegen.CheckShipped(c.Context, securegen.Options{ContractCode: c.String("contract-code"),
			PlaceholderDir: c.String("placeholder-dir"), LockPath: c.String("lock-file"), Replace: c.Bool("replace")})
		if err != nil {
			return withExitCode(1, err)
		}
		return nil
	}
	status, err := startStatus(c, "generating the secure migration")
	if err != nil {
		return err
	}
	defer status.Stop()
	var log io.Writer = c.App.ErrWriter
	if c.Bool("quiet") {
		log = nil
	}
	opts := securegen.Options{
		ContractCode: c.String("contract-code"), Name: c.String("name"), Source: c.String("file"),
		Include: c.StringSlice("table"), Exclude: c.StringSlice("exclude-table"), Version: c.String("version"),
		OutDir: c.String("out-dir"), PlaceholderDir: c.String("placeholder-dir"), ManifestPath: c.String("manifest"),
		LockPath: c.String("lock-file"), WorkbookSHA256: c.String("workbook-sha256"), PgDump: c.String("pg-dump"),
		ToolVersion: buildinfo.Version, SizeLimit: c.Int64("size-limit-mib") << 20, Split: c.Bool("split"), Replace: c.Bool("replace"),
		Compress: c.Bool("compress"), Log: status.LogWriter(log, "generating"),
	}
	if opts.ContractCode != "" {
		dsn, err := databaseURL(c)
		if err != nil {
			return err
		}
		opts.DSN = dsn
	}
	res, err := securegen.Generate(c.Context, opts)
	status.Stop()
	if err != nil {
		return err
	}
	w := c.App.Writer
	if c.Bool("quiet") {
		_, err := fmt.Fprintf(w, "production: %s\n", res.Production)
		return err
	}
	fmt.Fprintf(w, "production: %s\n", res.Production)
	for _, p := range res.Parts {
		fmt.Fprintf(w, "part: %s %d %s\n", p.Name, p.Size, p.SHA256)
	}
	if res.Down != "" {
		fmt.Fprintf(w, "down: %s\n", res.Down)
	}
	fmt.Fprintf(w, "placeholder: %s\n", res.Placeholder)
	fmt.Fprintf(w, "sha256: %s\nsize: %d\n", res.SHA256, res.Size)
	if res.Compressed {
		fmt.Fprintf(w, "sql-sha256: %s\nsql-size: %d\n", res.SQLSHA256, res.SQLSize)
	}
	for _, t := range res.Tables {
		fmt.Fprintf(w, "rows: %s %d\n", t.Table, t.Rows)
	}
	for _, r := range res.Replaced {
		fmt.Fprintf(w, "replaced: %s\n", r)
	}
	fmt.Fprintf(w, "timing: %s\n", res.Timing)
	if res.OverLimit {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s is %d bytes, over the %d MiB limit some buckets' antivirus scanners enforce; regenerate with --split\n",
			res.FileName, res.Size, res.SizeLimit>>20)
	}
	return nil
}
