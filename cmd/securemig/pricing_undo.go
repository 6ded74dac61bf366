package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/securegen"
	"github.com/securemig/securemig/undo"
)

func pricingUndoCommand() *cli.Command {
	return &cli.Command{
		Name:      "undo",
		Usage:     "remove everything one contract's pipeline created locally (rows, migration files, placeholder, manifest line, lock entry, reports)",
		UsageText: "securemig pricing undo --contract-code CODE [--dry-run] [--yes]",
		Description: "Lists, then removes after confirmation, what the pipeline created for the contract on this\n" +
			"machine: its rows in the local database (as `pricing rollback`: one transaction, imports marked\n" +
			"rolled back), the production, part and down files under --out-dir, the placeholder, its manifest\n" +
			"line and lock entry, and the reports --report-dir/CODE.*. The undo is recorded in the events log\n" +
			"(see `pricing history`).\n\n" +
			"It refuses, removing nothing, when the contract's migration left this machine: uploaded (the\n" +
			"lock entry has uploads), committed (git tracks the placeholder, or the lock entry is in HEAD's\n" +
			"lock file) or already reverted. A deployed database may run it then: generate a revert\n" +
			"migration instead (securemig gen revert-migration), which it prints.\n\n" +
			"On a terminal it asks for confirmation (skip with --yes); without one it refuses unless --yes is\n" +
			"given. --dry-run prints the plan only. The database is DATABASE_URL, else the local cluster.\n\n" +
			"Exit codes: 0 undone (or nothing to undo, or a dry run); 1 failure, not confirmed, or no terminal\n" +
			"and no --yes; 2 refused: something was uploaded, committed or reverted (nothing removed).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "contract-code", Required: true, Usage: "contract `CODE` to undo"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print what would be removed, remove nothing"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (required without a terminal)"},
			&cli.StringFlag{Name: "out-dir", Value: securegen.DefaultOutDir, Usage: "`DIR` of the production and down files"},
			&cli.StringFlag{Name: "placeholder-dir", Value: securegen.DefaultPlaceholderDir, Usage: "`DIR` of the placeholders"},
			&cli.StringFlag{Name: "manifest", Value: securegen.DefaultManifest, Usage: "manifest `FILE` to remove the migration from"},
			&cli.StringFlag{Name: "lock-file", Aliases: []string{"lock"}, Value: lockfile.DefaultPath, Usage: "lock `FILE` to remove the entry from"},
			&cli.StringFlag{Name: "report-dir", Value: undo.DefaultReportDir, Usage: "`DIR` of the reports (CODE.html, CODE.md, CODE.json)"},
		},
		Action: runPricingUndo,
	}
}

// runPricingUndo implements `securemig pricing undo`.
func runPricingUndo(c *cli.Context) error {
	code := c.String("contract-code")
	conn, err := connect(c)
	if err != nil {
		return withExitCode(1, err)
	}
	defer conn.Close(c.Context)
	plan, err := undo.Make(c.Context, conn, undo.Options{ContractCode: code, OutDir: c.String("out-dir"),
		PlaceholderDir: c.String("placeholder-dir"), ManifestPath: c.String("manifest"), LockPath: c.String("lock-file"),
		ReportDir: c.String("report-dir")})
	if err != nil {
		return withExitCode(1, err)
	}
	w := c.App.Writer
	if plan.Empty() {
		fmt.Fprintf(w, "contract %s: nothing to undo (no rows, migration files, lock entry or reports)\n", code)
		return nil
	}
	printUndoPlan(w, plan)
	if len(plan.Refusals) > 0 {
		fmt.Fprintf(c.App.ErrWriter, "refused, nothing removed: the contract's migration left this machine:\n  %s\n"+
			"A deployed database may hold it. Remove it there with a revert migration:\n"+
			"  securemig gen revert-migration --contract-code %s\n"+
			"  securemig verify migrations/revert/<file>   # then commit it with the manifest and lock file\n"+
			"  securemig migrate                            # in each environment\n"+
			"`securemig pricing rollback --contract-code %s` removes the local rows only.\n",
			strings.Join(plan.Refusals, "\n  "), code, code)
		return withExitCode(2, undo.ErrRefused)
	}
	if c.Bool("dry-run") {
		fmt.Fprintln(w, "dry run: nothing removed")
		return nil
	}
	if !c.Bool("yes") {
		if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stderr.Fd())) {
			return withExitCode(1, errors.New("not a terminal: pass --yes to remove the above (or --dry-run)"))
		}
		ok, err := confirmUndo(c.App.ErrWriter, os.Stdin, code)
		if err != nil || !ok {
			return withExitCode(1, errors.Join(errors.New("not confirmed: nothing removed"), err))
		}
	}
	res, err := plan.Apply(c.Context, conn)
	if res != nil {
		fmt.Fprintf(w, "removed: %d rows, %d lock entries, %d manifest lines, %d files\n",
			sumRows(res.Rows), len(res.Migrations), len(res.ManifestLines), len(res.Files))
	}
	if err != nil {
		return withExitCode(1, fmt.Errorf("%w (run undo again to finish)", err))
	}
	fmt.Fprintf(w, "contract %s undone locally\n", code)
	return nil
}

// printUndoPlan lists what undo removes.
func printUndoPlan(w io.Writer, p *undo.Plan) {
	fmt.Fprintf(w, "contract %s: undo removes\n", p.ContractCode)
	if p.Rows != nil {
		fmt.Fprintf(w, "  rows in the local database: %d\n", p.TotalRows())
		for _, t := range importer.ContractTables {
			if n := p.Rows[t]; n > 0 {
				fmt.Fprintf(w, "    %-34s %8d\n", t, n)
			}
		}
	}
	for _, m := range p.Migrations {
		fmt.Fprintf(w, "  lock entry: %s\n", m)
	}
	for _, m := range p.ManifestLines {
		fmt.Fprintf(w, "  manifest line: %s\n", m)
	}
	for _, f := range p.Files {
		fmt.Fprintf(w, "  file: %s\n", f)
	}
}

// confirmUndo asks once.
func confirmUndo(w io.Writer, in io.Reader, code string) (bool, error) {
	fmt.Fprintf(w, "Remove all of this for contract %s? [y/N] ", code)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading confirmation: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

func sumRows(rows map[string]int64) int64 {
	var n int64
	for _, v := range rows {
		n += v
	}
	return n
}
