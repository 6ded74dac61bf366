package migrations

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TrackingTable is the table where the engine records applied migrations.
const TrackingTable = "public.securemig_migrations"

const createTracking = `CREATE TABLE IF NOT EXISTS ` + TrackingTable + ` (
	version          text PRIMARY KEY,
	name             text NOT NULL,
	sha256           text NOT NULL,
	location         text NOT NULL,
	status           text NOT NULL CHECK (status IN ('applied', 'failed')),
	applied_at       timestamptz NOT NULL,
	duration_ms      bigint NOT NULL,
	applied_by       text NOT NULL,
	tool_version     text NOT NULL,
	bytes            bigint NOT NULL,
	statements       integer NOT NULL,
	copy_rows        bigint NOT NULL,
	no_transaction   boolean NOT NULL,
	failed_statement integer,
	failed_line      integer,
	error            text,
	accepted_sha256  text,
	accepted_at      timestamptz,
	accepted_by      text
)`

// Record is a row of the tracking table.
type Record struct {
	Version, Name string
	// SHA256 is the digest of the bytes that were applied.
	SHA256 string
	// Location is where the bytes were read from.
	Location string
	// Status is "applied" or "failed" (a no-transaction file that failed).
	Status    string
	AppliedAt time.Time
	Duration  time.Duration
	// AppliedBy is "user@host" of the runner.
	AppliedBy   string
	ToolVersion string
	Bytes       int64
	Statements  int
	CopyRows    int64
	// NoTransaction reports a file applied without a transaction.
	NoTransaction bool
	// FailedStatement and FailedLine locate the failure of a failed file.
	FailedStatement, FailedLine int
	// Error is the redacted error of a failed file.
	Error string
	// AcceptedSHA256 is a changed digest accepted with --allow-changed.
	AcceptedSHA256 string
	AcceptedAt     time.Time
	AcceptedBy     string
}

// expectedSHA256 is the digest the source must have: the accepted one when
// a change was accepted.
func (r *Record) expectedSHA256() string {
	if r.AcceptedSHA256 != "" {
		return r.AcceptedSHA256
	}
	return r.SHA256
}

// ensureTracking creates the tracking table when missing.
func ensureTracking(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, createTracking); err != nil {
		return fmt.Errorf("creating %s: %w", TrackingTable, err)
	}
	return nil
}

// readRecords returns the tracking rows by version; none when the table does
// not exist yet.
func readRecords(ctx context.Context, conn *pgx.Conn) (map[string]*Record, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", TrackingTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("reading %s: %w", TrackingTable, err)
	}
	recs := map[string]*Record{}
	if !exists {
		return recs, nil
	}
	rows, err := conn.Query(ctx, `SELECT version, name, sha256, location, status, applied_at, duration_ms,
		applied_by, tool_version, bytes, statements, copy_rows, no_transaction,
		coalesce(failed_statement, 0), coalesce(failed_line, 0), coalesce(error, ''),
		coalesce(accepted_sha256, ''), coalesce(accepted_at, 'epoch'), coalesce(accepted_by, '')
		FROM `+TrackingTable+` ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", TrackingTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &Record{}
		var ms int64
		if err := rows.Scan(&r.Version, &r.Name, &r.SHA256, &r.Location, &r.Status, &r.AppliedAt, &ms,
			&r.AppliedBy, &r.ToolVersion, &r.Bytes, &r.Statements, &r.CopyRows, &r.NoTransaction,
			&r.FailedStatement, &r.FailedLine, &r.Error, &r.AcceptedSHA256, &r.AcceptedAt, &r.AcceptedBy); err != nil {
			return nil, fmt.Errorf("reading %s: %w", TrackingTable, err)
		}
		r.Duration = time.Duration(ms) * time.Millisecond
		recs[r.Version] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", TrackingTable, err)
	}
	return recs, nil
}

// writeRecord inserts or replaces the row of r.Version (a retried failed
// file is replaced).
func writeRecord(ctx context.Context, conn *pgx.Conn, r *Record) error {
	_, err := conn.Exec(ctx, `INSERT INTO `+TrackingTable+` (version, name, sha256, location, status, applied_at,
		duration_ms, applied_by, tool_version, bytes, statements, copy_rows, no_transaction,
		failed_statement, failed_line, error)
		VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6, $7, $8, $9, $10, $11, $12, nullif($13, 0), nullif($14, 0), nullif($15, ''))
		ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, sha256 = EXCLUDED.sha256,
		location = EXCLUDED.location, status = EXCLUDED.status, applied_at = EXCLUDED.applied_at,
		duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by, tool_version = EXCLUDED.tool_version,
		bytes = EXCLUDED.bytes, statements = EXCLUDED.statements, copy_rows = EXCLUDED.copy_rows,
		no_transaction = EXCLUDED.no_transaction, failed_statement = EXCLUDED.failed_statement,
		failed_line = EXCLUDED.failed_line, error = EXCLUDED.error,
		accepted_sha256 = NULL, accepted_at = NULL, accepted_by = NULL`,
		r.Version, r.Name, r.SHA256, r.Location, r.Status, r.Duration.Milliseconds(), r.AppliedBy, r.ToolVersion,
		r.Bytes, r.Statements, r.CopyRows, r.NoTransaction, r.FailedStatement, r.FailedLine, r.Error)
	if err != nil {
		return fmt.Errorf("recording %s in %s: %w", r.Name, TrackingTable, err)
	}
	return nil
}

// acceptChange records that the changed digest sha of version was accepted.
func acceptChange(ctx context.Context, conn *pgx.Conn, version, sha, by string) error {
	_, err := conn.Exec(ctx, `UPDATE `+TrackingTable+`
		SET accepted_sha256 = $2, accepted_at = clock_timestamp(), accepted_by = $3 WHERE version = $1`, version, sha, by)
	if err != nil {
		return fmt.Errorf("recording the accepted change of %s: %w", version, err)
	}
	return nil
}
