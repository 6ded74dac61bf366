package importer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/internal/pgtest"
)

// TestConcurrentImportsOfOneCode: two imports of the same code run at once;
// the loser gets the same problem as a sequential re-import, never a raw
// unique violation. A lock on a staging table holds both imports until
// both are waiting, so the race happens on every run.
func TestConcurrentImportsOfOneCode(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewSchemaDatabase(t)
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE stage_domestic_linehaul_prices IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(ctx)
			_, err = Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("RACE"))
			errs <- err
		}()
	}
	waitForWaiters(t, dsn, 2, errs)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var failed []error
	for range 2 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 {
		t.Fatalf("%d of 2 concurrent imports failed (%v), want exactly one", len(failed), failed)
	}
	var pe *ProblemsError
	if !errors.As(failed[0], &pe) || len(pe.Problems) != 1 ||
		pe.Problems[0].String() != "contract RACE: contract code already exists (use --replace to re-import it)" {
		t.Fatalf("the loser got %q, want the sequential re-import's problem", failed[0])
	}
	if strings.Contains(failed[0].Error(), "23505") {
		t.Fatalf("the loser's error shows the raw unique violation: %q", failed[0])
	}
}

// waitForWaiters waits until n sessions of the database wait on a lock
// (polling from its own connection: a transaction sees a frozen
// pg_stat_activity). An import ending early fails the test.
func waitForWaiters(t *testing.T, dsn string, n int, errs <-chan error) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var waiting int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		select {
		case err := <-errs:
			t.Fatalf("an import ended before both waited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d sessions wait on a lock, want %d", waiting, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRollbackWaitsForTheContractLock: a rollback holds the contract code's
// lock, so it cannot interleave with an import of the same code.
func TestRollbackWaitsForTheContractLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewSchemaDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := Import(ctx, conn, smallRecords(), smallRef(t, smallRefCSV), opts("HELD")); err != nil {
		t.Fatal(err)
	}
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := lockContract(ctx, tx, "HELD"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() {
		_, err := Rollback(ctx, conn, "HELD")
		errs <- err
	}()
	waitForWaiters(t, dsn, 1, errs)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("rollback after the lock was released: %v", err)
	}
}
