package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// placeholderLocation is the default location of the secure migration
// placeholders, whose digests the lock file records separately.
const placeholderLocation = "file://migrations/secure"

// revertLocation holds the committed revert migrations (securemig gen
// revert-migration); deployed environments read it too.
const revertLocation = "file://migrations/revert"

// migrateSharedFlags are the flags of migrate and its subcommands.
func migrateSharedFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "manifest", Value: "migrations/manifest.txt",
			Usage: "manifest listing every migration file name, applied in version order"},
		&cli.StringSliceFlag{Name: "path", Value: cli.NewStringSlice("file://migrations/schema", placeholderLocation, revertLocation),
			EnvVars: []string{"SECUREMIG_MIGRATION_PATH"},
			Usage: "migration location, file://DIR or s3://bucket/prefix; repeat for several, later ones override " +
				"earlier ones (the environment variable takes a comma-separated list)"},
		&cli.StringFlag{Name: "lock-file", Aliases: []string{"lock"}, Value: lockfile.DefaultPath,
			Usage: "lock file with the reviewed SHA-256 of each secure migration; a file whose bytes differ is rolled back"},
		&cli.BoolFlag{Name: "verbose-errors",
			Usage: "show the server's full error (DETAIL, WHERE) and statement start; MAY PRINT SENSITIVE VALUES, local debugging only"},
	}
}

func migrateCommand() *cli.Command {
	flags := append(migrateSharedFlags(),
		&cli.BoolFlag{Name: "dry-run", Usage: "resolve and checksum every file, print the plan, apply nothing"},
		&cli.BoolFlag{Name: "allow-changed", Usage: "accept applied migrations whose source bytes changed (recorded in the tracking table)"},
		&cli.BoolFlag{Name: "allow-out-of-order", Usage: "apply pending migrations older than the newest applied one"},
		&cli.BoolFlag{Name: "retry-failed", Usage: "re-apply no-transaction migrations that failed part-way in an earlier run"},
		&cli.DurationFlag{Name: "lock-timeout", Value: 60 * time.Second,
			Usage: "how long to wait for another migration run to release the migration lock"},
		&cli.DurationFlag{Name: "statement-timeout", Usage: "PostgreSQL statement_timeout for each file (0: server default; files may set their own)"},
		&cli.DurationFlag{Name: "lock-wait-timeout", Usage: "PostgreSQL lock_timeout for each file (0: server default; files may set their own)"},
		progressFlag(),
	)
	return &cli.Command{
		Name:      "migrate",
		Usage:     "apply pending migrations (schema and secure migrations) to the database",
		ArgsUsage: " ",
		Description: "Applies the files listed in the manifest, in version order, that the tracking table\n" +
			"public.securemig_migrations does not record yet: one transaction per file (a file whose header has\n" +
			"'-- securemig:no-transaction' runs without one), under an advisory lock. pg_dump output (COPY blocks,\n" +
			"\\restrict) is applied exactly as psql would. Before applying anything it checks that every listed file\n" +
			"is found, that applied files still have their recorded SHA-256, and that no failed file is pending.\n" +
			"Errors name file, line, statement number and SQLSTATE, never statement text or values.\n" +
			"A revert migration (header '-- securemig:reverts FILE', see 'gen revert-migration') records which\n" +
			"migration it reverted; that one is shown as reverted and is never applied again.\n" +
			"The database is DATABASE_URL, or the project-local cluster.\n\n" +
			"Exit codes: 0 applied (or nothing to do; dry run: the run would proceed),\n" +
			"1 a file failed or another error (files applied before it stay applied),\n" +
			"2 refused before applying anything (missing, changed, failed or out-of-order files).",
		Flags:  flags,
		Action: migrateUp,
		Subcommands: []*cli.Command{
			{
				Name:      "status",
				Usage:     "show each migration: applied, pending, changed, failed, missing, reverted, unlisted or unknown",
				ArgsUsage: " ",
				Description: "Reads every source to checksum it and compares with the tracking table. Changes nothing.\n" +
					"--json prints one JSON document instead (shape in README.md, \"Machine-readable output\").\n\n" +
					"Exit codes: 0 nothing wrong, 1 error, 2 some migration is changed, failed or missing.",
				Flags: append(migrateSharedFlags(),
					&cli.BoolFlag{Name: "json", Usage: "print every migration's state as one JSON document on stdout"}),
				Action: migrateStatus,
			},
			{
				Name:      "verify",
				Usage:     "check that every applied migration's source still has the SHA-256 recorded when it ran",
				ArgsUsage: " ",
				Description: "Checksums only the applied migrations' sources. Changes nothing.\n\n" +
					"Exit codes: 0 all match, 1 error, 2 an applied migration changed or is missing.",
				Flags:  migrateSharedFlags(),
				Action: migrateVerify,
			},
		},
	}
}

