package securegen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/migrations/schema"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// DSN is the local database holding the source contract; scratch
	// databases are created on the same server.
	DSN string
	// File is the production file, its first part, or a placeholder.
	File string
	// LockPath is the lock file whose digests are checked (skipped when
	// the file does not exist or has no entry).
	LockPath string
}

// VerifyRow is one line of the verification table.
type VerifyRow struct {
	// Table is the qualified table name.
	Table string
	// Header is the row count the file's header announces.
	Header int64
	// Source is the row count of the contract in the local database (-1
	// when not compared).
	Source int64
	// Applied is the row count after applying the file to a scratch database.
	Applied int64
	// HashOK reports equal content hashes (production files only).
	HashOK bool
	// HashChecked reports whether hashes were compared.
	HashChecked bool
	// OK reports that the row passed.
	OK bool
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	// Kind is KindProduction or KindPlaceholder.
	Kind string
	// FileName is the migration's file name; Files the files applied.
	FileName string
	Files    []string
	// ContractCode is the contract the file ships ("" in --name mode).
	ContractCode string
	// SHA256 and Bytes describe the applied bytes.
	SHA256 string
	Bytes  int64
	// LockSHA256 is the digest the lock file expects ("" when none).
	LockSHA256 string
	// Rows is the per-table comparison.
	Rows []VerifyRow
	// Problems lists every difference found, in words.
	Problems []string
}

// OK reports that the file verified without any difference.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify applies the schema and the file, with the migration engine, to a
// fresh scratch database on the local server, then compares per-table row
// counts with the header and with the contract in the local database and,
// for a production file, each table's content hash (md5 of the rows in id
// order). A placeholder must apply cleanly with the same counts. The
// scratch database is dropped afterwards. A difference is reported in the
// returned report, not as an error.
func Verify(ctx context.Context, opts VerifyOptions) (*VerifyReport, error) {
	files, fileName, err := verifyFiles(opts.File)
	if err != nil {
		return nil, err
	}
	in, err := openSQL(files)
	if err != nil {
		return nil, err
	}
	h, err := ParseHeader(in)
	in.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.File, err)
	}
	rep := &VerifyReport{Kind: h.Kind, FileName: fileName, Files: files, ContractCode: h.ContractCode}
	if h.FileName() != fileName {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the header names %s but the file is %s", h.FileName(), fileName))
	}
	if err := checkLock(opts.LockPath, rep); err != nil {
		return nil, err
	}
	if err := checkStored(opts.LockPath, rep); err != nil {
		return nil, err
	}
	local, err := pgx.Connect(ctx, opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("connecting to the local database: %w", err)
	}
	defer local.Close(context.WithoutCancel(ctx))
	scratch, scratchDSN, drop, err := scratchDatabase(ctx, local, opts.DSN)
	if err != nil {
		return nil, err
	}
	defer drop()
	if err := applyAll(ctx, scratchDSN, fileName, files, rep); err != nil {
		return rep, err
	}
	if err := compare(ctx, local, scratch, h, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// verifyFiles finds the file or its parts.
func verifyFiles(path string) (files []string, fileName string, err error) {
	base := filepath.Base(path)
	dir := filepath.Dir(path)
	if plain, ok := strings.CutSuffix(base, migrations.GzipSuffix); ok && strings.HasSuffix(plain, ".up.sql") {
		if _, err := os.Stat(path); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return []string{path}, plain, nil
	}
	if i := strings.Index(base, ".part-"); i > 0 && strings.HasSuffix(base, ".up.sql") {
		base = base[:i] + ".up.sql"
	}
	if _, err := os.Stat(filepath.Join(dir, base)); err == nil {
		return []string{filepath.Join(dir, base)}, base, nil
	}
	for n := 1; ; n++ {
		p := filepath.Join(dir, migrations.PartName(base, n))
		if _, err := os.Stat(p); err != nil {
			break
		}
		files = append(files, p)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%s: no such file (nor parts)", path)
	}
	return files, base, nil
}

func checkLock(path string, rep *VerifyReport) error {
	if path == "" {
		return nil
	}
	f, err := lockfile.Load(path)
	if err != nil {
		return err
	}
	e, ok := f.Lookup(rep.FileName)
	if !ok {
		return nil
	}
	// The engine reports the digest of the SQL it applied.
	rep.LockSHA256 = e.SQLDigest()
	if rep.Kind == KindPlaceholder {
		rep.LockSHA256 = e.PlaceholderSQLDigest()
	}
	return nil
}

// scratchDatabase creates an empty database on the local server and
// returns a connection to it, its DSN and a function that drops it.
func scratchDatabase(ctx context.Context, local *pgx.Conn, dsn string) (*pgx.Conn, string, func(), error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, "", nil, fmt.Errorf("naming the scratch database: %w", err)
	}
	name := "securemig_verify_" + hex.EncodeToString(rnd[:])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := local.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return nil, "", nil, fmt.Errorf("creating the scratch database: %w", err)
	}
	drop := func() {
		local.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)") //nolint:errcheck // best effort
	}
	scratchDSN, err := withDatabase(dsn, name)
	if err != nil {
		drop()
		return nil, "", nil, err
	}
	conn, err := pgx.Connect(ctx, scratchDSN)
	if err != nil {
		drop()
		return nil, "", nil, fmt.Errorf("connecting to the scratch database: %w", err)
	}
	return conn, scratchDSN, func() {
		conn.Close(context.WithoutCancel(ctx))
		drop()
	}, nil
}

