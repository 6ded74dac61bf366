package schema_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/migrations/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is one valid row in every rate-engine table, for contract C1, plus
// a second contract C2 with a rate area and a service area of its own.
const fixture = `
INSERT INTO re_contracts VALUES
  ('00000000-0000-0000-0000-0000000000c1', 'C1', 'Contract 1', now(), now()),
  ('00000000-0000-0000-0000-0000000000c2', 'C2', 'Contract 2', now(), now());
INSERT INTO re_contract_years VALUES
  ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000c1', 'Base Period Year 1',
   '2021-02-01', '2022-01-31', 1.0, 1.0, now(), now());
INSERT INTO re_rate_areas VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', false, 'US11', 'Maine', now(), now()),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000c1', true, 'AR', 'Argentina', now(), now()),
  ('00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000c2', false, 'US11', 'Maine', now(), now());
INSERT INTO re_domestic_service_areas VALUES
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', '004', 2, 2, now(), now());
INSERT INTO re_zip3s VALUES
  ('00000000-0000-0000-0000-000000000301', '00000000-0000-0000-0000-0000000000c1', '350', 'Birmingham', 'AL',
   '00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a1', false, now(), now());
INSERT INTO re_zip5_rate_areas VALUES
  ('00000000-0000-0000-0000-000000000501', '00000000-0000-0000-0000-0000000000c1', '35001',
   '00000000-0000-0000-0000-0000000000a1', now(), now());
INSERT INTO re_domestic_linehaul_prices VALUES
  ('00000000-0000-0000-0000-000000000601', '00000000-0000-0000-0000-0000000000c1', 500, 4999, 0, 250, false,
   '00000000-0000-0000-0000-0000000000d1', 0, now(), now());
INSERT INTO re_domestic_service_area_prices VALUES
  ('00000000-0000-0000-0000-000000000701', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'DSH'), false, '00000000-0000-0000-0000-0000000000d1', 127, now(), now());
INSERT INTO re_domestic_other_prices VALUES
  ('00000000-0000-0000-0000-000000000801', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'DPK'), false, 1, 6333, now(), now());
INSERT INTO re_intl_prices VALUES
  ('00000000-0000-0000-0000-000000000901', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'ISLH'), false, '00000000-0000-0000-0000-0000000000a1',
   '00000000-0000-0000-0000-0000000000a2', 1035, now(), now());
INSERT INTO re_intl_other_prices VALUES
  ('00000000-0000-0000-0000-000000000a01', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'IHPK'), false, '00000000-0000-0000-0000-0000000000a2', 6105, NULL, now(), now());
INSERT INTO re_task_order_fees VALUES
  ('00000000-0000-0000-0000-000000000b01', '00000000-0000-0000-0000-000000000001',
   (SELECT id FROM re_services WHERE code = 'MS'), 45115, now(), now());
INSERT INTO re_contract_transition_prices VALUES
  ('00000000-0000-0000-0000-000000000c01', '00000000-0000-0000-0000-0000000000c1', 'One-time', 45018, now(), now());
INSERT INTO re_domestic_accessorial_prices VALUES
  ('00000000-0000-0000-0000-000000000d01', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'DCRT'), 1, 2369, now(), now());
INSERT INTO re_intl_accessorial_prices VALUES
  ('00000000-0000-0000-0000-000000000e01', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'ICRT'), 'O', 2859, now(), now());
INSERT INTO re_shipment_type_prices VALUES
  ('00000000-0000-0000-0000-000000000f01', '00000000-0000-0000-0000-0000000000c1',
   (SELECT id FROM re_services WHERE code = 'DMHF'), 'C', 1.20, now(), now());
INSERT INTO stage_domestic_service_areas VALUES ('Abbottstown', 'PA', '672', '173', 1, 10);
INSERT INTO pricing_imports (id, contract_code, contract_name, workbook_name, workbook_sha256, tool_version)
VALUES ('00000000-0000-0000-0000-000000001001', 'C1', 'C1', 'w.xlsx', repeat('a', 64), 'dev');
`

