package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Bulk loading and foreign keys.
//
// PostgreSQL checks a foreign key with one query per inserted row, which is
// about half the cost of loading the price tables. When the role may (a
// superuser, as on the local cluster), the import switches those per-row
// trigger checks off for its own transaction (session_replication_role =
// replica, SET LOCAL) and instead verifies every foreign key of the contract
// tables with one set-based anti-join per constraint before committing.
// Unique keys, checks and NOT NULL stay enforced row by row. Elsewhere the
// per-row checks simply stay on.

// skipRowFKChecks tries to turn the per-row foreign-key triggers off for
// the rest of tx. It reports whether it did.
func skipRowFKChecks(ctx context.Context, tx pgx.Tx) (bool, error) {
	if _, err := tx.Exec(ctx, "SAVEPOINT fk_fast"); err != nil {
		return false, fmt.Errorf("import: savepoint: %w", err)
	}
	_, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica")
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient privilege
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT fk_fast"); err != nil {
			return false, fmt.Errorf("import: rollback to savepoint: %w", err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("import: setting session_replication_role: %w", err)
	}
	return true, nil
}

// foreignKey is one single-column foreign key of a contract table.
type foreignKey struct {
	name, table, column, refTable, refColumn string
}

// contractForeignKeys lists the foreign keys declared on the contract tables.
func contractForeignKeys(ctx context.Context, tx pgx.Tx) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, `SELECT c.conname, c.conrelid::regclass::text, a.attname,
			c.confrelid::regclass::text, fa.attname
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
		WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY($1)
		ORDER BY 2, 1`, ContractTables)
	if err != nil {
		return nil, fmt.Errorf("import: listing foreign keys: %w", err)
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (foreignKey, error) {
		var f foreignKey
		err := r.Scan(&f.name, &f.table, &f.column, &f.refTable, &f.refColumn)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("import: listing foreign keys: %w", err)
	}
	return fks, nil
}

// verifyForeignKeys checks, set-based, that every foreign key of the
// contract's rows resolves, then turns the per-row checks back on. It
// returns one problem per violated constraint.
func verifyForeignKeys(ctx context.Context, tx pgx.Tx, contractID [16]byte) ([]Problem, error) {
	fks, err := contractForeignKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, f := range fks {
		scope := "c.contract_id = $1"
		if f.table == "re_contracts" {
			continue
		}
		if f.table == "re_task_order_fees" {
			scope = "c.contract_year_id IN (SELECT id FROM re_contract_years WHERE contract_id = $1)"
		}
		q := fmt.Sprintf(`SELECT count(*) FROM %s c WHERE %s AND c.%s IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = c.%s)`,
			ident(f.table), scope, ident(f.column), ident(f.refTable), ident(f.refColumn), ident(f.column))
		var n int64
		if err := tx.QueryRow(ctx, q, contractID).Scan(&n); err != nil {
			return nil, fmt.Errorf("import: verifying %s: %w", f.name, redact(err))
		}
		if n > 0 {
			problems = append(problems, Problem{Location: f.table,
				Message: fmt.Sprintf("%d row(s) violate foreign key %s", n, f.name)})
		}
	}
	if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = origin"); err != nil {
		return nil, fmt.Errorf("import: resetting session_replication_role: %w", err)
	}
	return problems, nil
}

// ident quotes a possibly schema-qualified name.
func ident(name string) string {
	return pgx.Identifier(strings.Split(name, ".")).Sanitize()
}
