package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/release"
)

// Flags shared by upload, upload status and download.
func environmentsFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "environments",
		EnvVars: []string{"SECUREMIG_ENVIRONMENTS"},
		Value:   release.DefaultEnvironmentsPath,
		Usage:   "environments file naming each environment's bucket, prefix, region, endpoint and encryption",
	}
}

func lockFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "lock",
		Value: lockfile.DefaultPath,
		Usage: "lock file holding each secure migration's digest and per-environment uploads",
	}
}

func envSelectFlags(defaultAll bool) []cli.Flag {
	usage := "comma-separated exact environment names, e.g. exp,stg,prd"
	allUsage := "every environment in the environments file"
	if defaultAll {
		allUsage += " (the default when --env is not given)"
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "env", Usage: usage},
		&cli.BoolFlag{Name: "all", Usage: allUsage},
	}
}

// selectEnvironments loads the environments file and picks --env/--all.
func selectEnvironments(c *cli.Context, defaultAll bool) ([]*release.Environment, error) {
	envs, err := release.LoadEnvironments(c.String("environments"))
	if err != nil {
		return nil, err
	}
	all := c.Bool("all") || (defaultAll && c.String("env") == "")
	return envs.Select(c.String("env"), all)
}

func uploadCommand() *cli.Command {
	return &cli.Command{
		Name:      "upload",
		Usage:     "upload a secure migration's production file to every chosen environment's bucket",
		ArgsUsage: "FILE",
		Description: "Uploads FILE (tmp/secure/<version>_<name>.up.sql, mode 0600) to the bucket of each environment\n" +
			"chosen with --env or --all (flags may come before or after FILE). A migration generated split into parts\n" +
			"(<version>_<name>.part-NNN.up.sql) is uploaded as its parts; FILE may name the whole or any part.\n\n" +
			"Preflight first, for every target, before anything is written: the file name is a secure\n" +
			"migration, its SHA-256 and size match its lock entry, credentials resolve (AWS SDK default chain:\n" +
			"AWS_* variables, profiles, SSO, roles; nothing is printed), the bucket is reachable, the file is\n" +
			"under the environment's max_size, and the key is absent or already holds exactly this file\n" +
			"(that environment is then skipped). Any refusal uploads nothing.\n\n" +
			"Then each object is written with the configured server-side encryption, a SHA-256 checksum,\n" +
			"metadata (sha256, contract-code, tool-version, git-commit) and If-None-Match, so an existing\n" +
			"object is never overwritten; large files go as multipart uploads streamed from the file, aborted on\n" +
			"failure so no partial object remains. Each object is verified with HEAD (size, sha256, encryption)\n" +
			"and recorded in the lock file (key, version id, upload time). A failure in one environment does\n" +
			"not stop the others; re-running completes the missing ones and skips the done ones.\n\n" +
			"On a terminal it asks for confirmation once (skip with --yes) and shows progress; without a\n" +
			"terminal it never prompts and prints one line per step.\n\n" +
			"Exit codes: 0 every chosen environment holds the file (or --dry-run found nothing wrong);\n" +
			"1 usage, configuration, local file or lock error, or not confirmed; 2 preflight refused\n" +
			"(nothing uploaded); 3 upload incomplete (see the summary, re-run to complete).",
		Flags: append(envSelectFlags(false),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation on a terminal"},
			&cli.BoolFlag{Name: "dry-run", Usage: "run the preflight only and print what would be uploaded"},
			environmentsFlag(),
			lockFlag(),
		),
		Subcommands: []*cli.Command{uploadStatusCommand()},
		Action:      runUpload,
	}
}

func runUpload(c *cli.Context) error {
	if c.NArg() != 1 {
		return withExitCode(1, errors.New("upload: give exactly one FILE"))
	}
	targets, err := selectEnvironments(c, false)
	if err != nil {
		return withExitCode(1, err)
	}
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	o := release.UploadOptions{
		File:        c.Args().First(),
		LockPath:    c.String("lock"),
		Targets:     targets,
		DryRun:      c.Bool("dry-run"),
		Log:         c.App.ErrWriter,
		ToolVersion: buildinfo.Version,
		Commit:      buildinfo.Commit,
	}
	if tty {
		o.Progress = progressPrinter(c.App.ErrWriter)
		if !c.Bool("yes") && term.IsTerminal(int(os.Stdin.Fd())) {
			o.Confirm = func(rs []release.Result) (bool, error) {
				return confirm(c.App.ErrWriter, os.Stdin, o.File, rs)
			}
		}
	}
	results, err := release.Upload(c.Context, o)
	printResults(c.App.Writer, results, o.DryRun)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, release.ErrPreflight):
		return withExitCode(2, err)
	case errors.Is(err, release.ErrIncomplete):
		return withExitCode(3, err)
	default:
		return withExitCode(1, err)
	}
}