// Shorthand ids of the fixture.
const (
	c1  = "'00000000-0000-0000-0000-0000000000c1'"
	c2  = "'00000000-0000-0000-0000-0000000000c2'"
	us  = "'00000000-0000-0000-0000-0000000000a1'"
	ar  = "'00000000-0000-0000-0000-0000000000a2'"
	c2a = "'00000000-0000-0000-0000-0000000000a3'"
	dsa = "'00000000-0000-0000-0000-0000000000d1'"
	yr  = "'00000000-0000-0000-0000-000000000001'"
)

// svc returns a subquery for the id of service code.
func svc(code string) string { return "(SELECT id FROM re_services WHERE code = '" + code + "')" }

type violation struct {
	name string
	sql  string
}

// fixtureDB returns a connection to a fresh schema database holding the
// fixture.
func fixtureDB(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if err := schema.Apply(ctx, conn); err != nil {
		t.Fatalf("applying schema: %v", err)
	}
	if _, err := conn.Exec(ctx, fixture); err != nil {
		t.Fatalf("loading fixture: %v", err)
	}
	return conn
}

// expectViolations runs each statement in its own rolled-back transaction
// and requires it to fail with SQLSTATE code.
func expectViolations(t *testing.T, code string, cases []violation) {
	t.Helper()
	conn := fixtureDB(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck // test cleanup
			_, err = tx.Exec(ctx, tc.sql)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != code {
				t.Fatalf("got %v, want SQLSTATE %s", err, code)
			}
		})
	}
}

func TestApplyOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := schema.Apply(ctx, conn); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var re, stage, logs int
	err = conn.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE table_name LIKE 're\_%'),
		count(*) FILTER (WHERE table_name LIKE 'stage\_%'),
		count(*) FILTER (WHERE table_name = 'pricing_imports')
		FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&re, &stage, &logs)
	if err != nil {
		t.Fatal(err)
	}
	if re != 17 || stage != 18 || logs != 1 {
		t.Errorf("tables: %d re_*, %d stage_*, %d import log; want 17, 18, 1", re, stage, logs)
	}
	// The fixture (one valid row per table) must load.
	if _, err := conn.Exec(ctx, fixture); err != nil {
		t.Fatalf("valid rows rejected: %v", err)
	}
}