// newMigrationProvider builds the engine from the shared flags.
func newMigrationProvider(c *cli.Context, opts migrations.Options) (*migrations.Provider, error) {
	entries, err := migrations.ReadManifest(c.String("manifest"))
	if err != nil {
		return nil, err
	}
	for _, p := range c.StringSlice("path") {
		loc, err := migrations.OpenLocation(c.Context, p)
		if err != nil {
			return nil, err
		}
		opts.Locations = append(opts.Locations, loc)
	}
	dsn, err := databaseURL(c)
	if err != nil {
		return nil, err
	}
	opts.VerboseErrors = c.Bool("verbose-errors")
	lf, err := lockfile.Load(c.String("lock-file"))
	if err != nil {
		return nil, err
	}
	var (
		p       *migrations.Provider
		once    sync.Once
		sources map[string]migrations.Source
	)
	opts.ExpectedDigest = func(name string) (string, bool) {
		e, ok := lf.Lookup(name)
		if !ok {
			return "", false
		}
		once.Do(func() { sources, _ = p.Sources(c.Context) })
		// The engine checks the SQL it applies: of a compressed file, the SQL inside.
		if src, ok := sources[name]; ok && src.Location.String() == placeholderLocation {
			sum := e.PlaceholderSQLDigest()
			return sum, sum != ""
		}
		return e.SQLDigest(), e.SQLDigest() != ""
	}
	p, err = migrations.New(dsn, entries, opts)
	return p, err
}

func migrateUp(c *cli.Context) error {
	if c.Args().Present() {
		return withExitCode(1, fmt.Errorf("unexpected argument %q (subcommands: status, verify)", c.Args().First()))
	}
	opts := migrations.Options{
		AllowChanged:     c.Bool("allow-changed"),
		AllowOutOfOrder:  c.Bool("allow-out-of-order"),
		RetryFailed:      c.Bool("retry-failed"),
		LockTimeout:      c.Duration("lock-timeout"),
		StatementTimeout: c.Duration("statement-timeout"),
		LockWaitTimeout:  c.Duration("lock-wait-timeout"),
	}
	out := c.App.Writer
	live, err := progressWanted(c.String("progress"))
	if err != nil {
		return withExitCode(1, err)
	}
	opts.Progress = migrateProgress(out, os.Stderr, live)
	p, err := newMigrationProvider(c, opts)
	if err != nil {
		return withExitCode(1, err)
	}
	if c.Bool("dry-run") {
		return migrateDryRun(c.Context, out, p)
	}
	results, err := p.Up(c.Context)
	if err != nil {
		if errors.Is(err, migrations.ErrVerify) {
			return withExitCode(2, err)
		}
		return withExitCode(1, err)
	}
	if len(results) == 0 {
		fmt.Fprintln(out, "nothing to apply: the database is up to date")
		return nil
	}
	fmt.Fprintf(out, "applied %d migration(s)\n", len(results))
	return nil
}

