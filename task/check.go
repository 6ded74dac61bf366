package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/report"
	"github.com/securemig/securemig/s3store"
)

// CheckOptions configures Check.
type CheckOptions struct {
	Config
	// Scratch returns the DSN of the PostgreSQL server on which each check
	// creates, and then drops, its scratch database. It is called only when
	// there is something to check, so an idle run never starts a database.
	Scratch func(ctx context.Context) (string, error)
	// CompareTo is the contract code the reports diff against; empty means
	// the most recently approved submission of another contract.
	CompareTo string
}

// Outcome is what a run did with one inbox entry.
type Outcome string

// Outcomes of Check and Import.
const (
	// OutcomeDone: checked (verdict pass or warnings) or imported by this run.
	OutcomeDone Outcome = "done"
	// OutcomeFailed: checked by this run with verdict fail or rejected, a
	// workbook name that is not a contract code, or an import that failed.
	OutcomeFailed Outcome = "failed"
	// OutcomeSkipped: done by an earlier run.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeBusy: another runner holds the claim.
	OutcomeBusy Outcome = "busy"
	// OutcomeWaiting: the rate-areas CSV is not there (yet).
	OutcomeWaiting Outcome = "waiting"
	// OutcomeError: could not be processed (store, database or file
	// error); a later run retries.
	OutcomeError Outcome = "error"
)

// Result is one inbox entry's outcome in a run.
type Result struct {
	Code, Key, Submission string
	// Verdict is the check's verdict ("" when not checked).
	Verdict string
	Outcome Outcome
	Err     error
}

// Summary is the outcome of a run.
type Summary struct {
	Results  []Result
	Duration time.Duration
}

// Count returns the number of results with outcome o.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, r := range s.Results {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// counts returns the slog attributes of the outcome counts.
func (s *Summary) counts() []any {
	var attrs []any
	for _, o := range []Outcome{OutcomeDone, OutcomeFailed, OutcomeSkipped, OutcomeBusy, OutcomeWaiting, OutcomeError} {
		attrs = append(attrs, string(o), s.Count(o))
	}
	return attrs
}

// Check runs once over the inbox: every submission not checked before is
// downloaded, parsed, imported into a scratch database, reported on and
// compared with the previous contract, and its results are written beside
// the workbook. Submissions checked before are recognised from the index
// of seen ETags without downloading anything. The error reports only a
// failure to list the inbox; per-submission failures are in the Summary.
func Check(ctx context.Context, o CheckOptions) (*Summary, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	src := o.Source
	inbox, err := src.list(ctx, src.Prefix, "/")
	if err != nil {
		return nil, err
	}
	seenObjs, err := src.list(ctx, src.SeenIndex(), "")
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(seenObjs))
	for _, s := range seenObjs {
		seen[s.Key] = true
	}
	subs, bad := Inbox(src.Prefix, inbox)
	sum := &Summary{}
	for _, b := range bad {
		o.Log.Error("bad_name", "workbook", b.Key, "error", b.Reason)
		sum.Results = append(sum.Results, Result{Key: b.Key, Outcome: OutcomeFailed, Err: errors.New(b.Reason)})
	}
	var scratchDSN string
	o.Scratch = onceDSN(o.Scratch, &scratchDSN)
	for _, s := range subs {
		if err := ctx.Err(); err != nil {
			sum.Results = append(sum.Results, Result{Code: s.Code, Key: s.Workbook.Key, Outcome: OutcomeError, Err: err})
			continue
		}
		sum.Results = append(sum.Results, o.checkOne(ctx, s, seen))
	}
	sum.Duration = time.Since(start)
	o.Log.Info("check_done", append([]any{"source", src.String(), "workbooks", len(subs) + len(bad),
		"duration_ms", sum.Duration.Milliseconds()}, sum.counts()...)...)
	return sum, nil
}

// onceDSN memoises the scratch server lookup for one run.
func onceDSN(f func(context.Context) (string, error), cache *string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if *cache != "" {
			return *cache, nil
		}
		if f == nil {
			return "", errors.New("no scratch database server configured")
		}
		dsn, err := f(ctx)
		if err == nil {
			*cache = dsn
		}
		return dsn, err
	}
}

