package main

import (
	"errors"
	"fmt"
	"io"
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
			"   [--contract-start-date YYYY-MM-DD] [--rate-areas REF.csv] [--replace]",
		Description: "Parses the workbook (problems are shown as by `pricing parse`), reads the zip-to-rate-area\n" +
			"reference CSV, then in ONE transaction loads the 18 staging tables and derives every rate-engine\n" +
			"table with COPY. Every problem (a service area, rate area, service code or contract year that\n" +
			"does not resolve, a duplicate natural key, a reference-CSV gap, an existing contract code) is\n" +
			"reported with its workbook cell or CSV line, and then nothing is written. Row ids are\n" +
			"deterministic: the same workbook and code always give the same rows. Each run is logged in\n" +
			"pricing_imports (see `pricing list`). The database is DATABASE_URL, else the local cluster.\n\n" +
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
		},
		Action: runPricingImport,
	}
}

// runPricingImport implements `securemig pricing import`.
func runPricingImport(c *cli.Context) error {
	out := c.App.Writer
	file := c.String("file")
	code := c.String("contract-code")
	if !importer.ValidContractCode(code) {
		return withExitCode(1, fmt.Errorf("invalid --contract-code %q: use letters, digits, '-' and '_' (at most 80)", code))
	}
	start, err := time.Parse(time.DateOnly, c.String("contract-start-date"))
	if err != nil {
		return withExitCode(1, fmt.Errorf("invalid --contract-start-date %q: want YYYY-MM-DD", c.String("contract-start-date")))
	}
	refPath := c.String("rate-areas")
	if refPath == "" {
		refPath = sample.DefaultRateAreasPath(file)
		if _, err := os.Stat(refPath); err != nil {
			return withExitCode(1, fmt.Errorf("no --rate-areas given and %s not found: %w", refPath, err))
		}
	}
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
	if res.HasErrors() || len(res.Problems) > 0 {
		if err := printParseText(out, res, ""); err != nil {
			return withExitCode(1, err)
		}
	}
	if n := res.ErrorCount(); n > 0 {
		return withExitCode(1, fmt.Errorf("%s: %d parse error(s); nothing imported", file, n))
	}
	ref, refProblems, err := zipref.ReadFile(refPath)
	if err != nil {
		return withExitCode(1, err)
	}
	if len(refProblems) > 0 {
		for _, p := range refProblems {
			fmt.Fprintf(out, "%s: %s\n", p.Severity, p)
		}
		return withExitCode(1, fmt.Errorf("%s: %d problem(s); nothing imported", refPath, len(refProblems)))
	}
	conn, err := connect(c)
	if err != nil {
		return withExitCode(1, err)
	}
	defer conn.Close(c.Context)
	summary, err := importer.Import(c.Context, conn, res, ref, importer.Options{
		ContractCode: code, ContractName: c.String("contract-name"), StartDate: start, Replace: c.Bool("replace"),
		WorkbookName: filepath.Base(file), WorkbookSHA256: sum, RateAreasName: filepath.Base(refPath),
		RateAreasSHA256: refSum, ToolVersion: buildinfo.String(), ParseDuration: parseTime,
	})
	var pe *importer.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			fmt.Fprintf(out, "error: %s\n", p)
		}
		return withExitCode(1, fmt.Errorf("%s: %d import problem(s); nothing imported", file, len(pe.Problems)))
	}
	if err != nil {
		return withExitCode(1, err)
	}
	return printImportSummary(out, code, summary, parseTime)
}

// printImportSummary prints the per-table row counts and timing.
func printImportSummary(w io.Writer, code string, s *importer.Summary, parseTime time.Duration) error {
	for _, p := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", p)
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
	_, err := fmt.Fprintf(w, "contract %s %s: %d rate-engine rows; parse %s, import %s (import %s)\n",
		code, verb, total, parseTime.Round(time.Millisecond), s.Duration.Round(time.Millisecond), s.ImportID)
	return err
}