// progressWanted decides whether to draw live progress.
func progressWanted(mode string) (bool, error) {
	switch mode {
	case "auto":
		return term.IsTerminal(int(os.Stderr.Fd())), nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, fmt.Errorf("--progress must be auto, always or never, not %q", mode)
}

// migrateProgress prints one line per applied file on out and, when live,
// a self-overwriting progress line on tty.
func migrateProgress(out, tty io.Writer, live bool) func(migrations.Progress) {
	var last time.Time
	return func(pr migrations.Progress) {
		if pr.Done {
			if live {
				fmt.Fprint(tty, "\r\033[K")
			}
			fmt.Fprintf(out, "applied %s (%s, %d statements, %d COPY rows)\n", pr.File, byteSize(pr.Bytes), pr.Statements, pr.Rows)
			return
		}
		if !live || time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(tty, "\r\033[Kapplying %s: %s read, %d statements, %d COPY rows", pr.File, byteSize(pr.Bytes), pr.Statements, pr.Rows)
	}
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func migrateDryRun(ctx context.Context, out io.Writer, p *migrations.Provider) error {
	plan, err := p.Plan(ctx)
	if err != nil {
		return withExitCode(1, err)
	}
	printStatus(out, plan.Files)
	fmt.Fprintln(out)
	if len(plan.Problems) > 0 {
		fmt.Fprintf(out, "dry run: the run would be refused, nothing would be applied:\n  %s\n", strings.Join(plan.Problems, "\n  "))
		return withExitCode(2, errors.New("dry run found problems"))
	}
	if len(plan.Pending) == 0 {
		fmt.Fprintln(out, "dry run: nothing to apply")
		return nil
	}
	fmt.Fprintln(out, "dry run: would apply, in order:")
	for _, f := range plan.Pending {
		fmt.Fprintf(out, "  %s  from %s  %s  sha256 %s\n", f.Name, f.Source, byteSize(f.Size), f.SHA256)
	}
	return nil
}

func migrateStatus(c *cli.Context) error {
	p, err := newMigrationProvider(c, migrations.Options{})
	if err != nil {
		return withExitCode(1, err)
	}
	files, err := p.Status(c.Context)
	if err != nil {
		return withExitCode(1, err)
	}
	if c.Bool("json") {
		if err := writeJSON(c.App.Writer, migrationStatusJSON(files)); err != nil {
			return withExitCode(1, err)
		}
	} else {
		printStatus(c.App.Writer, files)
	}
	for _, f := range files {
		if f.State == migrations.Changed || f.State == migrations.Failed || f.State == migrations.Missing {
			return withExitCode(2, errors.New("some migrations need attention (changed, failed or missing)"))
		}
	}
	return nil
}

func migrateVerify(c *cli.Context) error {
	p, err := newMigrationProvider(c, migrations.Options{})
	if err != nil {
		return withExitCode(1, err)
	}
	files, err := p.Verify(c.Context)
	printStatus(c.App.Writer, files)
	if errors.Is(err, migrations.ErrVerify) {
		return withExitCode(2, err)
	}
	if err != nil {
		return withExitCode(1, err)
	}
	fmt.Fprintf(c.App.Writer, "verified %d applied migration(s)\n", len(files))
	return nil
}

// printStatus prints one line per migration.
func printStatus(w io.Writer, files []migrations.FileStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tMIGRATION\tSOURCE\tSHA-256\tAPPLIED")
	for _, f := range files {
		applied := "-"
		if r := f.Record; r != nil {
			applied = fmt.Sprintf("%s by %s", r.AppliedAt.UTC().Format(time.RFC3339), r.AppliedBy)
			if r.Status == "failed" {
				applied = fmt.Sprintf("failed %s at statement %d (line %d)", r.AppliedAt.UTC().Format(time.RFC3339), r.FailedStatement, r.FailedLine)
			}
		}
		applied += revertNote(f)
		source, sha := f.Source, f.SHA256
		if source == "" {
			source = "-"
		}
		if len(sha) > 12 {
			sha = sha[:12]
		}
		if sha == "" {
			sha = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.State, f.Name, source, sha, applied)
	}
	tw.Flush()
}

// revertNote describes a migration's part in a revert: who reverted it, or
// which migration it reverted.
func revertNote(f migrations.FileStatus) string {
	switch {
	case f.Revert != nil:
		return fmt.Sprintf("; reverted %s by %s (%s)", f.Revert.AppliedAt.UTC().Format(time.RFC3339), f.Revert.Name, f.Revert.AppliedBy)
	case f.Record != nil && f.Record.Reverts != "":
		return "; reverts version " + f.Record.Reverts
	}
	return ""
}
