package migrations

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockKey is the advisory lock key every securemig runner takes ("securemg").
const lockKey int64 = 0x7365637572656d67

// lockPoll is how often a waiting runner retries the lock.
const lockPoll = 200 * time.Millisecond

// acquireLock takes the session advisory lock on conn, waiting at most wait.
func acquireLock(ctx context.Context, conn *pgx.Conn, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey).Scan(&ok); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		if ok {
			return nil
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("another migration run holds the migration lock%s; gave up after waiting %s (see --lock-timeout)",
				lockHolder(ctx, conn), wait)
		}
		t := time.NewTimer(min(lockPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting for the migration lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// lockHolder describes the session holding the lock, when it can be seen.
func lockHolder(ctx context.Context, conn *pgx.Conn) string {
	var pid int
	var app, since string
	err := conn.QueryRow(ctx, `SELECT l.pid, coalesce(a.application_name, ''), coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '')
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1 LIMIT 1`, lockKey>>32, lockKey&0xffffffff).Scan(&pid, &app, &since)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (server pid %d, application %q, connected since %s)", pid, app, since)
}

// releaseLock frees the lock; closing the session would free it too.
func releaseLock(ctx context.Context, conn *pgx.Conn) {
	conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck // the session closes next
}