// fetchedInputs are a submission's inputs on local disk.
type fetchedInputs struct {
	id                      string
	workbook, csv, contract *fetched
	meta                    contractMeta
	metaProblems            []string
}

// listed returns the listing identity of what was downloaded (the GET's
// ETag, so a replacement between LIST and GET is keyed correctly).
func (f *fetched) listed() Listed { return Listed{ETag: f.ETag, Size: f.Size} }

// checkOne checks one submission that the index does not know.
func (o *CheckOptions) checkOne(ctx context.Context, s *Submission, seen map[string]bool) Result {
	res := Result{Code: s.Code, Key: s.Workbook.Key}
	log := o.Log.With("workbook", s.Workbook.Key)
	if s.RateAreas == nil {
		log.Warn("waiting", "missing", o.Source.Prefix+s.Code+RateAreasSuffix)
		res.Outcome = OutcomeWaiting
		return res
	}
	if seen[o.Source.Seen(s.Code, *s.Workbook, *s.RateAreas, s.Contract)] {
		log.Debug("skipped")
		res.Outcome = OutcomeSkipped
		return res
	}
	fail := func(err error) Result {
		log.Error("check_error", "error", err.Error())
		res.Outcome, res.Err = OutcomeError, err
		return res
	}
	work, err := o.workDir()
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(work)
	in, err := o.fetch(ctx, s, work)
	if err != nil {
		return fail(err)
	}
	res.Submission = in.id
	log = log.With("workbook_sha256", in.workbook.SHA256, "rate_areas_sha256", in.csv.SHA256, "submission", in.id)
	log.Info("fetched", "bytes", in.workbook.Size+in.csv.Size)
	seenKey := o.Source.Seen(s.Code, in.workbook.listed(), in.csv.listed(), contractListed(in.contract))

	checkKey := o.Source.Check(s.Code, in.id)
	var done CheckRecord
	if found, _, err := o.Source.getJSON(ctx, checkKey, &done); err != nil {
		return fail(err)
	} else if found {
		// The same bytes were checked before, under other ETags.
		log.Info("already_checked", "verdict", done.Verdict)
		o.markSeen(ctx, seenKey, in.id, log)
		res.Outcome, res.Verdict = OutcomeSkipped, done.Verdict
		return res
	}
	h, err := o.takeClaim(ctx, s.Code, in.id, "check")
	var busy *errBusy
	if errors.As(err, &busy) {
		log.Info("busy", "holder", busy.holder.Runner, "claim", busy.holder.N)
		res.Outcome = OutcomeBusy
		return res
	}
	if err != nil {
		return fail(err)
	}
	log = log.With("claim", h.N)
	log.Info("claimed")
	if found, _, err := o.Source.getJSON(ctx, checkKey, &done); err != nil || found {
		// The last claimant committed just before its claim ran out.
		o.release(ctx, h, err)
		if err != nil {
			return fail(err)
		}
		o.markSeen(ctx, seenKey, in.id, log)
		res.Outcome, res.Verdict = OutcomeSkipped, done.Verdict
		return res
	}
	rec, files, err := o.inspect(ctx, s, in, h, work, log)
	if err == nil {
		err = o.commit(ctx, s, in, h, rec, files, log)
	}
	if err != nil {
		o.release(ctx, h, err)
		return fail(err)
	}
	o.markSeen(ctx, seenKey, in.id, log)
	res.Verdict = rec.Verdict
	res.Outcome = OutcomeDone
	if rec.Verdict == VerdictFail || rec.Verdict == VerdictRejected {
		res.Outcome = OutcomeFailed
	}
	log.Info("checked", "verdict", rec.Verdict, "failed_checks", rec.FailedChecks, "warning_checks", rec.WarningChecks,
		"parse_errors", rec.ParseErrors, "problems", rec.Problems, "compared_to", rec.ComparedTo,
		"results", o.Source.url(checkKey))
	return res
}

func contractListed(f *fetched) *Listed {
	if f == nil {
		return nil
	}
	l := f.listed()
	return &l
}

