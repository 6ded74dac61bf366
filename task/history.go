package task

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/securemig/securemig/history"
	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/lockfile"
)

// Steps of the task in a contract's history (package history). The secure
// migration the task generated and its uploads appear as the ordinary
// history.StepGenerate and history.StepUpload, exactly as the lock file
// shows hand-run ones; its application as history.StepApply, from the
// environment database's tracking table.
const (
	// StepCheck is a check: status is the verdict, SHA256 the workbook's.
	StepCheck = "task-check"
	// StepApprove is a person's approval: status "approved" or
	// "approved with override".
	StepApprove = "task-approve"
	// StepGenerate is a failed attempt to generate the migration (status
	// "failed"); a successful one is history.StepGenerate.
	StepGenerate = "task-generate"
	// StepImport is an import into an environment as the task recorded
	// it: status "applied", "already applied" or, for an attempt that gave
	// up, "failed".
	StepImport = "task-import"
)

// History returns the steps the task took for a contract, read from its
// records beside the workbooks (check.json, approval.json, migration.json,
// imports/<ENV>.json and the reasons of released claims) with one listing
// and one read per record, as history events with Source
// history.SourceTaskRecords. It implements history.Records, so that
// `securemig pricing history --source s3://...` shows task-run steps next
// to hand-run ones. Events carry keys, digests, verdicts, counts and error
// messages, never prices.
func (s *Source) History(ctx context.Context, code string) ([]history.Event, error) {
	if !importer.ValidContractCode(code) {
		return nil, fmt.Errorf("%q is not a contract code", code)
	}
	objs, err := s.list(ctx, s.Results(code), "")
	if err != nil {
		return nil, err
	}
	subs := map[string][]string{} // submission ID -> paths below its directory
	for _, o := range objs {
		id, path, ok := strings.Cut(strings.TrimPrefix(o.Key, s.Results(code)), "/")
		if ok && ValidID(id) {
			subs[id] = append(subs[id], path)
		}
	}
	var events []history.Event
	for _, id := range slices.Sorted(maps.Keys(subs)) {
		evs, err := s.submissionHistory(ctx, code, id, subs[id])
		if err != nil {
			return nil, err
		}
		events = append(events, evs...)
	}
	history.Sort(events)
	return events, nil
}

// submissionHistory reads the records of one submission.
func (s *Source) submissionHistory(ctx context.Context, code, id string, paths []string) ([]history.Event, error) {
	var (
		events  []history.Event
		imports []ImportRecord
	)
	add := func(e history.Event) {
		e.ContractCode, e.Source = code, history.SourceTaskRecords
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		e.Details["submission"] = id
		events = append(events, e)
	}
	for _, p := range paths {
		rest, isImport := strings.CutPrefix(p, "imports/")
		env, isJSON := strings.CutSuffix(rest, ".json")
		if !isImport || !isJSON || env == "" || strings.Contains(env, "/") {
			continue
		}
		var rec ImportRecord
		if found, _, err := s.getJSON(ctx, s.Import(code, id, env), &rec); err != nil || !found {
			if err != nil {
				return nil, err
			}
			continue
		}
		imports = append(imports, rec)
		status := "applied"
		if !rec.Applied {
			status = "already applied"
		}
		add(history.Event{At: rec.FinishedAt, Step: StepImport, Actor: rec.Runner, Status: status, Migration: rec.Migration,
			SHA256: rec.SHA256, Environment: rec.Environment, Details: map[string]any{"database": rec.Database,
				"statements": rec.Statements, "copy_rows": rec.CopyRows, "record": s.url(s.Import(code, id, env))}})
	}
	for _, p := range paths {
		var err error
		switch {
		case p == "check.json":
			err = s.checkEvent(ctx, code, id, add)
		case p == "approval.json":
			err = s.approvalEvent(ctx, code, id, add)
		case p == "migration.json":
			err = s.migrationEvents(ctx, code, id, imports, add)
		case strings.HasPrefix(p, "claims/") && strings.HasSuffix(p, ".released.json"):
			err = s.releaseEvent(ctx, code, id, p, add)
		}
		if err != nil {
			return nil, err
		}
	}
	return events, nil
}

