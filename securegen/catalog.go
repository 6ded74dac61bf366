package securegen

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/dump"
)

// The contracts table every contract-data table leads to.
const (
	contractsSchema = "public"
	contractsTable  = "re_contracts"
)

// Default dump patterns for pricing: every rate-engine table in public
// except the service lookup seeded by the schema migrations. Tables that
// match but hold no contract data (no foreign-key path to re_contracts, so
// seeded by migrations) are excluded by DefaultPatterns too.
var (
	DefaultInclude = []string{"public.re_*"}
	DefaultExclude = []string{"public.re_services"}
)

// Table is a table holding contract data, with how to select one
// contract's rows.
type Table struct {
	// Schema and Name identify the table.
	Schema, Name string
	// Column is the column holding the contract id ("id" in re_contracts,
	// usually "contract_id"), or, when Parent is set, the column referencing
	// Parent.
	Column string
	// Parent, when set, is the table (with its own contract column
	// ParentColumn) through which rows belong to a contract, e.g.
	// re_task_order_fees.contract_year_id → re_contract_years.
	Parent                  *Table
	ParentKey, ParentColumn string
	hasID                   bool
	parents                 []string // qualified names this table references
}

// String returns the qualified name as pg_dump prints it (unquoted).
func (t *Table) String() string { return t.Schema + "." + t.Name }