func TestServicesSeed(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewSchemaDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id, code FROM re_services`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uuid.UUID{}
	for rows.Next() {
		var id uuid.UUID
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			t.Fatal(err)
		}
		got[code] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	codes := []string{"DSH", "DOP", "DDP", "DOFSIT", "DDFSIT", "DOASIT", "DDASIT", "DPK", "DUPK", "DOPSIT",
		"DDDSIT", "DCRT", "DCRTSA", "DUCRT", "DDSHUT", "DOSHUT", "ISLH", "UBP", "IHPK", "IHUPK", "IUBPK",
		"IUBUPK", "IOFSIT", "IDFSIT", "IOASIT", "IDASIT", "IOPSIT", "IDDSIT", "ICRT", "ICRTSA", "IUCRT",
		"IDSHUT", "IOSHUT", "MS", "CS", "DMHF", "DBTF", "IBTF", "DBHF", "IBHF", "DNPK", "INPK"}
	if len(got) != len(codes) {
		t.Errorf("%d services seeded, want %d", len(got), len(codes))
	}
	ns := uuid.MustParse("72a357ed-6cff-5018-9652-59cc37947698")
	for _, c := range codes {
		id, ok := got[c]
		if !ok {
			t.Errorf("service %s not seeded", c)
			continue
		}
		if want := uuid.NewSHA1(ns, []byte("re_services/"+c)); id != want {
			t.Errorf("service %s id %s, want %s", c, id, want)
		}
	}
}

func TestUniqueKeys(t *testing.T) {
	expectViolations(t, "23505", []violation{
		{"services code", `INSERT INTO re_services VALUES (gen_random_uuid(), 'DSH', 'x', now(), now())`},
		{"contracts code", `INSERT INTO re_contracts VALUES (gen_random_uuid(), 'C1', 'x', now(), now())`},
		{"contract years name", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Base Period Year 1', '2030-02-01', '2031-01-31', 1, 1, now(), now())`},
		{"rate areas code", `INSERT INTO re_rate_areas VALUES (gen_random_uuid(), ` + c1 + `, true, 'US11', 'x', now(), now())`},
		{"service areas", `INSERT INTO re_domestic_service_areas VALUES (gen_random_uuid(), ` + c1 + `, '004', 1, 1, now(), now())`},
		{"zip3s", `INSERT INTO re_zip3s VALUES (gen_random_uuid(), ` + c1 + `, '350', 'x', 'AL', ` + dsa + `, ` + us + `, false, now(), now())`},
		{"zip5s", `INSERT INTO re_zip5_rate_areas VALUES (gen_random_uuid(), ` + c1 + `, '35001', ` + us + `, now(), now())`},
		{"linehaul", `INSERT INTO re_domestic_linehaul_prices VALUES (gen_random_uuid(), ` + c1 +
			`, 500, 4999, 0, 250, false, ` + dsa + `, 5, now(), now())`},
		{"service area prices", `INSERT INTO re_domestic_service_area_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DSH") + `, false, ` + dsa + `, 5, now(), now())`},
		{"other prices", `INSERT INTO re_domestic_other_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DPK") + `, false, 1, 5, now(), now())`},
		{"intl prices", `INSERT INTO re_intl_prices VALUES (gen_random_uuid(), ` + c1 + `, ` + svc("ISLH") +
			`, false, ` + us + `, ` + ar + `, 5, now(), now())`},
		{"intl other prices with NULL", `INSERT INTO re_intl_other_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("IHPK") + `, false, ` + ar + `, 5, NULL, now(), now())`},
		{"task order fees", `INSERT INTO re_task_order_fees VALUES (gen_random_uuid(), ` + yr + `, ` + svc("MS") + `, 5, now(), now())`},
		{"transition", `INSERT INTO re_contract_transition_prices VALUES (gen_random_uuid(), ` + c1 + `, 'x', 5, now(), now())`},
		{"domestic accessorial", `INSERT INTO re_domestic_accessorial_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DCRT") + `, 1, 5, now(), now())`},
		{"intl accessorial", `INSERT INTO re_intl_accessorial_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("ICRT") + `, 'O', 5, now(), now())`},
		{"shipment type", `INSERT INTO re_shipment_type_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DMHF") + `, 'C', 1.5, now(), now())`},
		{"primary key", `INSERT INTO re_rate_areas VALUES (` + us + `, ` + c1 + `, false, 'US12', 'x', now(), now())`},
		{"stage row", `INSERT INTO stage_domestic_service_areas VALUES ('x', 'PA', '672', '174', 1, 11)`},
	})
}

