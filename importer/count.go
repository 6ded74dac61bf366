package importer

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ContractRows returns the rows Rollback would delete per table, or nil
// when no contract has the code. It deletes them in a transaction that it
// rolls back, so the counts are exactly Rollback's and nothing changes.
func ContractRows(ctx context.Context, conn *pgx.Conn, code string) (map[string]int64, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting contract %s: %w", code, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // always rolled back
	return deleteContract(ctx, tx, code)
}