// Ident returns the quoted qualified name for SQL.
func (t *Table) Ident() string {
	return pgx.Identifier{t.Schema, t.Name}.Sanitize()
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Where returns the SQL condition selecting the rows of the contract with
// the given id (a UUID, checked, so it is safe to inline). alias qualifies
// the table's columns when not empty.
func (t *Table) Where(contractID, alias string) string {
	if !uuidRE.MatchString(contractID) {
		panic("securegen: contract id is not a canonical UUID")
	}
	col := pgx.Identifier{t.Column}.Sanitize()
	if alias != "" {
		col = alias + "." + col
	}
	lit := "'" + contractID + "'::uuid"
	if t.Parent == nil {
		return col + " = " + lit
	}
	return fmt.Sprintf("%s IN (SELECT %s FROM %s WHERE %s = %s)", col,
		pgx.Identifier{t.ParentKey}.Sanitize(), t.Parent.Ident(), pgx.Identifier{t.ParentColumn}.Sanitize(), lit)
}

// fkSQL lists the single-column foreign keys of the given tables.
const fkSQL = `SELECT n.nspname, c.relname, a.attname, pn.nspname, pc.relname, pa.attname
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class pc ON pc.oid = k.confrelid
JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
JOIN pg_catalog.pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1
ORDER BY 1, 2, 3`

type fk struct{ schema, table, col, pschema, ptable, pcol string }

// ContractTables classifies the resolved relations: tables with a
// foreign-key path to re_contracts (directly, or through one parent that
// has one) come back in foreign-key order (parents first); the others are
// returned as unlinked. Sequences are an error: their setval would move
// the target's sequence.
func ContractTables(ctx context.Context, conn *pgx.Conn, rels []dump.Relation) (linked []*Table, unlinked []dump.Relation, err error) {
	rows, err := conn.Query(ctx, fkSQL)
	if err != nil {
		return nil, nil, fmt.Errorf("reading foreign keys: %w", err)
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		err := r.Scan(&f.schema, &f.table, &f.col, &f.pschema, &f.ptable, &f.pcol)
		return f, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading foreign keys: %w", err)
	}
	byTable := map[string][]fk{}
	for _, f := range fks {
		k := f.schema + "." + f.table
		byTable[k] = append(byTable[k], f)
	}
	contracts := contractsSchema + "." + contractsTable
	direct := func(name string) (string, bool) {
		for _, f := range byTable[name] {
			if f.pschema+"."+f.ptable == contracts {
				return f.col, true
			}
		}
		return "", false
	}
	tables := map[string]*Table{}
	for _, r := range rels {
		if r.Kind == dump.KindSequence {
			return nil, nil, fmt.Errorf("sequence %s would be dumped (its setval would reset the target's sequence); exclude it with -T", r)
		}
		t := &Table{Schema: r.Schema, Name: r.Name}
		name := r.String()
		for _, f := range byTable[name] {
			t.parents = append(t.parents, f.pschema+"."+f.ptable)
		}
		switch col, ok := direct(name); {
		case name == contracts:
			t.Column = "id"
		case ok:
			t.Column = col
		default:
			for _, f := range byTable[name] {
				parent := f.pschema + "." + f.ptable
				if pcol, ok := direct(parent); ok && parent != contracts {
					t.Column, t.ParentKey, t.ParentColumn = f.col, f.pcol, pcol
					t.Parent = &Table{Schema: f.pschema, Name: f.ptable, Column: pcol}
					break
				}
			}
		}
		if t.Column == "" {
			unlinked = append(unlinked, r)
			continue
		}
		tables[name] = t
	}
	if err := markIDs(ctx, conn, tables); err != nil {
		return nil, nil, err
	}
	return fkOrder(tables), unlinked, nil
}

func markIDs(ctx context.Context, conn *pgx.Conn, tables map[string]*Table) error {
	rows, err := conn.Query(ctx, `SELECT n.nspname || '.' || c.relname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attname = 'id' AND NOT a.attisdropped AND a.attnum > 0`)
	if err != nil {
		return fmt.Errorf("reading columns: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("reading columns: %w", err)
	}
	for _, n := range names {
		if t, ok := tables[n]; ok {
			t.hasID = true
		}
	}
	return nil
}

// fkOrder sorts tables parents first (a topological order over the foreign
// keys among them), breaking ties by name so the order is stable.
func fkOrder(tables map[string]*Table) []*Table {
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*Table
	done := map[string]bool{}
	visiting := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if done[n] || visiting[n] {
			return
		}
		visiting[n] = true
		t := tables[n]
		ps := append([]string(nil), t.parents...)
		sort.Strings(ps)
		for _, p := range ps {
			if _, ok := tables[p]; ok && p != n {
				visit(p)
			}
		}
		visiting[n] = false
		done[n] = true
		out = append(out, t)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}

// DefaultPatterns returns the pricing include and exclude patterns for the
// database: DefaultInclude, DefaultExclude, plus an exact exclusion for
// every matching table that has no foreign-key path to re_contracts.
func DefaultPatterns(ctx context.Context, conn *pgx.Conn) (include, exclude []string, err error) {
	rels, err := dump.Resolve(ctx, conn, DefaultInclude, DefaultExclude)
	if err != nil {
		return nil, nil, fmt.Errorf("resolving the default pricing patterns: %w", err)
	}
	var tables []dump.Relation
	for _, r := range rels {
		if r.Kind == dump.KindTable {
			tables = append(tables, r)
		}
	}
	_, unlinked, err := ContractTables(ctx, conn, tables)
	if err != nil {
		return nil, nil, err
	}
	exclude = append([]string(nil), DefaultExclude...)
	for _, r := range unlinked {
		exclude = append(exclude, dump.QuoteName(r.Schema, r.Name))
	}
	for _, r := range rels {
		if r.Kind == dump.KindSequence {
			exclude = append(exclude, dump.QuoteName(r.Schema, r.Name))
		}
	}
	return append([]string(nil), DefaultInclude...), exclude, nil
}

// codeRE is the contract code syntax (the schema's CHECK).
var codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// ContractID returns the id of the contract with the given code.
func ContractID(ctx context.Context, conn *pgx.Conn, code string) (string, error) {
	if !codeRE.MatchString(code) {
		return "", fmt.Errorf("invalid contract code %q: use letters, digits, '-' and '_'", code)
	}
	var id string
	err := conn.QueryRow(ctx, "SELECT id::text FROM public.re_contracts WHERE code = $1", code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("contract %q is not in the database (import it first: securemig pricing import)", code)
	}
	if err != nil {
		return "", fmt.Errorf("looking up contract %q: %w", code, err)
	}
	return id, nil
}

// TableStat is one table's row count and content hash for one contract.
type TableStat struct {
	// Table is the qualified table name.
	Table string
	// Rows is the number of the contract's rows.
	Rows int64
	// MD5 is md5 of the rows' text forms in id order ("" when empty).
	MD5 string
}

// Stats returns the row count and content hash of the contract's rows in
// each table, in the tables' order.
func Stats(ctx context.Context, conn *pgx.Conn, tables []*Table, contractID string, withHash bool) ([]TableStat, error) {
	out := make([]TableStat, 0, len(tables))
	for _, t := range tables {
		order := "t::text"
		if t.hasID {
			order = "t.id"
		}
		hash := "''"
		if withHash {
			hash = fmt.Sprintf("coalesce(md5(string_agg(t::text, E'\\n' ORDER BY %s)), '')", order)
		}
		q := fmt.Sprintf("SELECT count(*), %s FROM %s t WHERE %s", hash, t.Ident(), t.Where(contractID, "t"))
		s := TableStat{Table: t.String()}
		if err := conn.QueryRow(ctx, q).Scan(&s.Rows, &s.MD5); err != nil {
			return nil, fmt.Errorf("counting %s: %w", t, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// fileCode turns a contract code into the lower-case name part of a
// migration file name ("ABC-1" → "abc_1").
func fileCode(code string) string {
	return strings.ToLower(strings.ReplaceAll(code, "-", "_"))
}
