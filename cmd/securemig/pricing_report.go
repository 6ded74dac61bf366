package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/report"
)

// reportErrorExit is the exit status when no report could be produced.
const reportErrorExit = 3

func pricingReportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write the spot-check report of an imported contract (HTML, Markdown or JSON) and exit with its verdict",
		UsageText: "securemig pricing report --contract-code CODE [--compare-to CODE|none]\n" +
			"   [--format html|md|json] [--out FILE]...",
		Description: "Reads the contract from the database (and the pricing_imports log) and checks it: row counts\n" +
			"against the workbook's dimensions and the import log; completeness (linehaul, service-area,\n" +
			"international and other prices, fees per contract year, zip3 rate areas); anomalies (zero or\n" +
			"negative prices, peak below non-peak, implausible escalations, prices far from their peers,\n" +
			"prices unchanged where most changed). It adds statistics per service, a diff against another\n" +
			"contract and a deterministic sample of about 20 prices with their workbook cells for checking\n" +
			"by hand, right under the verdict.\n\n" +
			"The diff is against the contract that came before this one: the latest contract whose first\n" +
			"contract year starts earlier (same start date: imported earlier). A newer contract is never\n" +
			"compared by default, so importing one never changes an older contract's report. The report\n" +
			"says which contract it compared to and why. --compare-to CODE names another, --compare-to none\n" +
			"turns the diff off.\n\n" +
			"Formats: html is one self-contained page (inline CSS and SVG, no scripts), md suits a pull\n" +
			"request, json follows report/schema.json. Without --out the report goes to standard output.\n" +
			"Report files contain prices: they are written with mode 0600 (directories 0700), atomically.\n\n" +
			"Exit codes: 0 pass; 1 warnings (the import is still usable); 2 fail (a blocking check failed);\n" +
			"3 no report (bad flags, unknown contract, database or file error).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "contract-code",
				Usage: "code of the imported contract to report on (required)"},
			&cli.StringFlag{Name: "compare-to",
				Usage: "contract `CODE` to diff against, or none for no diff (default: the contract that came " +
					"before this one by contract start date, then import time; never a newer one)"},
			// One spelling per concept: --compare-to none. --no-diff, the
			// earlier spelling, keeps working for scripts but is not shown.
			&cli.BoolFlag{Name: "no-diff", Hidden: true,
				Usage: "same as --compare-to none (deprecated spelling)"},
			&cli.StringFlag{Name: "format",
				Usage: "html, md or json; default: from each --out file's extension, md on standard output"},
			&cli.StringSliceFlag{Name: "out", Aliases: []string{"o"},
				Usage: "write the report to `FILE` instead of standard output; repeat to write several formats " +
					"at once (e.g. --out r.html --out r.md)"},
		},
		Action: runPricingReport,
	}
}

// reportOutput is one place the report goes.
type reportOutput struct {
	path   string // "" for standard output
	format report.Format
}

// reportOutputs resolves --out and --format.
func reportOutputs(c *cli.Context) ([]reportOutput, error) {
	var forced report.Format
	if c.IsSet("format") {
		f, err := report.ParseFormat(c.String("format"))
		if err != nil {
			return nil, err
		}
		forced = f
	}
	paths := c.StringSlice("out")
	if len(paths) == 0 {
		return []reportOutput{{format: cmpOr(forced, report.FormatMarkdown)}}, nil
	}
	outs := make([]reportOutput, 0, len(paths))
	for _, p := range paths {
		f := forced
		if f == "" {
			var ok bool
			if f, ok = report.FormatOf(p); !ok {
				return nil, fmt.Errorf("--out %s: cannot tell the format from the extension; use .html, .md or .json, or --format", p)
			}
		}
		outs = append(outs, reportOutput{path: p, format: f})
	}
	return outs, nil
}

func cmpOr(f, def report.Format) report.Format {
	if f != "" {
		return f
	}
	return def
}

// runPricingReport implements `securemig pricing report`.
func runPricingReport(c *cli.Context) error {
	if c.String("contract-code") == "" {
		return withExitCode(reportErrorExit, fmt.Errorf("--contract-code is required"))
	}
	if c.Bool("no-diff") && c.IsSet("compare-to") {
		return withExitCode(reportErrorExit, fmt.Errorf("--no-diff and --compare-to exclude each other"))
	}
	outs, err := reportOutputs(c)
	if err != nil {
		return withExitCode(reportErrorExit, err)
	}
	conn, err := connect(c)
	if err != nil {
		return withExitCode(reportErrorExit, err)
	}
	defer conn.Close(c.Context)
	r, err := report.Generate(c.Context, conn, report.Request{
		ContractCode: c.String("contract-code"), CompareTo: c.String("compare-to"), NoDiff: c.Bool("no-diff"),
		Options: report.Options{Generator: buildinfo.String()},
	})
	if err != nil {
		return withExitCode(reportErrorExit, err)
	}
	for _, o := range outs {
		if o.path == "" {
			err = r.Write(c.App.Writer, o.format)
		} else {
			err = r.WriteFile(o.path, o.format)
		}
		if err != nil {
			return withExitCode(reportErrorExit, err)
		}
		if o.path != "" {
			fmt.Fprintf(c.App.ErrWriter, "wrote %s\n", o.path)
		}
	}
	s := r.Summary
	fmt.Fprintf(c.App.ErrWriter, "comparison: %s\n", s.ComparisonReason)
	verdict := fmt.Sprintf("contract %s: verdict %s (%d failed, %d warning checks)", s.ContractCode, s.Verdict,
		s.FailedChecks, s.WarningChecks)
	if s.Verdict == report.VerdictPass {
		fmt.Fprintln(c.App.ErrWriter, verdict)
		return nil
	}
	return withExitCode(s.Verdict.ExitCode(), fmt.Errorf("%s", verdict))
}
