package dump

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// Relation kinds that produce output in a data-only dump.
const (
	// KindTable is a table whose rows pg_dump writes as a COPY block.
	KindTable = "table"
	// KindSequence is a sequence whose value pg_dump writes as a setval call.
	KindSequence = "sequence"
)

// Relation is one relation whose data a data-only pg_dump writes.
type Relation struct {
	// Schema and Name identify the relation.
	Schema, Name string
	// Kind is KindTable or KindSequence.
	Kind string
}

// String returns the relation's qualified name as pg_dump prints it.
func (r Relation) String() string { return r.Schema + "." + r.Name }

// ErrNothingSelected is returned when a pattern set selects no data at all.
var ErrNothingSelected = errors.New("the patterns select no table or sequence data")

// catalogRel is a relation as read from pg_class, with what pg_dump needs to
// decide whether its data is dumped.
type catalogRel struct {
	oid          uint32
	schema, name string
	relkind      byte
	owner        uint32 // owning table of an owned sequence, else 0
	identity     bool   // owner is through an identity column
	extension    bool   // member of an extension
}

// matchSQL selects the relations one pattern matches, as pg_dump's
// expand_table_name_patterns does (run after RESET search_path).
const matchSQL = `SELECT c.oid
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
WHERE c.relkind OPERATOR(pg_catalog.=) ANY (array['r', 'S', 'v', 'm', 'f', 'p']::"char"[])
  AND c.relname OPERATOR(pg_catalog.~) $2::text COLLATE pg_catalog.default
  AND CASE WHEN $1::text IS NULL THEN pg_catalog.pg_table_is_visible(c.oid)
           ELSE n.nspname OPERATOR(pg_catalog.~) $1::text COLLATE pg_catalog.default END`

// relsSQL reads the candidate relations with sequence ownership and
// extension membership.
const relsSQL = `SELECT c.oid, n.nspname, c.relname, c.relkind::text,
       COALESCE(d.refobjid, 0), COALESCE(d.deptype = 'i', false),
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
               WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND e.objid = c.oid AND e.deptype = 'e')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_depend d
  ON c.relkind = 'S'
 AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.objsubid = 0
 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
WHERE c.relkind = ANY (array['r', 'S', 'v', 'm', 'f', 'p']::"char"[])
  AND (c.oid = ANY ($1::oid[]) OR (c.relkind = 'S' AND d.refobjid = ANY ($1::oid[])))`

// Resolve returns, sorted by schema and name, the relations whose data
// `pg_dump --data-only --strict-names -t INCLUDE... -T EXCLUDE...` dumps from
// the database conn is connected to. Like pg_dump with --strict-names, an
// include pattern that matches no relation is an error naming the pattern;
// a pattern set that selects no data at all is ErrNothingSelected. At least
// one include pattern is required. Resolve only reads the catalog, in a
// transaction of its own that it rolls back.
func Resolve(ctx context.Context, conn *pgx.Conn, include, exclude []string) ([]Relation, error) {
	if len(include) == 0 {
		return nil, errors.New("resolving dump patterns: at least one include (-t) pattern is required")
	}
	inc, err := parseAll(include)
	if err != nil {
		return nil, err
	}
	exc, err := parseAll(exclude)
	if err != nil {
		return nil, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolving dump patterns: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; rollback restores search_path
	// pg_dump matches unqualified patterns against the role's or database's
	// default search_path, whatever the session set.
	if _, err := tx.Exec(ctx, "RESET search_path"); err != nil {
		return nil, fmt.Errorf("resolving dump patterns: %w", err)
	}
	var db string
	if err := tx.QueryRow(ctx, "SELECT pg_catalog.current_database()").Scan(&db); err != nil {
		return nil, fmt.Errorf("resolving dump patterns: %w", err)
	}
	included := map[uint32]bool{}
	for _, p := range inc {
		oids, err := matchPattern(ctx, tx, db, p)
		if err != nil {
			return nil, err
		}
		if len(oids) == 0 {
			return nil, fmt.Errorf("no matching tables were found for pattern %q", p.Text)
		}
		for _, o := range oids {
			included[o] = true
		}
	}
	excluded := map[uint32]bool{}
	for _, p := range exc {
		oids, err := matchPattern(ctx, tx, db, p)
		if err != nil {
			return nil, err
		}
		for _, o := range oids {
			excluded[o] = true
		}
	}
	rels, err := readRelations(ctx, tx, included)
	if err != nil {
		return nil, err
	}
	out := selectData(rels, included, excluded)
	if len(out) == 0 {
		return nil, ErrNothingSelected
	}
	return out, nil
}

func parseAll(texts []string) ([]Pattern, error) {
	ps := make([]Pattern, 0, len(texts))
	for _, s := range texts {
		p, err := ParsePattern(s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func matchPattern(ctx context.Context, tx pgx.Tx, db string, p Pattern) ([]uint32, error) {
	if p.Database != "" && p.Database != db {
		return nil, fmt.Errorf("pattern %q: cross-database references are not implemented (connected to %q)", p.Text, db)
	}
	var schema *string
	if p.Schema != "" {
		schema = &p.Schema
	}
	rows, err := tx.Query(ctx, matchSQL, schema, p.Name)
	if err != nil {
		return nil, fmt.Errorf("matching pattern %q: %w", p.Text, err)
	}
	oids, err := pgx.CollectRows(rows, pgx.RowTo[uint32])
	if err != nil {
		return nil, fmt.Errorf("matching pattern %q: %w", p.Text, err)
	}
	return oids, nil
}

func readRelations(ctx context.Context, tx pgx.Tx, included map[uint32]bool) ([]catalogRel, error) {
	oids := make([]uint32, 0, len(included))
	for o := range included {
		oids = append(oids, o)
	}
	rows, err := tx.Query(ctx, relsSQL, oids)
	if err != nil {
		return nil, fmt.Errorf("reading relations: %w", err)
	}
	defer rows.Close()
	var rels []catalogRel
	for rows.Next() {
		var (
			r    catalogRel
			kind string
		)
		if err := rows.Scan(&r.oid, &r.schema, &r.name, &kind, &r.owner, &r.identity, &r.extension); err != nil {
			return nil, fmt.Errorf("reading relations: %w", err)
		}
		r.relkind = kind[0]
		rels = append(rels, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading relations: %w", err)
	}
	return rels, nil
}

// selectData applies pg_dump's rules to decide whose data is dumped: a
// relation is selected when some include pattern and no exclude pattern
// matches it; a selected ordinary table (not an extension member) yields a
// COPY block; views, materialized views, foreign and partitioned tables
// yield nothing; a sequence yields a setval when selected, or when it is
// owned by a selected table (an identity sequence only then).
func selectData(rels []catalogRel, included, excluded map[uint32]bool) []Relation {
	selected := func(oid uint32) bool { return included[oid] && !excluded[oid] }
	var out []Relation
	seen := map[uint32]bool{}
	for _, r := range rels {
		if seen[r.oid] || r.extension {
			continue
		}
		seen[r.oid] = true
		switch r.relkind {
		case 'r':
			if selected(r.oid) {
				out = append(out, Relation{Schema: r.schema, Name: r.name, Kind: KindTable})
			}
		case 'S':
			var dumped bool
			switch {
			case r.owner != 0 && r.identity:
				dumped = selected(r.owner)
			case r.owner != 0:
				dumped = selected(r.oid) || selected(r.owner)
			default:
				dumped = selected(r.oid)
			}
			if dumped {
				out = append(out, Relation{Schema: r.schema, Name: r.name, Kind: KindSequence})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}
