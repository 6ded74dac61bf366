package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/parser"
)

// problemRunLimit is how many problems of one kind in one sheet the human
// output shows before summarising the rest.
const problemRunLimit = 10

func pricingParseCommand() *cli.Command {
	return &cli.Command{
		Name:      "parse",
		Usage:     "parse a pricing workbook, report every problem and optionally export the staging CSVs",
		UsageText: "securemig pricing parse --file WORKBOOK.xlsx [--csv-dir DIR] [--json] [--quiet] [--progress MODE]",
		Description: "Reads the twelve data sheets of a GHC pricing template (no database needed), checks\n" +
			"headers, values, duplicate keys and cross-sheet references, and prints a per-sheet summary\n" +
			"(rows read, records produced, time) on standard output, every problem with its sheet and cell\n" +
			"on standard error, and a final count line on standard output. Messages never show prices,\n" +
			"factors or escalations. --quiet prints only the errors and the final line; --json prints one\n" +
			"JSON document (summary and every problem) on standard output instead. On a terminal a progress\n" +
			"line appears once parsing takes over a second.\n\n" +
			"With --csv-dir it writes one CSV per staging table (<stage_table>.csv, all 18, 0600 files)\n" +
			"exactly as the staging tables will hold them, even when the workbook has problems.\n\n" +
			"Exit codes: 0 parsed with no errors (warnings allowed); 1 the workbook has at least one\n" +
			"error problem, cannot be read as an XLSX workbook, or the CSV export failed.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Required: true,
				Usage: "path of the pricing workbook (.xlsx) to parse"},
			&cli.StringFlag{Name: "csv-dir",
				Usage: "directory to write the 18 staging-table CSV files into (created 0700 if missing)"},
			&cli.BoolFlag{Name: "json",
				Usage: "print the summary and every problem as JSON on stdout instead of text"},
			progressFlag(),
			quietFlag(),
		},
		Action: runPricingParse,
	}
}

// runPricingParse implements `securemig pricing parse`.
func runPricingParse(c *cli.Context) error {
	file := c.String("file")
	if err := checkWorkbook(file); err != nil {
		return withExitCode(1, err)
	}
	status, err := startStatus(c, "parsing "+filepath.Base(file))
	if err != nil {
		return err
	}
	defer status.Stop()
	res, err := parser.ParseFile(c.Context, file)
	if err != nil {
		return withExitCode(1, err)
	}
	if dir := c.String("csv-dir"); dir != "" {
		status.Phase("writing the staging CSVs to " + dir)
		if err := parser.WriteCSVDir(c.Context, dir, &res.Records); err != nil {
			return withExitCode(1, fmt.Errorf("csv export: %w", err))
		}
	}
	status.Stop()
	out := c.App.Writer
	if c.Bool("json") {
		err = printParseJSON(out, res)
	} else {
		err = printParseText(out, c.App.ErrWriter, res, c.String("csv-dir"), c.Bool("quiet"))
	}
	if err != nil {
		return withExitCode(1, err)
	}
	if n := res.ErrorCount(); n > 0 {
		return withExitCode(1, fmt.Errorf("%s: %d error(s); nothing may be imported", res.File, n))
	}
	return nil
}

// printParseJSON prints the whole result (every problem) as JSON.
func printParseJSON(w io.Writer, res *parser.Result) error {
	errs := res.ErrorCount()
	doc := struct {
		*parser.Result
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
	}{res, errs, len(res.Problems) - errs}
	if doc.Problems == nil {
		doc.Problems = []parser.Problem{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// printParseText prints the per-sheet summary on w, the problems on errw
// and the final count line on w. quiet leaves out the summary and the
// warnings.
func printParseText(w, errw io.Writer, res *parser.Result, csvDir string, quiet bool) error {
	if !quiet {
		if err := printSheetTable(w, res); err != nil {
			return err
		}
	}
	printProblems(errw, res, quiet)
	if csvDir != "" && !quiet {
		fmt.Fprintf(w, "staging CSVs written to %s\n", csvDir)
	}
	errs := res.ErrorCount()
	_, err := fmt.Fprintf(w, "%s: %d error(s), %d warning(s)\n", res.File, errs, len(res.Problems)-errs)
	return err
}

// printSheetTable prints one line per sheet: rows read, records, time.
func printSheetTable(w io.Writer, res *parser.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "Sheet\tTab #\tRows read\tRecords\tTime\t\n")
	for _, s := range res.Sheets {
		pos := "missing"
		if s.Tab != "" {
			pos = fmt.Sprint(s.Position)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t\n", s.Sheet, pos, s.RowsRead, s.Records, s.Duration.Round(time.Microsecond))
	}
	return tw.Flush()
}

// printProblems prints every problem with its sheet and cell (warnings
// only when not quiet), grouping long runs of one kind in one sheet.
func printProblems(w io.Writer, res *parser.Result, quiet bool) {
	type run struct{ sheet, kind string }
	shown, hidden := map[run]int{}, map[run]int{}
	var order []run
	for _, p := range res.Problems {
		if quiet && p.Severity != parser.Error {
			continue
		}
		k := run{p.Sheet, string(p.Kind)}
		if shown[k] >= problemRunLimit {
			if hidden[k] == 0 {
				order = append(order, k)
			}
			hidden[k]++
			continue
		}
		shown[k]++
		fmt.Fprintf(w, "%s: %s\n", p.Severity, p)
	}
	for _, k := range order {
		where := k.sheet
		if where == "" {
			where = "the workbook"
		}
		fmt.Fprintf(w, "… and %d more %s in %s\n", hidden[k], k.kind, where)
	}
}
