package importer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/securemig/securemig/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// connect opens a connection to a fresh schema database.
func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewSchemaDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func opts(code string) Options {
	return Options{ContractCode: code, WorkbookName: "small.xlsx", WorkbookSHA256: strings.Repeat("ab", 32),
		ToolVersion: "test"}
}

// tableHashes returns an md5 of every contract table's rows (ordered by id)
// and of re_services; with exclude set, the timestamps are left out.
func tableHashes(t *testing.T, conn *pgx.Conn, noTimestamps bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range append([]string{"re_services"}, ContractTables...) {
		expr := "t::text"
		if noTimestamps {
			expr = "(to_jsonb(t) - 'created_at' - 'updated_at')::text"
		}
		var h string
		err := conn.QueryRow(context.Background(),
			"SELECT coalesce(md5(string_agg("+expr+", '|' ORDER BY t.id)), '') FROM "+tbl+" t").Scan(&h)
		if err != nil {
			t.Fatal(err)
		}
		out[tbl] = h
	}
	return out
}

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestImportSmall(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	sum, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("SMALL-1"))
	if err != nil {
		t.Fatal(err)
	}
	for tbl, want := range smallCounts {
		if sum.Counts[tbl] != want {
			t.Errorf("summary %s = %d, want %d", tbl, sum.Counts[tbl], want)
		}
		if got := count(t, conn, "SELECT count(*) FROM "+tbl); got != want {
			t.Errorf("%s has %d rows, want %d", tbl, got, want)
		}
	}
	if got := count(t, conn, "SELECT count(*) FROM stage_domestic_linehaul_prices"); got != 120 {
		t.Errorf("stage_domestic_linehaul_prices has %d rows", got)
	}
	spots := []struct {
		name, sql string
		want      string
	}{
		{"linehaul", `SELECT p.price_millicents::text FROM re_domestic_linehaul_prices p
			JOIN re_domestic_service_areas s ON s.id = p.domestic_service_area_id
			WHERE s.service_area = '004' AND weight_lower = 5000 AND miles_lower = 2501 AND NOT is_peak_period`, "745600"},
		{"service area price", `SELECT p.price_cents::text FROM re_domestic_service_area_prices p
			JOIN re_services v ON v.id = p.service_id JOIN re_domestic_service_areas s ON s.id = p.domestic_service_area_id
			WHERE v.code = 'DSH' AND s.service_area = '004' AND NOT is_peak_period`, "127"},
		{"task order fee", `SELECT f.price_cents::text FROM re_task_order_fees f JOIN re_services v ON v.id = f.service_id
			JOIN re_contract_years y ON y.id = f.contract_year_id WHERE v.code = 'MS' AND y.name = 'Base Period Year 1'`, "45115"},
		{"shipment factor", `SELECT p.factor::text FROM re_shipment_type_prices p JOIN re_services v ON v.id = p.service_id
			WHERE v.code = 'DMHF' AND market = 'C'`, "1.20"},
		{"escalation", `SELECT escalation_compounded::text || ' ' || start_date || ' ' || end_date FROM re_contract_years
			WHERE name = 'Base Period Year 2'`, "1.02060 2022-02-01 2023-01-31"},
		{"transition", `SELECT description || ' ' || price_cents FROM re_contract_transition_prices`,
			"One-time Amount (applied in Base Period Year 1) 45018"},
		{"zip3 multiple", `SELECT has_multiple_rate_areas::text || coalesce(rate_area_id::text, '-') FROM re_zip3s WHERE zip3 = '351'`, "true-"},
		{"zip3 rate area", `SELECT r.code || ' ' || z.base_point_city FROM re_zip3s z JOIN re_rate_areas r ON r.id = z.rate_area_id WHERE zip3 = '350'`, "US11 Birmingham"},
		{"zip5", `SELECT r.code FROM re_zip5_rate_areas z JOIN re_rate_areas r ON r.id = z.rate_area_id WHERE zip5 = '35102'`, "US68"},
		{"service area schedules", `SELECT services_schedule || '/' || sit_pd_schedule FROM re_domestic_service_areas WHERE service_area = '008'`, "2/3"},
		{"rate areas", `SELECT string_agg(code || ':' || is_oconus, ',' ORDER BY code) FROM re_rate_areas`, "AR:true,NSRA1:true,US11:false,US68:false"},
		{"less 50 miles", `SELECT count(*) FILTER (WHERE is_less_50_miles) || '/' || count(*) FILTER (WHERE NOT is_less_50_miles)
			|| '/' || count(*) FILTER (WHERE is_less_50_miles IS NULL) FROM re_intl_other_prices`, "6/6/48"},
		{"3e CONUS destination", `SELECT count(*)::text FROM re_intl_prices p JOIN re_rate_areas o ON o.id = p.origin_rate_area_id
			JOIN re_rate_areas d ON d.id = p.destination_rate_area_id WHERE o.code = 'NSRA1' AND d.code = 'US11'`, "4"},
		{"stage order", `SELECT string_agg(source_row::text, ',' ORDER BY stage_row) FROM stage_domestic_service_areas`, "10,11,12"},
		{"stage text", `SELECT zip3s FROM stage_domestic_service_areas WHERE stage_row = 3`, "357,350"},
		{"log", `SELECT status || ' ' || (row_counts->>'re_intl_prices') FROM pricing_imports`, "imported 36"},
	}
	for _, s := range spots {
		var got string
		if err := conn.QueryRow(ctx, s.sql).Scan(&got); err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		if got != s.want {
			t.Errorf("%s = %q, want %q", s.name, got, s.want)
		}
	}
	if sum.ContractID != ContractID("SMALL-1") {
		t.Errorf("contract id %s", sum.ContractID)
	}
}

