package report

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is the read access Load needs: a *pgx.Conn, a pgx.Tx or a pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrNoContract is returned (wrapped) when a contract code does not exist.
var ErrNoContract = errors.New("contract not found")

// CompareNone as Request.CompareTo turns the diff off, like NoDiff.
const CompareNone = "none"

// Request says which report Generate builds.
type Request struct {
	ContractCode string
	// CompareTo is the contract to diff against; "" means the contract that
	// came before this one (see Generate), CompareNone no diff.
	CompareTo string
	NoDiff    bool // build no diff even when other contracts exist
	Options   Options
}

// Generate reads the contract (and its diff base) in one read-only,
// repeatable-read transaction and analyses it.
//
// Without an explicit CompareTo, the diff base is the contract that came
// before this one: the latest contract whose first contract year starts
// earlier, or that starts on the same date and was imported earlier (ties:
// contract code). A newer contract is never the default base, so importing
// one does not change an older contract's report. Contracts without
// contract years sort after every dated one.
func Generate(ctx context.Context, conn *pgx.Conn, req Request) (*Report, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("report: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	return generate(ctx, tx, req)
}

// generate loads and analyses with q.
func generate(ctx context.Context, q Querier, req Request) (*Report, error) {
	cur, err := Load(ctx, q, req.ContractCode)
	if err != nil {
		return nil, err
	}
	var (
		prev *Dataset
		cmp  comparison
	)
	switch {
	case req.NoDiff || req.CompareTo == CompareNone:
		cmp = comparison{rule: CompareOff, reason: "the comparison was turned off (compare to none)"}
	case req.CompareTo == req.ContractCode:
		return nil, fmt.Errorf("report: cannot compare contract %q with itself", req.ContractCode)
	default:
		contracts, err := loadContractOrder(ctx, q)
		if err != nil {
			return nil, err
		}
		base := req.CompareTo
		if base == "" {
			base, cmp = previousOf(contracts, req.ContractCode)
		} else {
			cmp = requestedComparison(contracts, req.ContractCode, base)
		}
		if base != "" {
			if prev, err = Load(ctx, q, base); err != nil {
				return nil, fmt.Errorf("report: comparison contract: %w", err)
			}
		}
	}
	r := Analyze(cur, prev, req.Options)
	r.Summary.Comparison, r.Summary.ComparisonReason = cmp.rule, cmp.reason
	return r, nil
}

// Comparison rules: how the diff base of a report was chosen.
const (
	ComparePrevious  = "previous"  // the contract that came before this one
	CompareRequested = "requested" // named by the caller
	CompareEarliest  = "earliest"  // no contract came before this one: no diff
	CompareOff       = "off"       // the diff was turned off
)

// comparison says how the diff base was chosen, and why.
type comparison struct {
	rule   string // one of the Compare* rules
	reason string // for people, e.g. "B is the contract before A: ..."
}

// contractOrder is one contract's place in the order of contracts.
type contractOrder struct {
	code     string
	start    *time.Time // start of its first contract year; nil without years
	imported time.Time  // re_contracts.created_at: when it was imported
}

// loadContractOrder reads every contract's start date and import time.
func loadContractOrder(ctx context.Context, q Querier) ([]contractOrder, error) {
	rows, err := q.Query(ctx, `SELECT c.code, min(y.start_date)::timestamp, c.created_at
		FROM re_contracts c LEFT JOIN re_contract_years y ON y.contract_id = c.id GROUP BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("report: listing contracts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (contractOrder, error) {
		var c contractOrder
		err := r.Scan(&c.code, &c.start, &c.imported)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("report: listing contracts: %w", err)
	}
	return list, nil
}

// before orders contracts: by start date (undated last), then import
// time, then code.
func (c contractOrder) before(o contractOrder) bool {
	switch {
	case c.start != nil && o.start != nil && !c.start.Equal(*o.start):
		return c.start.Before(*o.start)
	case (c.start == nil) != (o.start == nil):
		return c.start != nil
	case !c.imported.Equal(o.imported):
		return c.imported.Before(o.imported)
	}
	return c.code < o.code
}

// startText renders a contract's start date for a reason.
func (c contractOrder) startText() string {
	if c.start == nil {
		return "has no contract years"
	}
	return "starts " + c.start.Format(time.DateOnly)
}

// findContract returns the contract with code.
func findContract(list []contractOrder, code string) (contractOrder, bool) {
	for _, c := range list {
		if c.code == code {
			return c, true
		}
	}
	return contractOrder{}, false
}

// previousOf returns the contract that came before code ("" when none)
// and why.
func previousOf(list []contractOrder, code string) (string, comparison) {
	cur, ok := findContract(list, code)
	if !ok {
		return "", comparison{rule: CompareEarliest, reason: "the contract is not in the contract list"}
	}
	var prev *contractOrder
	for i, c := range list {
		if c.before(cur) && (prev == nil || prev.before(c)) {
			prev = &list[i]
		}
	}
	if prev == nil {
		return "", comparison{rule: CompareEarliest, reason: fmt.Sprintf(
			"no contract came before %s (it %s): there is nothing to compare it to; newer contracts are never compared", code, cur.startText())}
	}
	var why string
	if prev.start != nil && cur.start != nil && prev.start.Equal(*cur.start) {
		why = fmt.Sprintf("both start %s and %s was imported earlier (%s)", cur.start.Format(time.DateOnly), prev.code,
			prev.imported.UTC().Format("2006-01-02 15:04:05 UTC"))
	} else {
		why = fmt.Sprintf("%s %s, %s %s", prev.code, prev.startText(), code, cur.startText())
	}
	return prev.code, comparison{rule: ComparePrevious, reason: fmt.Sprintf(
		"%s is the contract that came before %s (by contract start date, then import time): %s", prev.code, code, why)}
}

// requestedComparison explains a diff base the caller named.
func requestedComparison(list []contractOrder, code, base string) comparison {
	reason := base + " was requested"
	cur, ok1 := findContract(list, code)
	b, ok2 := findContract(list, base)
	if ok1 && ok2 && cur.before(b) {
		reason += fmt.Sprintf("; note that it is newer than %s (%s %s, %s %s)", code, base, b.startText(), code, cur.startText())
	}
	return comparison{rule: CompareRequested, reason: reason}
}

// Load reads one contract from the database, with the Excel rows of its
// import (see loadSources).
func Load(ctx context.Context, q Querier, code string) (*Dataset, error) {
	d := &Dataset{Code: code}
	var id [16]byte
	err := q.QueryRow(ctx, `SELECT id, name, created_at FROM re_contracts WHERE code = $1`, code).
		Scan(&id, &d.Name, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("report: %w: %q", ErrNoContract, code)
	}
	if err != nil {
		return nil, fmt.Errorf("report: reading contract %q: %w", code, err)
	}
	steps := []struct {
		what string
		load func(context.Context, Querier, *Dataset, [16]byte) error
	}{
		{"import log", loadImport},
		{"contract years", loadYears},
		{"geography", loadGeography},
		{"prices", loadPrices},
		{"workbook source rows", loadSources},
	}
	for _, s := range steps {
		if err := s.load(ctx, q, d, id); err != nil {
			return nil, fmt.Errorf("report: reading %s of contract %q: %w", s.what, code, err)
		}
	}
	return d, nil
}

// loadImport reads the contract's latest completed import log entry (or,
// without one, its latest entry of any status).
func loadImport(ctx context.Context, q Querier, d *Dataset, _ [16]byte) error {
	im := &ImportLog{}
	err := q.QueryRow(ctx, `SELECT id, workbook_name, workbook_sha256, tool_version, status, started_at, finished_at, row_counts
		FROM pricing_imports WHERE contract_code = $1
		ORDER BY (status = 'imported') DESC, started_at DESC LIMIT 1`, d.Code).
		Scan(&d.importID, &im.WorkbookName, &im.WorkbookSHA256, &im.ToolVersion, &im.Status, &im.StartedAt, &im.FinishedAt, &im.RowCounts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	d.Import = im
	return nil
}

func loadYears(ctx context.Context, q Querier, d *Dataset, id [16]byte) error {
	rows, err := q.Query(ctx, `SELECT name, round(escalation * 100000)::bigint, round(escalation_compounded * 100000)::bigint
		FROM re_contract_years WHERE contract_id = $1 ORDER BY start_date`, id)
	if err != nil {
		return err
	}
	d.Years, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Year, error) {
		var y Year
		err := r.Scan(&y.Name, &y.Escalation, &y.Compounded)
		return y, err
	})
	return err
}

func loadGeography(ctx context.Context, q Querier, d *Dataset, id [16]byte) error {
	var err error
	if d.ServiceAreas, err = collectStrings(ctx, q,
		`SELECT service_area FROM re_domestic_service_areas WHERE contract_id = $1 ORDER BY service_area`, id); err != nil {
		return err
	}
	if d.Zip5s, err = collectStrings(ctx, q,
		`SELECT zip5 FROM re_zip5_rate_areas WHERE contract_id = $1 ORDER BY zip5`, id); err != nil {
		return err
	}
	rows, err := q.Query(ctx, `SELECT code, is_oconus FROM re_rate_areas WHERE contract_id = $1 ORDER BY code`, id)
	if err != nil {
		return err
	}
	if d.RateAreas, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (RateArea, error) {
		var a RateArea
		err := r.Scan(&a.Code, &a.Oconus)
		return a, err
	}); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT z.zip3, coalesce(r.code, ''), z.has_multiple_rate_areas
		FROM re_zip3s z LEFT JOIN re_rate_areas r ON r.id = z.rate_area_id
		WHERE z.contract_id = $1 ORDER BY z.zip3`, id)
	if err != nil {
		return err
	}
	d.Zip3s, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Zip3, error) {
		var z Zip3
		err := r.Scan(&z.Zip3, &z.RateArea, &z.Multi)
		return z, err
	})
	return err
}

