package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/history"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/task"
)

func pricingHistoryCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "show one contract's timeline: imports, rollbacks, generated migrations, uploads, applies and reverts",
		UsageText: "securemig pricing history --contract-code CODE [--json] [--database-url URL | --env ENV] [--source s3://BUCKET/PREFIX/]",
		Description: "Reads the records securemig keeps and prints every step for the contract in time order, with\n" +
			"who ran it (user@host, or SECUREMIG_ACTOR) and when:\n" +
			"  - the import log of the local database (DATABASE_URL, else the local cluster): each import with\n" +
			"    workbook name and SHA-256, status and row counts, and each rollback or replacement;\n" +
			"  - the events log of the same database: steps such as `pricing undo`;\n" +
			"  - the lock file: each generated secure migration (version, SHA-256, placeholder SHA-256), each\n" +
			"    revert migration, and each upload (environment, bucket, key, when, by whom);\n" +
			"  - with --database-url or --env, that deployed database's tracking table: when it applied the\n" +
			"    contract's migrations and when it reverted them;\n" +
			"  - with --source, the records the scheduled task ('securemig task') keeps beside the workbooks:\n" +
			"    each check (verdict), approval (who, override), the migration it generated and its uploads\n" +
			"    (shown like hand-run ones), each import into an environment and each failed attempt. The\n" +
			"    local database is then optional: when it is unavailable, a note says so and the rest is shown.\n" +
			"Nothing is changed. No price or row value is printed.\n\n" +
			"Exit codes: 0 shown (also when the contract has no history: the output says so); 1 a database or\n" +
			"file could not be read.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "contract-code", Required: true, Usage: "contract `CODE` to show"},
			&cli.BoolFlag{Name: "json", Usage: "print {\"contract_code\": CODE, \"events\": [...]} as JSON (fields: at, step, actor, contract_code, source, status, migration, sha256, environment, details)"},
			&cli.StringFlag{Name: "database-url", Usage: "a deployed database `URL` whose tracking table to read (the import log is read from DATABASE_URL or the local cluster)"},
			&cli.StringFlag{Name: "env", Usage: "a deployed environment `NAME`: its database URL is read from SECUREMIG_DATABASE_URL_<NAME> (upper case, '-' as '_')"},
			&cli.StringFlag{Name: "lock-file", Aliases: []string{"lock"}, Value: lockfile.DefaultPath, Usage: "lock `FILE` to read"},
			&cli.StringFlag{Name: "source", EnvVars: []string{"SECUREMIG_TASK_SOURCE"},
				Usage: "the scheduled task's inbox `s3://BUCKET/PREFIX/` whose records to read too (as for 'task check --source')"},
		},
		Action: runPricingHistory,
	}
}

// runPricingHistory implements `securemig pricing history`.
func runPricingHistory(c *cli.Context) error {
	code := c.String("contract-code")
	deployedURL, envName, err := deployedDatabase(c)
	if err != nil {
		return withExitCode(1, err)
	}
	lf, err := lockfile.Load(c.String("lock-file"))
	if err != nil {
		return withExitCode(1, err)
	}
	src := history.Sources{Lock: lf, Environment: envName}
	if raw := c.String("source"); raw != "" {
		taskSrc, err := openTaskSource(c, raw)
		if err != nil {
			return withExitCode(1, err)
		}
		src.More = append(src.More, taskSrc)
	}
	local, err := connect(c)
	switch {
	case err == nil:
		defer local.Close(c.Context)
		src.Local = local
	case src.More != nil:
		fmt.Fprintf(c.App.ErrWriter, "note: the local import log and events log were not read: %v\n", err)
	default:
		return withExitCode(1, err)
	}
	if deployedURL != "" {
		deployed, err := pgx.Connect(c.Context, deployedURL)
		if err != nil {
			return withExitCode(1, fmt.Errorf("connecting to the deployed database: %w", redactURL(err, deployedURL)))
		}
		defer deployed.Close(c.Context)
		src.Deployed = deployed
	}
	events, err := history.Timeline(c.Context, code, src)
	if err != nil {
		return withExitCode(1, err)
	}
	if c.Bool("json") {
		if events == nil {
			events = []history.Event{}
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			ContractCode string          `json:"contract_code"`
			Events       []history.Event `json:"events"`
		}{code, events})
	}
	return printHistory(c.App.Writer, code, events)
}

