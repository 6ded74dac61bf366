package securegen

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/dump"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// DefaultRevertDir holds the committed revert migrations. Deployed
// environments read it as a migration location (file://migrations/revert)
// next to the schema, so a revert needs no upload.
const DefaultRevertDir = "migrations/revert"

// KindRevert names a revert migration in its header.
const KindRevert = "revert"

const revertHeaderStart = "-- securemig revert migration"

// RevertOptions configures GenerateRevert.
type RevertOptions struct {
	// DSN is the local database. Only its catalog is read (the contract
	// tables' keys); the contract's rows need not be there any more.
	DSN string
	// ContractCode is the contract to remove.
	ContractCode string
	// Version forces the version (YYYYMMDDHHMMSS); it must be free and
	// newer than the reverted migration's.
	Version string
	// Now gives the clock for the version (time.Now when nil).
	Now func() time.Time
	// RevertDir receives the revert migration (DefaultRevertDir when empty).
	RevertDir string
	// OutDir, PlaceholderDir, ManifestPath and LockPath are as in Options;
	// the reverted migration's header is read from its placeholder, or from
	// its production file when the placeholder is missing.
	OutDir, PlaceholderDir, ManifestPath, LockPath string
	// ToolVersion is written into the header and the lock entry.
	ToolVersion string
	// Actor is recorded as who generated it (default actor.Current()).
	Actor string
}

// RevertResult describes a generated revert migration.
type RevertResult struct {
	// Version and Name make the file name FileName; Path is the file.
	Version, Name, FileName, Path string
	// SHA256 and Size describe the file's bytes.
	SHA256 string
	Size   int64
	// Reverts is the file name of the secure migration it reverts.
	Reverts string
	// ContractCode and ContractID identify the contract it removes.
	ContractCode, ContractID string
	// Tables lists the rows it removes per table, parents first.
	Tables []TableCount
}

// RevertHeader is the comment block that starts a revert migration. It
// holds the contract's code and id, table names and row counts: nothing
// sensitive, so the file is committed.
type RevertHeader struct {
	// Version and Name make the file name <version>_<name>.up.sql.
	Version, Name string
	// ContractCode and ContractID identify the contract removed.
	ContractCode, ContractID string
	// Reverts and RevertsSHA256 name the reverted secure migration and the
	// SHA-256 of its production bytes.
	Reverts, RevertsSHA256 string
	// ToolVersion is the securemig version; GeneratedAt the version's time.
	ToolVersion string
	GeneratedAt time.Time
	// Tables lists the rows the reverted migration loaded, parents first.
	Tables []TableCount
}

// FileName returns "<version>_<name>.up.sql".
func (h RevertHeader) FileName() string { return h.Version + "_" + h.Name + ".up.sql" }

// format renders the header; the securemig:reverts directive in it is what
// makes the migration engine record the revert.
func (h RevertHeader) format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: removes contract %s, shipped by %s, from the database.\n", revertHeaderStart, h.ContractCode, h.Reverts)
	b.WriteString("-- Committed in git (no prices: the contract's code and id, table names and row counts).\n")
	b.WriteString("-- It refuses, changing nothing, when the contract is absent or changed, or when rows of\n")
	b.WriteString("-- other tables reference the contract's rows.\n")
	fmt.Fprintf(&b, "-- securemig:reverts %s\n", h.Reverts)
	field := func(k, v string) { fmt.Fprintf(&b, "-- %s: %s\n", k, v) }
	field("kind", KindRevert)
	field("version", h.Version)
	field("name", h.Name)
	field("contract-code", h.ContractCode)
	field("contract-id", h.ContractID)
	field("reverts", h.Reverts)
	field("reverts-sha256", h.RevertsSHA256)
	field("tool-version", h.ToolVersion)
	field("generated-at", h.GeneratedAt.UTC().Format(time.RFC3339))
	for _, t := range h.Tables {
		fmt.Fprintf(&b, "-- rows: %s %d\n", t.Table, t.Rows)
	}
	b.WriteString(headerEnd + "\n")
	return b.String()
}

