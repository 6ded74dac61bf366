package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/importer"
)

func pricingListCommand() *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list the imported contracts and the import log",
		UsageText: "securemig pricing list",
		Description: "Shows every contract in re_contracts (code, name, years, date span) and every run of\n" +
			"`pricing import` from the import log, newest first: status (imported, failed, rolled-back,\n" +
			"started while still running, interrupted when its process died mid-import), workbook\n" +
			"name and SHA-256 prefix, durations and problem count. The database is DATABASE_URL,\n" +
			"else the local cluster.\n\n" +
			"Exit codes: 0 listed; 1 the database cannot be reached or read.",
		Action: runPricingList,
	}
}

// runPricingList implements `securemig pricing list`.
func runPricingList(c *cli.Context) error {
	conn, err := connect(c)
	if err != nil {
		return withExitCode(1, err)
	}
	defer conn.Close(c.Context)
	contracts, runs, err := importer.List(c.Context, conn)
	if err != nil {
		return withExitCode(1, err)
	}
	w := c.App.Writer
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CONTRACT\tNAME\tYEARS\tFROM\tTO\tCREATED\n")
	for _, k := range contracts {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", k.Code, k.Name, k.Years, date(k.Start), date(k.End),
			k.CreatedAt.Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return withExitCode(1, err)
	}
	fmt.Fprintf(w, "%d contract(s)\n\n", len(contracts))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "STARTED\tCONTRACT\tSTATUS\tWORKBOOK\tSHA-256\tPARSE\tIMPORT\tPROBLEMS\n")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.12s\t%s\t%s\t%d\n", r.StartedAt.Local().Format(time.DateTime),
			r.ContractCode, r.Status, r.WorkbookName, r.WorkbookSHA256, ms(r.ParseMS), ms(r.ImportMS), r.Problems)
	}
	if err := tw.Flush(); err != nil {
		return withExitCode(1, err)
	}
	fmt.Fprintf(w, "%d import(s)\n", len(runs))
	return nil
}

// date formats an optional date.
func date(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateOnly)
}

// ms formats an optional duration in milliseconds.
func ms(v *int64) string {
	if v == nil {
		return "-"
	}
	return (time.Duration(*v) * time.Millisecond).String()
}
