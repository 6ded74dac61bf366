package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/sample"
	"github.com/securemig/securemig/zipref"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// parsedSample is a generated full-size workbook (scale 1), kept in memory
// and parsed once per seed and test binary.
type parsedSample struct {
	once     sync.Once
	workbook []byte
	res      *parser.Result
	ref      *zipref.Map
	err      error
}

var samples sync.Map // seed → *parsedSample

func loadSample(tb testing.TB, seed uint64) *parsedSample {
	tb.Helper()
	v, _ := samples.LoadOrStore(seed, &parsedSample{})
	s := v.(*parsedSample)
	s.once.Do(func() { s.err = s.generate(seed) })
	if s.err != nil {
		tb.Fatalf("sample (seed %d): %v", seed, s.err)
	}
	return s
}

func (s *parsedSample) generate(seed uint64) error {
	ctx := context.Background()
	var wb, csv bytes.Buffer
	if _, err := sample.Generate(ctx, &wb, &csv, sample.Options{Seed: seed}); err != nil {
		return err
	}
	s.workbook = wb.Bytes()
	res, err := parser.Parse(ctx, bytes.NewReader(s.workbook), int64(len(s.workbook)), "sample.xlsx")
	if err != nil {
		return err
	}
	if res.HasErrors() {
		return fmt.Errorf("sample has %d parse errors", res.ErrorCount())
	}
	ref, probs, err := zipref.Read(&csv, "sample.csv")
	if err == nil && len(probs) > 0 {
		err = errors.New(probs[0].String())
	}
	s.res, s.ref = res, ref
	return err
}

// connect opens a connection to a fresh schema database.
func connect(tb testing.TB) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), pgtest.NewSchemaDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// importSample imports the sample of seed as contract code.
func importSample(tb testing.TB, conn *pgx.Conn, code string, seed uint64) {
	tb.Helper()
	importSampleStarting(tb, conn, code, seed, time.Time{})
}

// importSampleStarting imports the sample of seed as contract code whose
// first contract year starts on start (zero: the importer's default).
func importSampleStarting(tb testing.TB, conn *pgx.Conn, code string, seed uint64, start time.Time) {
	tb.Helper()
	s := loadSample(tb, seed)
	_, err := importer.Import(context.Background(), conn, s.res, s.ref, importer.Options{
		ContractCode: code, WorkbookName: "sample.xlsx", WorkbookSHA256: fmt.Sprintf("%064x", seed), ToolVersion: "test",
		StartDate: start})
	if err != nil {
		tb.Fatalf("importing %s: %v", code, err)
	}
}

