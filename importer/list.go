package importer

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Contract is one row of re_contracts with its contract-year span.
type Contract struct {
	ID         uuid.UUID
	Code       string
	Name       string
	Years      int
	Start, End *time.Time // first start and last end date; nil without years
	CreatedAt  time.Time
}

// ImportRun is one row of the import log. Status is started, imported,
// failed, rolled-back, or interrupted: a 'started' run whose process is gone
// (killed mid-import).
type ImportRun struct {
	ID             uuid.UUID
	ContractCode   string
	Status         string
	WorkbookName   string
	WorkbookSHA256 string
	ToolVersion    string
	Replace        bool
	StartedAt      time.Time
	FinishedAt     *time.Time
	ParseMS        *int64
	ImportMS       *int64
	RowCounts      map[string]int64
	Problems       int
	Error          *string
}

// List returns the contracts (by code) and the import log (newest first).
func List(ctx context.Context, conn *pgx.Conn) ([]Contract, []ImportRun, error) {
	rows, err := conn.Query(ctx, `SELECT c.id, c.code, c.name, c.created_at, count(y.id)::int,
		min(y.start_date), max(y.end_date)
		FROM re_contracts c LEFT JOIN re_contract_years y ON y.contract_id = c.id
		GROUP BY c.id ORDER BY c.code`)
	if err != nil {
		return nil, nil, fmt.Errorf("listing contracts: %w", err)
	}
	contracts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contract, error) {
		var c Contract
		err := r.Scan(&c.ID, &c.Code, &c.Name, &c.CreatedAt, &c.Years, &c.Start, &c.End)
		return c, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing contracts: %w", err)
	}
	rows, err = conn.Query(ctx, `SELECT id, contract_code, status, workbook_name, workbook_sha256, tool_version,
		replace, started_at, finished_at, parse_ms, import_ms, row_counts, problems, error
		FROM pricing_imports ORDER BY started_at DESC, id DESC`)
	if err != nil {
		return nil, nil, fmt.Errorf("listing imports: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImportRun, error) {
		var x ImportRun
		err := r.Scan(&x.ID, &x.ContractCode, &x.Status, &x.WorkbookName, &x.WorkbookSHA256, &x.ToolVersion,
			&x.Replace, &x.StartedAt, &x.FinishedAt, &x.ParseMS, &x.ImportMS, &x.RowCounts, &x.Problems, &x.Error)
		return x, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing imports: %w", err)
	}
	for i := range runs {
		if runs[i].Status != "started" {
			continue
		}
		alive, err := runAlive(ctx, conn, runs[i].ID)
		if err != nil {
			return nil, nil, err
		}
		if !alive {
			runs[i].Status = "interrupted"
		}
	}
	return contracts, runs, nil
}

// runLockKey is the session advisory-lock key an import holds while it runs.
func runLockKey(id uuid.UUID) int64 { return int64(binary.BigEndian.Uint64(id[8:])) }

// runAlive reports whether the import with id still holds its advisory lock.
func runAlive(ctx context.Context, conn *pgx.Conn, id uuid.UUID) (bool, error) {
	var got bool
	key := runLockKey(id)
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("checking import %s: %w", id, err)
	}
	if got {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			return false, fmt.Errorf("checking import %s: %w", id, err)
		}
	}
	return !got, nil
}
