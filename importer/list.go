package importer

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
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
	// RunBy is who ran the import; RolledBackAt and RolledBackBy when and
	// by whom it was rolled back or replaced (nil and "" otherwise).
	RunBy        string
	RolledBackAt *time.Time
	RolledBackBy string
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
	runs, err := importRuns(ctx, conn, "")
	if err != nil {
		return nil, nil, err
	}
	return contracts, runs, nil
}

// Imports returns the import log rows of the contract with code, oldest
// first.
func Imports(ctx context.Context, conn *pgx.Conn, code string) ([]ImportRun, error) {
	runs, err := importRuns(ctx, conn, code)
	if err != nil {
		return nil, err
	}
	slices.Reverse(runs)
	return runs, nil
}

// importRuns reads the import log, newest first: every row, or the rows of
// code when it is not empty.
func importRuns(ctx context.Context, conn *pgx.Conn, code string) ([]ImportRun, error) {
	rows, err := conn.Query(ctx, `SELECT id, contract_code, status, workbook_name, workbook_sha256, tool_version,
		replace, started_at, finished_at, parse_ms, import_ms, row_counts, problems, error,
		coalesce(run_by, ''), rolled_back_at, coalesce(rolled_back_by, '')
		FROM pricing_imports WHERE $1 = '' OR contract_code = $1 ORDER BY started_at DESC, id DESC`, code)
	if err != nil {
		return nil, fmt.Errorf("listing imports: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImportRun, error) {
		var x ImportRun
		err := r.Scan(&x.ID, &x.ContractCode, &x.Status, &x.WorkbookName, &x.WorkbookSHA256, &x.ToolVersion,
			&x.Replace, &x.StartedAt, &x.FinishedAt, &x.ParseMS, &x.ImportMS, &x.RowCounts, &x.Problems, &x.Error,
			&x.RunBy, &x.RolledBackAt, &x.RolledBackBy)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing imports: %w", err)
	}
	for i := range runs {
		if runs[i].Status != "started" {
			continue
		}
		alive, err := runAlive(ctx, conn, runs[i].ID)
		if err != nil {
			return nil, err
		}
		if !alive {
			runs[i].Status = "interrupted"
		}
	}
	return runs, nil
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