func collectStrings(ctx context.Context, q Querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// pricesSQL reads every price of a contract in one round trip, as
// (table, service, is_peak, area, dest, weight and miles bounds, value).
var pricesSQL = fmt.Sprintf(`
SELECT %d, '', p.is_peak_period, a.service_area, '', p.weight_lower, p.weight_upper, p.miles_lower, p.miles_upper, p.price_millicents::bigint
  FROM re_domestic_linehaul_prices p JOIN re_domestic_service_areas a ON a.id = p.domestic_service_area_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, p.is_peak_period, a.service_area, '', 0, 0, 0, 0, p.price_cents
  FROM re_domestic_service_area_prices p JOIN re_services s ON s.id = p.service_id
  JOIN re_domestic_service_areas a ON a.id = p.domestic_service_area_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, p.is_peak_period, p.schedule::text, '', 0, 0, 0, 0, p.price_cents
  FROM re_domestic_other_prices p JOIN re_services s ON s.id = p.service_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, p.is_peak_period, o.code, d.code, 0, 0, 0, 0, p.per_unit_cents
  FROM re_intl_prices p JOIN re_services s ON s.id = p.service_id
  JOIN re_rate_areas o ON o.id = p.origin_rate_area_id JOIN re_rate_areas d ON d.id = p.destination_rate_area_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, p.is_peak_period, r.code, '', 0, 0, 0, 0, p.per_unit_cents
  FROM re_intl_other_prices p JOIN re_services s ON s.id = p.service_id JOIN re_rate_areas r ON r.id = p.rate_area_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, NULL, y.name, '', 0, 0, 0, 0, f.price_cents
  FROM re_task_order_fees f JOIN re_services s ON s.id = f.service_id JOIN re_contract_years y ON y.id = f.contract_year_id
 WHERE y.contract_id = $1
UNION ALL
SELECT %d, '', NULL, '', '', 0, 0, 0, 0, p.price_cents
  FROM re_contract_transition_prices p WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, NULL, p.services_schedule::text, '', 0, 0, 0, 0, p.per_unit_cents
  FROM re_domestic_accessorial_prices p JOIN re_services s ON s.id = p.service_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, NULL, p.market, '', 0, 0, 0, 0, p.per_unit_cents
  FROM re_intl_accessorial_prices p JOIN re_services s ON s.id = p.service_id
 WHERE p.contract_id = $1
UNION ALL
SELECT %d, s.code, NULL, p.market, '', 0, 0, 0, 0, round(p.factor * 100)::bigint
  FROM re_shipment_type_prices p JOIN re_services s ON s.id = p.service_id
 WHERE p.contract_id = $1`,
	Linehaul, ServiceAreaPrices, OtherDomestic, Intl, IntlOther, TaskOrderFees, Transition,
	DomAccessorial, IntlAccessorial, ShipmentType)

func loadPrices(ctx context.Context, q Querier, d *Dataset, id [16]byte) error {
	rows, err := q.Query(ctx, pricesSQL, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		p    Price
		t    int
		peak *bool
		in   interner
	)
	l := &priceList{p: make([]packed, 0, loggedPrices(d.Import))}
	for rows.Next() {
		if err := rows.Scan(&t, &p.Service, &peak, &p.Area, &p.Dest, &p.WeightLower, &p.WeightUpper,
			&p.MilesLower, &p.MilesUpper, &p.Value); err != nil {
			return err
		}
		if t < 0 || t >= int(numTables) {
			return fmt.Errorf("price of unknown table %d", t)
		}
		p.Table = Table(t)
		switch {
		case peak == nil:
			p.Season = NoSeason
		case *peak:
			p.Season = Peak
		default:
			p.Season = NonPeak
		}
		l.p = append(l.p, in.pack(p))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	l.texts = in.texts
	// Sorted as Analyze needs them, so it can use them without a copy.
	l.sort()
	d.packed = l
	return nil
}

// maxLoggedPrices caps the capacity loggedPrices suggests, so a damaged
// log entry cannot make Load reserve unbounded memory.
const maxLoggedPrices = 20_000_000

// loggedPrices returns the number of prices the import log says the
// contract's import wrote (0 without a log entry): the capacity that spares
// Load regrowing and copying a slice of over a million prices.
func loggedPrices(im *ImportLog) int {
	if im == nil {
		return 0
	}
	var n int64
	for t := range numTables {
		if c := im.RowCounts[t.String()]; c > 0 {
			n += c
		}
	}
	return int(min(n, maxLoggedPrices))
}

// stagingOwner returns the contract code and status of the import whose
// data the staging tables hold: the last import that committed.
func stagingOwner(ctx context.Context, q Querier) (code, status string, err error) {
	err = q.QueryRow(ctx, `SELECT contract_code, status FROM pricing_imports
		WHERE status IN ('imported', 'rolled-back') AND finished_at IS NOT NULL
		ORDER BY finished_at DESC, started_at DESC LIMIT 1`).Scan(&code, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	return code, status, err
}

// sourcesSQL reads the Excel row of every staged workbook key.
const sourcesSQL = `
SELECT '2a', service_area_number, '', min(source_row) FROM stage_domestic_linehaul_prices GROUP BY 2
UNION ALL SELECT '2b', service_area_number, '', min(source_row) FROM stage_domestic_service_area_prices GROUP BY 2
UNION ALL SELECT '2c pack', services_schedule, service_provided, min(source_row) FROM stage_domestic_other_pack_prices GROUP BY 2, 3
UNION ALL SELECT '2c sit', sit_pickup_delivery_schedule, '', min(source_row) FROM stage_domestic_other_sit_prices GROUP BY 2
UNION ALL SELECT '3a', origin_intl_price_area_id, destination_intl_price_area_id, min(source_row) FROM stage_oconus_to_oconus_prices GROUP BY 2, 3
UNION ALL SELECT '3b', origin_domestic_price_area_code, destination_intl_price_area_id, min(source_row) FROM stage_conus_to_oconus_prices GROUP BY 2, 3
UNION ALL SELECT '3c', origin_intl_price_area_id, destination_domestic_price_area_area, min(source_row) FROM stage_oconus_to_conus_prices GROUP BY 2, 3
UNION ALL SELECT '3d', rate_area_code, '', min(source_row) FROM stage_other_intl_prices GROUP BY 2
UNION ALL SELECT '3e', origin_id, destination_id, min(source_row) FROM stage_non_standard_locn_prices GROUP BY 2, 3
UNION ALL SELECT '4a ms', contract_year, '', min(source_row) FROM stage_shipment_management_services_prices GROUP BY 2
UNION ALL SELECT '4a cs', contract_year, '', min(source_row) FROM stage_counseling_services_prices GROUP BY 2
UNION ALL SELECT '4a transition', '', '', min(source_row) FROM stage_transition_prices HAVING count(*) > 0
UNION ALL SELECT '5a domestic', services_schedule, service_provided, min(source_row) FROM stage_domestic_move_accessorial_prices GROUP BY 2, 3
UNION ALL SELECT '5a intl', market, service_provided, min(source_row) FROM stage_international_move_accessorial_prices GROUP BY 2, 3
UNION ALL SELECT '5a additional', market, shipment_type, min(source_row) FROM stage_domestic_international_additional_prices GROUP BY 2, 3
UNION ALL SELECT '5b', contract_year, '', min(source_row) FROM stage_price_escalation_discounts GROUP BY 2`

// recordedSourcesSQL reads the Excel rows an import recorded.
const recordedSourcesSQL = `SELECT s.source, u.a, u.b, u.r FROM pricing_import_sources s,
	unnest(s.key_a, s.key_b, s.source_row) AS u(a, b, r) WHERE s.import_id = $1`

// loadSources reads the Excel rows of the contract's workbook row keys:
// those its import recorded in pricing_import_sources, or, for an import
// made before imports recorded them, the staging tables' when they hold
// this contract's import. Otherwise d.Sources stays nil.
func loadSources(ctx context.Context, q Querier, d *Dataset, _ [16]byte) error {
	if d.Import == nil || d.Import.Status != "imported" {
		return nil
	}
	src, err := collectSources(ctx, q, recordedSourcesSQL, d.importID)
	if err != nil || len(src) > 0 {
		d.Sources = src
		return err
	}
	code, status, err := stagingOwner(ctx, q)
	if err != nil || code != d.Code || status != "imported" {
		return err
	}
	d.Sources, err = collectSources(ctx, q, sourcesSQL)
	return err
}

// collectSources reads (source, key a, key b, Excel row) rows into
// Sources, keeping the first row of a key; nil when there are none.
func collectSources(ctx context.Context, q Querier, sql string, args ...any) (Sources, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		src     Sources
		s, a, b string
		row     int
	)
	for rows.Next() {
		if err := rows.Scan(&s, &a, &b, &row); err != nil {
			return nil, err
		}
		k := SourceKey{Source: Source(s), A: strings.TrimSpace(a), B: strings.TrimSpace(b)}
		k.A, k.B = normalizeSourceKey(k.Source, k.A, k.B)
		if src == nil {
			src = Sources{}
		}
		if r, dup := src[k]; !dup || row < r {
			src[k] = row
		}
	}
	return src, rows.Err()
}

// normalizeSourceKey turns staged display texts into the forms the re_*
// tables use: 3-digit service areas, plain schedule numbers, markets C/O.
func normalizeSourceKey(s Source, a, b string) (string, string) {
	switch s {
	case Src2a, Src2b:
		if n, ok := integerText(a); ok {
			a = fmt.Sprintf("%03d", n)
		}
	case Src2cPack, Src2cSIT, Src5aDom:
		if n, ok := integerText(a); ok {
			a = strconv.Itoa(n)
		}
	case Src5aIntl, Src5aAddition:
		switch strings.ToUpper(a) {
		case "CONUS":
			a = "C"
		case "OCONUS":
			a = "O"
		}
	}
	return a, b
}

// integerText parses "8", "056" or "4.0" (digits, optionally a point and
// zeros) as an integer.
func integerText(s string) (int, bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
