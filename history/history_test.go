package history

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func steps(events []Event) string {
	var s []string
	for _, e := range events {
		s = append(s, e.Step)
	}
	return strings.Join(s, ",")
}

func TestSortBreaksTiesInPipelineOrder(t *testing.T) {
	events := []Event{
		{At: at(2), Step: StepApply}, {At: at(1), Step: "task-check"}, {At: at(1), Step: StepGenerate},
		{At: at(1), Step: StepImport}, {At: at(0), Step: StepUndo},
	}
	Sort(events)
	if got := steps(events); got != "undo,import,generate,task-check,apply" {
		t.Fatalf("order %s", got)
	}
}

func TestFromImportsTellsReplacementFromRollback(t *testing.T) {
	first, second, third := uuid.New(), uuid.New(), uuid.New()
	rb1, rb2, fin2 := at(5), at(20), at(6)
	runs := []importer.ImportRun{
		{ID: first, ContractCode: "C", Status: "rolled-back", StartedAt: at(0), RolledBackAt: &rb1, RolledBackBy: "b@h",
			RowCounts: map[string]int64{"re_contracts": 1, "stage_x": 9, "re_zip3s": 4}, RunBy: "a@h"},
		{ID: second, ContractCode: "C", Status: "rolled-back", Replace: true, StartedAt: at(4), FinishedAt: &fin2,
			RolledBackAt: &rb2, RolledBackBy: "c@h"},
		{ID: third, ContractCode: "C", Status: "failed", StartedAt: at(30)},
	}
	events := FromImports(runs)
	Sort(events)
	if got := steps(events); got != "import,import,rollback,rollback,import" {
		t.Fatalf("steps %s", got)
	}
	if events[0].Details["rows"] != int64(5) || events[0].Actor != "a@h" {
		t.Errorf("first import %+v (rows count re_* tables only)", events[0])
	}
	if events[2].Details["replaced_by_import"] != second.String() || events[2].Actor != "b@h" {
		t.Errorf("the first run was replaced by the second: %+v", events[2])
	}
	if _, ok := events[3].Details["replaced_by_import"]; ok {
		t.Errorf("the second run was rolled back, not replaced: %+v", events[3])
	}
}

func TestFromLockAndTracking(t *testing.T) {
	const (
		secure = "20261201100100_import_pricing_data_c_1.up.sql"
		revert = "20261201110000_revert_pricing_data_c_1.up.sql"
		other  = "20261201100200_import_pricing_data_d.up.sql"
	)
	lf := lockfile.New()
	lf.Migrations[secure] = &lockfile.Entry{SHA256: "aa", ContractCode: "C-1", CreatedAt: at(1), CreatedBy: "g@h",
		Tables: map[string]int64{"public.re_contracts": 1, "public.re_zip3s": 2}, RevertedBy: revert,
		Uploads: map[string]*lockfile.Upload{"stg": {Bucket: "b", Key: "k/" + secure, UploadedAt: at(3), UploadedBy: "u@h"},
			"exp": {Bucket: "b2", Key: "k/" + secure, UploadedAt: at(2), UploadedBy: "u@h"}}}
	lf.Migrations[revert] = &lockfile.Entry{SHA256: "bb", ContractCode: "C-1", Reverts: secure, GeneratedAt: at(10)}
	lf.Migrations[other] = &lockfile.Entry{ContractCode: "D", CreatedAt: at(1)}
	events := FromLock(lf, "C-1")
	recs := []migrations.Record{
		{Version: "20261201100100", Name: secure, Status: "applied", AppliedAt: at(4), AppliedBy: "m@h", RevertedBy: "20261201110000"},
		{Version: "20261201100200", Name: other, Status: "applied", AppliedAt: at(4)},
		{Version: "20261201110000", Name: revert, Status: "applied", AppliedAt: at(12), AppliedBy: "m@h", Reverts: "20261201100100"},
	}
	// The tracking table alone finds the contract's migrations by name too.
	names := Migrations(lockfile.New(), "C-1", []string{secure, other, revert})
	if !names[secure] || !names[revert] || names[other] {
		t.Fatalf("migrations of C-1 by name: %v", names)
	}
	events = append(events, FromTracking(recs, "C-1", "stg", names)...)
	Sort(events)
	if got := steps(events); got != "generate,upload,upload,apply,generate-revert,apply-revert" {
		t.Fatalf("steps %s", got)
	}
	if e := events[1]; e.Environment != "exp" || e.Actor != "u@h" || e.Details["bucket"] != "b2" {
		t.Errorf("first upload %+v", e)
	}
	if e := events[0]; e.Details["rows"] != int64(3) || e.Details["reverted_by"] != revert {
		t.Errorf("generate %+v", e)
	}
	if e := events[5]; e.Details["reverted"] != secure || e.Environment != "stg" {
		t.Errorf("apply-revert %+v", e)
	}
}

func TestRecordAndTimeline(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewSchemaDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, bad := range []Event{{Step: "x", Actor: "a"}, {ContractCode: "C", Step: "Bad Step", Actor: "a"}, {ContractCode: "C", Step: "x"}} {
		if err := Record(ctx, conn, bad); err == nil {
			t.Errorf("Record(%+v) accepted", bad)
		}
	}
	if err := Record(ctx, conn, Event{ContractCode: "C", Step: "task-check", Actor: "task@runner", At: at(1),
		Status: "pass", Details: map[string]any{"report_sha256": "cc"}}); err != nil {
		t.Fatal(err)
	}
	if err := Record(ctx, conn, Event{ContractCode: "OTHER", Step: "task-check", Actor: "task@runner"}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO pricing_imports (id, contract_code, contract_name, workbook_name, workbook_sha256,
		tool_version, status, started_at, finished_at, run_by) VALUES ($1, 'C', 'C', 'w.xlsx', repeat('a', 64), 't', 'imported', $2, $3, 'i@h')`,
		uuid.New(), at(0), at(0)); err != nil {
		t.Fatal(err)
	}
	events, err := Timeline(ctx, "C", Sources{Local: conn})
	if err != nil {
		t.Fatal(err)
	}
	if got := steps(events); got != "import,task-check" {
		t.Fatalf("timeline %s", got)
	}
	if e := events[1]; e.Source != SourceEvents || e.Actor != "task@runner" || e.Status != "pass" || e.Details["report_sha256"] != "cc" {
		t.Errorf("recorded event %+v", e)
	}
}
