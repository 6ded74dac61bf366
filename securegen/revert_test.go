package securegen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// revertOptions are the revert generator's options in the workspace.
func (w *workspace) revertOptions(dsn, code string, at time.Time) RevertOptions {
	return RevertOptions{
		DSN: dsn, ContractCode: code, RevertDir: filepath.Join(w.root, "migrations", "revert"), OutDir: w.outDir,
		PlaceholderDir: w.phDir, ManifestPath: w.manifest, LockPath: w.lock, ToolVersion: "test",
		Now: func() time.Time { return at },
	}
}

// deployed applies the named migrations from the workspace to dsn with the
// engine, as `migrate --path tmp/secure --path migrations/revert` would,
// checking digests against the lock file.
func (w *workspace) deployed(t *testing.T, dsn string, names ...string) *migrations.Provider {
	t.Helper()
	var entries []migrations.Entry
	for _, n := range names {
		e, err := migrations.ParseName(n)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	lf, err := lockfile.Load(w.lock)
	if err != nil {
		t.Fatal(err)
	}
	p, err := migrations.New(dsn, entries, migrations.Options{
		Locations: []migrations.Location{migrations.NewFileLocation(w.outDir), migrations.NewFileLocation(filepath.Join(w.root, "migrations", "revert"))},
		ExpectedDigest: func(name string) (string, bool) {
			e, ok := lf.Lookup(name)
			return e.SHA256, ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func digests(t *testing.T, dsn string) []TableDigest {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	d, err := TableDigests(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sameDigests(t *testing.T, what string, got, want []TableDigest) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tables, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %s has %d rows (md5 %s), before %d rows (md5 %s)", what, want[i].Table, got[i].Rows, got[i].MD5, want[i].Rows, want[i].MD5)
		}
	}
}

func TestRevertRestoresTheDatabase(t *testing.T) {
	ctx := context.Background()
	local := contractDB(t)
	ws := newWorkspace(t)
	gen, err := Generate(ctx, ws.options(local, "SAMPLE"))
	if err != nil {
		t.Fatal(err)
	}
	// The deployed database holds another contract, and a table outside
	// the contract tables that references it: neither may change.
	deployedDSN := pgtest.NewSchemaDatabase(t)
	importContract(t, deployedDSN, "THIRD", 3, 1)
	third := importer.ContractID("THIRD").String()
	execOn(t, deployedDSN, `CREATE TABLE moves (id int PRIMARY KEY, contract_id uuid REFERENCES re_contracts (id) ON DELETE CASCADE);
		INSERT INTO moves VALUES (1, '`+third+`')`)
	before := digests(t, deployedDSN)
	if _, err := ws.deployed(t, deployedDSN, gen.FileName).Up(ctx); err != nil {
		t.Fatal(err)
	}

	rev, err := GenerateRevert(ctx, ws.revertOptions(local, "SAMPLE", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	if rev.FileName != "20261122090000_revert_pricing_data_sample.up.sql" || rev.Reverts != gen.FileName {
		t.Errorf("revert %s of %s", rev.FileName, rev.Reverts)
	}
	checkRevertArtifacts(t, ws, gen, rev)

	p := ws.deployed(t, deployedDSN, gen.FileName, rev.FileName)
	res, err := p.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Reverts != gen.FileName {
		t.Fatalf("applied %+v, want the revert only", res)
	}
	sameDigests(t, "after the revert", digests(t, deployedDSN), before)
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st {
		want := map[string]migrations.State{gen.FileName: migrations.Reverted, rev.FileName: migrations.Applied}[f.Name]
		if f.State != want {
			t.Errorf("%s is %s, want %s", f.Name, f.State, want)
		}
	}

	// verify: secure migration + revert on a scratch database, from the
	// production file and from the placeholder.
	for _, orig := range []string{"", gen.Placeholder} {
		rep, err := VerifyRevert(ctx, RevertVerifyOptions{DSN: local, File: rev.Path, Original: orig, OutDir: ws.outDir, PlaceholderDir: ws.phDir, LockPath: ws.lock})
		if err != nil {
			t.Fatalf("verify the revert after %q: %v", orig, err)
		}
		var buf bytes.Buffer
		rep.WriteTable(&buf)
		if !rep.OK() || len(rep.Rows) < len(fullSampleCounts) {
			t.Errorf("verify the revert after %q:\n%s", orig, buf.String())
		}
	}

	// The contract ships again only as a new version.
	again := ws.options(local, "SAMPLE")
	again.Now = func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	gen2, err := Generate(ctx, again)
	if err != nil {
		t.Fatalf("shipping a reverted contract again: %v", err)
	}
	if _, err := ws.deployed(t, deployedDSN, gen.FileName, rev.FileName, gen2.FileName).Up(ctx); err != nil {
		t.Fatalf("applying the new version after the revert: %v", err)
	}
	if _, err := GenerateRevert(ctx, ws.revertOptions(local, "SAMPLE", time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))); err == nil ||
		!strings.Contains(err.Error(), "not newer") {
		t.Errorf("a revert older than its migration: %v", err)
	}
}

// checkRevertArtifacts checks the revert's file, lock entries and manifest.
func checkRevertArtifacts(t *testing.T, ws *workspace, gen *Result, rev *RevertResult) {
	t.Helper()
	b, err := os.ReadFile(rev.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(rev.Path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("revert file mode: %v %v", fi.Mode(), err)
	}
	// No data: none of the production file's COPY rows appears in it.
	prod, err := os.Open(gen.Production)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	sc := bufio.NewScanner(prod)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Bytes(); bytes.IndexByte(line, '\t') > 0 && bytes.Contains(b, line) {
			t.Fatalf("the revert migration holds a data row of the production file")
		}
	}
	if !bytes.Contains(b, []byte("-- securemig:reverts "+gen.FileName+"\n")) {
		t.Error("the revert has no securemig:reverts directive")
	}
	h, err := ParseRevertHeader(bytes.NewReader(b))
	if err != nil || h.FileName() != rev.FileName || h.Reverts != gen.FileName || len(h.Tables) != len(fullSampleCounts) {
		t.Errorf("header %+v, %v", h, err)
	}
	lf, err := lockfile.Load(ws.lock)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := lf.Lookup(gen.FileName)
	e, ok := lf.Lookup(rev.FileName)
	if !ok || e.Reverts != gen.FileName || e.SHA256 != rev.SHA256 || e.Size != int64(len(b)) || orig.RevertedBy != rev.FileName ||
		e.CreatedBy == "" || e.CreatedAt.IsZero() {
		t.Errorf("lock entries: revert %+v, original reverted_by %q", e, orig.RevertedBy)
	}
	entries, err := migrations.ReadManifest(ws.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Name != rev.FileName {
		t.Errorf("manifest ends with %s", last.Name)
	}
}

func execOn(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		t.Fatalf("exec: %v", err)
	}
}

func TestRevertGuardRefusesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	local := contractDB(t)
	ws := newWorkspace(t)
	gen, err := Generate(ctx, ws.options(local, "SAMPLE"))
	if err != nil {
		t.Fatal(err)
	}
	rev, err := GenerateRevert(ctx, ws.revertOptions(local, "SAMPLE", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	sample := importer.ContractID("SAMPLE").String()
	tests := []struct {
		name, prepare, want string
	}{
		{
			name: "downstream table references a price",
			prepare: `CREATE TABLE moves (id int PRIMARY KEY, price_id uuid REFERENCES re_intl_prices (id) ON DELETE CASCADE);
				INSERT INTO moves SELECT 1, id FROM re_intl_prices WHERE contract_id = '` + sample + `' LIMIT 1`,
			want: "revert refused: rows of moves reference contract SAMPLE in re_intl_prices (foreign key moves_price_id_fkey)",
		},
		{
			name: "two-column key to a contract year",
			prepare: `ALTER TABLE re_contract_years ADD UNIQUE (contract_id, name);
				CREATE TABLE escalations (id int PRIMARY KEY, contract_id uuid, year_name text,
					FOREIGN KEY (contract_id, year_name) REFERENCES re_contract_years (contract_id, name) ON DELETE SET NULL);
				INSERT INTO escalations SELECT 1, contract_id, name FROM re_contract_years WHERE contract_id = '` + sample + `' LIMIT 1`,
			want: "rows of escalations reference contract SAMPLE in re_contract_years",
		},
		{
			name:    "contract changed after it was applied",
			prepare: `DELETE FROM re_shipment_type_prices WHERE id = (SELECT id FROM re_shipment_type_prices WHERE contract_id = '` + sample + `' ORDER BY id LIMIT 1)`,
			want:    "public.re_shipment_type_prices holds 6 rows of contract SAMPLE where " + gen.FileName + " loaded 7",
		},
		{
			name: "contract absent",
			prepare: `DELETE FROM re_task_order_fees; DELETE FROM re_intl_accessorial_prices; DELETE FROM re_domestic_accessorial_prices;
				DELETE FROM re_shipment_type_prices; DELETE FROM re_contract_transition_prices; DELETE FROM re_intl_other_prices;
				DELETE FROM re_intl_prices; DELETE FROM re_domestic_other_prices; DELETE FROM re_domestic_service_area_prices;
				DELETE FROM re_domestic_linehaul_prices; DELETE FROM re_zip5_rate_areas; DELETE FROM re_zip3s;
				DELETE FROM re_domestic_service_areas; DELETE FROM re_rate_areas; DELETE FROM re_contract_years; DELETE FROM re_contracts`,
			want: "contract SAMPLE (id " + sample + ") is not in this database",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.NewSchemaDatabase(t)
			if _, err := ws.deployed(t, dsn, gen.FileName).Up(ctx); err != nil {
				t.Fatal(err)
			}
			execOn(t, dsn, tt.prepare)
			before := digests(t, dsn)
			p := ws.deployed(t, dsn, gen.FileName, rev.FileName)
			_, err := p.Up(ctx)
			var ae *migrations.ApplyError
			if !errors.As(err, &ae) || ae.File != rev.FileName || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("revert: %v\nwant an error of %s containing %q", err, rev.FileName, tt.want)
			}
			sameDigests(t, "after the refused revert", digests(t, dsn), before)
			st, err := p.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range st {
				want := map[string]migrations.State{gen.FileName: migrations.Applied, rev.FileName: migrations.Pending}[f.Name]
				if f.State != want {
					t.Errorf("%s is %s after the refused revert, want %s", f.Name, f.State, want)
				}
			}
		})
	}
}

func TestRevertTargetChoice(t *testing.T) {
	ws := newWorkspace(t)
	err := lockfile.Update(ws.lock, func(f *lockfile.File) error {
		f.Migrations["20261121000000_import_pricing_data_a.up.sql"] = &lockfile.Entry{ContractCode: "A", RevertedBy: "20261122000000_revert_pricing_data_a.up.sql"}
		f.Migrations["20261122000000_revert_pricing_data_a.up.sql"] = &lockfile.Entry{ContractCode: "A", Reverts: "20261121000000_import_pricing_data_a.up.sql"}
		f.Migrations["20261121000001_import_pricing_data_b.up.sql"] = &lockfile.Entry{ContractCode: "B"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ code, want string }{
		{"A", "no secure migration left to revert"},
		{"C", "has no secure migration in"},
		{"B", ""},
	}
	for _, tt := range tests {
		name, _, err := revertTarget(ws.lock, tt.code)
		if tt.want == "" {
			if err != nil || name != "20261121000001_import_pricing_data_b.up.sql" {
				t.Errorf("%s: %s, %v", tt.code, name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.code, err, tt.want)
		}
	}
}

func TestRevertOfCompressedMigration(t *testing.T) {
	ctx := context.Background()
	local := contractDB(t)
	ws := newWorkspace(t)
	o := ws.options(local, "SAMPLE")
	o.Compress = true
	gen, err := Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(gen.Placeholder, migrations.GzipSuffix) {
		t.Fatalf("placeholder %s is not compressed", gen.Placeholder)
	}
	// The header comes from the compressed placeholder, or from the
	// compressed production file when the placeholder is gone.
	if err := os.Rename(gen.Placeholder, gen.Placeholder+".away"); err != nil {
		t.Fatal(err)
	}
	rev, err := GenerateRevert(ctx, ws.revertOptions(local, "SAMPLE", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(gen.Placeholder+".away", gen.Placeholder); err != nil {
		t.Fatal(err)
	}
	for _, orig := range []string{"", gen.Placeholder} {
		rep, err := VerifyRevert(ctx, RevertVerifyOptions{DSN: local, File: rev.Path, Original: orig, OutDir: ws.outDir,
			PlaceholderDir: ws.phDir, LockPath: ws.lock})
		if err != nil {
			t.Fatalf("verify the revert after %q: %v", orig, err)
		}
		var buf bytes.Buffer
		rep.WriteTable(&buf)
		if !rep.OK() {
			t.Errorf("verify the revert after %q:\n%s", orig, buf.String())
		}
	}
}