// withDatabase returns dsn (URL or key=value form) naming database db.
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("parsing the database URL failed")
		}
		u.Path = "/" + db
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", db)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	return dsn + " dbname='" + db + "'", nil
}

// applyAll applies the schema files and the migration with the migration
// engine (package migrations): one Provider over the embedded schema and
// the file's directory, which applies a split file's parts as one version in
// one transaction and records what it applied in the scratch database.
func applyAll(ctx context.Context, dsn, fileName string, files []string, rep *VerifyReport) error {
	names, err := schema.Files()
	if err != nil {
		return err
	}
	var entries []migrations.Entry
	for _, n := range append(names, fileName) {
		e, err := migrations.ParseName(n)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	p, err := migrations.New(dsn, entries, migrations.Options{
		Locations: []migrations.Location{embeddedSchema{}, migrations.NewFileLocation(filepath.Dir(files[0]))},
	})
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying the schema and %s to the scratch database: %w", fileName, err)
	}
	for _, r := range results {
		if r.Name == fileName {
			rep.SHA256, rep.Bytes = r.SHA256, r.Bytes
		}
	}
	if rep.SHA256 == "" {
		return fmt.Errorf("the migration engine did not apply %s", fileName)
	}
	if rep.LockSHA256 != "" && rep.LockSHA256 != rep.SHA256 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("SHA-256 %s differs from the lock file's %s", rep.SHA256, rep.LockSHA256))
	}
	return nil
}

// embeddedSchema is a migration location serving the embedded schema files.
type embeddedSchema struct{}

func (embeddedSchema) String() string { return "embedded:migrations/schema" }

func (embeddedSchema) List(context.Context) ([]string, error) { return schema.Files() }

func (embeddedSchema) Open(_ context.Context, name string) (io.ReadCloser, error) {
	f, err := schema.FS.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening schema file %s: %w", name, err)
	}
	return f, nil
}