func generateIn(t *testing.T, q Querier, req Request) *Report {
	t.Helper()
	r, err := generate(context.Background(), q, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCleanSamplePasses(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	importSample(t, conn, "B", 1)
	ctx := context.Background()
	for _, req := range []Request{{ContractCode: "A", NoDiff: true}, {ContractCode: "B"}, {ContractCode: "A", CompareTo: "B"}} {
		r, err := Generate(ctx, conn, req)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Status{}
		if req.NoDiff {
			want["anomaly.unchanged"] = StatusSkipped
		}
		if got := fired(r); !maps.Equal(got, want) {
			for _, c := range r.Checks {
				if c.Status != StatusPass {
					t.Logf("%s: %s %s %+v", c.ID, c.Status, c.Detail, c.Findings[:min(3, len(c.Findings))])
				}
			}
			t.Errorf("%s: checks that did not pass: %v, want %v", req.ContractCode, got, want)
		}
		if r.Summary.Verdict != VerdictPass {
			t.Errorf("%s: verdict %s", req.ContractCode, r.Summary.Verdict)
		}
		if !r.Summary.SourceCells {
			t.Errorf("%s: no exact source cells", req.ContractCode)
		}
		for _, c := range r.Counts {
			if c.Logged == nil || *c.Logged != c.Rows {
				t.Errorf("%s: %s: %d rows, logged %s", req.ContractCode, c.Table, c.Rows, intOrDash(c.Logged))
			}
		}
		if d := r.Diff; d != nil && (d.Changed != 0 || d.Added != 0 || d.Removed != 0 || d.Unchanged != 65559) {
			t.Errorf("diff of identical imports: added %d, removed %d, changed %d, unchanged %d", d.Added, d.Removed, d.Changed, d.Unchanged)
		}
	}
}

func TestChecksFireOnCraftedImports(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	importSample(t, conn, "B", 1)
	const b = `(SELECT id FROM re_contracts WHERE code = 'B')`
	counts := map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail}
	with := func(m map[string]Status, id string, s Status) map[string]Status {
		out := maps.Clone(m)
		out[id] = s
		return out
	}
	cases := []struct {
		name  string
		sql   string
		rows  int64
		want  map[string]Status
		count map[string]int
	}{
		{"failed import", `UPDATE pricing_imports SET status = 'failed' WHERE contract_code = 'B'`, 1,
			map[string]Status{"import.log": StatusFail}, nil},
		{"missing linehaul price", `DELETE FROM re_domestic_linehaul_prices WHERE id = (SELECT id FROM re_domestic_linehaul_prices
			WHERE contract_id = ` + b + ` ORDER BY id LIMIT 1)`, 1,
			with(counts, "completeness.linehaul", StatusFail), map[string]int{"completeness.linehaul": 1}},
		{"missing service-area price", `DELETE FROM re_domestic_service_area_prices WHERE id = (SELECT id FROM re_domestic_service_area_prices
			WHERE contract_id = ` + b + ` ORDER BY id LIMIT 1)`, 1,
			with(counts, "completeness.service_area_prices", StatusFail), nil},
		{"missing international prices of a pair", `DELETE FROM re_intl_prices WHERE contract_id = ` + b + ` AND (origin_rate_area_id, destination_rate_area_id) =
			(SELECT origin_rate_area_id, destination_rate_area_id FROM re_intl_prices WHERE contract_id = ` + b + ` ORDER BY id LIMIT 1)`, 4,
			with(counts, "completeness.international", StatusFail), map[string]int{"completeness.international": 1}},
		{"missing other international price", `DELETE FROM re_intl_other_prices WHERE id = (SELECT id FROM re_intl_other_prices
			WHERE contract_id = ` + b + ` ORDER BY id LIMIT 1)`, 1,
			with(counts, "completeness.other_international", StatusFail), nil},
		{"missing transition price", `DELETE FROM re_contract_transition_prices WHERE contract_id = ` + b, 1,
			with(counts, "completeness.fixed_tables", StatusFail), nil},
		{"missing counseling fee", `DELETE FROM re_task_order_fees WHERE service_id = (SELECT id FROM re_services WHERE code = 'CS')
			AND contract_year_id = (SELECT id FROM re_contract_years WHERE contract_id = ` + b + ` AND name = 'Award Term 1')`, 1,
			with(counts, "completeness.task_order_fees", StatusFail), nil},
		{"multi-area zip3 without zip5 rows", `DELETE FROM re_zip5_rate_areas WHERE contract_id = ` + b + ` AND zip5 LIKE '321%'`, -1,
			map[string]Status{"counts.logged": StatusFail, "completeness.zip3": StatusFail}, map[string]int{"completeness.zip3": 1}},
		{"zero international price", `UPDATE re_intl_prices SET per_unit_cents = 0 WHERE id = (SELECT id FROM re_intl_prices
			WHERE contract_id = ` + b + ` AND NOT is_peak_period ORDER BY id LIMIT 1)`, 1,
			map[string]Status{"anomaly.nonpositive": StatusWarning}, map[string]int{"anomaly.nonpositive": 1}},
		{"peak below non-peak", `UPDATE re_domestic_service_area_prices p SET price_cents = n.price_cents - 1
			FROM re_domestic_service_area_prices n WHERE p.id = (SELECT id FROM re_domestic_service_area_prices
			WHERE contract_id = ` + b + ` AND is_peak_period AND service_id = (SELECT id FROM re_services WHERE code = 'DOP') ORDER BY id LIMIT 1)
			AND n.contract_id = p.contract_id AND n.service_id = p.service_id AND n.domestic_service_area_id = p.domestic_service_area_id AND NOT n.is_peak_period`, 1,
			map[string]Status{"anomaly.peak_below_nonpeak": StatusWarning}, map[string]int{"anomaly.peak_below_nonpeak": 1}},
		{"implausible escalation", `UPDATE re_contract_years SET escalation = 1.5 WHERE contract_id = ` + b + ` AND name = 'Option Period 1'`, 1,
			map[string]Status{"anomaly.escalation": StatusWarning}, map[string]int{"anomaly.escalation": 1}},
		{"outlier", `UPDATE re_intl_prices SET per_unit_cents = per_unit_cents * 50 WHERE id = (SELECT id FROM re_intl_prices
			WHERE contract_id = ` + b + ` AND is_peak_period ORDER BY id LIMIT 1)`, 1,
			map[string]Status{"anomaly.outlier": StatusWarning}, map[string]int{"anomaly.outlier": 1}},
		{"unchanged where most changed", `UPDATE re_domestic_linehaul_prices SET price_millicents = price_millicents * 103 / 100 + 1
			WHERE contract_id = ` + b + ` AND domestic_service_area_id <> (SELECT id FROM re_domestic_service_areas
			WHERE contract_id = ` + b + ` ORDER BY service_area LIMIT 1)`, 13500,
			map[string]Status{"anomaly.unchanged": StatusWarning}, map[string]int{"anomaly.unchanged": 60}},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck // test undo
			tag, err := tx.Exec(ctx, tc.sql)
			if err != nil {
				t.Fatalf("mutation: %v", err)
			}
			if tc.rows >= 0 && tag.RowsAffected() != tc.rows || tag.RowsAffected() == 0 {
				t.Fatalf("mutation changed %d rows, want %d", tag.RowsAffected(), tc.rows)
			}
			r := generateIn(t, tx, Request{ContractCode: "B", CompareTo: "A"})
			got := fired(r)
			// A zero price may also be far from its peers; that is not this case's subject.
			if _, ok := tc.want["anomaly.nonpositive"]; ok && got["anomaly.outlier"] == StatusWarning {
				delete(got, "anomaly.outlier")
			}
			if !maps.Equal(got, tc.want) {
				t.Fatalf("checks that did not pass = %v, want %v", got, tc.want)
			}
			for id, n := range tc.count {
				if c := checkByID(t, r, id); c.Count != n {
					t.Errorf("%s: %d findings, want %d", id, c.Count, n)
				}
			}
			for _, c := range r.Checks {
				for _, f := range c.Findings {
					if f.Table != "" && f.Table != "re_zip3s" && f.Table != "re_contract_years" &&
						c.Category != "counts" && !strings.Contains(f.Location, "!") && !strings.Contains(f.Location, "row of") {
						t.Errorf("%s: finding without a workbook location: %+v", c.ID, f)
					}
				}
			}
		})
	}
}

