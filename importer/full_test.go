package importer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/sample"
	"github.com/securemig/securemig/zipref"
)

// fullSample is the generated full-size workbook (scale 1), parsed once.
var fullSample struct {
	once  sync.Once
	res   *parser.Result
	ref   *zipref.Map
	stats *sample.Stats
	err   error
}

// loadFullSample generates, parses and reads the full-size sample once per
// test binary.
func loadFullSample(tb testing.TB) (*parser.Result, *zipref.Map, *sample.Stats) {
	tb.Helper()
	fullSample.once.Do(func() {
		dir, err := os.MkdirTemp("", "importer-sample")
		if err != nil {
			fullSample.err = err
			return
		}
		defer os.RemoveAll(dir)
		wb := filepath.Join(dir, "sample.xlsx")
		ctx := context.Background()
		fullSample.stats, err = sample.GenerateFiles(ctx, wb, sample.DefaultRateAreasPath(wb), sample.Options{Seed: 1})
		if err != nil {
			fullSample.err = err
			return
		}
		fullSample.res, err = parser.ParseFile(ctx, wb)
		if err != nil {
			fullSample.err = err
			return
		}
		var probs []zipref.Problem
		fullSample.ref, probs, err = zipref.ReadFile(sample.DefaultRateAreasPath(wb))
		if err == nil && len(probs) > 0 {
			err = &refProblems{probs}
		}
		fullSample.err = err
	})
	if fullSample.err != nil {
		tb.Fatalf("full-size sample: %v", fullSample.err)
	}
	if fullSample.res.HasErrors() {
		tb.Fatalf("full-size sample has %d parse errors, first: %v", fullSample.res.ErrorCount(), fullSample.res.Problems[0])
	}
	return fullSample.res, fullSample.ref, fullSample.stats
}

type refProblems struct{ p []zipref.Problem }

func (e *refProblems) Error() string { return e.p[0].String() }

// specCounts are the rate-engine row counts of a full-size template
// (docs/ghc-pricing-template.md Part 5).
var specCounts = map[string]int64{
	"re_contracts": 1, "re_contract_years": 8, "re_rate_areas": 120, "re_domestic_service_areas": 226,
	"re_zip3s": 908, "re_zip5_rate_areas": 922, "re_domestic_linehaul_prices": 13560,
	"re_domestic_service_area_prices": 3164, "re_domestic_other_prices": 24, "re_intl_prices": 46364,
	"re_intl_other_prices": 2400, "re_task_order_fees": 16, "re_contract_transition_prices": 1,
	"re_domestic_accessorial_prices": 15, "re_intl_accessorial_prices": 8, "re_shipment_type_prices": 7,
}

func TestImportFullSample(t *testing.T) {
	res, ref, _ := loadFullSample(t)
	conn := connect(t)
	ctx := context.Background()
	sum, err := Import(ctx, conn, res, ref, opts("FULL"))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for tbl, want := range specCounts {
		got := count(t, conn, "SELECT count(*) FROM "+tbl)
		if got != want || sum.Counts[tbl] != want {
			t.Errorf("%s: %d rows (summary %d), spec says %d", tbl, got, sum.Counts[tbl], want)
		}
		total += got
	}
	if total != 67744 {
		t.Errorf("total %d rows, want 67744", total)
	}
	var stage int64
	for _, st := range parser.StageTables {
		stage += count(t, conn, "SELECT count(*) FROM "+st.Name)
	}
	if stage != 38331 {
		t.Errorf("%d stage rows, want 38331", stage)
	}
	if got := count(t, conn, "SELECT count(*) FROM re_zip3s WHERE has_multiple_rate_areas"); got != 15 {
		t.Errorf("%d zip3s with multiple rate areas, want 15", got)
	}
	spotFull(t, conn, res)
}

