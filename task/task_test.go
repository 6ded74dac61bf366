package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/migrations/schema"
	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
	"github.com/securemig/securemig/sample"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const bucket = "pricing-inbox"

// fixture is an inbox bucket on a real S3 server (versitygw) and a real
// PostgreSQL server for scratch databases.
type fixture struct {
	srv     *s3test.Server
	src     *Source
	scratch string
	logs    *syncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, bucket, false)
	return &fixture{srv: srv, src: NewSource(srv.Client(), bucket, "incoming/"), scratch: pgtest.ServerURL(t), logs: &syncBuffer{}}
}

// config returns a Config for one runner, logging JSON lines into f.logs.
func (f *fixture) config(runner string) Config {
	return Config{Source: f.src, Runner: runner, ToolVersion: "test",
		Log: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

func (f *fixture) checkOptions(runner string) CheckOptions {
	return CheckOptions{Config: f.config(runner), Scratch: func(context.Context) (string, error) { return f.scratch, nil }}
}

// drop puts a workbook and its CSV into the inbox as a person would.
func (f *fixture) drop(t *testing.T, code string, wb, csv []byte) {
	f.srv.PutObject(t, bucket, "incoming/"+code+WorkbookSuffix, wb)
	f.srv.PutObject(t, bucket, "incoming/"+code+RateAreasSuffix, csv)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sampleFiles returns a full-size synthetic workbook and its CSV.
func sampleFiles(t *testing.T, seed uint64) (wb, csv []byte) {
	t.Helper()
	var w, c bytes.Buffer
	if _, err := sample.Generate(t.Context(), &w, &c, sample.Options{Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return w.Bytes(), c.Bytes()
}

// breakCell replaces the first domestic linehaul rate with text and
// returns the workbook and the broken cell.
func breakCell(t *testing.T, wb []byte) ([]byte, parser.Cell) {
	t.Helper()
	res, err := parser.Parse(t.Context(), bytes.NewReader(wb), int64(len(wb)), "sample.xlsx")
	if err != nil || res.HasErrors() {
		t.Fatalf("the sample does not parse cleanly: %v", err)
	}
	cell := res.Records.DomesticLinehaulPrices[0].RateCell()
	x, err := excelize.OpenReader(bytes.NewReader(wb))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.SetCellStr(cell.Sheet, cell.A1(), "call us"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := x.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), cell
}

func getJSON[T any](t *testing.T, f *fixture, key string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.srv.GetObject(t, bucket, key), &v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

func keys(t *testing.T, f *fixture, prefix string) []string {
	t.Helper()
	objs, err := f.src.list(t.Context(), prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

// resultByCode returns each contract's result in a summary.
func resultByCode(s *Summary) map[string]Result {
	m := map[string]Result{}
	for _, r := range s.Results {
		m[r.Code] = r
	}
	return m
}

// TestEndToEnd drops a clean and a broken workbook, runs two checks at
// once (each submission is processed once), checks that a later run skips
// both without downloading anything, approves the clean one, imports it
// into an environment (bucket and database) and finds a second import a
// no-op.
func TestEndToEnd(t *testing.T) {
	f := newFixture(t)
	cleanWB, cleanCSV := sampleFiles(t, 1)
	brokenWB, brokenCSV := sampleFiles(t, 2)
	brokenWB, cell := breakCell(t, brokenWB)
	f.drop(t, "CLEAN1", cleanWB, cleanCSV)
	f.drop(t, "BROKEN1", brokenWB, brokenCSV)

	var (
		wg        sync.WaitGroup
		summaries [2]*Summary
		errs      [2]error
	)
	for i, runner := range []string{"runner-a", "runner-b"} {
		wg.Go(func() { summaries[i], errs[i] = Check(t.Context(), f.checkOptions(runner)) })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("check %d: %v", i, errs[i])
		}
	}
	ids := map[string]string{}
	for _, code := range []string{"CLEAN1", "BROKEN1"} {
		processed := 0
		for _, s := range summaries {
			r := resultByCode(s)[code]
			switch r.Outcome {
			case OutcomeDone, OutcomeFailed:
				processed++
				ids[code] = r.Submission
			case OutcomeBusy, OutcomeSkipped:
			default:
				t.Errorf("%s: outcome %s (%v)", code, r.Outcome, r.Err)
			}
		}
		if processed != 1 {
			t.Fatalf("%s was processed by %d runners, want exactly 1", code, processed)
		}
		if claims := keys(t, f, f.src.Claims(code, ids[code], "check")); len(claims) != 1 {
			t.Errorf("%s: claims %v, want exactly one", code, claims)
		}
	}

	clean := getJSON[CheckRecord](t, f, f.src.Check("CLEAN1", ids["CLEAN1"]))
	if clean.Verdict != VerdictPass && clean.Verdict != VerdictWarnings {
		t.Errorf("clean workbook: verdict %s, want pass or warnings", clean.Verdict)
	}
	if wb := clean.input("workbook"); wb == nil || wb.SHA256 != sha256Hex(cleanWB) {
		t.Errorf("clean workbook: recorded input %+v, want SHA-256 %s", wb, sha256Hex(cleanWB))
	}
	if clean.Submission != SubmissionID(sha256Hex(cleanWB), sha256Hex(cleanCSV), "") {
		t.Errorf("clean workbook: submission %s is not the digest of its inputs", clean.Submission)
	}
	for _, name := range []string{"report.html", "report.md", "report.json", "problems.json"} {
		rf := clean.file(name)
		if rf == nil {
			t.Fatalf("clean workbook: no %s in %+v", name, clean.Files)
		}
		if got := sha256Hex(f.srv.GetObject(t, bucket, rf.Key)); got != rf.SHA256 {
			t.Errorf("%s: stored SHA-256 %s, recorded %s", rf.Key, got, rf.SHA256)
		}
	}
	if clean.ToolVersion != "test" || clean.Rows["re_domestic_linehaul_prices"] == 0 {
		t.Errorf("clean record: tool %q, rows %v", clean.ToolVersion, clean.Rows)
	}

	broken := getJSON[CheckRecord](t, f, f.src.Check("BROKEN1", ids["BROKEN1"]))
	if broken.Verdict != VerdictRejected || broken.ParseErrors == 0 {
		t.Errorf("broken workbook: verdict %s with %d parse errors, want rejected", broken.Verdict, broken.ParseErrors)
	}
	probs := getJSON[struct {
		Workbook []struct{ Severity, Sheet, Cell, Message string }
	}](t, f, broken.file("problems.json").Key)
	named := false
	for _, p := range probs.Workbook {
		named = named || (p.Sheet == cell.Sheet && p.Cell == cell.A1())
	}
	if !named {
		t.Errorf("broken workbook: no problem names %s; problems: %+v", cell, probs.Workbook)
	}
	if broken.file("report.html") != nil {
		t.Errorf("a rejected workbook has a report")
	}

	// A later run finds nothing new and reads no object: listings only.
	var gets, lists atomic.Int32
	f.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Has("list-type"):
			lists.Add(1)
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			gets.Add(1)
		}
		return false
	})
	idle, err := Check(t.Context(), f.checkOptions("runner-c"))
	f.srv.SetInterceptor(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := idle.Count(OutcomeSkipped); n != 2 {
		t.Errorf("idle run: %d skipped, want 2 (%+v)", n, idle.Results)
	}
	if gets.Load() != 0 || lists.Load() != 2 {
		t.Errorf("idle run: %d GET/HEAD and %d LIST requests, want 0 and 2", gets.Load(), lists.Load())
	}

	for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
	}
	if !strings.Contains(f.logs.String(), `"workbook_sha256":"`+sha256Hex(cleanWB)) {
		t.Errorf("no event names the clean workbook's SHA-256")
	}

	approve := func(code, sha, override string) (*Approval, error) {
		return Approve(t.Context(), ApproveOptions{Config: f.config("person"), ContractCode: code, SHA256: sha,
			Override: override, Identity: Identity{OSUser: "reviewer", Host: "laptop"}})
	}
	if _, err := approve("BROKEN1", ids["BROKEN1"], ""); err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Errorf("approving a rejected submission: %v", err)
	}
	if _, err := approve("CLEAN1", ids["CLEAN1"], "because"); err == nil {
		t.Errorf("an override for a verdict that is not fail was accepted")
	}
	a, err := approve("CLEAN1", sha256Hex(cleanWB), "")
	if err != nil {
		t.Fatalf("approving by workbook SHA-256: %v", err)
	}
	stored := getJSON[Approval](t, f, f.src.Approval("CLEAN1", ids["CLEAN1"]))
	if stored.ApprovedBy.OSUser != "reviewer" || stored.Verdict != clean.Verdict ||
		stored.ReportSHA256["report.html"] != clean.file("report.html").SHA256 || stored.Submission != a.Submission {
		t.Errorf("stored approval %+v does not record what was seen", stored)
	}
	if _, err := approve("CLEAN1", ids["CLEAN1"], ""); err == nil || !strings.Contains(err.Error(), "already approved by reviewer@laptop") {
		t.Errorf("a second approval: %v", err)
	}

	testImport(t, f, "CLEAN1", ids["CLEAN1"], sha256Hex(cleanWB))
}

// testImport imports the approved submission into environment stg and
// checks the database, the bucket and the records; then a second run must
// do nothing.
func testImport(t *testing.T, f *fixture, code, id, workbookSHA string) {
	// The environment's bucket is on the in-process server: versitygw
	// accepts the SSE header but stores objects unencrypted, so release's
	// verification (HEAD must confirm AES256) rightly refuses it. The inbox
	// above is on versitygw, where the conditional writes matter.
	envSrv := s3test.Start(t)
	envSrv.CreateBucket(t, "stg-migrations", true)
	env := &release.Environment{Name: "stg", Bucket: "stg-migrations", Prefix: "secure-migrations/", Region: s3test.Region,
		Endpoint: envSrv.URL, PathStyle: true, SSE: s3store.SSES3}
	// The environment's database lacks the schema at first: the apply
	// fails, the claim is released, and the next run retries.
	target := pgtest.NewDatabase(t)
	opts := func(runner string) ImportOptions {
		return ImportOptions{Config: f.config(runner), Env: env, Target: target,
			Scratch: func(context.Context) (string, error) { return f.scratch, nil },
			Connect: func(context.Context, *release.Environment) (*s3store.Client, error) { return envSrv.Client(), nil }}
	}
	sum, err := Import(t.Context(), opts("importer-0"))
	if err != nil {
		t.Fatal(err)
	}
	var ae *migrations.ApplyError
	if len(sum.Results) != 1 || sum.Results[0].Outcome != OutcomeFailed || !errors.As(sum.Results[0].Err, &ae) {
		t.Fatalf("import into a database without the schema: %+v, want a failed apply", sum.Results)
	}
	claims := f.src.Claims(code, id, "import-stg")
	if got := keys(t, f, claims); !slices.Equal(got, []string{claims + "000001.json", claims + "000001.released.json"}) {
		t.Errorf("claims after a failed import: %v, want claim 1 and its release", got)
	}
	if ok, err := f.src.exists(t.Context(), f.src.Import(code, id, "stg")); ok || err != nil {
		t.Errorf("a failed import was recorded (%v)", err)
	}
	conn, err := pgx.Connect(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := schema.Apply(t.Context(), conn); err != nil {
		t.Fatal(err)
	}

	sum, err = Import(t.Context(), opts("importer-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 1 || sum.Results[0].Outcome != OutcomeDone || sum.Results[0].Code != code {
		t.Fatalf("import: %+v\nlog:\n%s", sum.Results, f.logs.String())
	}
	if got := keys(t, f, f.src.Claims(code, id, "migration")); len(got) != 1 {
		t.Errorf("migration claims %v: the migration must be generated once", got)
	}
	rec := getJSON[ImportRecord](t, f, f.src.Import(code, id, "stg"))
	mig := getJSON[MigrationRecord](t, f, f.src.Migration(code, id))
	if !rec.Applied || rec.Migration != mig.FileName || rec.SHA256 != mig.Entry.SHA256 || rec.Upload == nil ||
		rec.Upload.Bucket != "stg-migrations" || rec.Upload.Key != env.Key(mig.FileName) {
		t.Errorf("import record %+v does not match migration %s", rec, mig.FileName)
	}
	if mig.Entry.WorkbookSHA256 != workbookSHA || mig.Entry.ContractCode != code {
		t.Errorf("lock entry %+v does not name workbook %s of %s", mig.Entry, workbookSHA, code)
	}
	if got := sha256Hex(envSrv.GetObject(t, "stg-migrations", rec.Upload.Key)); got != mig.Entry.SHA256 {
		t.Errorf("the environment's object has SHA-256 %s, the lock entry %s", got, mig.Entry.SHA256)
	}

	var contracts, linehaul int
	var status, trackedSHA string
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM re_contracts WHERE code = $1`, code).Scan(&contracts); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM re_domestic_linehaul_prices p
		JOIN re_contracts c ON c.id = p.contract_id WHERE c.code = $1`, code).Scan(&linehaul); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT status, sha256 FROM securemig_migrations WHERE name = $1`, mig.FileName).
		Scan(&status, &trackedSHA); err != nil {
		t.Fatalf("tracking row of %s: %v", mig.FileName, err)
	}
	if contracts != 1 || int64(linehaul) != mig.Entry.Tables["public.re_domestic_linehaul_prices"] || linehaul == 0 {
		t.Errorf("target database: %d contracts, %d linehaul prices; lock entry tables %v", contracts, linehaul, mig.Entry.Tables)
	}
	if status != "applied" || trackedSHA != mig.Entry.SHA256 {
		t.Errorf("tracking row: status %s sha256 %s, want applied %s", status, trackedSHA, mig.Entry.SHA256)
	}

	// A second run has nothing to do and reads no object.
	var gets atomic.Int32
	f.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if (r.Method == http.MethodGet && !r.URL.Query().Has("list-type")) || r.Method == http.MethodHead {
			gets.Add(1)
		}
		return false
	})
	again, err := Import(t.Context(), opts("importer-2"))
	f.srv.SetInterceptor(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Results) != 0 || gets.Load() != 0 {
		t.Errorf("second import: results %+v after %d object reads, want none", again.Results, gets.Load())
	}
	var tracked int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM securemig_migrations`).Scan(&tracked); err != nil {
		t.Fatal(err)
	}
	if tracked != 1 {
		t.Errorf("tracking table has %d rows after the second import, want 1", tracked)
	}
}

func TestClaimExpiresAndReleases(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := func(runner string) *Config {
		c := f.config(runner)
		c.ClaimTTL = time.Minute
		c.Now = func() time.Time { return now }
		if err := c.defaults(); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	a, b := cfg("a"), cfg("b")
	id := strings.Repeat("ab", 32)
	h1, err := a.takeClaim(t.Context(), "C", id, "check")
	if err != nil || h1.N != 1 {
		t.Fatalf("first claim: %v %+v", err, h1)
	}
	var busy *errBusy
	if _, err := b.takeClaim(t.Context(), "C", id, "check"); !errors.As(err, &busy) || busy.holder.Runner != "a" {
		t.Fatalf("a live claim was taken over: %v", err)
	}
	now = now.Add(2 * time.Minute)
	h2, err := b.takeClaim(t.Context(), "C", id, "check")
	if err != nil || h2.N != 2 {
		t.Fatalf("taking over an expired claim: %v %+v", err, h2)
	}
	b.release(t.Context(), h2, errors.New("database down"))
	h3, err := a.takeClaim(t.Context(), "C", id, "check")
	if err != nil || h3.N != 3 {
		t.Fatalf("claiming after a release: %v %+v", err, h3)
	}
	rel := getJSON[Release](t, f, claimKey(f.src.Claims("C", id, "check"), 2)[:len(claimKey(f.src.Claims("C", id, "check"), 2))-len(".json")]+".released.json")
	if rel.Runner != "b" || rel.Error != "database down" {
		t.Errorf("release record %+v", rel)
	}
	// Conditional creation: the same number cannot be written twice.
	if err := f.src.create(t.Context(), h3.key, []byte("{}"), "application/json"); !errors.Is(err, s3store.ErrExists) {
		t.Errorf("overwriting a claim: %v, want ErrExists", err)
	}
}
