package securegen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A scope makes pg_dump see only one contract's rows, with what pg_dump
// itself supports: row-level security. It creates a throwaway role without
// login that can read the tables, and row-level security policies that
// restrict that role (and only that role) to the contract's rows; pg_dump
// then runs with --role=<role> --enable-row-security. On tables where row
// security was off, a permissive policy for everyone else keeps other
// roles' access unchanged. close removes everything again.
//
// Objects are named securemig_dump_<random>; a scope left over by a killed
// run is removed by the next one (removeStaleScopes).
type scope struct {
	role    string
	tables  []*Table
	enabled []*Table // tables whose row security this scope turned on
}

const scopePrefix = "securemig_dump_"

// scopeLockKey serialises generators on one database (pg_advisory_lock).
const scopeLockKey = 0x5ec0de61

func openScope(ctx context.Context, conn *pgx.Conn, tables []*Table, contractID string) (*scope, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("naming the dump role: %w", err)
	}
	s := &scope{role: scopePrefix + hex.EncodeToString(rnd[:]), tables: tables}
	role := pgx.Identifier{s.role}.Sanitize()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing the contract-only dump: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
	// The session user must be a member of the role for pg_dump's SET ROLE
	// (a CREATEROLE user is not made one automatically before PostgreSQL 16).
	stmts := []string{"CREATE ROLE " + role + " NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT", "GRANT " + role + " TO CURRENT_USER"}
	schemas := map[string]bool{}
	for _, t := range tables {
		if !schemas[t.Schema] {
			schemas[t.Schema] = true
			stmts = append(stmts, "GRANT USAGE ON SCHEMA "+pgx.Identifier{t.Schema}.Sanitize()+" TO "+role)
		}
		stmts = append(stmts, "GRANT SELECT ON "+t.Ident()+" TO "+role)
	}
	for _, t := range tables {
		var rowSecurity bool
		if err := tx.QueryRow(ctx, "SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = $1::regclass", t.Ident()).Scan(&rowSecurity); err != nil {
			return nil, fmt.Errorf("preparing the contract-only dump of %s: %w", t, err)
		}
		where := t.Where(contractID, "")
		if !rowSecurity {
			s.enabled = append(s.enabled, t)
			stmts = append(stmts,
				"ALTER TABLE "+t.Ident()+" ENABLE ROW LEVEL SECURITY",
				"CREATE POLICY "+pgx.Identifier{s.role + "_others"}.Sanitize()+" ON "+t.Ident()+
					" AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)")
		}
		stmts = append(stmts,
			"CREATE POLICY "+pgx.Identifier{s.role + "_allow"}.Sanitize()+" ON "+t.Ident()+
				" AS PERMISSIVE FOR SELECT TO "+role+" USING ("+where+")",
			"CREATE POLICY "+pgx.Identifier{s.role + "_only"}.Sanitize()+" ON "+t.Ident()+
				" AS RESTRICTIVE FOR SELECT TO "+role+" USING ("+where+")")
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("preparing the contract-only dump (needs a superuser or a role with CREATEROLE owning the tables): %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("preparing the contract-only dump: %w", err)
	}
	return s, nil
}

// close drops the scope's policies and role and turns row security off
// where the scope turned it on. It runs even when ctx is cancelled.
func (s *scope) close(ctx context.Context, conn *pgx.Conn) error {
	ctx = context.WithoutCancel(ctx)
	return dropScope(ctx, conn, s.role)
}

// dropScope removes every policy named after role, turns row security off
// on the tables where the scope had turned it on (marked by its _others
// policy), and drops the role.
func dropScope(ctx context.Context, conn *pgx.Conn, role string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("removing dump role %s: %w", role, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
	rows, err := tx.Query(ctx, `SELECT p.polname, c.oid::regclass::text, c.relrowsecurity
FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
WHERE p.polname IN ($1 || '_others', $1 || '_allow', $1 || '_only')`, role)
	if err != nil {
		return fmt.Errorf("removing dump role %s: %w", role, err)
	}
	type pol struct {
		name, table string
		rls         bool
	}
	pols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pol, error) {
		var p pol
		return p, r.Scan(&p.name, &p.table, &p.rls)
	})
	if err != nil {
		return fmt.Errorf("removing dump role %s: %w", role, err)
	}
	var stmts []string
	for _, p := range pols {
		stmts = append(stmts, "DROP POLICY "+pgx.Identifier{p.name}.Sanitize()+" ON "+p.table)
		if p.name == role+"_others" && p.rls {
			stmts = append(stmts, "ALTER TABLE "+p.table+" DISABLE ROW LEVEL SECURITY")
		}
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		return fmt.Errorf("removing dump role %s: %w", role, err)
	}
	if exists {
		r := pgx.Identifier{role}.Sanitize()
		stmts = append(stmts, "DROP OWNED BY "+r, "DROP ROLE "+r)
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("removing dump role %s: %w", role, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("removing dump role %s: %w", role, err)
	}
	return nil
}

// removeStaleScopes removes scopes left in this database by killed runs.
// The caller holds the generator's advisory lock, so no scope is in use.
func removeStaleScopes(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT DISTINCT regexp_replace(polname, '_(others|allow|only)$', '')
FROM pg_catalog.pg_policy WHERE polname LIKE 'securemig\_dump\_%'`)
	if err != nil {
		return fmt.Errorf("looking for stale dump roles: %w", err)
	}
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("looking for stale dump roles: %w", err)
	}
	for _, r := range roles {
		if err := dropScope(ctx, conn, r); err != nil {
			return err
		}
	}
	return nil
}