// progressPrinter redraws one progress line per object on a terminal. Parts
// finish concurrently, so it serialises writes and never goes backwards.
func progressPrinter(w io.Writer) func(object string, done, total int64) {
	var (
		mu      sync.Mutex
		current string
		shown   int64
	)
	return func(object string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if object == current && done <= shown {
			return
		}
		current, shown = object, done
		pct := 100.0
		if total > 0 {
			pct = float64(done) * 100 / float64(total)
		}
		end := ""
		if done >= total {
			end = "\n"
		}
		fmt.Fprintf(w, "\r  %s: %5.1f%% of %.1f MiB%s", object, pct, float64(total)/(1<<20), end)
	}
}

// confirm asks once whether to upload to the environments that need it.
func confirm(w io.Writer, in io.Reader, file string, rs []release.Result) (bool, error) {
	var names []string
	for _, r := range rs {
		if r.State == release.StateUpload {
			names = append(names, r.Env.Name)
		}
	}
	fmt.Fprintf(w, "Upload %s to %s? [y/N] ", file, strings.Join(names, ", "))
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading confirmation: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

// printResults writes the per-environment summary table.
func printResults(w io.Writer, rs []release.Result, dryRun bool) {
	if len(rs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENV\tSTATE\tHOLDS FILE\tOBJECT\tVERSION\tNOTE")
	for _, r := range rs {
		holds := "no"
		if r.State == release.StatePresent || r.State == release.StateUploaded {
			holds = "yes"
		}
		if dryRun && r.State == release.StateUpload {
			holds = "no (dry run)"
		}
		note := ""
		if r.Err != nil {
			note = r.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\ts3://%s/%s\t%s\t%s\n",
			r.Env.Name, r.State, holds, r.Env.Bucket, r.Key, orDash(r.VersionID), note)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func uploadStatusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "compare what every environment holds for a secure migration with its lock entry (HEAD only)",
		ArgsUsage: "NAME",
		Description: "NAME is the production file name (<version>_<name>.up.sql; a path is reduced to its base\n" +
			"name). For each environment (all unless --env is given) the object is checked with HEAD only,\n" +
			"nothing is downloaded: present (size and sha256 metadata match the lock), missing, different,\n" +
			"or error. RECORDED tells whether the lock file records that upload. HEAD trusts the object's\n" +
			"metadata; 'securemig download' checks the bytes themselves.\n\n" +
			"Exit codes: 0 every environment holds the locked file; 1 usage, configuration or lock error;\n" +
			"2 some environment is missing the file, holds other bytes or could not be checked.",
		Flags: append(envSelectFlags(true), environmentsFlag(), lockFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withExitCode(1, errors.New("upload status: give exactly one NAME"))
			}
			targets, err := selectEnvironments(c, true)
			if err != nil {
				return withExitCode(1, err)
			}
			name := c.Args().First()
			results, err := release.Status(c.Context, c.String("lock"), name, targets, nil)
			if err != nil {
				return withExitCode(1, err)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ENV\tSTATE\tRECORDED\tOBJECT\tVERSION\tNOTE")
			bad := 0
			for _, r := range results {
				if r.State != release.StatePresent {
					bad++
				}
				rec := "no"
				if release.Recorded(c.String("lock"), name, r.Env) {
					rec = "yes"
				}
				note := ""
				if r.Err != nil {
					note = r.Err.Error()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\ts3://%s/%s\t%s\t%s\n", r.Env.Name, r.State, rec, r.Env.Bucket, r.Key, orDash(r.VersionID), note)
			}
			tw.Flush()
			if bad > 0 {
				return withExitCode(2, fmt.Errorf("%d of %d environments do not hold the locked file", bad, len(results)))
			}
			return nil
		},
	}
}
