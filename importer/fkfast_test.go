package importer

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestVerifyForeignKeysFindsDanglingRows(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("FK")); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // test cleanup
	fast, err := skipRowFKChecks(ctx, tx)
	if err != nil || !fast {
		t.Fatalf("skipRowFKChecks as superuser = %v, %v", fast, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE re_zip5_rate_areas SET rate_area_id = gen_random_uuid() WHERE zip5 = '35101'`); err != nil {
		t.Fatal(err)
	}
	problems, err := verifyForeignKeys(ctx, tx, ContractID("FK"))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].String() != "re_zip5_rate_areas: 1 row(s) violate foreign key re_zip5_rate_areas_rate_area_id_fkey" {
		t.Errorf("problems = %v", problems)
	}
	// The per-row checks are back on.
	_, err = tx.Exec(ctx, `UPDATE re_zip5_rate_areas SET rate_area_id = gen_random_uuid() WHERE zip5 = '35102'`)
	if err == nil || !strings.Contains(err.Error(), "23503") {
		t.Errorf("per-row check after verification: %v", err)
	}
}

func TestImportWithoutSuperuser(t *testing.T) {
	admin := connect(t)
	ctx := context.Background()
	for _, sql := range []string{
		`DO $$ BEGIN CREATE ROLE importer_test LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
		`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO importer_test`,
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(admin.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User("importer_test")
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	sum, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("PLAIN"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts["re_intl_prices"] != smallCounts["re_intl_prices"] {
		t.Errorf("counts = %v", sum.Counts)
	}
}