func TestReimportAndReplace(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("C1")); err != nil {
		t.Fatal(err)
	}
	before := tableHashes(t, conn, false)
	_, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("C1"))
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(pe.Problems[0].String(), "contract C1: contract code already exists") {
		t.Fatalf("re-import error = %v", err)
	}
	if after := tableHashes(t, conn, false); !equalMaps(before, after) {
		t.Error("failed re-import changed the database")
	}
	o := opts("C1")
	o.Replace = true
	o.Now = time.Now().Add(time.Hour)
	sum, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), o)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Replaced {
		t.Error("summary does not say replaced")
	}
	if after := tableHashes(t, conn, false); equalMaps(before, after) {
		t.Error("replace did not rewrite the rows (timestamps unchanged)")
	}
	withoutTS := tableHashes(t, conn, true)
	if err := func() error { // the rows other than timestamps equal a fresh import's
		conn2 := connect(t)
		if _, err := Import(ctx, conn2, smallRecords(), smallRef(t, smallRefCSV), opts("C1")); err != nil {
			return err
		}
		if fresh := tableHashes(t, conn2, true); !equalMaps(fresh, withoutTS) {
			return errors.New("replaced rows differ from a fresh import (ids or values)")
		}
		return nil
	}(); err != nil {
		t.Error(err)
	}
	if got := count(t, conn, `SELECT count(*) FROM pricing_imports WHERE status = 'rolled-back'`); got != 1 {
		t.Errorf("%d rolled-back log rows after replace, want 1", got)
	}
	if got := count(t, conn, `SELECT count(*) FROM pricing_imports WHERE status = 'failed' AND problems = 1`); got != 1 {
		t.Errorf("%d failed log rows, want 1", got)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRollbackOnlyThatContract(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("KEEP")); err != nil {
		t.Fatal(err)
	}
	before := tableHashes(t, conn, false)
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("DROP")); err != nil {
		t.Fatal(err)
	}
	counts, err := Rollback(ctx, conn, "DROP")
	if err != nil {
		t.Fatal(err)
	}
	for tbl, want := range smallCounts {
		if counts[tbl] != want {
			t.Errorf("rollback deleted %d rows of %s, want %d", counts[tbl], tbl, want)
		}
	}
	if after := tableHashes(t, conn, false); !equalMaps(before, after) {
		for k := range before {
			if before[k] != after[k] {
				t.Errorf("%s changed by the rollback of another contract", k)
			}
		}
	}
	if got := count(t, conn, `SELECT count(*) FROM pricing_imports WHERE contract_code = 'DROP' AND status = 'rolled-back'`); got != 1 {
		t.Errorf("DROP import not marked rolled back")
	}
	if _, err := Rollback(ctx, conn, "DROP"); !errors.Is(err, ErrNoContract) {
		t.Errorf("second rollback: %v", err)
	}
	contracts, runs, err := List(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(contracts) != 1 || contracts[0].Code != "KEEP" || contracts[0].Years != 2 {
		t.Errorf("contracts = %+v", contracts)
	}
	if len(runs) != 2 || runs[0].ContractCode != "DROP" || runs[0].Status != "rolled-back" || runs[1].Status != "imported" {
		t.Errorf("runs = %+v", runs)
	}
}