func TestChecks(t *testing.T) {
	expectViolations(t, "23514", []violation{
		{"contract code chars", `INSERT INTO re_contracts VALUES (gen_random_uuid(), 'bad code', 'x', now(), now())`},
		{"year dates", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Y', '2030-02-01', '2030-02-01', 1, 1, now(), now())`},
		{"escalation", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Y', '2030-02-01', '2031-01-31', 0, 1, now(), now())`},
		{"escalation compounded", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Y', '2030-02-01', '2031-01-31', 1, 0, now(), now())`},
		{"service area digits", `INSERT INTO re_domestic_service_areas VALUES (gen_random_uuid(), ` + c1 + `, '4', 1, 1, now(), now())`},
		{"services schedule", `INSERT INTO re_domestic_service_areas VALUES (gen_random_uuid(), ` + c1 + `, '005', 4, 1, now(), now())`},
		{"sit schedule", `INSERT INTO re_domestic_service_areas VALUES (gen_random_uuid(), ` + c1 + `, '005', 1, 0, now(), now())`},
		{"zip3 digits", `INSERT INTO re_zip3s VALUES (gen_random_uuid(), ` + c1 + `, '3a1', 'x', 'AL', ` + dsa + `, ` + us + `, false, now(), now())`},
		{"zip3 rate area or multiple", `INSERT INTO re_zip3s VALUES (gen_random_uuid(), ` + c1 + `, '351', 'x', 'AL', ` + dsa + `, NULL, false, now(), now())`},
		{"zip3 multiple with rate area", `INSERT INTO re_zip3s VALUES (gen_random_uuid(), ` + c1 + `, '351', 'x', 'AL', ` + dsa + `, ` + us + `, true, now(), now())`},
		{"zip5 digits", `INSERT INTO re_zip5_rate_areas VALUES (gen_random_uuid(), ` + c1 + `, '3500', ` + us + `, now(), now())`},
		{"linehaul negative", `INSERT INTO re_domestic_linehaul_prices VALUES (gen_random_uuid(), ` + c1 +
			`, 500, 4999, 251, 500, false, ` + dsa + `, -1, now(), now())`},
		{"linehaul weights", `INSERT INTO re_domestic_linehaul_prices VALUES (gen_random_uuid(), ` + c1 +
			`, 5000, 4999, 251, 500, false, ` + dsa + `, 1, now(), now())`},
		{"linehaul miles", `INSERT INTO re_domestic_linehaul_prices VALUES (gen_random_uuid(), ` + c1 +
			`, 500, 4999, 500, 251, false, ` + dsa + `, 1, now(), now())`},
		{"service area price zero", `INSERT INTO re_domestic_service_area_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DOP") + `, false, ` + dsa + `, 0, now(), now())`},
		{"other price schedule", `INSERT INTO re_domestic_other_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DPK") + `, true, 4, 5, now(), now())`},
		{"other price zero", `INSERT INTO re_domestic_other_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DPK") + `, true, 1, 0, now(), now())`},
		{"intl price negative", `INSERT INTO re_intl_prices VALUES (gen_random_uuid(), ` + c1 + `, ` + svc("UBP") +
			`, false, ` + us + `, ` + ar + `, -1, now(), now())`},
		{"intl other negative", `INSERT INTO re_intl_other_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("IOPSIT") + `, false, ` + ar + `, -5, true, now(), now())`},
		{"task order fee zero", `INSERT INTO re_task_order_fees VALUES (gen_random_uuid(), ` + yr + `, ` + svc("CS") + `, 0, now(), now())`},
		{"transition zero", `INSERT INTO re_contract_transition_prices VALUES (gen_random_uuid(), ` + c2 + `, 'x', 0, now(), now())`},
		{"domestic accessorial schedule", `INSERT INTO re_domestic_accessorial_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DUCRT") + `, 0, 5, now(), now())`},
		{"domestic accessorial zero", `INSERT INTO re_domestic_accessorial_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DUCRT") + `, 1, 0, now(), now())`},
		{"intl accessorial market", `INSERT INTO re_intl_accessorial_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("IUCRT") + `, 'X', 5, now(), now())`},
		{"intl accessorial negative", `INSERT INTO re_intl_accessorial_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("IUCRT") + `, 'C', -1, now(), now())`},
		{"shipment type market", `INSERT INTO re_shipment_type_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DBTF") + `, 'c', 1.5, now(), now())`},
		{"shipment type factor", `INSERT INTO re_shipment_type_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("DBTF") + `, 'C', 0, now(), now())`},
		{"stage row positive", `INSERT INTO stage_international_service_areas VALUES ('x', 'AR', 0, 5)`},
		{"import status", `UPDATE pricing_imports SET status = 'done', finished_at = now()`},
		{"import finished with started", `UPDATE pricing_imports SET finished_at = now()`},
		{"import imported unfinished", `UPDATE pricing_imports SET status = 'imported'`},
		{"import rolled back time", `UPDATE pricing_imports SET status = 'rolled-back', finished_at = now()`},
		{"import sha256", `UPDATE pricing_imports SET workbook_sha256 = repeat('A', 64)`},
		{"import row counts", `UPDATE pricing_imports SET row_counts = '[]'`},
		{"import problems", `UPDATE pricing_imports SET problems = -1`},
	})
}

