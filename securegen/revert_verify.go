package securegen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/migrations/schema"
)

// TableDigest is one table's row count and content hash.
type TableDigest struct {
	// Table is the qualified table name.
	Table string
	// Rows is the number of rows.
	Rows int64
	// MD5 is md5 of the rows' text forms in text order ("" when empty).
	MD5 string
}

// TableDigests returns the row count and content hash of every table of
// schema public except the migration engine's tracking table, by name. Two
// databases with equal digests hold the same rows.
func TableDigests(ctx context.Context, conn *pgx.Conn) ([]TableDigest, error) {
	rows, err := conn.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'securemig_migrations'
		ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	out := make([]TableDigest, 0, len(names))
	for _, name := range names {
		d := TableDigest{Table: name}
		q := "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM " + name + " t"
		if err := conn.QueryRow(ctx, q).Scan(&d.Rows, &d.MD5); err != nil {
			return nil, fmt.Errorf("hashing %s: %w", name, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// RevertVerifyOptions configures VerifyRevert.
type RevertVerifyOptions struct {
	// DSN is the local database; the scratch database is created on its
	// server.
	DSN string
	// File is the revert migration.
	File string
	// Original is the reverted migration's production file (or first part)
	// or placeholder, plain or gzipped. Empty: the production file in
	// OutDir, else the placeholder in PlaceholderDir.
	Original string
	// OutDir and PlaceholderDir default to DefaultOutDir and
	// DefaultPlaceholderDir.
	OutDir, PlaceholderDir string
	// LockPath is the lock file whose digests both files must match
	// (skipped for a file without an entry).
	LockPath string
}

// RevertVerifyRow compares one table before the secure migration, after it
// and after its revert.
type RevertVerifyRow struct {
	// Table is the qualified table name.
	Table string
	// Before, Applied and Reverted are the row counts at each step.
	Before, Applied, Reverted int64
	// Same reports equal content (md5) before and after the revert.
	Same bool
}

// RevertVerifyReport is the outcome of VerifyRevert.
type RevertVerifyReport struct {
	// FileName is the revert migration; Reverts the migration it reverts,
	// applied from Original (of kind OriginalKind).
	FileName, Reverts, Original, OriginalKind string
	// ContractCode is the contract removed.
	ContractCode string
	// SHA256 is the digest of the revert's applied bytes.
	SHA256 string
	// Rows is the per-table comparison, every table of schema public.
	Rows []RevertVerifyRow
	// Problems lists every difference found, in words.
	Problems []string
}

// OK reports that the revert restored every table.
func (r *RevertVerifyReport) OK() bool { return len(r.Problems) == 0 }

// VerifyRevert applies, with the migration engine, the schema, the
// reverted secure migration and then the revert migration to a fresh
// scratch database, and checks that every table returns to its content
// before the secure migration (per-table md5), that the secure migration
// did load the contract, and that the tracking table shows it reverted.
// The scratch database is dropped afterwards. A difference is reported in
// the returned report, not as an error.
func VerifyRevert(ctx context.Context, o RevertVerifyOptions) (*RevertVerifyReport, error) {
	if o.OutDir == "" {
		o.OutDir = DefaultOutDir
	}
	if o.PlaceholderDir == "" {
		o.PlaceholderDir = DefaultPlaceholderDir
	}
	rh, err := readRevertHeader(o.File)
	if err != nil {
		return nil, err
	}
	rep := &RevertVerifyReport{FileName: filepath.Base(o.File), Reverts: rh.Reverts, ContractCode: rh.ContractCode}
	if rh.FileName() != rep.FileName {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the header names %s but the file is %s", rh.FileName(), rep.FileName))
	}
	origFiles, origHeader, err := revertOriginal(o, rh)
	if err != nil {
		return nil, err
	}
	rep.Original, rep.OriginalKind = origFiles[0], origHeader.Kind
	expected, err := revertDigests(o.LockPath, rh, origHeader.Kind)
	if err != nil {
		return nil, err
	}
	local, err := pgx.Connect(ctx, o.DSN)
	if err != nil {
		return nil, fmt.Errorf("connecting to the local database: %w", err)
	}
	defer local.Close(context.WithoutCancel(ctx))
	scratch, scratchDSN, drop, err := scratchDatabase(ctx, local, o.DSN)
	if err != nil {
		return nil, err
	}
	defer drop()
	s := &revertSteps{dsn: scratchDSN, expected: expected, locs: []migrations.Location{embeddedSchema{},
		migrations.NewFileLocation(filepath.Dir(origFiles[0])), migrations.NewFileLocation(filepath.Dir(o.File))}}
	if err := s.run(ctx, scratch, rh, rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// readRevertHeader parses the header of the revert migration at path.
func readRevertHeader(path string) (RevertHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return RevertHeader{}, err
	}
	defer f.Close()
	h, err := ParseRevertHeader(f)
	if err != nil {
		return h, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// revertOriginal finds the reverted migration's files and header.
func revertOriginal(o RevertVerifyOptions, rh RevertHeader) ([]string, Header, error) {
	candidates := []string{o.Original}
	if o.Original == "" {
		candidates = []string{filepath.Join(o.OutDir, rh.Reverts), filepath.Join(o.OutDir, rh.Reverts+migrations.GzipSuffix),
			filepath.Join(o.PlaceholderDir, rh.Reverts), filepath.Join(o.PlaceholderDir, rh.Reverts+migrations.GzipSuffix)}
	}
	var tried []string
	for _, c := range candidates {
		files, name, err := verifyFiles(c)
		if err != nil {
			tried = append(tried, c)
			continue
		}
		if name != rh.Reverts {
			return nil, Header{}, fmt.Errorf("%s is not %s, which the revert migration reverts", c, rh.Reverts)
		}
		in, err := openSQL(files)
		if err != nil {
			return nil, Header{}, err
		}
		h, err := ParseHeader(in)
		in.Close()
		if err != nil {
			return nil, Header{}, fmt.Errorf("%s: %w", c, err)
		}
		if h.ContractID != rh.ContractID || h.ContractCode != rh.ContractCode {
			return nil, Header{}, fmt.Errorf("%s ships contract %s (id %s), the revert removes %s (id %s)",
				c, h.ContractCode, h.ContractID, rh.ContractCode, rh.ContractID)
		}
		return files, h, nil
	}
	return nil, Header{}, fmt.Errorf("%s, which the revert migration reverts, is not found (looked for %s; give it with --original)",
		rh.Reverts, strings.Join(tried, ", "))
}

// revertDigests returns the lock file's digests of the two files.
func revertDigests(lockPath string, rh RevertHeader, origKind string) (map[string]string, error) {
	out := map[string]string{}
	if lockPath == "" {
		return out, nil
	}
	lf, err := lockfile.Load(lockPath)
	if err != nil {
		return nil, err
	}
	// The engine checks the SQL it applies: of a compressed file, the SQL inside.
	if e, ok := lf.Lookup(rh.Reverts); ok {
		out[rh.Reverts] = e.SQLDigest()
		if origKind == KindPlaceholder {
			out[rh.Reverts] = e.PlaceholderSQLDigest()
		}
	}
	if e, ok := lf.Lookup(rh.FileName()); ok {
		out[rh.FileName()] = e.SHA256
	}
	return out, nil
}

// revertSteps applies the three steps to the scratch database.
type revertSteps struct {
	dsn      string
	expected map[string]string
	locs     []migrations.Location
}

func (s *revertSteps) up(ctx context.Context, names ...string) ([]migrations.Result, *migrations.Provider, error) {
	schemaNames, err := schema.Files()
	if err != nil {
		return nil, nil, err
	}
	var entries []migrations.Entry
	for _, n := range append(schemaNames, names...) {
		e, err := migrations.ParseName(n)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	// The scratch database is new: a schema file newer than the secure
	// migration is no reason to refuse it here.
	p, err := migrations.New(s.dsn, entries, migrations.Options{Locations: s.locs, AllowOutOfOrder: true,
		ExpectedDigest: func(name string) (string, bool) {
			sum, ok := s.expected[name]
			return sum, ok && sum != ""
		}})
	if err != nil {
		return nil, nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("applying %s to the scratch database: %w", strings.Join(append([]string{"the schema"}, names...), ", "), err)
	}
	return res, p, nil
}

func (s *revertSteps) run(ctx context.Context, scratch *pgx.Conn, rh RevertHeader, rep *RevertVerifyReport) error {
	if _, _, err := s.up(ctx); err != nil {
		return err
	}
	before, err := TableDigests(ctx, scratch)
	if err != nil {
		return err
	}
	if _, _, err := s.up(ctx, rh.Reverts); err != nil {
		return err
	}
	applied, err := TableDigests(ctx, scratch)
	if err != nil {
		return err
	}
	res, p, err := s.up(ctx, rh.Reverts, rh.FileName())
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Name == rh.FileName() {
			rep.SHA256 = r.SHA256
			if r.Reverts != rh.Reverts {
				rep.Problems = append(rep.Problems, fmt.Sprintf("the engine did not take %s as the revert of %s", r.Name, rh.Reverts))
			}
		}
	}
	if sum := s.expected[rh.FileName()]; sum != "" && sum != rep.SHA256 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("SHA-256 %s differs from the lock file's %s", rep.SHA256, sum))
	}
	reverted, err := TableDigests(ctx, scratch)
	if err != nil {
		return err
	}
	compareRevert(rh, before, applied, reverted, rep)
	return checkRevertedState(ctx, p, rh, rep)
}

// compareRevert fills rep.Rows: every table must be as before, and each
// table the migration loaded must have had its rows in between.
func compareRevert(rh RevertHeader, before, applied, reverted []TableDigest, rep *RevertVerifyReport) {
	index := func(ds []TableDigest) map[string]TableDigest {
		m := make(map[string]TableDigest, len(ds))
		for _, d := range ds {
			m[d.Table] = d
		}
		return m
	}
	mid, after := index(applied), index(reverted)
	loaded := map[string]int64{}
	for _, t := range rh.Tables {
		loaded[t.Table] = t.Rows
	}
	for _, b := range before {
		a, r := mid[b.Table], after[b.Table]
		row := RevertVerifyRow{Table: b.Table, Before: b.Rows, Applied: a.Rows, Reverted: r.Rows, Same: b.MD5 == r.MD5 && b.Rows == r.Rows}
		if !row.Same {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d rows before, %d after the revert, content differs", b.Table, b.Rows, r.Rows))
		}
		if n, ok := loaded[b.Table]; ok && a.Rows-b.Rows != n {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the secure migration added %d rows, its header says %d", b.Table, a.Rows-b.Rows, n))
		}
		rep.Rows = append(rep.Rows, row)
	}
	if len(reverted) != len(before) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d tables before, %d after the revert", len(before), len(reverted)))
	}
}

// checkRevertedState checks that migrate status shows the secure migration
// as reverted.
func checkRevertedState(ctx context.Context, p *migrations.Provider, rh RevertHeader, rep *RevertVerifyReport) error {
	files, err := p.Status(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Name == rh.Reverts && f.State != migrations.Reverted {
			rep.Problems = append(rep.Problems, fmt.Sprintf("migrate status shows %s as %s, not reverted", f.Name, f.State))
		}
	}
	return nil
}

// WriteTable prints the report as an aligned text table.
func (r *RevertVerifyReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (revert of %s, contract %s), sha256 %s\n", r.FileName, r.Reverts, r.ContractCode, r.SHA256)
	fmt.Fprintf(&b, "applied after %s (%s) on a scratch database\n", r.Original, r.OriginalKind)
	width := len("TABLE")
	for _, row := range r.Rows {
		width = max(width, len(row.Table))
	}
	fmt.Fprintf(&b, "%-*s  %10s  %10s  %10s  %-8s\n", width, "TABLE", "BEFORE", "APPLIED", "REVERTED", "CONTENT")
	for _, row := range r.Rows {
		content := map[bool]string{true: "same", false: "DIFFERS"}[row.Same]
		fmt.Fprintf(&b, "%-*s  %10d  %10d  %10d  %-8s\n", width, row.Table, row.Before, row.Applied, row.Reverted, content)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	if r.OK() {
		b.WriteString("every table is as it was before the secure migration\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
