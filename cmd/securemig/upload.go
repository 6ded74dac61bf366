package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
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
		Name:    "lock-file",
		Aliases: []string{"lock"},
		Value:   lockfile.DefaultPath,
		Usage:   "lock file holding each secure migration's digest and per-environment uploads",
	}
}

// awsFlags are the AWS CLI's own flags; they override the environments file
// for one run.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "AWS shared-config profile for every chosen environment, for this run (default: the environment's profile, else AWS_PROFILE, else default)"},
		&cli.StringFlag{Name: "region", Usage: "bucket region for every chosen environment, for this run (default: the environment's region)"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "endpoint URL of an S3-compatible store for every chosen environment, for this run, addressed by path (default: the environment's endpoint, else AWS_ENDPOINT_URL, else AWS)"},
	}
}

func envSelectFlags(defaultAll bool) []cli.Flag {
	usage := "comma-separated exact environment names, e.g. exp,stg,prd"
	allUsage := "every environment in the environments file"
	if defaultAll {
		allUsage += " (the default when --env is not given)"
	} else {
		allUsage = "every environment in the environments file except protected ones, which must be named with --env"
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "env", Usage: usage},
		&cli.BoolFlag{Name: "all", Usage: allUsage},
	}
}

// loadEnvironments loads the environments file and applies --profile,
// --region and --endpoint-url to the chosen ones.
func loadEnvironments(c *cli.Context) (*release.Environments, error) {
	return release.LoadEnvironments(c.String("environments"))
}

func applyOverrides(c *cli.Context, envs []*release.Environment) error {
	o := release.Overrides{Profile: c.String("profile"), Region: c.String("region"), Endpoint: c.String("endpoint-url")}
	return o.Apply(envs)
}

// selectEnvironments loads the environments file and picks --env/--all.
func selectEnvironments(c *cli.Context, defaultAll bool) ([]*release.Environment, error) {
	envs, err := loadEnvironments(c)
	if err != nil {
		return nil, err
	}
	all := c.Bool("all") || (defaultAll && c.String("env") == "")
	targets, err := envs.Select(c.String("env"), all)
	if err != nil {
		return nil, err
	}
	return targets, applyOverrides(c, targets)
}

// noticeUnencrypted prints the notice of every environment without
// server-side encryption.
func noticeUnencrypted(w io.Writer, envs []*release.Environment) {
	for _, e := range envs {
		if e.Unencrypted() {
			fmt.Fprintln(w, "securemig:", e.UnencryptedNotice())
		}
	}
}

func uploadCommand() *cli.Command {
	return &cli.Command{
		Name:      "upload",
		Usage:     "upload a secure migration's production file to every chosen environment's bucket",
		ArgsUsage: "FILE",
		Description: "Uploads FILE (tmp/secure/<version>_<name>.up.sql, mode 0600) to the bucket of each environment\n" +
			"chosen with --env or --all (--all leaves out protected environments such as prd: name them\n" +
			"with --env); flags may come before or after FILE. A migration generated split into parts\n" +
			"(<version>_<name>.part-NNN.up.sql) is uploaded as its parts; FILE may name the whole or any part.\n" +
			"A compressed one (gen --compress, <version>_<name>.up.sql.gz) is uploaded as stored, under that\n" +
			"name; the lock's digests of the stored bytes are checked and the SQL inside is checked when it is\n" +
			"downloaded or applied.\n\n" +
			"Preflight first, for every target, before anything is written: the file name is a secure\n" +
			"migration, its SHA-256 and size match its lock entry, credentials resolve (AWS SDK default chain:\n" +
			"AWS_* variables, profiles, SSO, roles; nothing is printed), whose they are (STS GetCallerIdentity;\n" +
			"a store without STS is reported and the run goes on) and which endpoint the bucket is reached\n" +
			"at, the bucket is reachable, the file is under the environment's max_size, and the key is absent\n" +
			"or already holds exactly this file, proven by the store's SHA-256 checksum or by reading it back\n" +
			"(that environment is then skipped). Any refusal uploads nothing.\n\n" +
			"Then each object is written with the configured server-side encryption, a SHA-256 checksum,\n" +
			"metadata (sha256, contract-code, tool-version, git-commit) and If-None-Match, so an existing\n" +
			"object is never overwritten; files from the multipart threshold up go as multipart uploads\n" +
			"streamed from the file, aborted on failure so no partial object remains. Each object is verified\n" +
			"with HEAD: size, sha256 metadata, the store's SHA-256 checksum (the composite one for multipart\n" +
			"uploads) and the encryption. An object this run created that the store did not encrypt is\n" +
			"removed again. Verified uploads are recorded in the lock file (key, version id, checksum); a\n" +
			"re-run that finds everything present and recorded writes nothing. A failure in one environment\n" +
			"does not stop the others; re-running completes the missing ones and skips the done ones.\n\n" +
			"Confirmation: on a terminal it shows each target's identity and endpoint and asks once (a\n" +
			"protected environment must be typed by name); --yes skips the question. Without a terminal it\n" +
			"refuses unless --yes is given. Progress is shown on a terminal; otherwise one line per step.\n\n" +
			"Exit codes: 0 every chosen environment holds the file (or --dry-run found nothing wrong);\n" +
			"1 usage or configuration error, or not confirmed; 2 refused before anything was written (local\n" +
			"file, lock entry or preflight: nothing uploaded); 3 upload incomplete (see the summary, re-run to\n" +
			"complete); 4 the store did not encrypt an object (it was removed; re-running cannot help).",
		Flags: slices.Concat(envSelectFlags(false), []cli.Flag{
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "upload without asking (required when there is no terminal)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "run the preflight only and print what would be uploaded"},
			environmentsFlag(),
			lockFlag(),
		}, awsFlags(), transferFlags()),
		Subcommands: []*cli.Command{uploadStatusCommand()},
		Action:      runUpload,
	}
}

func transferFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "multipart-threshold", EnvVars: []string{"SECUREMIG_MULTIPART_THRESHOLD"}, Value: "16MiB",
			Usage: "files of this size and larger go as multipart uploads (e.g. 64MiB; at most 5GiB)"},
		&cli.StringFlag{Name: "part-size", EnvVars: []string{"SECUREMIG_PART_SIZE"}, Value: "16MiB",
			Usage: "multipart part size (5MiB to 5GiB; grown when a file would need more than 10,000 parts)"},
	}
}

// transferOptions parses --multipart-threshold and --part-size.
func transferOptions(c *cli.Context) ([]s3store.Option, error) {
	threshold, err := release.ParseSize(c.String("multipart-threshold"))
	if err != nil || threshold < 1 || threshold > s3store.MaxPartSize {
		return nil, fmt.Errorf("--multipart-threshold %q: want a size from 1 byte to 5GiB, e.g. 64MiB", c.String("multipart-threshold"))
	}
	part, err := release.ParseSize(c.String("part-size"))
	if err != nil || part < s3store.MinPartSize || part > s3store.MaxPartSize {
		return nil, fmt.Errorf("--part-size %q: want a size from 5MiB (S3's smallest part) to 5GiB", c.String("part-size"))
	}
	return []s3store.Option{s3store.WithMultipartThreshold(threshold), s3store.WithPartSize(part)}, nil
}

// errNoTerminal refuses an unconfirmed upload without a terminal.
var errNoTerminal = errors.New("no terminal to confirm the upload on: nothing was uploaded; pass --yes to upload without asking")

func runUpload(c *cli.Context) error {
	if c.NArg() != 1 {
		return withExitCode(1, errors.New("upload: give exactly one FILE"))
	}
	envs, err := loadEnvironments(c)
	if err != nil {
		return withExitCode(1, err)
	}
	targets, skipped, err := envs.SelectUpload(c.String("env"), c.Bool("all"))
	if err != nil {
		return withExitCode(1, err)
	}
	if err := applyOverrides(c, targets); err != nil {
		return withExitCode(1, err)
	}
	transfer, err := transferOptions(c)
	if err != nil {
		return withExitCode(1, err)
	}
	for _, e := range skipped {
		fmt.Fprintf(c.App.ErrWriter, "securemig: %s is protected: --all leaves it out; name it with --env %s to upload there\n", e.Name, e.Name)
	}
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	stderrTTY := term.IsTerminal(int(os.Stderr.Fd()))
	o := release.UploadOptions{
		File:        c.Args().First(),
		LockPath:    c.String("lock-file"),
		Targets:     targets,
		Connect:     release.S3Connector(transfer...),
		DryRun:      c.Bool("dry-run"),
		AssumeYes:   c.Bool("yes"),
		Log:         c.App.ErrWriter,
		ToolVersion: buildinfo.Version,
		Commit:      buildinfo.Commit,
	}
	if stderrTTY {
		o.Progress = progressPrinter(c.App.ErrWriter)
	}
	switch {
	case o.AssumeYes:
	case stdinTTY && stderrTTY:
		o.Confirm = func(rs []release.Result) (bool, error) {
			return confirm(c.Context, c.App.ErrWriter, os.Stdin, o.File, rs)
		}
	default:
		o.Confirm = func([]release.Result) (bool, error) { return false, errNoTerminal }
	}
	results, err := release.Upload(c.Context, o)
	printResults(c.App.Writer, results, o.DryRun)
	return withExitCode(uploadExitCode(err), err)
}

