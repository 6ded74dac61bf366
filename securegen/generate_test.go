package securegen

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// fullSampleCounts are the rate-engine row counts of the full-size sample
// (docs/ghc-pricing-template.md Part 5).
var fullSampleCounts = map[string]int64{
	"public.re_contracts":                    1,
	"public.re_contract_years":               8,
	"public.re_rate_areas":                   120,
	"public.re_domestic_service_areas":       226,
	"public.re_zip3s":                        908,
	"public.re_zip5_rate_areas":              922,
	"public.re_domestic_linehaul_prices":     13560,
	"public.re_domestic_service_area_prices": 3164,
	"public.re_domestic_other_prices":        24,
	"public.re_intl_prices":                  46364,
	"public.re_intl_other_prices":            2400,
	"public.re_task_order_fees":              16,
	"public.re_contract_transition_prices":   1,
	"public.re_domestic_accessorial_prices":  15,
	"public.re_intl_accessorial_prices":      8,
	"public.re_shipment_type_prices":         7,
}

func TestGenerateVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	res, err := Generate(ctx, ws.options(dsn, "SAMPLE"))
	if err != nil {
		t.Fatal(err)
	}
	if res.FileName != "20261121120000_import_pricing_data_sample.up.sql" {
		t.Errorf("file name %s", res.FileName)
	}
	// Permissions: 0700 directory, 0600 files.
	for path, want := range map[string]os.FileMode{ws.outDir: 0o700, res.Production: 0o600, res.Down: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	// Row counts: exactly the contract's rows, table by table.
	if len(res.Tables) != len(fullSampleCounts) {
		t.Errorf("%d tables, want %d", len(res.Tables), len(fullSampleCounts))
	}
	for _, tc := range res.Tables {
		if want := fullSampleCounts[tc.Table]; tc.Rows != want {
			t.Errorf("%s: %d rows, want %d", tc.Table, tc.Rows, want)
		}
	}
	// The catalog-derived table order agrees with the importer's FK order.
	var got []string
	for _, tc := range res.Tables {
		got = append(got, strings.TrimPrefix(tc.Table, "public."))
	}
	assertSameOrderConstraints(t, got, importer.ContractTables)

	prod, err := os.ReadFile(res.Production)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(prod, []byte(`\restrict`)) || bytes.Contains(prod, []byte(`\unrestrict`)) {
		t.Error("production file keeps \\restrict lines")
	}
	otherID := importer.ContractID("OTHER").String()
	if bytes.Contains(prod, []byte(otherID)) {
		t.Error("production file contains the other contract's id")
	}
	h, err := ParseHeader(bytes.NewReader(prod))
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind != KindProduction || h.ContractCode != "SAMPLE" || h.WorkbookSHA256 != strings.Repeat("0", 63)+"2" || h.Version != res.Version {
		t.Errorf("header %+v", h)
	}
	// Manifest and lock link the placeholder to the production bytes.
	entries, err := migrations.ReadManifest(ws.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if last := entries[len(entries)-1]; last.Name != res.FileName {
		t.Errorf("manifest ends with %s", last.Name)
	}
	lf, err := lockfile.Load(ws.lock)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := lf.Lookup(res.FileName)
	if !ok {
		t.Fatal("no lock entry")
	}
	sum, _ := fileSHA256(res.Production)
	phSum, _ := fileSHA256(res.Placeholder)
	if e.SHA256 != sum || e.Size != int64(len(prod)) || e.PlaceholderSHA256 != phSum || e.ContractCode != "SAMPLE" ||
		e.Tables["public.re_intl_prices"] != 46364 || e.DownSHA256 == "" {
		t.Errorf("lock entry %+v does not match the files", e)
	}

	// The same contract cannot be shipped twice.
	if _, err := Generate(ctx, ws.options(dsn, "SAMPLE")); err == nil || !strings.Contains(err.Error(), "already shipped") {
		t.Errorf("second generation: %v", err)
	}

	// Verify the production file and the placeholder.
	for _, f := range []string{res.Production, res.Placeholder} {
		rep, err := Verify(ctx, VerifyOptions{DSN: dsn, File: f, LockPath: ws.lock})
		if err != nil {
			t.Fatalf("verify %s: %v", f, err)
		}
		var buf bytes.Buffer
		rep.WriteTable(&buf)
		if !rep.OK() || rep.LockSHA256 == "" || len(rep.Rows) != len(fullSampleCounts) {
			t.Errorf("verify %s failed:\n%s", f, buf.String())
		}
	}
	// The placeholder has the same rows but no real price: its content hash
	// differs where prices are.
	phBytes, err := os.ReadFile(res.Placeholder)
	if err != nil {
		t.Fatal(err)
	}
	if len(phBytes) < len(prod)/2 {
		t.Errorf("placeholder is %d bytes for a %d-byte production file", len(phBytes), len(prod))
	}
}

// assertSameOrderConstraints checks that got and want list the same tables
// and that got respects the parent-before-child pairs of the schema.
func assertSameOrderConstraints(t *testing.T, got, want []string) {
	t.Helper()
	pos := map[string]int{}
	for i, n := range got {
		pos[n] = i
	}
	if len(got) != len(want) {
		t.Errorf("tables %v, importer lists %v", got, want)
	}
	for _, n := range want {
		if _, ok := pos[n]; !ok {
			t.Errorf("table %s missing", n)
		}
	}
	for _, pair := range [][2]string{
		{"re_contracts", "re_contract_years"}, {"re_contract_years", "re_task_order_fees"},
		{"re_domestic_service_areas", "re_zip3s"}, {"re_rate_areas", "re_zip3s"}, {"re_rate_areas", "re_intl_prices"},
	} {
		if pos[pair[0]] > pos[pair[1]] {
			t.Errorf("%s comes after %s", pair[0], pair[1])
		}
	}
}

func TestIdenticalInputsGiveIdenticalBytes(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	var files [][]byte
	for range 2 {
		ws := newWorkspace(t)
		o := ws.options(dsn, "SAMPLE")
		o.Version = "20261121130000"
		res, err := Generate(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Production)
		if err != nil {
			t.Fatal(err)
		}
		ph, err := os.ReadFile(res.Placeholder)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b, ph)
	}
	if !bytes.Equal(files[0], files[2]) {
		t.Error("two production files of identical inputs differ")
	}
	if !bytes.Equal(files[1], files[3]) {
		t.Error("two placeholders of identical inputs differ")
	}
}

