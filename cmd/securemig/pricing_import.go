package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/internal/digest"
	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/sample"
	"github.com/securemig/securemig/zipref"
)

func pricingImportCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "parse a pricing workbook and import it as one contract into the database (staging + re_* tables)",
		UsageText: "securemig pricing import --file WORKBOOK.xlsx --contract-code CODE [--contract-name NAME]\n" +
			"   [--contract-start-date YYYY-MM-DD] [--rate-areas REF.csv] [--replace] [--quiet] [--progress MODE]",
		Description: "Parses the workbook (problems are shown as by `pricing parse`), reads the zip-to-rate-area\n" +
			"reference CSV, then in ONE transaction loads the 18 staging tables and derives every rate-engine\n" +
			"table with COPY. Every problem (a service area, rate area, service code or contract year that\n" +
			"does not resolve, a duplicate natural key, a reference-CSV gap, an existing contract code) is\n" +
			"reported with its workbook cell or CSV line, and then nothing is written. Row ids are\n" +
			"deterministic: the same workbook and code always give the same rows. Each run is logged in\n" +
			"pricing_imports (see `pricing list`). The database is DATABASE_URL, else the local cluster.\n\n" +
			"The workbook is checked first (it must exist and be an XLSX workbook), then the reference CSV,\n" +
			"before anything slow happens. Problems (sheet!cell, CSV line) and warnings go to standard error;\n" +
			"standard output gets the per-table row counts and a final line. With --quiet only errors and the\n" +
			"final line are printed. On a terminal a progress line shows the phase once the work takes over a\n" +
			"second. Two imports of one contract code at once run one after the other: the second then\n" +
			"reports the existing contract as a sequential re-import would.\n\n" +
			"Exit codes: 0 imported; 1 parse errors, import problems, or a file or database failure\n" +
			"(nothing imported).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Required: true,
				Usage: "path of the pricing workbook (.xlsx) to import"},
			&cli.StringFlag{Name: "contract-code", Required: true,
				Usage: "code of the contract to create: letters, digits, '-' and '_' (at most 80)"},
			&cli.StringFlag{Name: "contract-name",
				Usage: "name of the contract (default: the contract code)"},
			&cli.StringFlag{Name: "contract-start-date", Value: importer.DefaultStartDate.Format(time.DateOnly),
				Usage: "first day of the first contract year (YYYY-MM-DD); year i starts i years later"},
			&cli.StringFlag{Name: "rate-areas",
				Usage: "zip-to-rate-area reference CSV (default: WORKBOOK without .xlsx + .rate-areas.csv)"},
			&cli.BoolFlag{Name: "replace",
				Usage: "re-import an existing contract code: delete its rows and insert the new ones in the same transaction"},
			progressFlag(),
			quietFlag(),
		},
		Action: runPricingImport,
	}
}