func TestForeignKeys(t *testing.T) {
	const missing = "'00000000-0000-0000-0000-00000000dead'"
	expectViolations(t, "23503", []violation{
		{"year contract", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + missing +
			`, 'Y', '2030-02-01', '2031-01-31', 1, 1, now(), now())`},
		{"rate area contract", `INSERT INTO re_rate_areas VALUES (gen_random_uuid(), ` + missing + `, true, 'GE', 'x', now(), now())`},
		{"zip3 service area", `INSERT INTO re_zip3s VALUES (gen_random_uuid(), ` + c1 + `, '351', 'x', 'AL', ` + missing + `, ` + us + `, false, now(), now())`},
		{"zip3 rate area", `INSERT INTO re_zip3s VALUES (gen_random_uuid(), ` + c1 + `, '351', 'x', 'AL', ` + dsa + `, ` + missing + `, false, now(), now())`},
		{"zip5 rate area", `INSERT INTO re_zip5_rate_areas VALUES (gen_random_uuid(), ` + c1 + `, '35002', ` + missing + `, now(), now())`},
		{"linehaul service area", `INSERT INTO re_domestic_linehaul_prices VALUES (gen_random_uuid(), ` + c1 +
			`, 500, 4999, 251, 500, false, ` + missing + `, 1, now(), now())`},
		{"service area price service", `INSERT INTO re_domestic_service_area_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + missing + `, false, ` + dsa + `, 5, now(), now())`},
		{"intl price destination", `INSERT INTO re_intl_prices VALUES (gen_random_uuid(), ` + c1 + `, ` + svc("UBP") +
			`, false, ` + us + `, ` + missing + `, 5, now(), now())`},
		{"intl other rate area", `INSERT INTO re_intl_other_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + svc("IOPSIT") + `, false, ` + missing + `, 5, true, now(), now())`},
		{"task order fee year", `INSERT INTO re_task_order_fees VALUES (gen_random_uuid(), ` + missing + `, ` + svc("CS") + `, 5, now(), now())`},
		{"transition contract", `INSERT INTO re_contract_transition_prices VALUES (gen_random_uuid(), ` + missing + `, 'x', 5, now(), now())`},
		{"accessorial contract", `INSERT INTO re_intl_accessorial_prices VALUES (gen_random_uuid(), ` + missing +
			`, ` + svc("IUCRT") + `, 'C', 5, now(), now())`},
		{"shipment type service", `INSERT INTO re_shipment_type_prices VALUES (gen_random_uuid(), ` + c1 +
			`, ` + missing + `, 'O', 1.5, now(), now())`},
		{"delete referenced contract", `DELETE FROM re_contracts WHERE id = ` + c1},
		{"delete referenced rate area", `DELETE FROM re_rate_areas WHERE id = ` + ar},
		{"delete referenced service", `DELETE FROM re_services WHERE code = 'MS'`},
	})
}

func TestContractYearExclusion(t *testing.T) {
	expectViolations(t, "23P01", []violation{
		{"overlap", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Y2', '2022-01-01', '2023-01-31', 1, 1, now(), now())`},
		{"shared end day", `INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Y2', '2022-01-31', '2023-01-30', 1, 1, now(), now())`},
	})
	// Scoped per contract: another contract may use the same dates, and the
	// next adjacent year of the same contract is fine.
	conn := fixtureDB(t)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c2 +
			`, 'Base Period Year 1', '2021-02-01', '2022-01-31', 1, 1, now(), now())`,
		`INSERT INTO re_contract_years VALUES (gen_random_uuid(), ` + c1 +
			`, 'Base Period Year 2', '2022-02-01', '2023-01-31', 1.0206, 1.0206, now(), now())`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Errorf("valid year rejected: %v", err)
		}
	}
}

func TestNotNull(t *testing.T) {
	expectViolations(t, "23502", []violation{
		{"contract name", `INSERT INTO re_contracts VALUES (gen_random_uuid(), 'C3', NULL, now(), now())`},
		{"rate area created_at", `INSERT INTO re_rate_areas VALUES (gen_random_uuid(), ` + c2 + `, true, 'GE', 'x', NULL, now())`},
		{"zip5 rate area", `INSERT INTO re_zip5_rate_areas VALUES (gen_random_uuid(), ` + c2 + `, '35002', NULL, now(), now())`},
		{"intl price contract", `INSERT INTO re_intl_prices VALUES (gen_random_uuid(), NULL, ` + svc("UBP") +
			`, false, ` + c2a + `, ` + c2a + `, 5, now(), now())`},
		{"stage text", `INSERT INTO stage_domestic_service_areas VALUES ('x', NULL, '672', '174', 2, 11)`},
		{"stage source row", `INSERT INTO stage_transition_prices VALUES ('x', 'y', 1, NULL)`},
		{"import workbook", `INSERT INTO pricing_imports (id, contract_code, contract_name, workbook_sha256, tool_version)
			VALUES (gen_random_uuid(), 'C1', 'C1', repeat('a', 64), 'dev')`},
	})
}