// IsRevertFile reports whether the file at path starts like a revert
// migration; a missing file is not one.
func IsRevertFile(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	return strings.HasPrefix(line, revertHeaderStart), nil
}

// ParseRevertHeader reads the header of a revert migration.
func ParseRevertHeader(r io.Reader) (RevertHeader, error) {
	var h RevertHeader
	sc := bufio.NewScanner(r)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), revertHeaderStart) {
		if err := sc.Err(); err != nil {
			return h, fmt.Errorf("reading the header: %w", err)
		}
		return h, errors.New("not a securemig revert migration (no header on line 1)")
	}
	for line := 2; sc.Scan(); line++ {
		text := sc.Text()
		if text == headerEnd {
			return h, h.check()
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(text, "-- "), ": ")
		if !ok || !strings.HasPrefix(text, "-- ") {
			continue
		}
		if err := h.set(k, v); err != nil {
			return h, fmt.Errorf("header line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return h, fmt.Errorf("reading the header: %w", err)
	}
	return h, errors.New("header: no end line")
}

func (h *RevertHeader) set(k, v string) error {
	switch k {
	case "kind":
		if v != KindRevert {
			return fmt.Errorf("kind %q, want %q", v, KindRevert)
		}
	case "version":
		h.Version = v
	case "name":
		h.Name = v
	case "contract-code":
		h.ContractCode = v
	case "contract-id":
		h.ContractID = v
	case "reverts":
		h.Reverts = v
	case "reverts-sha256":
		h.RevertsSHA256 = v
	case "tool-version":
		h.ToolVersion = v
	case "generated-at":
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("generated-at: %w", err)
		}
		h.GeneratedAt = t
	case "rows":
		i := strings.LastIndexByte(v, ' ')
		if i < 0 {
			return errors.New("rows: want TABLE COUNT")
		}
		n, err := strconv.ParseInt(v[i+1:], 10, 64)
		if err != nil {
			return fmt.Errorf("rows: %w", err)
		}
		h.Tables = append(h.Tables, TableCount{Table: v[:i], Rows: n})
	}
	return nil
}

func (h *RevertHeader) check() error {
	if _, err := migrations.ParseName(h.Reverts); err != nil {
		return fmt.Errorf("header: reverts: %w", err)
	}
	if !uuidRE.MatchString(h.ContractID) || !codeRE.MatchString(h.ContractCode) {
		return errors.New("header: a contract code and id are required")
	}
	if len(h.Tables) == 0 {
		return errors.New("header: no tables")
	}
	return nil
}

func (o *RevertOptions) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RevertDir == "" {
		o.RevertDir = DefaultRevertDir
	}
	if o.OutDir == "" {
		o.OutDir = DefaultOutDir
	}
	if o.PlaceholderDir == "" {
		o.PlaceholderDir = DefaultPlaceholderDir
	}
	if o.ManifestPath == "" {
		o.ManifestPath = DefaultManifest
	}
	if o.LockPath == "" {
		o.LockPath = lockfile.DefaultPath
	}
}

