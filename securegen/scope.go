package securegen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A scope makes pg_dump see only one contract's rows, with what pg_dump
// itself supports: row-level security. It creates a throwaway role without
// login that can read the tables, and row-level security policies that
// restrict that role (and only that role) to the contract's rows; pg_dump
// then runs with --role=<role> --enable-row-security. On tables where row
// security was off, a permissive policy for everyone else keeps other
// roles' access unchanged. close removes everything again, right after
// pg_dump ends.
//
// PostgreSQL has no session-scoped roles or policies, so a killed run
// leaves its scope behind. Each role is named securemig_dump_<random> and
// carries a comment naming its database and the server session that
// created it (pid and start time); once that session is gone the scope is
// stale, and SweepScopes (run by gen, verify, doctor and every securemig
// command that connects to a database) removes it. StaleScopes lists them
// for `securemig db status`.
type scope struct {
	role string
}

const (
	scopePrefix = "securemig_dump_"
	// scopeComment starts the comment on a scope's role, followed by JSON.
	scopeComment = "securemig gen dump scope "
)

// scopeLockKey serialises generators on one database (pg_advisory_lock).
const scopeLockKey = 0x5ec0de61

// openScope creates the scope in one round trip (one implicit transaction).
func openScope(ctx context.Context, conn *pgx.Conn, tables []*Table, contractID string) (*scope, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("naming the dump role: %w", err)
	}
	s := &scope{role: scopePrefix + hex.EncodeToString(rnd[:])}
	role := pgx.Identifier{s.role}.Sanitize()
	var b strings.Builder
	b.WriteString("DO $securemig$\nBEGIN\n")
	// All table locks first, in name order: no lock is upgraded half-way.
	idents := make([]string, len(tables))
	for i, t := range tables {
		idents[i] = t.Ident()
	}
	slices.Sort(idents)
	fmt.Fprintf(&b, "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n", strings.Join(idents, ", "))
	// The session user must be a member of the role for pg_dump's SET ROLE
	// (a CREATEROLE user is not made one automatically before PostgreSQL 16).
	fmt.Fprintf(&b, "CREATE ROLE %s NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;\nGRANT %s TO CURRENT_USER;\n", role, role)
	fmt.Fprintf(&b, `EXECUTE format('COMMENT ON ROLE %%I IS %%L', %s, %s || json_build_object('database', current_database(),
  'pid', pg_backend_pid(), 'backend_start', (SELECT backend_start FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()))::text);
`, quoteLiteral(s.role), quoteLiteral(scopeComment))
	schemas := map[string]bool{}
	for _, t := range tables {
		if !schemas[t.Schema] {
			schemas[t.Schema] = true
			fmt.Fprintf(&b, "GRANT USAGE ON SCHEMA %s TO %s;\n", pgx.Identifier{t.Schema}.Sanitize(), role)
		}
		fmt.Fprintf(&b, "GRANT SELECT ON %s TO %s;\n", t.Ident(), role)
	}
	for _, t := range tables {
		where := t.Where(contractID, "")
		fmt.Fprintf(&b, "IF NOT (SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = %s::regclass) THEN\n", quoteLiteral(t.Ident()))
		fmt.Fprintf(&b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", t.Ident())
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);\nEND IF;\n",
			pgx.Identifier{s.role + "_others"}.Sanitize(), t.Ident())
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS PERMISSIVE FOR SELECT TO %s USING (%s);\n",
			pgx.Identifier{s.role + "_allow"}.Sanitize(), t.Ident(), role, where)
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS RESTRICTIVE FOR SELECT TO %s USING (%s);\n",
			pgx.Identifier{s.role + "_only"}.Sanitize(), t.Ident(), role, where)
	}
	b.WriteString("END\n$securemig$")
	if err := execRetrying(ctx, conn, b.String()); err != nil {
		return nil, fmt.Errorf("preparing the contract-only dump (needs a superuser or a role with CREATEROLE owning the tables): %w", err)
	}
	return s, nil
}

// execRetrying runs sql (one implicit transaction) and runs it again, up
// to three times, when the server chose it as a deadlock victim: it was
// rolled back whole.
func execRetrying(ctx context.Context, conn *pgx.Conn, sql string) error {
	for attempt := 1; ; attempt++ {
		_, err := conn.PgConn().Exec(ctx, sql).ReadAll()
		var pe *pgconn.PgError
		if err == nil || attempt == 3 || !errors.As(err, &pe) || pe.Code != "40P01" {
			return err
		}
	}
}

// close drops the scope's policies and role and turns row security off
// where the scope turned it on. It runs even when ctx is cancelled.
func (s *scope) close(ctx context.Context, conn *pgx.Conn) error {
	return dropScope(context.WithoutCancel(ctx), conn, s.role)
}

// dropScope removes, in one round trip, every policy named after role in
// the connected database, turns row security off on the tables where the
// scope had turned it on (marked by its _others policy), and drops the
// role. It waits at most 10 seconds for table locks.
func dropScope(ctx context.Context, conn *pgx.Conn, role string) error {
	sql := fmt.Sprintf(`DO $securemig$
DECLARE
  r text := %s;
  p record;
BEGIN
  PERFORM set_config('lock_timeout', '10s', true);
  FOR p IN SELECT pol.polname, c.oid::regclass::text AS tbl, c.relrowsecurity
      FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
      WHERE pol.polname IN (r || '_others', r || '_allow', r || '_only') ORDER BY 2, 1 LOOP
    EXECUTE format('DROP POLICY %%I ON %%s', p.polname, p.tbl);
    IF p.polname = r || '_others' AND p.relrowsecurity THEN
      EXECUTE format('ALTER TABLE %%s DISABLE ROW LEVEL SECURITY', p.tbl);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
    EXECUTE format('DROP OWNED BY %%I', r);
    EXECUTE format('DROP ROLE %%I', r);
  END IF;
END
$securemig$`, quoteLiteral(role))
	if err := execRetrying(ctx, conn, sql); err != nil {
		return fmt.Errorf("removing dump role %s: %w", role, err)
	}
	return nil
}