// uploadExitCode maps Upload's error to the documented exit codes.
func uploadExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, release.ErrNotEncrypted):
		return 4
	case errors.Is(err, release.ErrPreflight):
		return 2
	case errors.Is(err, release.ErrIncomplete):
		return 3
	default:
		return 1
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

// confirm shows where the file will go and as whom, and asks once. A
// protected environment must be typed by name; anything else takes y/yes.
// Ctrl-C while it waits cancels at once.
func confirm(ctx context.Context, w io.Writer, in io.Reader, file string, rs []release.Result) (bool, error) {
	var names, protected []string
	fmt.Fprintf(w, "About to upload %s to:\n", file)
	for _, r := range rs {
		if r.State != release.StateUpload {
			continue
		}
		names = append(names, r.Env.Name)
		mark := ""
		if r.Env.Protected {
			protected = append(protected, r.Env.Name)
			mark = " [PROTECTED]"
		}
		fmt.Fprintf(w, "  %s%s: s3://%s/%s at %s\n      as %s\n", r.Env.Name, mark, r.Env.Bucket, r.Key, r.Endpoint, r.Identity)
	}
	want := []string{"y", "yes"}
	if len(protected) > 0 {
		fmt.Fprintf(w, "Type %q to upload to %s: ", strings.Join(protected, ","), strings.Join(names, ", "))
		want = []string{strings.Join(protected, ",")}
	} else {
		fmt.Fprintf(w, "Upload to %s? [y/N] ", strings.Join(names, ", "))
	}
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(in).ReadString('\n')
		answer <- strings.TrimSpace(line)
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(w)
		return false, fmt.Errorf("interrupted: nothing was uploaded: %w", ctx.Err())
	case a := <-answer:
		if len(protected) == 0 {
			a = strings.ToLower(a)
		}
		return slices.Contains(want, a), nil
	}
}

// printResults writes the per-environment summary table; a refused or
// failed row says why on the same line.
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
		fmt.Fprintf(tw, "%s\t%s\t%s\ts3://%s/%s\t%s\t%s\n",
			r.Env.Name, r.State, holds, r.Env.Bucket, r.Key, orDash(r.VersionID), note(r))
	}
	tw.Flush()
}

// note is a result's explanation on one line.
func note(r release.Result) string {
	var parts []string
	if r.Err != nil {
		parts = append(parts, strings.ReplaceAll(r.Err.Error(), "\n", "; "))
	}
	if r.Env.Unencrypted() {
		parts = append(parts, "UNENCRYPTED (allow_unencrypted)")
	}
	return strings.Join(parts, "; ")
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
		Usage:     "compare what every environment holds for a secure migration with its lock entry",
		ArgsUsage: "NAME",
		Description: "NAME is the production file name (<version>_<name>.up.sql, with or without .gz; a path is\n" +
			"reduced to its base name). For each environment (all unless --env is given) the object is checked with HEAD, nothing\n" +
			"is downloaded:\n" +
			"  present      size and sha256 metadata match the lock, and the store's SHA-256 checksum proves\n" +
			"               the bytes (for a multipart upload: the composite checksum recorded at upload)\n" +
			"  unverified   size and metadata match, but no checksum proves the bytes (use --deep)\n" +
			"  unencrypted  the object lacks the environment's required server-side encryption\n" +
			"  missing, different (other bytes), error (could not check)\n" +
			"RECORDED tells whether the lock file records that upload. --deep downloads every object and\n" +
			"hashes it instead of trusting checksums.\n\n" +
			"--json prints one JSON object on stdout instead of the table (see README, 'upload status --json').\n\n" +
			"Exit codes: 0 every environment holds the locked file; 1 usage, configuration or lock error;\n" +
			"2 some environment is missing it, holds other or unproven bytes, is unencrypted or could not be checked.",
		Flags: slices.Concat(envSelectFlags(true), []cli.Flag{
			environmentsFlag(),
			lockFlag(),
			&cli.BoolFlag{Name: "deep", Usage: "download every object and hash it instead of trusting the store's checksum"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object (stable shape, see README)"},
		}, awsFlags()),
		Action: runUploadStatus,
	}
}