func TestDiffReportsKnownChanges(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	importSample(t, conn, "B", 1)
	ctx := context.Background()
	var sa0, saN, o, d string
	if err := conn.QueryRow(ctx, `SELECT min(service_area), max(service_area) FROM re_domestic_service_areas
		WHERE contract_id = (SELECT id FROM re_contracts WHERE code = 'B')`).Scan(&sa0, &saN); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT min(code) FILTER (WHERE code <> 'NSRA1'), max(code) FILTER (WHERE code NOT LIKE 'NSRA%')
		FROM re_rate_areas WHERE is_oconus AND contract_id = (SELECT id FROM re_contracts WHERE code = 'B')`).Scan(&o, &d); err != nil {
		t.Fatal(err)
	}
	contract := func(code string) string { return `(SELECT id FROM re_contracts WHERE code = '` + code + `')` }
	area := func(code string) string {
		return `(SELECT id FROM re_rate_areas WHERE contract_id = ` + contract("B") + ` AND code = '` + code + `')`
	}
	service := func(code string) string { return `(SELECT id FROM re_services WHERE code = '` + code + `')` }
	mutations := []struct {
		sql  string
		args []any
	}{
		// Changed in B.
		{`UPDATE re_domestic_linehaul_prices SET price_millicents = price_millicents + 1000 WHERE contract_id = ` + contract("B") + `
			AND NOT is_peak_period AND weight_lower = 5000 AND miles_lower = 2501
			AND domestic_service_area_id = (SELECT id FROM re_domestic_service_areas WHERE contract_id = ` + contract("B") + ` AND service_area = $1)`, []any{sa0}},
		{`UPDATE re_intl_prices SET per_unit_cents = per_unit_cents * 2 + 1 WHERE contract_id = ` + contract("B") + ` AND is_peak_period
			AND service_id = ` + service("ISLH") + ` AND origin_rate_area_id = ` + area(o) + ` AND destination_rate_area_id = ` + area(d), nil},
		{`UPDATE re_shipment_type_prices SET factor = factor + 1.30 WHERE contract_id = ` + contract("B") + ` AND service_id = ` + service("DMHF"), nil},
		// Removed from B.
		{`DELETE FROM re_intl_other_prices WHERE contract_id = ` + contract("B") + ` AND NOT is_peak_period
			AND service_id = ` + service("IHPK") + ` AND rate_area_id = ` + area(o), nil},
		{`DELETE FROM re_task_order_fees WHERE service_id = ` + service("CS") + `
			AND contract_year_id = (SELECT id FROM re_contract_years WHERE contract_id = ` + contract("B") + ` AND name = 'Award Term 1')`, nil},
		// Only in B: removed from A.
		{`DELETE FROM re_domestic_service_area_prices WHERE contract_id = ` + contract("A") + ` AND is_peak_period AND service_id = ` + service("DSH") + `
			AND domestic_service_area_id = (SELECT id FROM re_domestic_service_areas WHERE contract_id = ` + contract("A") + ` AND service_area = $1)`, []any{saN}},
		{`DELETE FROM re_intl_accessorial_prices WHERE contract_id = ` + contract("A") + ` AND market = 'O' AND service_id = ` + service("IOSHUT"), nil},
	}
	for _, m := range mutations {
		tag, err := conn.Exec(ctx, m.sql, m.args...)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v, %d rows", m.sql, err, tag.RowsAffected())
		}
	}
	wantChanged := labels([]Key{
		{Table: Linehaul, Season: NonPeak, Area: sa0, WeightLower: 5000, WeightUpper: 9999, MilesLower: 2501, MilesUpper: 3000},
		{Table: Intl, Service: "ISLH", Season: Peak, Area: o, Dest: d},
		{Table: ShipmentType, Service: "DMHF", Area: "C"},
	})
	wantRemoved := labels([]Key{{Table: IntlOther, Service: "IHPK", Season: NonPeak, Area: o},
		{Table: TaskOrderFees, Service: "CS", Area: "Award Term 1"}})
	wantAdded := labels([]Key{{Table: ServiceAreaPrices, Service: "DSH", Season: Peak, Area: saN},
		{Table: IntlAccessorial, Service: "IOSHUT", Area: "O"}})

	r, err := Generate(ctx, conn, Request{ContractCode: "B"})
	if err != nil {
		t.Fatal(err)
	}
	df := r.Diff
	if df == nil || df.BaseContract != "A" {
		t.Fatalf("diff = %+v, want one against A (the most recent other contract)", df)
	}
	var gotChanged []string
	for _, c := range df.ChangedKeys {
		gotChanged = append(gotChanged, c.Key)
		if c.Pct == nil || *c.Pct <= 0 || !strings.Contains(c.Location, "!") {
			t.Errorf("%s: pct %s, location %q", c.Key, pctText(c.Pct), c.Location)
		}
	}
	slices.Sort(gotChanged)
	if !slices.Equal(gotChanged, wantChanged) || df.Changed != 3 {
		t.Errorf("changed = %v (%d), want %v", gotChanged, df.Changed, wantChanged)
	}
	if got := refKeys(df.RemovedKeys); !slices.Equal(got, wantRemoved) || df.Removed != 2 {
		t.Errorf("removed = %v (%d), want %v", got, df.Removed, wantRemoved)
	}
	if got := refKeys(df.AddedKeys); !slices.Equal(got, wantAdded) || df.Added != 2 {
		t.Errorf("added = %v (%d), want %v", got, df.Added, wantAdded)
	}
	if want := 65559 - 3 - 2 - 2; df.Unchanged != want {
		t.Errorf("unchanged = %d, want %d", df.Unchanged, want)
	}
}

func TestDiffBetweenSeedsAddsUp(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	importSample(t, conn, "B", 2)
	r, err := Generate(context.Background(), conn, Request{ContractCode: "B", CompareTo: "A"})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Diff
	if d.Added+d.Changed+d.Unchanged != 65559 || d.Removed+d.Changed+d.Unchanged != 65559 {
		t.Errorf("diff totals do not add up to the 65,559 prices of each contract: added %d, removed %d, changed %d, unchanged %d", d.Added, d.Removed, d.Changed, d.Unchanged)
	}
	binned := 0
	for _, b := range d.Histogram {
		binned += b.Count
	}
	if binned != d.Changed || d.Changed == 0 || len(d.TopMovers) != 20 || len(d.ChangedKeys) != d.ListLimit {
		t.Errorf("histogram holds %d of %d changes; %d top movers; %d listed", binned, d.Changed, len(d.TopMovers), len(d.ChangedKeys))
	}
}

// TestSampleCellsMatchWorkbook reads every sampled cell from the workbook
// itself and compares it with the value in the database, for a contract
// whose import is no longer the latest (the staging tables hold another).
func TestSampleCellsMatchWorkbook(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	importSample(t, conn, "B", 2)
	r, err := Generate(context.Background(), conn, Request{ContractCode: "A"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Summary.SourceCells {
		t.Error("the report of an older import has no exact cells")
	}
	f, err := excelize.OpenReader(bytes.NewReader(loadSample(t, 1).workbook))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(r.Sample) < 18 || len(r.Sample) > 22 {
		t.Fatalf("sample has %d rows, want about 20", len(r.Sample))
	}
	for _, s := range r.Sample {
		if s.Cell == "" {
			t.Errorf("%s %s: no cell (%s)", s.Table, s.Key, s.Location)
			continue
		}
		raw, err := f.GetCellValue(s.Sheet, s.Cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("%s!%s: %v", s.Sheet, s.Cell, err)
		}
		if got, ok := minorUnits(raw, s.Unit); !ok || got != s.Value {
			t.Errorf("%s %s: workbook %s!%s holds %q, the database %s", s.Table, s.Key, s.Sheet, s.Cell, raw, s.Display)
		}
	}
}

// TestRecordedSourcesMatchStaging checks that the rows an import records
// are those the staging tables give for the same import.
func TestRecordedSourcesMatchStaging(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	ctx := context.Background()
	d, err := Load(ctx, conn, "A")
	if err != nil {
		t.Fatal(err)
	}
	staged, err := collectSources(ctx, conn, sourcesSQL)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := collectSources(ctx, conn, strings.ReplaceAll(recordedSourcesSQL, "s.import_id = $1", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if len(staged) < 1000 || !maps.Equal(recorded, staged) || !maps.Equal(d.Sources, staged) {
		t.Errorf("%d recorded, %d staged, %d loaded source rows: they differ", len(recorded), len(staged), len(d.Sources))
	}
	var keys int
	if err := conn.QueryRow(ctx, `SELECT sum(cardinality(key_a)) FROM pricing_import_sources`).Scan(&keys); err != nil || keys != len(recorded) {
		t.Errorf("the import recorded %d keys for %d distinct ones (%v)", keys, len(recorded), err)
	}
}

// minorUnits converts a workbook cell's raw text to the unit's integer.
func minorUnits(raw string, u Unit) (int64, bool) {
	raw = strings.NewReplacer("$", "", ",", "", " ", "").Replace(strings.TrimSpace(raw))
	r, ok := new(big.Rat).SetString(raw)
	if !ok {
		return 0, false
	}
	scale := int64(100)
	if u == Millicents {
		scale = 100000
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	f, _ := r.Float64()
	return int64(f + 0.5), true
}

func TestGenerateErrors(t *testing.T) {
	conn := connect(t)
	importSample(t, conn, "A", 1)
	ctx := context.Background()
	if _, err := Generate(ctx, conn, Request{ContractCode: "NOPE"}); !errors.Is(err, ErrNoContract) {
		t.Errorf("unknown contract: %v", err)
	}
	if _, err := Generate(ctx, conn, Request{ContractCode: "A", CompareTo: "NOPE"}); !errors.Is(err, ErrNoContract) {
		t.Errorf("unknown comparison contract: %v", err)
	}
	if _, err := Generate(ctx, conn, Request{ContractCode: "A", CompareTo: "A"}); err == nil {
		t.Error("comparing a contract with itself succeeded")
	}
	r, err := Generate(ctx, conn, Request{ContractCode: "A"})
	if err != nil || r.Diff != nil || r.Summary.ComparedTo != nil {
		t.Errorf("single contract: err %v, diff %v", err, r.Diff)
	}
}

// BenchmarkReportFullSample reads two full-size contracts, diffs them and
// renders all three formats.
func BenchmarkReportFullSample(b *testing.B) {
	conn := connect(b)
	importSample(b, conn, "A", 1)
	importSample(b, conn, "B", 2)
	ctx := context.Background()
	for b.Loop() {
		r, err := Generate(ctx, conn, Request{ContractCode: "B", CompareTo: "A"})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []Format{FormatHTML, FormatMarkdown, FormatJSON} {
			if err := r.Write(io.Discard, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestDefaultComparisonIsThePreviousContract imports three contracts out of
// order (the middle one first, then the oldest, then the newest, then a
// fourth on the newest one's start date) and checks that each report
// compares with the contract that came before it, says why, and that an
// older contract's report does not change when a newer one is imported.
func TestDefaultComparisonIsThePreviousContract(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	opts := Options{Now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), Generator: "test"}
	year := func(y int) time.Time { return time.Date(y, 2, 1, 0, 0, 0, 0, time.UTC) }
	report := func(code, compareTo string) (*Report, string) {
		t.Helper()
		r, err := Generate(ctx, conn, Request{ContractCode: code, CompareTo: compareTo, Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		return r, string(reportJSON(t, r))
	}
	type want struct {
		code, base, rule string
		reason           []string // substrings of the reason
	}
	check := func(w want) string {
		t.Helper()
		r, js := report(w.code, "")
		s := r.Summary
		got := ""
		if s.ComparedTo != nil {
			got = *s.ComparedTo
		}
		if got != w.base || s.Comparison != w.rule || (r.Diff == nil) != (w.base == "") {
			t.Errorf("%s: compared to %q (rule %s, diff %v), want %q (rule %s)", w.code, got, s.Comparison, r.Diff != nil, w.base, w.rule)
		}
		for _, sub := range w.reason {
			if !strings.Contains(s.ComparisonReason, sub) {
				t.Errorf("%s: reason %q lacks %q", w.code, s.ComparisonReason, sub)
			}
		}
		if errs := validateJSON(t, []byte(js)); len(errs) > 0 {
			t.Errorf("%s: schema violations: %v", w.code, errs)
		}
		return js
	}

	importSampleStarting(t, conn, "MID", 2, year(2022))
	check(want{"MID", "", CompareEarliest, []string{"no contract came before MID", "starts 2022-02-01"}})
	importSampleStarting(t, conn, "OLD", 1, year(2021))
	oldJSON := check(want{"OLD", "", CompareEarliest, []string{"no contract came before OLD"}})
	midJSON := check(want{"MID", "OLD", ComparePrevious, []string{"OLD starts 2021-02-01, MID starts 2022-02-01"}})

	importSampleStarting(t, conn, "NEW", 1, year(2023))
	newJSON := check(want{"NEW", "MID", ComparePrevious, []string{"MID is the contract that came before NEW"}})
	if got := check(want{"OLD", "", CompareEarliest, nil}); got != oldJSON {
		t.Errorf("importing NEW changed the report of OLD:\n%s", firstDiff(oldJSON, got))
	}
	if got := check(want{"MID", "OLD", ComparePrevious, nil}); got != midJSON {
		t.Errorf("importing NEW changed the report of MID:\n%s", firstDiff(midJSON, got))
	}

	// Same start date: the one imported earlier came before.
	importSampleStarting(t, conn, "TIE", 2, year(2023))
	check(want{"TIE", "NEW", ComparePrevious, []string{"both start 2023-02-01 and NEW was imported earlier"}})
	if got := check(want{"NEW", "MID", ComparePrevious, nil}); got != newJSON {
		t.Errorf("importing TIE changed the report of NEW:\n%s", firstDiff(newJSON, got))
	}

	r, _ := report("MID", CompareNone)
	if r.Diff != nil || r.Summary.ComparedTo != nil || r.Summary.Comparison != CompareOff ||
		checkByID(t, r, "anomaly.unchanged").Status != StatusSkipped {
		t.Errorf("compare to none: diff %v, compared to %v, rule %s", r.Diff != nil, r.Summary.ComparedTo, r.Summary.Comparison)
	}
	r, _ = report("MID", "NEW")
	if r.Diff == nil || r.Summary.Comparison != CompareRequested || !strings.Contains(r.Summary.ComparisonReason, "newer than MID") {
		t.Errorf("compare to a newer contract on request: rule %s, reason %q", r.Summary.Comparison, r.Summary.ComparisonReason)
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}
