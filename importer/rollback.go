package importer

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrNoContract is returned by Rollback when no contract has the code.
var ErrNoContract = errors.New("no such contract")

// Rollback removes exactly the contract with code from every contract table,
// children first, in one transaction, and marks its imports rolled back
// (by actor.Current()).
// Other contracts and reference tables (re_services) are untouched. It
// holds the contract code's lock, so it waits for an import of the same code
// and never interleaves with one. It returns the rows deleted per table.
func Rollback(ctx context.Context, conn *pgx.Conn, code string) (map[string]int64, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("rollback %s: begin: %w", code, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	if err := lockContract(ctx, tx, code); err != nil {
		return nil, err
	}
	counts, err := deleteContract(ctx, tx, code)
	if err != nil {
		return nil, err
	}
	if counts == nil {
		return nil, fmt.Errorf("rollback %s: %w", code, ErrNoContract)
	}
	if err := deleteSources(ctx, tx, code); err != nil {
		return nil, err
	}
	if err := markReplaced(ctx, tx, code, ""); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("rollback %s: commit: %w", code, err)
	}
	return counts, nil
}

// deleteContract deletes the contract with code from every contract table in
// reverse foreign-key order. It returns nil counts when there is no such
// contract.
func deleteContract(ctx context.Context, tx pgx.Tx, code string) (map[string]int64, error) {
	var id [16]byte
	err := tx.QueryRow(ctx, `SELECT id FROM re_contracts WHERE code = $1 FOR UPDATE`, code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deleting contract %s: %w", code, err)
	}
	counts := make(map[string]int64, len(ContractTables))
	for i := len(ContractTables) - 1; i >= 0; i-- {
		t := ContractTables[i]
		var sql string
		switch t {
		case "re_contracts":
			sql = `DELETE FROM re_contracts WHERE id = $1`
		case "re_task_order_fees":
			sql = `DELETE FROM re_task_order_fees WHERE contract_year_id IN
				(SELECT id FROM re_contract_years WHERE contract_id = $1)`
		default:
			sql = "DELETE FROM " + pgx.Identifier{t}.Sanitize() + " WHERE contract_id = $1"
		}
		tag, err := tx.Exec(ctx, sql, id)
		if err != nil {
			return nil, fmt.Errorf("deleting contract %s from %s: %w", code, t, redact(err))
		}
		counts[t] = tag.RowsAffected()
	}
	return counts, nil
}