func runUploadStatus(c *cli.Context) error {
	if c.NArg() != 1 {
		return withExitCode(1, errors.New("upload status: give exactly one NAME"))
	}
	targets, err := selectEnvironments(c, true)
	if err != nil {
		return withExitCode(1, err)
	}
	noticeUnencrypted(c.App.ErrWriter, targets)
	rep, err := release.Status(c.Context, release.StatusOptions{
		LockPath: c.String("lock-file"), Name: c.Args().First(), Targets: targets, Deep: c.Bool("deep"),
	})
	if err != nil {
		return withExitCode(1, err)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(statusJSON(rep)); err != nil {
			return withExitCode(1, err)
		}
	} else {
		printUploadStatus(c.App.Writer, rep)
	}
	var noCreds []string
	bad := 0
	for _, r := range rep.Results {
		if r.State != release.StatePresent {
			bad++
		}
		var nc *s3store.NoCredentialsError
		if errors.As(r.Err, &nc) {
			noCreds = append(noCreds, nc.Profile)
		}
	}
	if len(noCreds) > 0 {
		fmt.Fprintln(c.App.ErrWriter, "securemig:", s3store.NoCredentialsMessage(noCreds...))
	}
	if bad > 0 {
		return withExitCode(2, fmt.Errorf("%d of %d environments do not provably hold the locked file", bad, len(rep.Results)))
	}
	return nil
}

func printUploadStatus(w io.Writer, rep *release.StatusReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENV\tSTATE\tRECORDED\tOBJECT\tVERSION\tVERIFIED BY\tNOTE")
	for _, r := range rep.Results {
		rec := "no"
		if r.Recorded {
			rec = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\ts3://%s/%s\t%s\t%s\t%s\n",
			r.Env.Name, r.State, rec, r.Env.Bucket, r.Key, orDash(r.VersionID), orDash(r.VerifiedBy), note(r))
	}
	tw.Flush()
}

// statusDoc is the documented JSON shape of `upload status --json`. Fields
// are only ever added, never renamed or removed.
type statusDoc struct {
	Migration    string          `json:"migration"`
	SHA256       string          `json:"sha256"`
	Size         int64           `json:"size"`
	Deep         bool            `json:"deep"`
	AllPresent   bool            `json:"all_present"`
	Environments []envStatusJSON `json:"environments"`
}

type envStatusJSON struct {
	Name               string `json:"name"`
	State              string `json:"state"`
	Recorded           bool   `json:"recorded"`
	Bucket             string `json:"bucket"`
	Key                string `json:"key"`
	Parts              int    `json:"parts"`
	VersionID          string `json:"version_id"`
	Encryption         string `json:"encryption"`
	RequiredEncryption string `json:"required_encryption"`
	ChecksumSHA256     string `json:"checksum_sha256"`
	VerifiedBy         string `json:"verified_by"`
	Note               string `json:"note"`
}

func statusJSON(rep *release.StatusReport) statusDoc {
	doc := statusDoc{Migration: rep.Migration, SHA256: rep.SHA256, Size: rep.Size, Deep: rep.Deep,
		AllPresent: rep.AllPresent(), Environments: []envStatusJSON{}}
	for _, r := range rep.Results {
		doc.Environments = append(doc.Environments, envStatusJSON{
			Name: r.Env.Name, State: string(r.State), Recorded: r.Recorded, Bucket: r.Env.Bucket, Key: r.Key,
			Parts: r.Parts, VersionID: r.VersionID, Encryption: r.Encryption,
			RequiredEncryption: r.Env.SSE, ChecksumSHA256: r.Checksum,
			VerifiedBy: r.VerifiedBy, Note: note(r),
		})
	}
	return doc
}
