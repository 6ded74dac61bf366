package main

import (
	"encoding/json"
	"fmt"
	"io"
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
		UsageText: "securemig pricing parse --file WORKBOOK.xlsx [--csv-dir DIR] [--json]",
		Description: "Reads the twelve data sheets of a GHC pricing template (no database needed), checks\n" +
			"headers, values, duplicate keys and cross-sheet references, and prints a per-sheet summary\n" +
			"(rows read, records produced, time) followed by every problem with its sheet and cell.\n" +
			"Messages never show prices, factors or escalations.\n\n" +
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
		},
		Action: runPricingParse,
	}
}

// runPricingParse implements `securemig pricing parse`.
func runPricingParse(c *cli.Context) error {
	res, err := parser.ParseFile(c.Context, c.String("file"))
	if err != nil {
		return withExitCode(1, err)
	}
	if dir := c.String("csv-dir"); dir != "" {
		if err := parser.WriteCSVDir(c.Context, dir, &res.Records); err != nil {
			return withExitCode(1, fmt.Errorf("csv export: %w", err))
		}
	}
	out := c.App.Writer
	if c.Bool("json") {
		err = printParseJSON(out, res)
	} else {
		err = printParseText(out, res, c.String("csv-dir"))
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

// printParseText prints the per-sheet summary and the problems, grouping
// long runs of one kind in one sheet.
func printParseText(w io.Writer, res *parser.Result, csvDir string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "Sheet\tTab #\tRows read\tRecords\tTime\t\n")
	for _, s := range res.Sheets {
		pos := "missing"
		if s.Tab != "" {
			pos = fmt.Sprint(s.Position)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t\n", s.Sheet, pos, s.RowsRead, s.Records, s.Duration.Round(time.Microsecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	type run struct{ sheet, kind string }
	shown, hidden := map[run]int{}, map[run]int{}
	var order []run
	for _, p := range res.Problems {
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
	errs := res.ErrorCount()
	fmt.Fprintf(w, "%s: %d error(s), %d warning(s)\n", res.File, errs, len(res.Problems)-errs)
	if csvDir != "" {
		fmt.Fprintf(w, "staging CSVs written to %s\n", csvDir)
	}
	return nil
}