// deployedDatabase returns the deployed database URL of --database-url or
// --env, and the environment's name.
func deployedDatabase(c *cli.Context) (url, env string, err error) {
	url, env = c.String("database-url"), c.String("env")
	switch {
	case url != "" && env != "":
		return "", "", errors.New("give --database-url or --env, not both")
	case env != "":
		v := envDatabaseVar(env)
		if url = os.Getenv(v); url == "" {
			return "", "", fmt.Errorf("--env %s: %s is not set (the environment's database URL)", env, v)
		}
	}
	if _, err := pgx.ParseConfig(url); url != "" && err != nil {
		return "", "", errors.New("the deployed database URL does not parse") // the parse error may hold the password
	}
	return url, env, nil
}

// envDatabaseVar names the variable holding environment env's database
// URL: SECUREMIG_DATABASE_URL_<ENV>, upper case, '-' as '_'.
func envDatabaseVar(env string) string {
	return "SECUREMIG_DATABASE_URL_" + strings.ToUpper(strings.ReplaceAll(env, "-", "_"))
}

// redactURL removes the URL's password from an error message.
func redactURL(err error, url string) error {
	cfg, perr := pgx.ParseConfig(url)
	if perr != nil || cfg.Password == "" || !strings.Contains(err.Error(), cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), cfg.Password, "xxxxx"))
}

// printHistory prints the timeline as a table.
func printHistory(w io.Writer, code string, events []history.Event) error {
	if len(events) == 0 {
		_, err := fmt.Fprintf(w, "contract %s: no history (no import, migration, upload or apply recorded)\n", code)
		return err
	}
	fmt.Fprintf(w, "contract %s: %d steps\n", code, len(events))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tSTEP\tWHO\tSTATUS\tWHAT")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.DateTime), e.Step, orDash(e.Actor), orDash(e.Status), describeEvent(e))
	}
	return tw.Flush()
}

// describeEvent is the WHAT column: the file, environment and facts.
func describeEvent(e history.Event) string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	d := e.Details
	switch e.Step {
	case history.StepImport:
		add("workbook %v sha256 %s, %v rows", d["workbook"], short(e.SHA256), d["rows"])
	case history.StepRollback:
		if by, ok := d["replaced_by_import"]; ok {
			add("replaced by import %v", by)
		} else {
			add("rolled back")
		}
	case history.StepUpload:
		add("%s to %s: s3://%v/%v", e.Migration, e.Environment, d["bucket"], d["key"])
	case history.StepApply, history.StepApplyRevert:
		add("%s", e.Migration)
		if e.Environment != "" {
			add("on %s", e.Environment)
		}
		if r, ok := d["reverted"]; ok {
			add("reverted %v", r)
		}
	case task.StepCheck, task.StepApprove, task.StepGenerate, task.StepImport:
		describeTaskEvent(e, add)
	default:
		if e.Migration != "" {
			add("%s", e.Migration)
		}
		if e.SHA256 != "" {
			add("sha256 %s", short(e.SHA256))
		}
		for _, k := range slices.Sorted(maps.Keys(d)) {
			if s, ok := d[k].(string); ok && k != "workbook_sha256" && k != "record" {
				if strings.HasSuffix(k, "sha256") || k == "submission" {
					s = short(s)
				}
				add("%s %s", strings.ReplaceAll(k, "_", " "), s)
			}
		}
	}
	return strings.Join(parts, " ")
}

// describeTaskEvent is the WHAT column of the scheduled task's own steps.
func describeTaskEvent(e history.Event, add func(format string, args ...any)) {
	d := e.Details
	if err, ok := d["error"]; ok {
		if e.Environment != "" {
			add("into %s:", e.Environment)
		}
		add("%v", err)
		return
	}
	switch e.Step {
	case task.StepCheck:
		add("workbook %v sha256 %s, report %v", d["workbook"], short(e.SHA256), d["report"])
	case task.StepApprove:
		add("submission %s (verdict %v)", short(fmt.Sprint(d["submission"])), d["verdict"])
		if o, ok := d["override"]; ok {
			add("override: %v", o)
		}
	case task.StepImport:
		add("%s into %s, database %v", e.Migration, e.Environment, d["database"])
	}
}

// short abbreviates a digest for tables.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return orDash(sum)
}