func (s *Source) checkEvent(ctx context.Context, code, id string, add func(history.Event)) error {
	var rec CheckRecord
	if found, _, err := s.getJSON(ctx, s.Check(code, id), &rec); err != nil || !found {
		return err // not found: removed since the listing
	}
	d := map[string]any{"record": s.url(s.Check(code, id)), "failed_checks": rec.FailedChecks,
		"warning_checks": rec.WarningChecks, "problems": rec.Problems}
	var sha string
	if wb := rec.input("workbook"); wb != nil {
		d["workbook"], sha = wb.InboxKey, wb.SHA256
	}
	report := rec.file("report.html")
	if report == nil {
		report = rec.file("problems.json")
	}
	if report != nil {
		d["report"] = s.url(report.Key)
	}
	if rec.ComparedTo != "" {
		d["compared_to"] = rec.ComparedTo
	}
	add(history.Event{At: rec.FinishedAt, Step: StepCheck, Actor: rec.Runner, Status: rec.Verdict, SHA256: sha, Details: d})
	return nil
}

func (s *Source) approvalEvent(ctx context.Context, code, id string, add func(history.Event)) error {
	var a Approval
	if found, _, err := s.getJSON(ctx, s.Approval(code, id), &a); err != nil || !found {
		return err // not found: removed since the listing
	}
	d := map[string]any{"record": s.url(s.Approval(code, id)), "verdict": a.Verdict, "check_sha256": a.CheckSHA256}
	status := "approved"
	if a.Override != "" {
		status, d["override"] = "approved with override", a.Override
	}
	add(history.Event{At: a.ApprovedAt, Step: StepApprove, Actor: a.ApprovedBy.String(), Status: status,
		SHA256: a.WorkbookSHA256, Details: d})
	return nil
}

// migrationEvents shows the generated migration and its uploads as the lock
// file shows hand-run ones: its lock entry, with the uploads the import
// records hold.
func (s *Source) migrationEvents(ctx context.Context, code, id string, imports []ImportRecord, add func(history.Event)) error {
	var rec MigrationRecord
	if found, _, err := s.getJSON(ctx, s.Migration(code, id), &rec); err != nil || !found {
		return err // not found: removed since the listing
	}
	if rec.Entry == nil {
		return fmt.Errorf("%s: no lock entry", s.url(s.Migration(code, id)))
	}
	entry := *rec.Entry
	entry.ContractCode = code
	entry.Uploads = map[string]*lockfile.Upload{}
	for _, imp := range imports {
		if imp.Upload != nil && imp.Migration == rec.FileName {
			entry.Uploads[imp.Environment] = imp.Upload
		}
	}
	lf := lockfile.New()
	lf.Migrations[rec.FileName] = &entry
	for _, e := range history.FromLock(lf, code) {
		e.Details["record"] = s.url(s.Migration(code, id))
		add(e)
	}
	return nil
}

// releaseEvent shows a claim given up with an error: a failed attempt.
func (s *Source) releaseEvent(ctx context.Context, code, id, path string, add func(history.Event)) error {
	var rel Release
	if found, _, err := s.getJSON(ctx, s.Dir(code, id)+path, &rel); err != nil || !found {
		return err // not found: removed since the listing
	}
	if rel.Error == "" {
		return nil // given up because another runner had finished the step
	}
	step, name, _ := strings.Cut(strings.TrimPrefix(path, "claims/"), "/")
	n, _ := strconv.Atoi(strings.TrimSuffix(name, ".released.json"))
	e := history.Event{At: rel.ReleasedAt, Actor: rel.Runner, Status: "failed",
		Details: map[string]any{"error": rel.Error, "claim": n}}
	switch {
	case step == "check":
		e.Step = StepCheck
	case step == "migration":
		e.Step = StepGenerate
	case strings.HasPrefix(step, "import-"):
		e.Step, e.Environment = StepImport, strings.TrimPrefix(step, "import-")
	default:
		return nil
	}
	add(e)
	return nil
}

var _ history.Records = (*Source)(nil)