// runPricingImport implements `securemig pricing import`.
func runPricingImport(c *cli.Context) error {
	file := c.String("file")
	code := c.String("contract-code")
	if !importer.ValidContractCode(code) {
		return usageError(c, "invalid --contract-code %q: use letters, digits, '-' and '_' (at most 80)", code)
	}
	start, err := time.Parse(time.DateOnly, c.String("contract-start-date"))
	if err != nil {
		return usageError(c, "invalid --contract-start-date %q: want YYYY-MM-DD", c.String("contract-start-date"))
	}
	if err := checkWorkbook(file); err != nil {
		return withExitCode(1, err)
	}
	refPath := c.String("rate-areas")
	if refPath == "" {
		refPath = sample.DefaultRateAreasPath(file)
		if _, err := os.Stat(refPath); err != nil {
			return withExitCode(1, fmt.Errorf("no --rate-areas given and the default reference CSV next to the workbook, %s, is missing: "+
				"pass the zip-to-rate-area CSV with --rate-areas (see docs/workbook-format.md)", refPath))
		}
	} else if err := checkRegularFile(refPath, "rate-areas CSV"); err != nil {
		return withExitCode(1, err)
	}
	status, err := startStatus(c, "parsing "+filepath.Base(file))
	if err != nil {
		return err
	}
	defer status.Stop()
	sum, err := digest.File(file)
	if err != nil {
		return withExitCode(1, err)
	}
	refSum, err := digest.File(refPath)
	if err != nil {
		return withExitCode(1, err)
	}
	t0 := time.Now()
	res, err := parser.ParseFile(c.Context, file)
	if err != nil {
		return withExitCode(1, err)
	}
	parseTime := time.Since(t0)
	if len(res.Problems) > 0 {
		status.Stop()
		printProblems(c.App.ErrWriter, res, c.Bool("quiet"))
	}
	if n := res.ErrorCount(); n > 0 {
		return withExitCode(1, fmt.Errorf("%s: %d parse error(s); nothing imported", file, n))
	}
	status.Phase("reading " + filepath.Base(refPath))
	ref, refProblems, err := zipref.ReadFile(refPath)
	if err != nil {
		return withExitCode(1, err)
	}
	if len(refProblems) > 0 {
		status.Stop()
		for _, p := range refProblems {
			fmt.Fprintf(c.App.ErrWriter, "%s: %s\n", p.Severity, p)
		}
		return withExitCode(1, fmt.Errorf("%s: %d problem(s); nothing imported", refPath, len(refProblems)))
	}
	status.Phase("connecting to the database")
	conn, err := connect(c)
	if err != nil {
		return withExitCode(1, err)
	}
	defer conn.Close(context.WithoutCancel(c.Context))
	status.Phase("importing contract " + code + " (one transaction, COPY)")
	tables := 0
	summary, err := importer.Import(c.Context, conn, res, ref, importer.Options{
		ContractCode: code, ContractName: c.String("contract-name"), StartDate: start, Replace: c.Bool("replace"),
		WorkbookName: filepath.Base(file), WorkbookSHA256: sum, RateAreasName: filepath.Base(refPath),
		RateAreasSHA256: refSum, ToolVersion: buildinfo.String(), ParseDuration: parseTime,
		Progress: func(step string) {
			if step == "staging tables" {
				status.Phase("importing contract " + code + ": staging tables")
				return
			}
			tables++
			status.Phase(fmt.Sprintf("importing contract %s: %s (table %d of %d)", code, step, tables, len(importer.ContractTables)))
		},
	})
	status.Stop()
	var pe *importer.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			fmt.Fprintf(c.App.ErrWriter, "error: %s\n", p)
		}
		return withExitCode(1, fmt.Errorf("%s: %d import problem(s); nothing imported", file, len(pe.Problems)))
	}
	if err != nil && (conn.IsClosed() || connectionLost(err)) {
		return withExitCode(1, fmt.Errorf("the database server closed the connection during the import of %s: nothing was imported (%s; %v)",
			file, urlSource(state(c.App)), err))
	}
	if err != nil {
		return withExitCode(1, err)
	}
	return printImportSummary(c.App.Writer, c.App.ErrWriter, code, summary, parseTime, c.Bool("quiet"))
}

// checkWorkbook refuses, before any slow work, a workbook path that is
// missing, not a regular file, or not an XLSX workbook.
func checkWorkbook(path string) error {
	if err := checkRegularFile(path, "workbook"); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("workbook %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("workbook %s: %w", path, err)
	}
	if err := parser.Sniff(f, fi.Size()); err != nil {
		return fmt.Errorf("workbook %s: %w", path, err)
	}
	return nil
}

// checkRegularFile says plainly when an input file is missing or not a file.
func checkRegularFile(path, what string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s does not exist", what, path)
	case err != nil:
		return fmt.Errorf("%s %s: %w", what, path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s %s is not a regular file", what, path)
	}
	return nil
}

// printImportSummary prints the per-table row counts (stdout; not with
// quiet), the reference-CSV warnings (stderr; not with quiet) and the final
// line with the total and timing (stdout).
func printImportSummary(w, errw io.Writer, code string, s *importer.Summary, parseTime time.Duration, quiet bool) error {
	final := w
	if quiet {
		w, errw = io.Discard, io.Discard
	}
	for _, p := range s.Warnings {
		fmt.Fprintf(errw, "warning: %s\n", p)
	}
	var total int64
	names := make([]string, 0, len(s.Counts))
	for t := range s.Counts {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		fmt.Fprintf(w, "%-48s %9d\n", t, s.Counts[t])
	}
	for _, t := range importer.ContractTables {
		total += s.Counts[t]
	}
	verb := "imported"
	if s.Replaced {
		verb = "replaced"
	}
	_, err := fmt.Fprintf(final, "contract %s %s: %d rate-engine rows; parse %s, import %s (import %s)\n",
		code, verb, total, parseTime.Round(time.Millisecond), s.Duration.Round(time.Millisecond), s.ImportID)
	return err
}
