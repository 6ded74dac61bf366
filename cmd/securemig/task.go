package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/task"
)

// Exit codes of task check and task import.
const (
	taskExitFailed     = 1 // some workbook failed its check, or some import failed
	taskExitIncomplete = 2 // some workbook could not be processed; a later run retries
)

func taskCommand() *cli.Command {
	return &cli.Command{
		Name:  "task",
		Usage: "the scheduled pipeline: check workbooks dropped into S3, record approvals, import approved ones",
		Description: "For running from a scheduler (cron, a systemd timer, a Kubernetes CronJob, an ECS scheduled task);\n" +
			"each run does what there is to do and exits. A workbook is dropped into the source prefix as\n" +
			"<CODE>.xlsx (CODE is the contract code) with <CODE>.rate-areas.csv beside it and, optionally,\n" +
			"<CODE>.contract.json ({\"contract_name\": ..., \"contract_start_date\": \"YYYY-MM-DD\"}).\n" +
			"'task check' checks new workbooks and writes the results beside them under <CODE>.securemig/<ID>/;\n" +
			"a person reviews the report and runs 'task approve'; 'task import --env ENV' then ships approved\n" +
			"submissions to that environment. Events are logged as JSON lines on stderr. See docs/scheduling.md.",
		Subcommands: []*cli.Command{taskCheckCommand(), taskApproveCommand(), taskImportCommand()},
	}
}

// taskSourceFlags are the flags every task command shares.
func taskSourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "source", EnvVars: []string{"SECUREMIG_TASK_SOURCE"},
			Usage: "the inbox, `s3://BUCKET/PREFIX/` (query parameters region, endpoint, path_style, profile as for migrate --path)"},
		&cli.StringFlag{Name: "sse", Value: s3store.SSES3, EnvVars: []string{"SECUREMIG_TASK_SSE"},
			Usage: "server-side encryption of every object the task writes: AES256 or aws:kms"},
		&cli.StringFlag{Name: "kms-key-id", EnvVars: []string{"SECUREMIG_TASK_KMS_KEY_ID"},
			Usage: "KMS `KEY` for --sse aws:kms (default: the bucket's key)"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"SECUREMIG_TASK_LOG_LEVEL"},
			Usage: "least severe event logged on stderr: debug, info, warn or error"},
	}
}

// taskClaimFlag is the claim lifetime of the commands that claim work.
func taskClaimFlag() cli.Flag {
	return &cli.DurationFlag{Name: "claim-ttl", Value: task.DefaultClaimTTL, EnvVars: []string{"SECUREMIG_TASK_CLAIM_TTL"},
		Usage: "how long a runner's claim on a workbook lasts before another runner may take over (longer than the longest step)"}
}

// taskScratchFlag names the server of the scratch databases.
func taskScratchFlag(fallback string) cli.Flag {
	return &cli.StringFlag{Name: "scratch-database-url", EnvVars: []string{"SECUREMIG_SCRATCH_DATABASE_URL"},
		Usage: "PostgreSQL server `URL` on which a throwaway database is created (and dropped) per workbook; needs CREATEDB " +
			"(default: " + fallback + ")"}
}

// taskConfig builds the shared configuration from the flags.
func taskConfig(c *cli.Context) (task.Config, s3store.Config, error) {
	raw := c.String("source")
	if raw == "" {
		return task.Config{}, s3store.Config{}, errors.New("--source s3://BUCKET/PREFIX/ (or SECUREMIG_TASK_SOURCE) is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return task.Config{}, s3store.Config{}, fmt.Errorf("--source %q is not a URL", raw)
	}
	spec, err := s3store.ParseLocationURL(u)
	if err != nil {
		return task.Config{}, s3store.Config{}, fmt.Errorf("--source: %w", err)
	}
	client, err := s3store.New(c.Context, spec.Config)
	if err != nil {
		return task.Config{}, s3store.Config{}, err
	}
	src := task.NewSource(client, spec.Bucket, spec.Prefix)
	src.SSE, src.KMSKeyID = c.String("sse"), c.String("kms-key-id")
	if src.SSE != s3store.SSES3 && src.SSE != s3store.SSEKMS {
		return task.Config{}, s3store.Config{}, fmt.Errorf("--sse %q: want %s or %s", src.SSE, s3store.SSES3, s3store.SSEKMS)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return task.Config{}, s3store.Config{}, fmt.Errorf("--log-level: %w", err)
	}
	cfg := task.Config{
		Source:      src,
		Log:         slog.New(slog.NewJSONHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level})),
		ToolVersion: buildinfo.String(),
	}
	cfg.ClaimTTL = c.Duration("claim-ttl") // 0 (the default) for commands without the flag
	return cfg, spec.Config, nil
}

