package localdb

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// newCluster returns a cluster in a fresh directory, destroyed at cleanup.
// It fails (never skips) when the server binaries are missing.
func newCluster(t *testing.T) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "smldb")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(dir, os.Getenv("SECUREMIG_PG_BIN"))
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("local cluster unavailable: %v", err)
	}
	t.Cleanup(func() {
		c.Destroy(context.Background())
		os.RemoveAll(dir)
	})
	return c
}

func query(t *testing.T, c *Cluster, sql string) string {
	t.Helper()
	ctx := context.Background()
	url, err := c.URL("")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func execSQL(t *testing.T, c *Cluster, sql string) {
	t.Helper()
	ctx := context.Background()
	url, _ := c.URL("")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestLifecycleKeepsData(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	if st := c.Status(); st.Initialized || st.Running {
		t.Fatalf("new cluster status = %+v, want neither initialized nor running", st)
	}
	if _, err := c.URL(""); err == nil {
		t.Fatal("URL before the first start succeeded, want an error")
	}
	started, err := c.Start(ctx)
	if err != nil || !started {
		t.Fatalf("Start = %v, %v; want started", started, err)
	}
	st := c.Status()
	if !st.Initialized || !st.Running || st.PID == 0 || st.Port == 0 {
		t.Fatalf("status after start = %+v", st)
	}
	if !strings.Contains(st.String(), "running on 127.0.0.1:"+strconv.Itoa(st.Port)) {
		t.Fatalf("status line %q does not name the port", st.String())
	}
	url, _ := c.URL("")
	if want := "postgres://postgres@127.0.0.1:" + strconv.Itoa(st.Port) + "/securemig?sslmode=disable"; url != want {
		t.Fatalf("URL = %q, want %q", url, want)
	}

	again, err := c.Start(ctx)
	if err != nil || again {
		t.Fatalf("second Start = %v, %v; want a no-op", again, err)
	}
	execSQL(t, c, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")

	stopped, err := c.Stop(ctx)
	if err != nil || !stopped {
		t.Fatalf("Stop = %v, %v", stopped, err)
	}
	if c.Status().Running {
		t.Fatal("still running after Stop")
	}
	stopped, err = c.Stop(ctx)
	if err != nil || stopped {
		t.Fatalf("Stop of a stopped cluster = %v, %v; want a no-op", stopped, err)
	}
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c, "SELECT v FROM kept"); got != "survives" {
		t.Fatalf("after restart got %q, want the row written before stop", got)
	}
	if c.Port() != st.Port {
		t.Fatalf("port changed from %d to %d although it was free", st.Port, c.Port())
	}

	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'kept'"); got != "0" {
		t.Fatal("Reset kept the old data")
	}
}

func TestRestartAfterKilledServer(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	execSQL(t, c, "CREATE TABLE k (v int); INSERT INTO k VALUES (7)")
	pid := c.Status().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	if _, err := os.Stat(filepath.Join(c.Dir, "data", "postmaster.pid")); err != nil {
		t.Fatalf("expected the killed server to leave postmaster.pid behind: %v", err)
	}
	if c.Status().Running {
		t.Fatal("status says running after the server was killed")
	}
	started, err := c.Start(ctx)
	if err != nil || !started {
		t.Fatalf("Start after kill = %v, %v", started, err)
	}
	if got := query(t, c, "SELECT v::text FROM k"); got != "7" {
		t.Fatalf("got %q after crash recovery, want 7", got)
	}
}

func TestStalePidFileFromReusedPid(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A crash leaves postmaster.pid naming a pid that now belongs to another
	// program: this test process.
	pidFile := filepath.Join(c.Dir, "data", "postmaster.pid")
	content := strconv.Itoa(os.Getpid()) + "\n" + filepath.Join(c.Dir, "data") + "\n"
	if err := os.WriteFile(pidFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if c.Status().Running {
		t.Fatal("a pid file naming a non-postgres process counts as running")
	}
	if started, err := c.Start(ctx); err != nil || !started {
		t.Fatalf("Start with a stale pid file = %v, %v", started, err)
	}
}

func TestPortTakenPicksAnother(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t)
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	old := c.Port()
	if _, err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(old))
	if err != nil {
		t.Fatalf("occupying port %d: %v", old, err)
	}
	defer l.Close()
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("Start with its port taken: %v", err)
	}
	if c.Port() == old {
		t.Fatalf("still on port %d, which another program holds", old)
	}
	if got := query(t, c, "SELECT 'up'"); got != "up" {
		t.Fatal("server not reachable on the new port")
	}
}

func TestMissingBinariesIsActionable(t *testing.T) {
	_, err := New(t.TempDir(), t.TempDir())
	if !errors.Is(err, ErrNoServerBinaries) {
		t.Fatalf("got %v, want ErrNoServerBinaries", err)
	}
	if !strings.Contains(err.Error(), "apt-get install") {
		t.Fatalf("error %q does not say how to install the binaries", err)
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 200 {
		if err := syscall.Kill(pid, 0); err != nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("process %d did not exit", pid)
}
