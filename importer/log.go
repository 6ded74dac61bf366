package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/actor"
)

// logStart inserts the run's import-log row with status 'started' in its own
// transaction, and returns its id.
func logStart(ctx context.Context, conn *pgx.Conn, o *Options) (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("import log: %w", err)
	}
	by := o.RunBy
	if by == "" {
		by = actor.Current()
	}
	_, err = conn.Exec(ctx, `INSERT INTO pricing_imports (id, contract_code, contract_name, workbook_name,
		workbook_sha256, rate_areas_name, rate_areas_sha256, tool_version, replace, parse_ms, run_by)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), NULLIF($7, ''), $8, $9, $10, $11)`,
		id, o.ContractCode, o.ContractName, o.WorkbookName, o.WorkbookSHA256, o.RateAreasName,
		o.RateAreasSHA256, o.ToolVersion, o.Replace, o.ParseDuration.Milliseconds(), by)
	if err != nil {
		return uuid.Nil, fmt.Errorf("import log: recording the start: %w", redact(err))
	}
	return id, nil
}

// logFinish sets the final status of an import-log row.
func logFinish(ctx context.Context, conn *pgx.Conn, id uuid.UUID, status string, d time.Duration,
	counts map[string]int64, problems int, cause error) error {
	if counts == nil {
		counts = map[string]int64{}
	}
	js, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("import log: %w", err)
	}
	var msg *string
	if cause != nil {
		s := logMessage(cause)
		msg = &s
	}
	_, err = conn.Exec(ctx, `UPDATE pricing_imports SET status = $2, finished_at = now(), import_ms = $3,
		row_counts = $4, problems = $5, error = $6 WHERE id = $1`,
		id, status, d.Milliseconds(), js, problems, msg)
	if err != nil {
		return fmt.Errorf("import log: recording the end: %w", redact(err))
	}
	return nil
}

// logMessage is the import-log text of a failure: the problems, or the
// error, truncated. Errors here are already free of row values.
func logMessage(err error) string {
	s := err.Error()
	var pe *ProblemsError
	if errors.As(err, &pe) {
		lines := make([]string, 0, len(pe.Problems))
		for _, p := range pe.Problems {
			lines = append(lines, p.String())
		}
		s = strings.Join(lines, "\n")
	}
	const limit = 4000
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

// markReplaced marks a contract's imported log rows as rolled back by by
// (its rows are being replaced or removed), inside the caller's transaction.
func markReplaced(ctx context.Context, tx pgx.Tx, code, by string) error {
	if by == "" {
		by = actor.Current()
	}
	_, err := tx.Exec(ctx, `UPDATE pricing_imports SET status = 'rolled-back', rolled_back_at = now(), rolled_back_by = $2
		WHERE contract_code = $1 AND status = 'imported'`, code, by)
	if err != nil {
		return fmt.Errorf("import log: marking %s replaced: %w", code, err)
	}
	return nil
}
