// Package history is one contract's timeline: every step securemig took
// for it, from the records the tool keeps anyway, in time order.
//
// The records and who writes them:
//   - the import log (table pricing_imports, package importer): each import,
//     with workbook name and SHA-256, who ran it, status, row counts, and when
//     and by whom it was rolled back or replaced;
//   - the lock file (migrations/secure.lock, package lockfile): each
//     generated secure migration and revert migration (created_at/by), and
//     each upload (environment, bucket, key, uploaded_at/by);
//   - a deployed database's tracking table (securemig_migrations, package
//     migrations): when and by whom it applied or reverted the contract;
//   - the events log (table pricing_events, owned by this package): steps
//     the other records do not hold, such as `pricing undo`, which removes
//     lock entries and files;
//   - further keepers of records (Records), such as the records the
//     scheduled task (package task) keeps beside the workbooks in its
//     bucket: its checks, approvals, generated migrations, uploads and
//     imports.
//
// Steps that go through the ordinary code paths (importer.Import,
// securegen.Generate and GenerateRevert, release.Upload, migrations.Up)
// are recorded by them, with actor.Current() as the actor unless the
// caller's options name one. Anything else records itself with Record.
package history

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// Steps of the timeline, in the order they happen for one contract (the
// tie-break for events with the same time).
const (
	StepImport         = "import"
	StepRollback       = "rollback"
	StepGenerate       = "generate"
	StepUpload         = "upload"
	StepApply          = "apply"
	StepGenerateRevert = "generate-revert"
	StepApplyRevert    = "apply-revert"
	StepUndo           = "undo"
)

// Sources of events.
const (
	SourceImportLog = "import log"
	SourceLockFile  = "lock file"
	SourceTracking  = "tracking table"
	SourceEvents    = "events log"
	// SourceTaskRecords is the records of the scheduled task in its
	// bucket (see package task).
	SourceTaskRecords = "task records"
)

var stepRank = map[string]int{StepImport: 1, StepRollback: 2, StepGenerate: 3, StepUpload: 4, StepApply: 5,
	StepGenerateRevert: 6, StepApplyRevert: 7, StepUndo: 8}

// Event is one step of a contract's history. It never holds prices,
// factors or row values.
type Event struct {
	// At is when the step happened.
	At time.Time `json:"at"`
	// Step names it: one of the Step constants, or a runner's own step
	// name (lower-case letters, digits and '-', e.g. "task-check").
	Step string `json:"step"`
	// Actor is who ran it: "user@host", or SECUREMIG_ACTOR.
	Actor string `json:"actor,omitempty"`
	// ContractCode is the contract.
	ContractCode string `json:"contract_code"`
	// Source is the record the event comes from (a Source constant).
	// Events read through Records carry that keeper's own label.
	Source string `json:"source"`
	// Status is the step's outcome where it has one (imported, failed,
	// applied, ...).
	Status string `json:"status,omitempty"`
	// Migration is the migration file name the step concerns, if any.
	Migration string `json:"migration,omitempty"`
	// SHA256 is the digest of the file the step concerns (workbook,
	// migration), if any.
	SHA256 string `json:"sha256,omitempty"`
	// Environment is the deployed environment, if any.
	Environment string `json:"environment,omitempty"`
	// Details are further facts: names, digests, counts, never values.
	Details map[string]any `json:"details,omitempty"`
}

// Sort orders events by time; steps at the same time in pipeline order.
func Sort(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(rank(a.Step), rank(b.Step))
	})
}

func rank(step string) int {
	if r, ok := stepRank[step]; ok {
		return r
	}
	return len(stepRank) + 1
}

var stepRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Record appends e to the events log (pricing_events) of the database conn
// is connected to: the local database, where the import log is. It is the
// one call a step outside the ordinary code paths needs to appear in
// `securemig pricing history`. e.ContractCode and e.Step are required; a
// zero At is now and an empty Actor is the caller's job (pass
// actor.Current()). Source is set by the reader. Details must hold no
// sensitive values.
func Record(ctx context.Context, conn *pgx.Conn, e Event) error {
	if e.ContractCode == "" || !stepRE.MatchString(e.Step) {
		return fmt.Errorf("history event: a contract code and a step name (a-z, 0-9, '-') are required, got %q, %q", e.ContractCode, e.Step)
	}
	if e.Actor == "" {
		return errors.New("history event: an actor is required")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	js, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("history event: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("history event: %w", err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO pricing_events (id, contract_code, step, at, actor, status, migration, environment, details)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), nullif($7, ''), nullif($8, ''), $9)`,
		id, e.ContractCode, e.Step, e.At, e.Actor, e.Status, e.Migration, e.Environment, js)
	if err != nil {
		return fmt.Errorf("recording the %s step of %s in pricing_events: %w", e.Step, e.ContractCode, err)
	}
	return nil
}

// Events reads the events log's events of the contract, oldest first; none
// when the log does not exist (a schema from before it).
func Events(ctx context.Context, conn *pgx.Conn, code string) ([]Event, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('public.pricing_events') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("reading pricing_events: %w", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := conn.Query(ctx, `SELECT at, step, actor, coalesce(status, ''), coalesce(migration, ''),
		coalesce(environment, ''), details FROM pricing_events WHERE contract_code = $1 ORDER BY at, id`, code)
	if err != nil {
		return nil, fmt.Errorf("reading pricing_events: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		e := Event{ContractCode: code, Source: SourceEvents}
		err := r.Scan(&e.At, &e.Step, &e.Actor, &e.Status, &e.Migration, &e.Environment, &e.Details)
		if len(e.Details) == 0 {
			e.Details = nil
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading pricing_events: %w", err)
	}
	return events, nil
}

// FromImports turns the contract's import log rows into events: one import
// each, and a rollback for each run rolled back or replaced.
func FromImports(runs []importer.ImportRun) []Event {
	var out []Event
	for _, r := range runs {
		var rows int64
		for t, n := range r.RowCounts {
			if strings.HasPrefix(t, "re_") {
				rows += n
			}
		}
		d := map[string]any{"workbook": r.WorkbookName, "import_id": r.ID.String(), "rows": rows}
		if len(r.RowCounts) > 0 {
			d["row_counts"] = r.RowCounts
		}
		if r.Replace {
			d["replace"] = true
		}
		if r.Problems > 0 {
			d["problems"] = r.Problems
		}
		out = append(out, Event{At: r.StartedAt, Step: StepImport, Actor: r.RunBy, ContractCode: r.ContractCode,
			Source: SourceImportLog, Status: r.Status, SHA256: r.WorkbookSHA256, Details: d})
		if r.RolledBackAt != nil {
			d := map[string]any{"import_id": r.ID.String()}
			if by := replacedBy(runs, r); by != "" {
				d["replaced_by_import"] = by
			}
			out = append(out, Event{At: *r.RolledBackAt, Step: StepRollback, Actor: r.RolledBackBy, ContractCode: r.ContractCode,
				Source: SourceImportLog, Status: "rolled-back", Details: d})
		}
	}
	return out
}

// replacedBy returns the id of the --replace import that rolled r back,
// "" when a rollback did.
func replacedBy(runs []importer.ImportRun, r importer.ImportRun) string {
	for _, x := range runs {
		if x.Replace && x.ID != r.ID && !x.StartedAt.After(*r.RolledBackAt) &&
			(x.FinishedAt == nil || !x.FinishedAt.Before(*r.RolledBackAt)) {
			return x.ID.String()
		}
	}
	return ""
}

// FromLock turns the contract's lock entries into events: each generated
// secure migration and revert migration, and each upload.
func FromLock(lf *lockfile.File, code string) []Event {
	var out []Event
	for _, name := range lf.Contract(code) {
		e := lf.Migrations[name]
		at := e.CreatedAt
		if at.IsZero() {
			at = e.GeneratedAt
		}
		var rows int64
		for _, n := range e.Tables {
			rows += n
		}
		ev := Event{At: at, Actor: e.CreatedBy, ContractCode: code, Source: SourceLockFile, Migration: name, SHA256: e.SHA256,
			Details: map[string]any{"size": e.Size, "rows": rows}}
		if e.IsRevert() {
			ev.Step = StepGenerateRevert
			ev.Details["reverts"] = e.Reverts
		} else {
			ev.Step = StepGenerate
			ev.Details["placeholder_sha256"] = e.PlaceholderSHA256
			if e.WorkbookSHA256 != "" {
				ev.Details["workbook_sha256"] = e.WorkbookSHA256
			}
			if len(e.Parts) > 0 {
				ev.Details["parts"] = len(e.Parts)
			}
			if e.RevertedBy != "" {
				ev.Details["reverted_by"] = e.RevertedBy
			}
		}
		out = append(out, ev)
		for env, u := range e.Uploads {
			d := map[string]any{"bucket": u.Bucket, "key": u.Key}
			if u.VersionID != "" {
				d["version_id"] = u.VersionID
			}
			out = append(out, Event{At: u.UploadedAt, Step: StepUpload, Actor: u.UploadedBy, ContractCode: code,
				Source: SourceLockFile, Migration: name, SHA256: u.SHA256, Environment: env, Details: d})
		}
	}
	return out
}

// Migrations returns the names of the contract's migrations: those the
// lock file links to the contract, and those named after it
// (<version>_import_pricing_data_<code>.up.sql and
// <version>_revert_pricing_data_<code>.up.sql) among names.
func Migrations(lf *lockfile.File, code string, names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range lf.Contract(code) {
		out[n] = true
	}
	fc := strings.ToLower(strings.ReplaceAll(code, "-", "_"))
	for _, n := range names {
		if strings.HasSuffix(n, "_import_pricing_data_"+fc+".up.sql") || strings.HasSuffix(n, "_revert_pricing_data_"+fc+".up.sql") {
			out[n] = true
		}
	}
	return out
}

// FromTracking turns a deployed database's tracking rows of the contract's
// migrations (see Migrations) into events: each apply (applied or failed)
// and each revert. env labels the database ("" when unnamed).
func FromTracking(recs []migrations.Record, code, env string, contract map[string]bool) []Event {
	names := map[string]string{} // version -> name
	for _, r := range recs {
		names[r.Version] = r.Name
	}
	var out []Event
	for _, r := range recs {
		if !contract[r.Name] {
			continue
		}
		ev := Event{At: r.AppliedAt, Step: StepApply, Actor: r.AppliedBy, ContractCode: code, Source: SourceTracking,
			Status: r.Status, Migration: r.Name, SHA256: r.SHA256, Environment: env,
			Details: map[string]any{"location": r.Location, "copy_rows": r.CopyRows}}
		if r.Reverts != "" {
			ev.Step = StepApplyRevert
			ev.Details = map[string]any{"location": r.Location, "reverted": cmp.Or(names[r.Reverts], r.Reverts)}
		}
		if r.Status == "failed" {
			ev.Details["error"] = r.Error
		}
		out = append(out, ev)
	}
	return out
}

// Records is a further keeper of a contract's steps, outside the local
// database and the lock file: for example the records an unattended
// runner keeps in a bucket (task.Source implements it).
type Records interface {
	// History returns the steps it recorded for the contract, each with
	// its Source set. Generated migrations (StepGenerate,
	// StepGenerateRevert) name their file, so that a deployed database's
	// tracking rows of them are found.
	History(ctx context.Context, code string) ([]Event, error)
}

// Sources are the records a timeline is read from; nil ones are skipped.
type Sources struct {
	// Local is the database holding the import log and the events log.
	Local *pgx.Conn
	// Lock is the lock file.
	Lock *lockfile.File
	// Deployed is a deployed database whose tracking table says whether
	// and when it applied or reverted the contract; Environment names it.
	Deployed    *pgx.Conn
	Environment string
	// More are further keepers of records, such as the scheduled task's
	// bucket. A generated migration or upload that the lock file records
	// too is shown once, from the lock file.
	More []Records
}

// Timeline returns every event of the contract found in the sources, in
// time order (see Sort).
func Timeline(ctx context.Context, code string, s Sources) ([]Event, error) {
	var events []Event
	if s.Local != nil {
		runs, err := importer.Imports(ctx, s.Local, code)
		if err != nil {
			return nil, err
		}
		events = append(events, FromImports(runs)...)
		logged, err := Events(ctx, s.Local, code)
		if err != nil {
			return nil, err
		}
		events = append(events, logged...)
	}
	lf := s.Lock
	if lf == nil {
		lf = lockfile.New()
	}
	fromLock := FromLock(lf, code)
	events = append(events, fromLock...)
	more, err := fromRecords(ctx, code, s.More, fromLock)
	if err != nil {
		return nil, err
	}
	events = append(events, more...)
	if s.Deployed != nil {
		recs, err := migrations.ReadRecords(ctx, s.Deployed)
		if err != nil {
			return nil, err
		}
		names := make([]string, len(recs))
		for i, r := range recs {
			names[i] = r.Name
		}
		contract := Migrations(lf, code, names)
		for _, e := range more {
			if e.Migration != "" && (e.Step == StepGenerate || e.Step == StepGenerateRevert) {
				contract[e.Migration] = true
			}
		}
		events = append(events, FromTracking(recs, code, s.Environment, contract)...)
	}
	Sort(events)
	return events, nil
}

// fromRecords reads the events of the further keepers, without the
// generated migrations and uploads the lock file already shows.
func fromRecords(ctx context.Context, code string, more []Records, fromLock []Event) ([]Event, error) {
	type artifact struct{ step, migration, sha256, env string }
	shown := map[artifact]bool{}
	for _, e := range fromLock {
		shown[artifact{e.Step, e.Migration, e.SHA256, e.Environment}] = true
	}
	var out []Event
	for _, r := range more {
		if r == nil {
			continue
		}
		events, err := r.History(ctx, code)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if !shown[artifact{e.Step, e.Migration, e.SHA256, e.Environment}] || e.Migration == "" {
				out = append(out, e)
			}
		}
	}
	return out, nil
}
