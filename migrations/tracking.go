package migrations

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	accepted_by      text,
	reverts          text,
	reverted_at      timestamptz,
	reverted_by      text
)`

// revertColumns are the columns added for revert migrations. Tracking
// tables created before them get them with ALTER TABLE ... ADD COLUMN.
var revertColumns = []string{"reverts text", "reverted_at timestamptz", "reverted_by text"}

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
	// Reverts is the version of the migration this one reverted (a revert
	// migration, see the "-- securemig:reverts" directive); "" otherwise.
	Reverts string
	// RevertedBy is the version of the revert migration that reverted this
	// one, RevertedAt when; "" and zero while not reverted.
	RevertedBy string
	RevertedAt time.Time
}

// expectedSHA256 is the digest the source must have: the accepted one when
// a change was accepted.
func (r *Record) expectedSHA256() string {
	if r.AcceptedSHA256 != "" {
		return r.AcceptedSHA256
	}
	return r.SHA256
}

// ensureTracking creates the tracking table when missing and adds the
// columns that older tracking tables lack (only when they lack them, so an
// up-to-date table is never locked for an ALTER).
func ensureTracking(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, createTracking); err != nil {
		return fmt.Errorf("creating %s: %w", TrackingTable, err)
	}
	has, err := hasRevertColumns(ctx, conn)
	if err != nil || has {
		return err
	}
	for _, col := range revertColumns {
		if _, err := conn.Exec(ctx, "ALTER TABLE "+TrackingTable+" ADD COLUMN IF NOT EXISTS "+col); err != nil {
			return fmt.Errorf("upgrading %s: %w", TrackingTable, err)
		}
	}
	return nil
}

// hasRevertColumns reports whether the tracking table has every revert
// column.
func hasRevertColumns(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var n int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_attribute
		WHERE attrelid = to_regclass($1) AND attname IN ('reverts', 'reverted_at', 'reverted_by') AND NOT attisdropped`,
		TrackingTable).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", TrackingTable, err)
	}
	return n == len(revertColumns), nil
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
	// A tracking table from before revert migrations is read as is:
	// commands that only read never alter it.
	revert := "'', '', 'epoch'::timestamptz"
	if has, err := hasRevertColumns(ctx, conn); err != nil {
		return nil, err
	} else if has {
		revert = "coalesce(reverts, ''), coalesce(reverted_by, ''), coalesce(reverted_at, 'epoch')"
	}
	rows, err := conn.Query(ctx, `SELECT version, name, sha256, location, status, applied_at, duration_ms,
		applied_by, tool_version, bytes, statements, copy_rows, no_transaction,
		coalesce(failed_statement, 0), coalesce(failed_line, 0), coalesce(error, ''),
		coalesce(accepted_sha256, ''), coalesce(accepted_at, 'epoch'), coalesce(accepted_by, ''), `+revert+`
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
			&r.FailedStatement, &r.FailedLine, &r.Error, &r.AcceptedSHA256, &r.AcceptedAt, &r.AcceptedBy,
			&r.Reverts, &r.RevertedBy, &r.RevertedAt); err != nil {
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
		failed_statement, failed_line, error, reverts)
		VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6, $7, $8, $9, $10, $11, $12, nullif($13, 0), nullif($14, 0), nullif($15, ''), nullif($16, ''))
		ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, sha256 = EXCLUDED.sha256,
		location = EXCLUDED.location, status = EXCLUDED.status, applied_at = EXCLUDED.applied_at,
		duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by, tool_version = EXCLUDED.tool_version,
		bytes = EXCLUDED.bytes, statements = EXCLUDED.statements, copy_rows = EXCLUDED.copy_rows,
		no_transaction = EXCLUDED.no_transaction, failed_statement = EXCLUDED.failed_statement,
		failed_line = EXCLUDED.failed_line, error = EXCLUDED.error, reverts = EXCLUDED.reverts,
		accepted_sha256 = NULL, accepted_at = NULL, accepted_by = NULL`,
		r.Version, r.Name, r.SHA256, r.Location, r.Status, r.Duration.Milliseconds(), r.AppliedBy, r.ToolVersion,
		r.Bytes, r.Statements, r.CopyRows, r.NoTransaction, r.FailedStatement, r.FailedLine, r.Error, r.Reverts)
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

// markReverted records, inside the revert migration's transaction, that the
// migration of version target was reverted by the revert migration rev. The
// target must be recorded as applied and not reverted yet; its row is
// locked until the transaction ends.
func markReverted(ctx context.Context, conn *pgx.Conn, rev *Record, targetName string) error {
	target, err := ParseName(targetName)
	if err != nil {
		return fmt.Errorf("the securemig:reverts directive: %w", err)
	}
	var status, name, by string
	err = conn.QueryRow(ctx, `SELECT status, name, coalesce(reverted_by, '') FROM `+TrackingTable+`
		WHERE version = $1 FOR UPDATE`, target.Version).Scan(&status, &name, &by)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("it reverts %s, which this database has not applied (no row in %s); nothing changed", targetName, TrackingTable)
	case err != nil:
		return fmt.Errorf("reading %s: %w", TrackingTable, err)
	case name != targetName:
		return fmt.Errorf("it reverts %s, but version %s of this database is %s; nothing changed", targetName, target.Version, name)
	case by != "":
		return fmt.Errorf("it reverts %s, which migration version %s already reverted; nothing changed", targetName, by)
	case status != "applied":
		return fmt.Errorf("it reverts %s, which is recorded as %s, not applied; nothing changed", targetName, status)
	}
	if _, err := conn.Exec(ctx, `UPDATE `+TrackingTable+` SET reverted_by = $2, reverted_at = clock_timestamp()
		WHERE version = $1`, target.Version, rev.Version); err != nil {
		return fmt.Errorf("recording the revert of %s in %s: %w", targetName, TrackingTable, err)
	}
	rev.Reverts = target.Version
	return nil
}

// ReadRecords returns the rows of the tracking table of the database conn
// is connected to, in version order; none when the table does not exist.
// It changes nothing (an older table without the revert columns is read
// as is).
func ReadRecords(ctx context.Context, conn *pgx.Conn) ([]Record, error) {
	recs, err := readRecords(ctx, conn)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(recs))
	for _, r := range recs {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Version, b.Version) })
	return out, nil
}