// GenerateRevert writes a revert migration for the contract's secure
// migration: a forward, versioned migration in RevertDir that removes
// exactly the contract from a database that applied it, with its manifest
// line and a lock entry linking the two (the reverted entry gets
// reverted_by). See revertSQL for what it checks at apply time. On failure
// nothing is left behind.
func GenerateRevert(ctx context.Context, o RevertOptions) (*RevertResult, error) {
	o.defaults()
	if !codeRE.MatchString(o.ContractCode) {
		return nil, fmt.Errorf("invalid contract code %q: use letters, digits, '-' and '_'", o.ContractCode)
	}
	target, entry, err := revertTarget(o.LockPath, o.ContractCode)
	if err != nil {
		return nil, err
	}
	shipped, err := shippedHeader(o, target)
	if err != nil {
		return nil, err
	}
	tables, err := revertTables(ctx, o.DSN, shipped.Tables)
	if err != nil {
		return nil, err
	}
	name := "revert_pricing_data_" + fileCode(o.ContractCode)
	version, err := chooseVersion(Options{Version: o.Version, Now: o.Now, ManifestPath: o.ManifestPath,
		OutDir: o.OutDir, PlaceholderDir: o.RevertDir}, name)
	if err != nil {
		return nil, err
	}
	if version <= target[:14] {
		return nil, fmt.Errorf("version %s is not newer than %s: a revert must come after the migration it reverts", version, target)
	}
	h := RevertHeader{Version: version, Name: name, ContractCode: o.ContractCode, ContractID: shipped.ContractID,
		Reverts: target, RevertsSHA256: entry.SHA256, ToolVersion: o.ToolVersion, GeneratedAt: generatedAt(version),
		Tables: shipped.Tables}
	sql := h.format() + revertSQL(h, tables)
	res := &RevertResult{Version: version, Name: name, FileName: h.FileName(), Reverts: target,
		ContractCode: o.ContractCode, ContractID: h.ContractID, Tables: h.Tables, Size: int64(len(sql))}
	sum := sha256.Sum256([]byte(sql))
	res.SHA256 = hex.EncodeToString(sum[:])
	if res.Path, err = writeRevertFile(ctx, o.RevertDir, res.FileName, sql); err != nil {
		return nil, err
	}
	if err := recordRevert(o, res); err != nil {
		os.Remove(res.Path)
		return nil, err
	}
	return res, nil
}

// revertTarget finds the contract's secure migration that is not reverted
// yet.
func revertTarget(lockPath, code string) (string, *lockfile.Entry, error) {
	lf, err := lockfile.Load(lockPath)
	if err != nil {
		return "", nil, err
	}
	var live, reverted []string
	for _, name := range lf.Contract(code) {
		e := lf.Migrations[name]
		switch {
		case e.IsRevert():
		case e.RevertedBy != "":
			reverted = append(reverted, name+" (reverted by "+e.RevertedBy+")")
		default:
			live = append(live, name)
		}
	}
	switch len(live) {
	case 1:
		return live[0], lf.Migrations[live[0]], nil
	case 0:
		if len(reverted) > 0 {
			return "", nil, fmt.Errorf("contract %s has no secure migration left to revert in %s: %s", code, lockPath, strings.Join(reverted, ", "))
		}
		return "", nil, fmt.Errorf("contract %s has no secure migration in %s (generate one with securemig gen secure-migration; "+
			"a contract only imported locally is removed with securemig pricing rollback or pricing undo)", code, lockPath)
	default:
		return "", nil, fmt.Errorf("contract %s has several secure migrations that are not reverted in %s: %s", code, lockPath, strings.Join(live, ", "))
	}
}

// shippedHeader reads the header of the reverted migration: from its
// placeholder (committed), else from its production file.
func shippedHeader(o RevertOptions, target string) (Header, error) {
	var tried []string
	for _, path := range []string{filepath.Join(o.PlaceholderDir, target), filepath.Join(o.OutDir, target),
		filepath.Join(o.OutDir, migrations.PartName(target, 1))} {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			tried = append(tried, path)
			continue
		}
		if err != nil {
			return Header{}, err
		}
		h, err := ParseHeader(f)
		f.Close()
		if err != nil {
			return Header{}, fmt.Errorf("%s: %w", path, err)
		}
		if h.ContractCode != o.ContractCode || !uuidRE.MatchString(h.ContractID) || len(h.Tables) == 0 {
			return Header{}, fmt.Errorf("%s: the header does not describe contract %s (contract %q, id %q, %d tables)",
				path, o.ContractCode, h.ContractCode, h.ContractID, len(h.Tables))
		}
		return h, nil
	}
	return Header{}, fmt.Errorf("cannot read the header of %s: none of %s exists", target, strings.Join(tried, ", "))
}