// spotFull compares a few imported values with the parsed workbook cells.
func spotFull(t *testing.T, conn *pgx.Conn, res *parser.Result) {
	t.Helper()
	ctx := context.Background()
	r := &res.Records
	lh := r.DomesticLinehaulPrices[len(r.DomesticLinehaulPrices)/2]
	var got int64
	err := conn.QueryRow(ctx, `SELECT p.price_millicents FROM re_domestic_linehaul_prices p
		JOIN re_domestic_service_areas s ON s.id = p.domestic_service_area_id
		WHERE s.service_area = $1 AND weight_lower = $2 AND miles_lower = $3 AND is_peak_period = $4`,
		lh.ServiceArea, lh.WeightLower(), lh.MilesLower(), lh.Season.IsPeak()).Scan(&got)
	if err != nil || got != lh.Rate.Amount {
		t.Errorf("linehaul at %s: got %d (%v), want the cell's value", lh.RateCell(), got, err)
	}
	sa := r.DomesticServiceAreaPrices[7]
	err = conn.QueryRow(ctx, `SELECT p.price_cents FROM re_domestic_service_area_prices p
		JOIN re_services v ON v.id = p.service_id JOIN re_domestic_service_areas s ON s.id = p.domestic_service_area_id
		WHERE v.code = 'DDASIT' AND s.service_area = $1 AND is_peak_period = $2`, sa.ServiceArea, sa.Season.IsPeak()).Scan(&got)
	if err != nil || got != sa.SITAddlDays.Amount {
		t.Errorf("service-area price at %s: got %d (%v)", sa.PriceCells()[3], got, err)
	}
	fee := r.CounselingServicesPrices[3]
	err = conn.QueryRow(ctx, `SELECT f.price_cents FROM re_task_order_fees f JOIN re_services v ON v.id = f.service_id
		JOIN re_contract_years y ON y.id = f.contract_year_id WHERE v.code = 'CS' AND y.name = $1`, fee.ContractYear).Scan(&got)
	if err != nil || got != fee.PricePerTaskOrder.Amount {
		t.Errorf("task-order fee at %s: got %d (%v)", fee.Key, got, err)
	}
	st := r.DomesticInternationalAdditionalPrices[0]
	var factor string
	err = conn.QueryRow(ctx, `SELECT p.factor::text FROM re_shipment_type_prices p WHERE p.market = $1 AND p.service_id =
		(SELECT id FROM re_services WHERE code = CASE $2::text WHEN 'Mobile Homes' THEN 'DMHF' WHEN 'Tow Away Boat Service' THEN
		(CASE $1 WHEN 'C' THEN 'DBTF' ELSE 'IBTF' END) WHEN 'Haul Away Boat Service' THEN (CASE $1 WHEN 'C' THEN 'DBHF' ELSE 'IBHF' END)
		ELSE (CASE $1 WHEN 'C' THEN 'DNPK' ELSE 'INPK' END) END)`, string(st.Market), st.ShipmentType).Scan(&factor)
	if err != nil || factor != rescale(st.Factor.Value, 2).String() {
		t.Errorf("shipment-type factor at %s: got %q (%v)", st.Key, factor, err)
	}
	years := deriveYears(r.PriceEscalationDiscounts, DefaultStartDate)
	var comp string
	err = conn.QueryRow(ctx, `SELECT escalation_compounded::text FROM re_contract_years WHERE name = $1`, years[3].Name).Scan(&comp)
	if err != nil || comp != years[3].Compounded.String() {
		t.Errorf("compounded escalation of %s: got %q (%v)", years[3].Name, comp, err)
	}
}

// TestKilledImportLeavesNothing runs an import in a child process, holds it
// inside its transaction with a table lock, kills it with SIGKILL and checks
// that nothing of the contract exists and the run lists as interrupted.
func TestKilledImportLeavesNothing(t *testing.T) {
	if dsn := os.Getenv("IMPORTER_KILL_CHILD_DSN"); dsn != "" {
		killChild(t, dsn)
		return
	}
	dsn := pgtest.NewSchemaDatabase(t)
	ctx := context.Background()
	conn := connect(t)
	_ = conn.Close(ctx)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	blocker, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close(ctx)
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE re_shipment_type_prices IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledImportLeavesNothing$")
	cmd.Env = append(os.Environ(), "IMPORTER_KILL_CHILD_DSN="+dsn, "TEST_DATABASE_URL="+pgtest.ServerURL(t))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) until the child's import is blocked on the lock, i.e.
	// mid-transaction with everything before re_shipment_type_prices loaded.
	var pid int32
	for i := 0; i < 600 && pid == 0; i++ {
		_ = conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%re_shipment_type_prices%'`).Scan(&pid)
		if pid == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if pid == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("the child import never reached the locked table")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// The server notices the dead client once the COPY goes on; wait (bounded)
	// for the backend to end.
	for i := 0; i < 600; i++ {
		var n int
		_ = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n)
		if n == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, tbl := range ContractTables {
		if n := count(t, conn, "SELECT count(*) FROM "+tbl); n != 0 {
			t.Errorf("%s has %d rows after a killed import", tbl, n)
		}
	}
	_, runs, err := List(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != "interrupted" {
		t.Errorf("runs = %+v, want one interrupted", runs)
	}
}

// killChild is the child side of TestKilledImportLeavesNothing.
func killChild(t *testing.T, dsn string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("KILLED"))
	t.Fatalf("import returned (%v); it should have been killed", err)
}

// BenchmarkImportFullSample measures parse + import (with --replace) of the
// full-size sample workbook, as `securemig pricing import` does it.
func BenchmarkImportFullSample(b *testing.B) { benchImport(b, 1) }

// BenchmarkImportScale25 is the same for the --scale 25 sample (about 1.2 M
// rate-engine rows); peak memory is measured on the command (see the report).
func BenchmarkImportScale25(b *testing.B) { benchImport(b, 25) }

// benchImport measures parse + import of a generated sample of the given scale.
func benchImport(b *testing.B, scale int) {
	ctx := context.Background()
	wb := filepath.Join(b.TempDir(), "sample.xlsx")
	refPath := sample.DefaultRateAreasPath(wb)
	if _, err := sample.GenerateFiles(ctx, wb, refPath, sample.Options{Seed: 1, Scale: scale}); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pgtest.NewSchemaDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	o := opts("BENCH")
	o.Replace = true
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := parser.ParseFile(ctx, wb)
		if err != nil {
			b.Fatal(err)
		}
		ref, _, err := zipref.ReadFile(refPath)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Import(ctx, conn, res, ref, o); err != nil {
			b.Fatal(err)
		}
	}
}