// scratchServer returns the scratch server's URL: the flag, then
// DATABASE_URL when allowed, then the local cluster (started quietly: the
// task's stderr carries JSON events only).
func scratchServer(c *cli.Context, useDatabaseURL bool, log *slog.Logger) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if u := c.String("scratch-database-url"); u != "" {
			return u, nil
		}
		if u := os.Getenv("DATABASE_URL"); useDatabaseURL && u != "" {
			return u, nil
		}
		cl, _, err := localCluster(c)
		if err != nil {
			return "", fmt.Errorf("no --scratch-database-url and the local database is unavailable: %w", err)
		}
		started, err := cl.Start(ctx)
		if err != nil {
			return "", fmt.Errorf("no --scratch-database-url and the local database did not start: %w", err)
		}
		if started {
			log.Info("local_database_started", "dir", cl.Status().Dir)
		}
		return cl.URL("")
	}
}

func taskCheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "check every new workbook in the inbox once and write the results beside it; then exit",
		UsageText: "securemig task check --source s3://BUCKET/PREFIX/ [--compare-to CODE] [--scratch-database-url URL]\n" +
			"   [--claim-ttl 30m] [--sse AES256|aws:kms] [--log-level info]",
		Description: "Lists the workbooks directly under the prefix (<CODE>.xlsx with <CODE>.rate-areas.csv and an\n" +
			"optional <CODE>.contract.json beside it). A workbook whose files (by ETag and size) were checked\n" +
			"before is skipped without reading it: a run with nothing new makes two LIST requests and exits.\n" +
			"For each new one it claims the work with a conditional write (a second runner started at the\n" +
			"same time skips it; a claim left by a crashed runner expires after --claim-ttl), streams the\n" +
			"files down into a private temporary directory, parses the workbook, imports it into a throwaway\n" +
			"scratch database (after the most recently approved other contract, which the report diffs\n" +
			"against), writes the report and records everything beside the workbook under\n" +
			"<CODE>.securemig/<ID>/ (ID = SHA-256 over the files' SHA-256s): the exact input files,\n" +
			"report.html/.md/.json, problems.json (each naming sheet and cell, CSV line or table) and, last,\n" +
			"check.json (verdict, SHA-256s, tool version). Nothing is written to any deployed database.\n" +
			"Scratch server: --scratch-database-url, else DATABASE_URL, else the local cluster.\n" +
			"Each event is one JSON line on stderr (workbook key and SHA-256, never a price).\n\n" +
			"Exit codes: 0 nothing failed (also: nothing new, or a workbook still waiting for its CSV);\n" +
			"1 some workbook failed its check (verdict fail or rejected; see its problems.json) or is misnamed;\n" +
			"2 some workbook could not be checked (store, database or file error); a later run retries it.",
		Flags: append(taskSourceFlags(), taskClaimFlag(), taskScratchFlag("DATABASE_URL, else the local cluster"),
			&cli.StringFlag{Name: "compare-to", Usage: "contract `CODE` whose latest approved submission the reports diff against " +
				"(default: the most recently approved other contract)"}),
		Action: runTaskCheck,
	}
}