// compare fills rep.Rows.
func compare(ctx context.Context, local, scratch *pgx.Conn, h Header, rep *VerifyReport) error {
	if h.ContractCode == "" {
		return compareCounts(ctx, scratch, h, rep)
	}
	tables, err := resolveTables(ctx, scratch, Options{})
	if err != nil {
		return err
	}
	id, err := ContractID(ctx, scratch, h.ContractCode)
	if err != nil {
		return fmt.Errorf("after applying: %w", err)
	}
	if h.ContractID != "" && h.ContractID != id {
		rep.Problems = append(rep.Problems, fmt.Sprintf("contract id %s differs from the header's %s", id, h.ContractID))
	}
	withHash := h.Kind == KindProduction
	applied, err := Stats(ctx, scratch, tables, id, withHash)
	if err != nil {
		return err
	}
	var source []TableStat
	if localID, err := ContractID(ctx, local, h.ContractCode); err == nil {
		if source, err = Stats(ctx, local, tables, localID, withHash); err != nil {
			return err
		}
	} else {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the local database has no contract %s to compare with", h.ContractCode))
	}
	want := map[string]int64{}
	for _, t := range h.Tables {
		want[t.Table] = t.Rows
	}
	for i, a := range applied {
		row := VerifyRow{Table: a.Table, Header: want[a.Table], Source: -1, Applied: a.Rows, OK: true}
		if _, ok := want[a.Table]; !ok {
			row.Header = -1
		}
		if row.Header != a.Rows {
			row.OK = false
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d rows applied, header says %d", a.Table, a.Rows, row.Header))
		}
		if source != nil {
			s := source[i]
			row.Source = s.Rows
			if s.Rows != a.Rows {
				row.OK = false
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d rows applied, local contract has %d", a.Table, a.Rows, s.Rows))
			}
			if withHash {
				row.HashChecked, row.HashOK = true, s.MD5 == a.MD5
				if !row.HashOK {
					row.OK = false
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: content differs from the local contract", a.Table))
				}
			}
		}
		rep.Rows = append(rep.Rows, row)
	}
	return nil
}

// compareCounts checks a --name mode file against its header only.
func compareCounts(ctx context.Context, scratch *pgx.Conn, h Header, rep *VerifyReport) error {
	for _, t := range h.Tables {
		schemaName, name, ok := strings.Cut(t.Table, ".")
		if !ok {
			return fmt.Errorf("header: table %q is not qualified", t.Table)
		}
		var n int64
		if err := scratch.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schemaName, name}.Sanitize()).Scan(&n); err != nil {
			return fmt.Errorf("counting %s: %w", t.Table, err)
		}
		row := VerifyRow{Table: t.Table, Header: t.Rows, Source: -1, Applied: n, OK: n == t.Rows}
		if !row.OK {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d rows applied, header says %d", t.Table, n, t.Rows))
		}
		rep.Rows = append(rep.Rows, row)
	}
	return nil
}

// WriteTable prints the report as an aligned text table.
func (r *VerifyReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s", r.FileName, r.Kind)
	if r.ContractCode != "" {
		fmt.Fprintf(&b, ", contract %s", r.ContractCode)
	}
	fmt.Fprintf(&b, "), %d bytes, sha256 %s", r.Bytes, r.SHA256)
	if r.LockSHA256 != "" {
		if r.LockSHA256 == r.SHA256 {
			b.WriteString(" (matches the lock file)")
		} else {
			b.WriteString(" (LOCK FILE MISMATCH)")
		}
	}
	b.WriteString("\n")
	width := len("TABLE")
	for _, row := range r.Rows {
		width = max(width, len(row.Table))
	}
	fmt.Fprintf(&b, "%-*s  %10s  %10s  %10s  %-8s  %s\n", width, "TABLE", "HEADER", "SOURCE", "APPLIED", "CONTENT", "RESULT")
	num := func(n int64) string {
		if n < 0 {
			return "-"
		}
		return fmt.Sprint(n)
	}
	for _, row := range r.Rows {
		content := "-"
		if row.HashChecked {
			content = map[bool]string{true: "same", false: "DIFFERS"}[row.HashOK]
		}
		result := map[bool]string{true: "ok", false: "FAIL"}[row.OK]
		fmt.Fprintf(&b, "%-*s  %10s  %10s  %10s  %-8s  %s\n", width, row.Table, num(row.Header), num(row.Source), num(row.Applied), content, result)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