// StaleScope is a dump role (with its policies) left by a killed gen.
type StaleScope struct {
	// Role is the role's name.
	Role string
	// Database is the database holding its policies ("" when unknown: a
	// scope of an older securemig without a comment).
	Database string
	// Gone reports that Database no longer exists (only the role is left).
	Gone bool
}

func (s StaleScope) String() string {
	switch {
	case s.Database == "":
		return s.Role + " (left by an older securemig)"
	case s.Gone:
		return s.Role + " (its database " + s.Database + " was dropped)"
	}
	return s.Role + " in database " + s.Database
}

// scopeRow is one securemig_dump_ role as the catalog shows it.
type scopeRow struct {
	StaleScope
	alive    *bool // nil: unknown (no comment)
	policies bool  // has policies in the connected database
}

// listScopes lists every scope role of the server with its state.
func listScopes(ctx context.Context, conn *pgx.Conn) ([]scopeRow, error) {
	rows, err := conn.Query(ctx, `SELECT r.rolname, coalesce(c.j->>'database', ''),
  CASE WHEN c.j IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
    WHERE a.pid = (c.j->>'pid')::int AND (a.backend_start IS NULL OR a.backend_start = (c.j->>'backend_start')::timestamptz)) END,
  c.j IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datname = c.j->>'database'),
  EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polname IN (r.rolname || '_others', r.rolname || '_allow', r.rolname || '_only'))
FROM pg_catalog.pg_roles r
LEFT JOIN LATERAL (SELECT CASE WHEN d LIKE $1 || '{%' THEN substr(d, length($1) + 1)::jsonb END AS j
  FROM pg_catalog.shobj_description(r.oid, 'pg_authid') AS d) c ON true
WHERE r.rolname LIKE 'securemig\_dump\_%' ORDER BY 1`, scopeComment)
	if err != nil {
		return nil, fmt.Errorf("looking for stale dump roles: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (scopeRow, error) {
		var s scopeRow
		err := r.Scan(&s.Role, &s.Database, &s.alive, &s.Gone, &s.policies)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("looking for stale dump roles: %w", err)
	}
	return out, nil
}

// StaleScopes lists the dump roles of the server whose gen session is
// gone, in every database, and those of older securemig versions.
func StaleScopes(ctx context.Context, conn *pgx.Conn) ([]StaleScope, error) {
	rows, err := listScopes(ctx, conn)
	if err != nil {
		return nil, err
	}
	var out []StaleScope
	for _, r := range rows {
		if r.alive == nil || !*r.alive {
			out = append(out, r.StaleScope)
		}
	}
	return out, nil
}

// ScopeSweep is what SweepScopes did.
type ScopeSweep struct {
	// Removed lists the stale scopes removed.
	Removed []StaleScope
	// Elsewhere lists stale scopes it could not remove from this database
	// (their policies are in another one) or failed to remove.
	Elsewhere []StaleScope
}

// SweepScopes removes the stale scopes it can from the connected
// database: those created in it by a session that is gone, and the roles
// whose database was dropped. Scopes of an older securemig (no comment)
// are removed when no gen holds this database (genLocked: the caller holds
// the generators' lock itself). Failures to remove one are reported in
// Elsewhere, not returned.
func SweepScopes(ctx context.Context, conn *pgx.Conn) (*ScopeSweep, error) {
	return sweepScopes(ctx, conn, false)
}

func sweepScopes(ctx context.Context, conn *pgx.Conn, genLocked bool) (*ScopeSweep, error) {
	rows, err := listScopes(ctx, conn)
	if err != nil {
		return nil, err
	}
	rep := &ScopeSweep{}
	if len(rows) == 0 {
		return rep, nil
	}
	var current string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil {
		return nil, fmt.Errorf("looking for stale dump roles: %w", err)
	}
	for _, r := range rows {
		switch {
		case r.alive != nil && *r.alive:
			continue
		case r.alive == nil && (!r.policies || !genLocked && !tryGenLock(ctx, conn)):
			rep.Elsewhere = append(rep.Elsewhere, r.StaleScope)
			continue
		case r.alive != nil && !r.Gone && r.Database != current:
			rep.Elsewhere = append(rep.Elsewhere, r.StaleScope)
			continue
		}
		if err := dropScope(ctx, conn, r.Role); err != nil {
			rep.Elsewhere = append(rep.Elsewhere, r.StaleScope)
			continue
		}
		if r.Database == "" {
			r.Database = current
		}
		rep.Removed = append(rep.Removed, r.StaleScope)
	}
	return rep, nil
}

// tryGenLock reports whether no gen holds the connected database: it takes
// and releases the generators' advisory lock without waiting.
func tryGenLock(ctx context.Context, conn *pgx.Conn) bool {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", scopeLockKey).Scan(&ok); err != nil || !ok {
		return false
	}
	conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", scopeLockKey) //nolint:errcheck // released with the session anyway
	return true
}