func TestProblemsReportedTogether(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("TAKEN")); err != nil {
		t.Fatal(err)
	}
	before := tableHashes(t, conn, false)
	res := smallRecords()
	r := &res.Records
	r.DomesticServiceAreaPrices[3].ServiceArea = "452"                  // a 2b service area missing from 1b
	r.OtherIntlPrices = append(r.OtherIntlPrices, r.OtherIntlPrices[0]) // a duplicate natural key
	r.OtherIntlPrices[6].Key.Row = 40
	ref := smallRef(t, strings.Replace(smallRefCSV, "363,,US68\n", "", 1)) // zip3 363 without rate area
	_, err := Import(ctx, conn, res, ref, opts("TAKEN"))
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"small.rate-areas.csv: zip3 363 (1b) Service Areas!F11) has no zip3 line",
		"contract TAKEN: contract code already exists",
		"2b) Dom. Service Area Prices!C12: service area 452 is not in 1b) Service Areas",
		"3d) Other International Prices!E40: duplicate re_intl_other_prices row: same natural key as 3d) Other International Prices!E11",
	}
	got := make([]string, len(pe.Problems))
	for i, p := range pe.Problems {
		got[i] = p.String()
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("missing problem %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if after := tableHashes(t, conn, false); !equalMaps(before, after) {
		t.Error("a failed import changed the database")
	}
	if got := count(t, conn, `SELECT count(*) FROM pricing_imports WHERE status = 'failed' AND problems >= 4`); got != 1 {
		t.Errorf("failed import not logged with its problems")
	}
}

func TestDatabaseRejectionNamesCell(t *testing.T) {
	conn := connect(t)
	res := smallRecords()
	res.Records.DomesticServiceAreaPrices[2].SITAddlDays = money(0) // 008 NonPeak L11: CHECK price_cents > 0
	_, err := Import(context.Background(), conn, res, smallRef(t, smallRefCSV), opts("ZERO"))
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 {
		t.Fatalf("err = %v", err)
	}
	want := "2b) Dom. Service Area Prices!L12: re_domestic_service_area_prices: rejected by the database (SQLSTATE 23514, constraint re_domestic_service_area_prices_price_cents_check)"
	if got := pe.Problems[0].String(); got != want {
		t.Errorf("problem = %q\nwant      %q", got, want)
	}
	if n := count(t, conn, "SELECT count(*) FROM re_contracts"); n != 0 {
		t.Errorf("%d contracts after a failed import", n)
	}
}

func TestInvalidContractCode(t *testing.T) {
	for _, code := range []string{"", "a b", "x;drop", strings.Repeat("a", 81), "é"} {
		if _, err := Import(context.Background(), nil, smallRecords(), nil, opts(code)); err == nil ||
			!strings.Contains(err.Error(), "invalid contract code") {
			t.Errorf("code %q: err = %v", code, err)
		}
	}
	for _, code := range []string{"A", "abc-DEF_123"} {
		if !ValidContractCode(code) {
			t.Errorf("%q rejected", code)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&pgconn.PgError{Code: "22P02", Message: `invalid input syntax for type integer: "12.5"`,
			Where: `COPY re_x, line 7, column price_cents: "12.5"`, ColumnName: "price_cents"},
			"rejected by the database (SQLSTATE 22P02, column price_cents, line 7)"},
		{&pgconn.PgError{Code: "23505", Message: `duplicate key value violates unique constraint "k"`,
			Detail: "Key (id)=(1) already exists.", ConstraintName: "k"},
			`rejected by the database (duplicate key value violates unique constraint "k", SQLSTATE 23505, constraint k)`},
		{errors.New("plain"), "plain"},
	}
	for _, tc := range tests {
		if got := redact(tc.err).Error(); got != tc.want {
			t.Errorf("redact = %q, want %q", got, tc.want)
		}
	}
}
