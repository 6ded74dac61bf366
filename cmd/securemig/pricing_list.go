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
		UsageText: "securemig pricing list [--json]",
		Description: "Shows every contract in re_contracts (code, name, years, date span) and every run of\n" +
			"`pricing import` from the import log, newest first: status (imported, failed, rolled-back,\n" +
			"started while still running, interrupted when its process died mid-import), workbook\n" +
			"name and SHA-256 prefix, durations and problem count. The database is DATABASE_URL,\n" +
			"else the local cluster.\n\n" +
			"--json prints one JSON document instead (shape in README.md, \"Machine-readable output\"):\n" +
			"{\"contracts\": [...], \"imports\": [...]}.\n\n" +
			"Exit codes: 0 listed; 1 the database cannot be reached or read.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the contracts and the import log as one JSON document on stdout"},
		},
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
	if c.Bool("json") {
		return writeJSON(w, pricingListJSON(contracts, runs))
	}
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

// contractJSON is one contract in `pricing list --json`.
type contractJSON struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Years     int       `json:"years"`
	Start     *string   `json:"start"` // YYYY-MM-DD; null without years
	End       *string   `json:"end"`
	CreatedAt time.Time `json:"created_at"`
}

// importJSON is one import-log run in `pricing list --json`.
type importJSON struct {
	ID             string           `json:"id"`
	ContractCode   string           `json:"contract_code"`
	Status         string           `json:"status"`
	WorkbookName   string           `json:"workbook"`
	WorkbookSHA256 string           `json:"workbook_sha256"`
	ToolVersion    string           `json:"tool_version"`
	Replace        bool             `json:"replace"`
	StartedAt      time.Time        `json:"started_at"`
	FinishedAt     *time.Time       `json:"finished_at"`
	ParseMS        *int64           `json:"parse_ms"`
	ImportMS       *int64           `json:"import_ms"`
	Rows           map[string]int64 `json:"rows"`
	Problems       int              `json:"problems"`
	Error          *string          `json:"error"`
}

// pricingListJSON is the document `pricing list --json` prints.
func pricingListJSON(contracts []importer.Contract, runs []importer.ImportRun) any {
	doc := struct {
		Contracts []contractJSON `json:"contracts"`
		Imports   []importJSON   `json:"imports"`
	}{Contracts: []contractJSON{}, Imports: []importJSON{}}
	day := func(t *time.Time) *string {
		if t == nil {
			return nil
		}
		s := t.Format(time.DateOnly)
		return &s
	}
	for _, k := range contracts {
		doc.Contracts = append(doc.Contracts, contractJSON{Code: k.Code, Name: k.Name, Years: k.Years,
			Start: day(k.Start), End: day(k.End), CreatedAt: k.CreatedAt.UTC()})
	}
	for _, r := range runs {
		rows := r.RowCounts
		if rows == nil {
			rows = map[string]int64{}
		}
		var fin *time.Time
		if r.FinishedAt != nil {
			t := r.FinishedAt.UTC()
			fin = &t
		}
		doc.Imports = append(doc.Imports, importJSON{ID: r.ID.String(), ContractCode: r.ContractCode, Status: r.Status,
			WorkbookName: r.WorkbookName, WorkbookSHA256: r.WorkbookSHA256, ToolVersion: r.ToolVersion, Replace: r.Replace,
			StartedAt: r.StartedAt.UTC(), FinishedAt: fin, ParseMS: r.ParseMS, ImportMS: r.ImportMS, Rows: rows,
			Problems: r.Problems, Error: r.Error})
	}
	return doc
}