// revertTables resolves the shipped tables in the local database's catalog,
// parents first, with how each selects the contract's rows.
func revertTables(ctx context.Context, dsn string, shipped []TableCount) ([]*Table, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to the local database (its catalog gives the contract tables' keys): %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	patterns := make([]string, len(shipped))
	for i, t := range shipped {
		schemaName, name, ok := strings.Cut(t.Table, ".")
		if !ok {
			return nil, fmt.Errorf("table %q of the shipped migration is not qualified", t.Table)
		}
		patterns[i] = dump.QuoteName(schemaName, name)
	}
	rels, err := dump.Resolve(ctx, conn, patterns, nil)
	if err != nil {
		return nil, err
	}
	tables, unlinked, err := ContractTables(ctx, conn, rels)
	if err != nil {
		return nil, err
	}
	if len(unlinked) > 0 || len(tables) != len(shipped) {
		return nil, fmt.Errorf("the local database's schema does not have the %d contract tables the migration shipped "+
			"(found %d; apply the schema with securemig migrate)", len(shipped), len(tables))
	}
	return tables, nil
}

// revertSQL is the body of a revert migration. In the migration's one
// transaction it:
//  1. locks the contract tables against writes (SHARE ROW EXCLUSIVE: reads go on);
//  2. refuses when the contract (code and id) is absent;
//  3. refuses when any table outside the contract's own tables has a
//     foreign key to one of them and a row referencing the contract's rows;
//     the foreign keys are read from pg_constraint when the migration runs,
//     so a table added after the migration was generated counts, whatever
//     its ON DELETE action; the referencing tables are locked (SHARE) so
//     that none gains a reference before the rows are gone;
//  4. refuses when a table holds another number of the contract's rows
//     than the reverted migration loaded (the contract changed since);
//  5. deletes the contract's rows, children first.
//
// A refusal raises an error naming the contract and tables (never
// values), so the engine rolls back and nothing changes.
func revertSQL(h RevertHeader, tables []*Table) string {
	id, code := h.ContractID, h.ContractCode
	rows := map[string]int64{}
	for _, t := range h.Tables {
		rows[t.Table] = t.Rows
	}
	var b strings.Builder
	b.WriteString("DO $securemig_revert$\nDECLARE\n    fk record;\n    child_cols text;\n    parent_cols text;\n")
	b.WriteString("    referenced boolean;\n    n bigint;\n    own regclass[] := ARRAY[\n")
	for i, t := range tables {
		sep := ","
		if i == len(tables)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "        %s::regclass%s\n", quoteLiteral(t.Ident()), sep)
	}
	b.WriteString("    ];\nBEGIN\n")
	b.WriteString("    -- 1. No writes to the contract tables until this transaction ends.\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "    LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE;\n", t.Ident())
	}
	fmt.Fprintf(&b, `    -- 2. The contract is here.
    IF NOT EXISTS (SELECT 1 FROM public.re_contracts WHERE id = '%[1]s'::uuid AND code = '%[2]s') THEN
        RAISE EXCEPTION 'securemig: revert refused: contract %[2]s (id %[1]s) is not in this database; nothing changed';
    END IF;
    -- 3. No row outside the contract's own tables references its rows.
    FOR fk IN
        SELECT k.conname, k.conrelid::regclass AS child, k.confrelid::regclass AS parent, k.conkey, k.confkey, o.cond
        FROM pg_catalog.pg_constraint k
        JOIN (VALUES
`, id, code)
	for i, t := range tables {
		sep := ","
		if i == len(tables)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "            (%s::regclass, $w$%s$w$)%s\n", quoteLiteral(t.Ident()), t.Where(id, "p"), sep)
	}
	fmt.Fprintf(&b, `        ) AS o(rel, cond) ON k.confrelid = o.rel
        WHERE k.contype = 'f' AND NOT (k.conrelid = ANY (own))
        ORDER BY k.conrelid::regclass::text, k.conname
    LOOP
        EXECUTE format('LOCK TABLE %%s IN SHARE MODE', fk.child);
        SELECT string_agg(format('c.%%I', a.attname), ', ' ORDER BY x.ord) INTO child_cols
        FROM unnest(fk.conkey) WITH ORDINALITY AS x(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = fk.child AND a.attnum = x.attnum;
        SELECT string_agg(format('p.%%I', a.attname), ', ' ORDER BY x.ord) INTO parent_cols
        FROM unnest(fk.confkey) WITH ORDINALITY AS x(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = fk.parent AND a.attnum = x.attnum;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %%s c WHERE (%%s) IN (SELECT %%s FROM %%s p WHERE %%s))',
            fk.child, child_cols, parent_cols, fk.parent, fk.cond) INTO referenced;
        IF referenced THEN
            RAISE EXCEPTION 'securemig: revert refused: rows of %% reference contract %[1]s in %% (foreign key %%); remove or move them first; nothing changed',
                fk.child, fk.parent, fk.conname;
        END IF;
    END LOOP;
    -- 4. The contract holds, table by table, as many rows as %[2]s loaded (it did not change since).
`, code, h.Reverts)
	for _, t := range tables {
		fmt.Fprintf(&b, `    SELECT count(*) INTO n FROM %[1]s t WHERE %[2]s;
    IF n <> %[3]d THEN
        RAISE EXCEPTION 'securemig: revert refused: %[4]s holds %% rows of contract %[5]s where %[6]s loaded %[3]d: the contract changed after it was applied; nothing changed', n;
    END IF;
`, t.Ident(), t.Where(id, "t"), rows[t.String()], t.String(), code, h.Reverts)
	}
	b.WriteString("END\n$securemig_revert$;\n\n-- 5. Remove the contract, children first.\n")
	for i := len(tables) - 1; i >= 0; i-- {
		t := tables[i]
		fmt.Fprintf(&b, "DELETE FROM %s WHERE %s;\n", t.Ident(), t.Where(id, ""))
	}
	return b.String()
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// writeRevertFile writes the revert migration into dir (created 0755) under
// its final name through a temporary file; the file is 0644, for git. It
// refuses a path git ignores: the file is meant to be committed.
func writeRevertFile(ctx context.Context, dir, name, sql string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	if err := checkCommittable(ctx, path); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".revert-*.tmp")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the link
	_, err = io.WriteString(tmp, sql)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Link, not rename: an existing file is never replaced.
		err = os.Link(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// checkCommittable refuses a path git would not commit (ignored).
func checkCommittable(ctx context.Context, path string) error {
	abs, dir, ok, err := workTreeDir(ctx, path)
	if err != nil || !ok {
		return err
	}
	code, _, err := gitIn(ctx, dir, "check-ignore", "-q", "--no-index", "--", abs)
	if err != nil {
		return fmt.Errorf("checking %s with git: %w", path, err)
	}
	if code == 0 {
		return fmt.Errorf("refusing to write the revert migration to %s: git ignores that path, but revert migrations are committed", path)
	}
	return nil
}

// recordRevert adds the revert's lock entry, marks the reverted entry, and
// appends the manifest line (restoring the lock file if that fails).
func recordRevert(o RevertOptions, r *RevertResult) error {
	entry := &lockfile.Entry{
		SHA256: r.SHA256, Size: r.Size, ContractCode: r.ContractCode, GeneratedAt: generatedAt(r.Version),
		ToolVersion: o.ToolVersion, Tables: map[string]int64{}, Reverts: r.Reverts,
		CreatedAt: time.Now().UTC(), CreatedBy: (&Options{Actor: o.Actor}).actor(),
	}
	for _, t := range r.Tables {
		entry.Tables[t.Table] = t.Rows
	}
	err := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
		target, ok := f.Lookup(r.Reverts)
		switch {
		case !ok:
			return fmt.Errorf("%s disappeared from %s meanwhile", r.Reverts, o.LockPath)
		case target.RevertedBy != "":
			return fmt.Errorf("%s was reverted meanwhile by %s (%s)", r.Reverts, target.RevertedBy, o.LockPath)
		}
		if _, ok := f.Lookup(r.FileName); ok {
			return fmt.Errorf("%s already has an entry for %s", o.LockPath, r.FileName)
		}
		target.RevertedBy = r.FileName
		f.Migrations[r.FileName] = entry
		return nil
	})
	if err != nil {
		return err
	}
	if err := migrations.AppendManifest(o.ManifestPath, r.FileName); err != nil {
		undo := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
			delete(f.Migrations, r.FileName)
			if target, ok := f.Lookup(r.Reverts); ok && target.RevertedBy == r.FileName {
				target.RevertedBy = ""
			}
			return nil
		})
		return errors.Join(err, undo)
	}
	return nil
}