// fetch streams the submission's files into work and computes its ID.
func (o *CheckOptions) fetch(ctx context.Context, s *Submission, work string) (*fetchedInputs, error) {
	in := &fetchedInputs{}
	var err error
	if in.workbook, err = o.Source.download(ctx, s.Workbook.Key, work); err != nil {
		return nil, err
	}
	if in.csv, err = o.Source.download(ctx, s.RateAreas.Key, work); err != nil {
		return nil, err
	}
	contractSHA := ""
	if s.Contract != nil {
		if in.contract, err = o.Source.download(ctx, s.Contract.Key, work); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(in.contract.Path)
		if err != nil {
			return nil, err
		}
		in.meta, in.metaProblems = parseContract(data)
		contractSHA = in.contract.SHA256
	}
	in.id = SubmissionID(in.workbook.SHA256, in.csv.SHA256, contractSHA)
	return in, nil
}

// renderedFile is a result file before it is stored.
type renderedFile struct {
	name, contentType string
	data              []byte
}

// inspect runs the check proper: parse, scratch import (after the
// previous contract, for the diff), report. Problems with the inputs make
// a rejected record; the error is for everything else.
func (o *CheckOptions) inspect(ctx context.Context, s *Submission, in *fetchedInputs, h *held, work string,
	log *slog.Logger) (*CheckRecord, []renderedFile, error) {
	rec := &CheckRecord{Record: KindCheck, Submission: in.id, ContractCode: s.Code,
		ContractName: in.meta.Name, ContractStartDate: in.meta.startDate().Format(time.DateOnly),
		ToolVersion: o.ToolVersion, Runner: o.Runner, Claim: h.N, StartedAt: o.now().UTC()}
	if rec.ContractName == "" {
		rec.ContractName = s.Code
	}
	probs := &Problems{Contract: in.metaProblems}
	var (
		rep  *report.Report
		sum  *importer.Summary
		prev *CheckRecord
	)
	if len(in.metaProblems) == 0 {
		srv, err := o.Scratch(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("scratch database server: %w", err)
		}
		db, err := newScratch(ctx, srv)
		if err != nil {
			return nil, nil, err
		}
		defer db.Close()
		prev = o.loadPrevious(ctx, db, s.Code, work, rec, log)
		sum, err = importInputs(ctx, db.Conn, loadInputs{Code: s.Code, Meta: in.meta, ToolVersion: o.ToolVersion,
			Workbook: localInput{Path: in.workbook.Path, Name: filepath.Base(s.Workbook.Key), SHA256: in.workbook.SHA256},
			RateArea: localInput{Path: in.csv.Path, Name: filepath.Base(s.RateAreas.Key), SHA256: in.csv.SHA256},
		}, probs)
		if err != nil {
			return nil, nil, err
		}
		if sum != nil {
			req := report.Request{ContractCode: s.Code, NoDiff: prev == nil, Options: report.Options{Generator: o.ToolVersion}}
			if prev != nil {
				req.CompareTo = prev.ContractCode
			}
			if rep, err = report.Generate(ctx, db.Conn, req); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, p := range probs.Workbook {
		if p.Severity.String() == "error" {
			rec.ParseErrors++
		} else {
			rec.ParseWarnings++
		}
	}
	rec.Problems = probs.count()
	pdata, err := marshal(probs)
	if err != nil {
		return nil, nil, err
	}
	files := []renderedFile{{"problems.json", "application/json", pdata}}
	if rep == nil {
		rec.Verdict = VerdictRejected
		return rec, files, nil
	}
	rec.Verdict = string(rep.Summary.Verdict)
	rec.FailedChecks, rec.WarningChecks = rep.Summary.FailedChecks, rep.Summary.WarningChecks
	rec.Rows = map[string]int64{}
	for _, t := range importer.ContractTables {
		rec.Rows[t] = sum.Counts[t]
	}
	for _, f := range []struct {
		name, contentType string
		format            report.Format
	}{
		{"report.html", "text/html; charset=utf-8", report.FormatHTML},
		{"report.md", "text/markdown; charset=utf-8", report.FormatMarkdown},
		{"report.json", "application/json", report.FormatJSON},
	} {
		var b bytes.Buffer
		if err := rep.Write(&b, f.format); err != nil {
			return nil, nil, err
		}
		files = append(files, renderedFile{f.name, f.contentType, b.Bytes()})
	}
	return rec, files, nil
}

// loadPrevious imports the contract the report compares with into the
// scratch database: the latest approved submission of another contract (or
// of CompareTo). Failing that, the report has no diff and says why in a note.
func (o *CheckOptions) loadPrevious(ctx context.Context, db *scratch, code, work string, rec *CheckRecord,
	log *slog.Logger) *CheckRecord {
	prev, err := o.latestApproved(ctx, code, o.CompareTo)
	if err == nil && prev == nil {
		if o.CompareTo != "" {
			rec.Notes = append(rec.Notes, fmt.Sprintf("no approved submission of contract %s to compare with", o.CompareTo))
		} else {
			rec.Notes = append(rec.Notes, "no approved submission of another contract yet: the report has no diff")
		}
		return nil
	}
	if err == nil {
		dir := filepath.Join(work, "previous")
		if err = os.Mkdir(dir, 0o700); err == nil {
			_, err = o.loadChecked(ctx, db.Conn, prev, dir)
		}
	}
	if err != nil {
		log.Warn("no_diff", "error", err.Error())
		rec.Notes = append(rec.Notes, "the previous contract could not be loaded, the report has no diff: "+err.Error())
		return nil
	}
	rec.ComparedTo, rec.ComparedToSubmission = prev.ContractCode, prev.Submission
	return prev
}

// commit stores the inputs and result files, then the check record with a
// conditional write: the record exists only for a complete check, once.
func (o *CheckOptions) commit(ctx context.Context, s *Submission, in *fetchedInputs, h *held, rec *CheckRecord,
	files []renderedFile, log *slog.Logger) error {
	dir := o.Source.Dir(s.Code, in.id)
	type pending struct {
		role, inboxKey string
		f              *fetched
	}
	for _, p := range []pending{{"workbook", s.Workbook.Key, in.workbook}, {"rate-areas", s.RateAreas.Key, in.csv},
		{"contract", keyOf(s.Contract), in.contract}} {
		if p.f == nil {
			continue
		}
		key := dir + "input/" + filepath.Base(p.inboxKey)
		if _, _, err := o.Source.createFile(ctx, key, p.f.Path, contentTypeOf(key)); err != nil && !errors.Is(err, s3store.ErrExists) {
			return err // an existing copy has these bytes: its key is under their digest
		}
		rec.Inputs = append(rec.Inputs, Input{Role: p.role, InboxKey: p.inboxKey, Key: key,
			SHA256: p.f.SHA256, Size: p.f.Size, ETag: p.f.ETag})
	}
	run := o.Source.Run(s.Code, in.id, "check", h.N)
	for _, f := range files {
		key := run + f.name
		if err := o.Source.create(ctx, key, f.data, f.contentType); err != nil {
			return err
		}
		rec.Files = append(rec.Files, File{Name: f.name, Key: key, SHA256: sha256Hex(f.data), Size: int64(len(f.data))})
	}
	rec.FinishedAt = o.now().UTC()
	_, err := o.Source.createJSON(ctx, o.Source.Check(s.Code, in.id), rec)
	if errors.Is(err, s3store.ErrExists) {
		log.Warn("already_committed", "detail", "another runner committed this check first; its record stands")
		return nil
	}
	return err
}

func keyOf(l *Listed) string {
	if l == nil {
		return ""
	}
	return l.Key
}

func contentTypeOf(key string) string {
	switch filepath.Ext(key) {
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".csv":
		return "text/csv"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// markSeen records in the index that these inbox ETags were checked, so
// later runs skip them without downloading anything.
func (o *CheckOptions) markSeen(ctx context.Context, key, id string, log *slog.Logger) {
	err := o.Source.create(ctx, key, []byte(id+"\n"), "text/plain")
	if err != nil && !errors.Is(err, s3store.ErrExists) {
		// Harmless: the next run downloads the files again and finds the
		// check record.
		log.Warn("index_failed", "key", key, "error", err.Error())
	}
}
