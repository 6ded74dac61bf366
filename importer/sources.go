package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/parser"
)

// Source rows.
//
// The import records, per import, the Excel row of every row key of the
// price sheets in pricing_import_sources, so the report can name exact
// workbook cells of any imported contract after the staging tables have
// moved on to a later import. The rows are collected while the staging
// tables are loaded (a comparison per stage row) and written with COPY in
// the import transaction, one row per workbook table holding its keys and
// rows as arrays: 16 rows per import, however large the workbook.

// sourceKey says which staging columns form the row key of one workbook
// table; b is "" for one-part keys, and both are "" for a table of one row.
type sourceKey struct {
	source, table, a, b string
}

// sourceKeys lists the workbook tables whose rows are recorded. The source
// names are the report's (see migrations/schema, pricing_import_sources).
var sourceKeys = []sourceKey{
	{"2a", "stage_domestic_linehaul_prices", "service_area_number", ""},
	{"2b", "stage_domestic_service_area_prices", "service_area_number", ""},
	{"2c pack", "stage_domestic_other_pack_prices", "services_schedule", "service_provided"},
	{"2c sit", "stage_domestic_other_sit_prices", "sit_pickup_delivery_schedule", ""},
	{"3a", "stage_oconus_to_oconus_prices", "origin_intl_price_area_id", "destination_intl_price_area_id"},
	{"3b", "stage_conus_to_oconus_prices", "origin_domestic_price_area_code", "destination_intl_price_area_id"},
	{"3c", "stage_oconus_to_conus_prices", "origin_intl_price_area_id", "destination_domestic_price_area_area"},
	{"3d", "stage_other_intl_prices", "rate_area_code", ""},
	{"3e", "stage_non_standard_locn_prices", "origin_id", "destination_id"},
	{"4a ms", "stage_shipment_management_services_prices", "contract_year", ""},
	{"4a cs", "stage_counseling_services_prices", "contract_year", ""},
	{"4a transition", "stage_transition_prices", "", ""},
	{"5a domestic", "stage_domestic_move_accessorial_prices", "services_schedule", "service_provided"},
	{"5a intl", "stage_international_move_accessorial_prices", "market", "service_provided"},
	{"5a additional", "stage_domestic_international_additional_prices", "market", "shipment_type"},
	{"5b", "stage_price_escalation_discounts", "contract_year", ""},
}

// sourceRows is one pricing_import_sources row: the row keys of one
// workbook table with the first Excel row of each.
type sourceRows struct {
	source string
	a, b   []string
	row    []int32
}

// sourceTables collects the source rows of every recorded workbook table.
type sourceTables struct {
	tables []*sourceRows
}

// tableCollector returns the function that records a row of staging table
// t filled from rec, or nil when t's rows are not recorded.
func (s *sourceTables) tableCollector(t *parser.StageTable, rec *parser.Records) (func(fields []string, row int), error) {
	var k *sourceKey
	for i := range sourceKeys {
		if sourceKeys[i].table == t.Name {
			k = &sourceKeys[i]
		}
	}
	if k == nil {
		return nil, nil
	}
	col := func(name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		for i, c := range t.Columns {
			if c == name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("import: %s has no column %s", t.Name, name)
	}
	ia, err := col(k.a)
	if err != nil {
		return nil, err
	}
	ib, err := col(k.b)
	if err != nil {
		return nil, err
	}
	n := t.Len(rec) // at most one key per stage row
	r := &sourceRows{source: k.source, a: make([]string, 0, n), b: make([]string, 0, n), row: make([]int32, 0, n)}
	s.tables = append(s.tables, r)
	// The stage rows of one workbook row (its seasons, bands and mileage
	// ranges) follow each other and share its key: one entry per run. A key
	// cannot recur later in an import that commits (its prices would have
	// duplicate natural keys), and readers keep the first row of a key anyway.
	return func(fields []string, row int) {
		var a, b string
		if ia >= 0 {
			a = strings.TrimSpace(fields[ia])
		}
		if ib >= 0 {
			b = strings.TrimSpace(fields[ib])
		}
		if n := len(r.row); n > 0 && r.a[n-1] == a && r.b[n-1] == b {
			r.row[n-1] = min(r.row[n-1], int32(row))
			return
		}
		r.a, r.b, r.row = append(r.a, a), append(r.b, b), append(r.row, int32(row))
	}, nil
}

// copy writes the collected rows of the import with id: one row per
// workbook table, its keys and Excel rows as arrays.
func (s *sourceTables) copy(ctx context.Context, tx pgx.Tx, id [16]byte) error {
	i := 0
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"pricing_import_sources"},
		[]string{"import_id", "source", "key_a", "key_b", "source_row"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for i < len(s.tables) && len(s.tables[i].row) == 0 {
				i++
			}
			if i == len(s.tables) {
				return nil, nil
			}
			r := s.tables[i]
			i++
			return []any{id, r.source, r.a, r.b, r.row}, nil
		}))
	if err != nil {
		return fmt.Errorf("import: recording source rows: %w", redact(err))
	}
	return nil
}

// deleteSources deletes the source rows of the imports of contract code,
// inside the transaction that removes or replaces the contract.
func deleteSources(ctx context.Context, tx pgx.Tx, code string) error {
	_, err := tx.Exec(ctx, `DELETE FROM pricing_import_sources
		WHERE import_id IN (SELECT id FROM pricing_imports WHERE contract_code = $1)`, code)
	if err != nil {
		return fmt.Errorf("import log: deleting the source rows of %s: %w", code, err)
	}
	return nil
}