func TestRefusesUnignoredOutDir(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	o := ws.options(dsn, "SAMPLE")
	o.OutDir = filepath.Join(ws.root, "secure-out")
	manifestBefore, _ := os.ReadFile(ws.manifest)
	_, err := Generate(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "git does not ignore") {
		t.Fatalf("got %v, want a refusal", err)
	}
	after, _ := os.ReadFile(ws.manifest)
	if !bytes.Equal(manifestBefore, after) {
		t.Error("manifest changed")
	}
	for _, dir := range []string{o.OutDir, ws.phDir} {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s has %d files", dir, len(ents))
		}
	}
}

func TestCheckIgnored(t *testing.T) {
	ctx := context.Background()
	ws := newWorkspace(t)
	tracked := filepath.Join(ws.root, "tmp", "secure", "20261121140000_x.up.sql")
	os.MkdirAll(filepath.Dir(tracked), 0o700)
	os.WriteFile(tracked, []byte("-- tracked\n"), 0o600)
	gitRun(t, ws.root, "add", "-f", tracked)
	tests := []struct {
		name, path, wantErr string
	}{
		{"ignored", filepath.Join(ws.root, "tmp", "secure", "20261121150000_x.up.sql"), ""},
		{"ignored, directory not yet created", filepath.Join(ws.root, "tmp", "new", "a.up.sql"), ""},
		{"tracked despite the ignore rule", tracked, "git tracks that path"},
		{"not ignored", filepath.Join(ws.root, "migrations", "secure", "a.up.sql"), "git does not ignore"},
		{"outside any repository", filepath.Join(t.TempDir(), "a.up.sql"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckIgnored(ctx, tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := execCommand("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestForcedLeakFailsAndLeavesNothing(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	o := ws.options(dsn, "SAMPLE")
	// Copy one real price row back into the placeholder as it streams.
	inBlock, done := false, false
	o.tamper = func(prod, ph []byte) ([]byte, error) {
		switch {
		case done:
		case inBlock:
			done = true
			return prod, nil
		case bytes.HasPrefix(prod, []byte("COPY public.re_shipment_type_prices")):
			inBlock = true
		}
		return ph, nil
	}
	manifestBefore, _ := os.ReadFile(ws.manifest)
	_, err := Generate(ctx, o)
	var le *LeakError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a leak error", err)
	}
	if le.Table != "public.re_shipment_type_prices" || le.Column != "factor" || le.Leaks != 1 {
		t.Errorf("leak %+v", le)
	}
	// The message names the place, never the value.
	if strings.Contains(err.Error(), "1.20") {
		t.Errorf("error shows a value: %v", err)
	}
	for _, dir := range []string{ws.outDir, ws.phDir} {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s keeps %d files after the failure", dir, len(ents))
		}
	}
	after, _ := os.ReadFile(ws.manifest)
	if !bytes.Equal(manifestBefore, after) {
		t.Error("manifest changed")
	}
	if _, err := os.Stat(ws.lock); err == nil {
		lf, _ := lockfile.Load(ws.lock)
		if len(lf.Migrations) != 0 {
			t.Error("lock entry written")
		}
	}
}

// rowAfter returns the first data line after the line starting with prefix.
func rowAfter(b []byte, prefix string) []byte {
	i := bytes.Index(b, []byte(prefix))
	if i < 0 {
		return nil
	}
	rest := b[i:]
	start := bytes.IndexByte(rest, '\n') + 1
	end := start + bytes.IndexByte(rest[start:], '\n') + 1
	return rest[start:end]
}

// tableHashes returns md5 of every table's rows, for before/after checks.
func tableHashes(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		var h string
		if err := conn.QueryRow(ctx, "SELECT coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM "+n+" t").Scan(&h); err != nil {
			t.Fatal(err)
		}
		out[n] = h
	}
	return out
}

func applyPath(t *testing.T, conn *pgx.Conn, paths ...string) error {
	t.Helper()
	in, err := openConcat(paths)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = migrations.ApplyFile(context.Background(), conn, filepath.Base(paths[0]), in)
	return err
}

func TestDownRemovesExactlyTheContractAndGuardStopsReapply(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	res, err := Generate(ctx, ws.options(dsn, "SAMPLE"))
	if err != nil {
		t.Fatal(err)
	}
	// A target that already holds another contract.
	target := pgtest.NewSchemaDatabase(t)
	importContract(t, target, "OTHER", 2, 1)
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	before := tableHashes(t, conn)

	if err := applyPath(t, conn, res.Production); err != nil {
		t.Fatalf("applying the production file: %v", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM public.re_intl_prices").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2*46364 {
		t.Errorf("re_intl_prices has %d rows after applying, want %d", n, 2*46364)
	}
	// The guard stops a second application with a clear message.
	err = applyPath(t, conn, res.Production)
	if err == nil || !strings.Contains(err.Error(), "contract SAMPLE already exists") {
		t.Errorf("second application: %v", err)
	}
	if err := applyPath(t, conn, res.Down); err != nil {
		t.Fatalf("applying the down migration: %v", err)
	}
	after := tableHashes(t, conn)
	for table, h := range before {
		if after[table] != h {
			t.Errorf("%s differs after up+down", table)
		}
	}
	// The down migration refuses to run when the contract is absent.
	if err := applyPath(t, conn, res.Down); err == nil || !strings.Contains(err.Error(), "nothing to roll back") {
		t.Errorf("second down: %v", err)
	}
}

func TestSplitPartsApplyAsOneVersion(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	o := ws.options(dsn, "SAMPLE")
	o.Split, o.SizeLimit = true, 2<<20
	res, err := Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Parts) < 3 {
		t.Fatalf("%d parts for a %d-byte file with a 2 MiB limit", len(res.Parts), res.Size)
	}
	var paths []string
	var total int64
	for i, p := range res.Parts {
		if p.Name != migrations.PartName(res.FileName, i+1) || p.Size > o.SizeLimit {
			t.Errorf("part %d: %+v", i+1, p)
		}
		path := filepath.Join(ws.outDir, p.Name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || b[len(b)-1] != '\n' {
			t.Errorf("part %s is not cut at a line boundary", p.Name)
		}
		sum, _ := fileSHA256(path)
		if sum != p.SHA256 {
			t.Errorf("part %s digest mismatch", p.Name)
		}
		total += int64(len(b))
		paths = append(paths, path)
	}
	if total != res.Size {
		t.Errorf("parts total %d bytes, file %d", total, res.Size)
	}
	if _, err := os.Stat(filepath.Join(ws.outDir, res.FileName)); err == nil {
		t.Error("whole file written besides its parts")
	}
	lf, _ := lockfile.Load(ws.lock)
	if e, _ := lf.Lookup(res.FileName); e == nil || len(e.Parts) != len(res.Parts) {
		t.Error("lock entry does not list the parts")
	}
	// The parts apply as one version in one transaction: the digest of the
	// stream is the file's, and verify (which applies them through the
	// engine as one stream) matches the local contract.
	rep, err := Verify(ctx, VerifyOptions{DSN: dsn, File: paths[0], LockPath: ws.lock})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.SHA256 != res.SHA256 || len(rep.Files) != len(paths) {
		var buf bytes.Buffer
		rep.WriteTable(&buf)
		t.Errorf("verify of the parts:\n%s", buf.String())
	}
	// A failure in the last part rolls back the earlier parts too.
	target := pgtest.NewSchemaDatabase(t)
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	broken := filepath.Join(t.TempDir(), "last.sql")
	last, _ := os.ReadFile(paths[len(paths)-1])
	os.WriteFile(broken, append(last, []byte("SELECT 1/0;\n")...), 0o600)
	if err := applyPath(t, conn, append(paths[:len(paths)-1:len(paths)-1], broken)...); err == nil {
		t.Fatal("broken last part applied")
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM public.re_contracts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d contracts left after a failed split application", n)
	}
}

func TestVerifyReportsDifferences(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	res, err := Generate(ctx, ws.options(dsn, "SAMPLE"))
	if err != nil {
		t.Fatal(err)
	}
	// Tamper: drop one COPY row from a copy of the production file.
	prod, _ := os.ReadFile(res.Production)
	row := rowAfter(prod, "COPY public.re_intl_accessorial_prices")
	tampered := filepath.Join(ws.outDir, res.FileName)
	os.Remove(tampered)
	os.WriteFile(tampered, bytes.Replace(prod, row, nil, 1), 0o600)
	rep, err := Verify(ctx, VerifyOptions{DSN: dsn, File: tampered, LockPath: ws.lock})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("tampered file verified")
	}
	var buf bytes.Buffer
	rep.WriteTable(&buf)
	for _, want := range []string{"re_intl_accessorial_prices", "FAIL", "LOCK FILE MISMATCH"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}