func runTaskCheck(c *cli.Context) error {
	cfg, _, err := taskConfig(c)
	if err != nil {
		return withExitCode(taskExitIncomplete, err)
	}
	sum, err := task.Check(c.Context, task.CheckOptions{Config: cfg, CompareTo: c.String("compare-to"),
		Scratch: scratchServer(c, true, cfg.Log)})
	if err != nil {
		cfg.Log.Error("check_failed", "error", err.Error())
		return withExitCode(taskExitIncomplete, errors.New(""))
	}
	return taskExit(sum)
}

// taskExit turns a run's summary into the documented exit code. The events
// already said everything, so the error carries no text.
func taskExit(sum *task.Summary) error {
	switch {
	case sum.Count(task.OutcomeError) > 0:
		return withExitCode(taskExitIncomplete, errors.New(""))
	case sum.Count(task.OutcomeFailed) > 0:
		return withExitCode(taskExitFailed, errors.New(""))
	}
	return nil
}

func taskApproveCommand() *cli.Command {
	return &cli.Command{
		Name:      "approve",
		Usage:     "record a person's approval of a checked workbook, so that 'task import' ships it",
		UsageText: "securemig task approve --source s3://BUCKET/PREFIX/ --contract-code CODE --sha256 HASH [--override REASON] [--yes]",
		Description: "HASH is the submission ID or the workbook's SHA-256 (both are in check.json and the check's events).\n" +
			"The report files are re-read and must still have the SHA-256s the check recorded. The approval\n" +
			"(approval.json beside check.json, written once) records who approved (the AWS principal from STS\n" +
			"and the OS user and host), when, the verdict and each report file's SHA-256. A rejected workbook\n" +
			"cannot be approved; a fail verdict needs --override \"REASON\", which is recorded.\n" +
			"On a terminal it shows the check and asks for confirmation (skip with --yes); without a terminal\n" +
			"it refuses unless --yes is given.\n\n" +
			"Exit codes: 0 approved; 1 refused, not confirmed, already approved, or an error.",
		Flags: append(taskSourceFlags(),
			&cli.StringFlag{Name: "contract-code", Required: true, Usage: "contract `CODE` (the workbook's file name without .xlsx)"},
			&cli.StringFlag{Name: "sha256", Required: true, Usage: "the submission ID or the workbook's SHA-256 (`HASH`)"},
			&cli.StringFlag{Name: "override", Usage: "approve a fail verdict, for this recorded `REASON`"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (needed without a terminal)"},
		),
		Action: runTaskApprove,
	}
}

func runTaskApprove(c *cli.Context) error {
	cfg, s3cfg, err := taskConfig(c)
	if err != nil {
		return withExitCode(1, err)
	}
	o := task.ApproveOptions{Config: cfg, ContractCode: c.String("contract-code"), SHA256: strings.ToLower(c.String("sha256")),
		Override: c.String("override")}
	if !c.Bool("yes") {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return withExitCode(1, errors.New("approving needs a person: run it on a terminal, or pass --yes"))
		}
		o.Confirm = func(rec *task.CheckRecord) (bool, error) {
			return confirmApproval(c.App.ErrWriter, os.Stdin, cfg.Source, rec)
		}
	}
	o.Identity = task.WhoAmI(c.Context, s3cfg)
	a, err := task.Approve(c.Context, o)
	if err != nil {
		return withExitCode(1, err)
	}
	fmt.Fprintf(c.App.Writer, "approved %s submission %s (verdict %s) as %s\n", a.ContractCode, a.Submission, a.Verdict, a.ApprovedBy)
	return nil
}

// confirmApproval shows what is being approved and asks once.
func confirmApproval(w io.Writer, in io.Reader, src *task.Source, rec *task.CheckRecord) (bool, error) {
	fmt.Fprintf(w, "Contract %s, submission %s\n", rec.ContractCode, rec.Submission)
	for _, i := range rec.Inputs {
		fmt.Fprintf(w, "  %-10s %s sha256 %s\n", i.Role, i.InboxKey, i.SHA256)
	}
	fmt.Fprintf(w, "  verdict %s (%d failed, %d warning checks), checked %s by %s\n", rec.Verdict, rec.FailedChecks,
		rec.WarningChecks, rec.FinishedAt.Format("2006-01-02 15:04 MST"), rec.ToolVersion)
	for _, f := range rec.Files {
		fmt.Fprintf(w, "  %-13s s3://%s/%s\n", f.Name, src.Bucket, f.Key)
	}
	fmt.Fprint(w, "Approve it for import into the environments? [y/N] ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading confirmation: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

func taskImportCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "ship every approved workbook not yet in the environment: generate, upload, apply; then exit",
		UsageText: "securemig task import --source s3://BUCKET/PREFIX/ --env ENV [--environments FILE]\n" +
			"   [--scratch-database-url URL] [--claim-ttl 30m] [--lock-timeout 60s]",
		Description: "For each approved submission (oldest approval first) that ENV has not received: the secure\n" +
			"migration is generated once per submission, from a scratch import of the approved input files\n" +
			"(their SHA-256s must match the approval), by the code of 'gen secure-migration', and kept beside\n" +
			"the workbook (migration.json; production, down and placeholder files, lock file), so every\n" +
			"environment receives the same bytes. It is uploaded to ENV's bucket by the code of 'upload'\n" +
			"(preflight, encryption, checksum, never overwrite, HEAD verification) and applied to ENV's\n" +
			"database by the code of 'migrate' (advisory lock, SHA-256 checked against the lock entry before\n" +
			"COMMIT, tracking table). The result is recorded beside the workbook as imports/ENV.json. The\n" +
			"claim on each step makes concurrent runners safe; a failed step releases its claim and is\n" +
			"retried by the next run. With nothing to do it makes two LIST requests and exits.\n" +
			"The environment's database is DATABASE_URL (else the local cluster); scratch databases go to\n" +
			"--scratch-database-url, else the local cluster. Each event is one JSON line on stderr.\n\n" +
			"Exit codes: 0 every pending approved workbook was imported (or nothing was pending);\n" +
			"1 some import was refused or failed to apply (see the events; retried by the next run);\n" +
			"2 some import could not be completed (store, database or file error); the next run retries.",
		Flags: append(taskSourceFlags(), taskClaimFlag(), taskScratchFlag("the local cluster"),
			&cli.StringFlag{Name: "env", Required: true, Usage: "the environment `NAME` to ship to, as in the environments file"},
			environmentsFlag(),
			&cli.StringFlag{Name: "pg-dump", EnvVars: []string{"SECUREMIG_PG_DUMP"},
				Usage: "pg_dump `PROGRAM` (default: /usr/lib/postgresql/<server major>/bin/pg_dump, then PATH)"},
			&cli.DurationFlag{Name: "lock-timeout", Value: 60 * time.Second,
				Usage: "how long to wait for another migration run to release the environment database's migration lock"},
		),
		Action: runTaskImport,
	}
}

func runTaskImport(c *cli.Context) error {
	cfg, _, err := taskConfig(c)
	if err != nil {
		return withExitCode(taskExitIncomplete, err)
	}
	envs, err := release.LoadEnvironments(c.String("environments"))
	if err != nil {
		return withExitCode(taskExitIncomplete, err)
	}
	targets, err := envs.Select(c.String("env"), false)
	if err != nil {
		return withExitCode(taskExitIncomplete, err)
	}
	if len(targets) != 1 {
		return withExitCode(taskExitIncomplete, errors.New("--env names exactly one environment per run"))
	}
	target, err := databaseURL(c)
	if err != nil {
		return withExitCode(taskExitIncomplete, err)
	}
	sum, err := task.Import(c.Context, task.ImportOptions{Config: cfg, Env: targets[0], Target: target,
		Scratch: scratchServer(c, false, cfg.Log), PgDump: c.String("pg-dump"), Commit: buildinfo.Commit, GenVersion: buildinfo.Version,
		LockTimeout: c.Duration("lock-timeout")})
	if err != nil {
		cfg.Log.Error("import_failed", "error", err.Error())
		return withExitCode(taskExitIncomplete, errors.New(""))
	}
	return taskExit(sum)
}
