// Package localdb manages a project-local PostgreSQL cluster built from the
// system's server binaries (initdb, pg_ctl, postgres): the default database
// of securemig when DATABASE_URL is not set, and the throwaway server of the
// test helper.
//
// A cluster lives in one directory:
//
//	DIR/data        the data directory (PGDATA)
//	DIR/port        the TCP port chosen on first start, reused afterwards
//	DIR/server.log  the server log
//	DIR/.s.PGSQL.*  the unix socket (or a short directory under /tmp when DIR is too deep)
//
// Place decides DIR for a checkout: inside it, or, when the postgres OS user
// cannot reach the checkout (root in a private home), in a private directory
// under /var/lib/securemig that the checkout records.
//
// The server listens on 127.0.0.1 only and trusts local connections as the
// "postgres" superuser. When the caller is root, every server binary runs as
// the "postgres" OS user (initdb and postgres refuse to run as root) and the
// directory is owned by that user.
package localdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDatabase is the database created in a new cluster.
const DefaultDatabase = "securemig"

// ErrNoServerBinaries reports that no PostgreSQL server binaries were found.
var ErrNoServerBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; " +
	"install them with 'sudo apt-get install -y postgresql' (Debian/Ubuntu; or run 'scripts/setup' as root), " +
	"or point SECUREMIG_PG_BIN at the directory that holds them")

// maxSocketPath is the longest unix socket path the kernel accepts, less a margin.
const maxSocketPath = 100

// Cluster is a PostgreSQL cluster kept in one directory.
type Cluster struct {
	// Dir is the cluster directory (absolute).
	Dir string
	// BinDir holds initdb, pg_ctl and postgres.
	BinDir string
	// Database is created when the cluster is initialised.
	Database string
	// Durable keeps fsync on. Off, the cluster is faster and a machine crash
	// may lose it (it is a local scratch database: 'securemig db reset').
	Durable bool
	// Record, when set, is the file in which Start records Dir (see Place),
	// so that later runs find the cluster again.
	Record string
}

// Status describes a cluster's state.
type Status struct {
	// Initialized reports whether the data directory exists.
	Initialized bool
	// Running reports whether the server is up.
	Running bool
	// PID is the postmaster's process id when running.
	PID int
	// Port is the TCP port the cluster uses (0 before its first start).
	Port int
	// Dir is the cluster directory.
	Dir string
}

// String renders the status as one line.
func (s Status) String() string {
	switch {
	case !s.Initialized:
		return fmt.Sprintf("not initialized (directory %s)", s.Dir)
	case s.Running:
		return fmt.Sprintf("running on 127.0.0.1:%d (pid %d), data in %s", s.Port, s.PID, s.Dir)
	default:
		return fmt.Sprintf("stopped, data in %s", s.Dir)
	}
}

// New returns the cluster kept in dir, locating the server binaries with
// FindBinDir(binDir).
func New(dir, binDir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster directory %s: %w", dir, err)
	}
	bin, err := FindBinDir(binDir)
	if err != nil {
		return nil, err
	}
	return &Cluster{Dir: abs, BinDir: bin, Database: DefaultDatabase}, nil
}

// FindBinDir returns the directory holding the PostgreSQL server binaries:
// explicit when given, else the directory of an initdb on PATH, else the
// newest /usr/lib/postgresql/<major>/bin.
func FindBinDir(explicit string) (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if explicit != "" {
		if has(explicit) {
			return explicit, nil
		}
		return "", fmt.Errorf("SECUREMIG_PG_BIN=%s: %w", explicit, ErrNoServerBinaries)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", ErrNoServerBinaries
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func (c *Cluster) dataDir() string  { return filepath.Join(c.Dir, "data") }
func (c *Cluster) portFile() string { return filepath.Join(c.Dir, "port") }
func (c *Cluster) logFile() string  { return filepath.Join(c.Dir, "server.log") }

// socketDir returns the directory for the unix socket: the cluster directory
// when its path is short enough, else a directory under /tmp named after it.
func (c *Cluster) socketDir() string {
	if len(c.Dir)+len("/.s.PGSQL.65535") <= maxSocketPath {
		return c.Dir
	}
	sum := sha256.Sum256([]byte(c.Dir))
	return filepath.Join(os.TempDir(), "securemig-pg-"+hex.EncodeToString(sum[:4]))
}

// Port returns the port recorded for the cluster, or 0.
func (c *Cluster) Port() int {
	b, err := os.ReadFile(c.portFile())
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// URL returns a DSN for database db (the cluster's default database when
// empty), usable by pgx, psql and pg_dump. It fails before the first start.
func (c *Cluster) URL(db string) (string, error) {
	port := c.Port()
	if port == 0 {
		return "", fmt.Errorf("local cluster in %s was never started (run 'securemig db start')", c.Dir)
	}
	if db == "" {
		db = c.Database
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db), nil
}

// Status inspects the cluster without changing it.
func (c *Cluster) Status() Status {
	st := Status{Dir: c.Dir, Port: c.Port()}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err == nil {
		st.Initialized = true
	}
	if pid, ok := c.livePostmaster(); ok {
		st.Running, st.PID = true, pid
	}
	return st
}

// livePostmaster returns the pid in postmaster.pid when that process is alive
// and is a PostgreSQL server.
func (c *Cluster) livePostmaster() (int, bool) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err == nil {
		name := strings.TrimSpace(string(comm))
		if name != "postgres" && name != "postmaster" {
			return 0, false // the pid was reused by another program
		}
	}
	return pid, true
}

// Start initialises the cluster if needed and starts it unless it is already
// running. It reports whether it started the server. A stale postmaster.pid
// left by a crash is removed, and a recorded port now taken by another
// program is replaced by a free one.
func (c *Cluster) Start(ctx context.Context) (bool, error) {
	if err := c.prepareDir(); err != nil {
		return false, err
	}
	if !c.Status().Initialized {
		if err := c.initdb(ctx); err != nil {
			return false, err
		}
	}
	if c.Status().Running {
		return false, c.ensureDatabase(ctx)
	}
	if err := os.Remove(filepath.Join(c.dataDir(), "postmaster.pid")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("removing stale postmaster.pid: %w", err)
	}
	if err := c.startServer(ctx); err != nil {
		return false, err
	}
	return true, c.ensureDatabase(ctx)
}

// Stop stops the server with a fast shutdown. It reports whether a server
// was running; stopping a stopped cluster is not an error.
func (c *Cluster) Stop(ctx context.Context) (bool, error) {
	if !c.Status().Running {
		return false, nil
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return false, fmt.Errorf("stopping the local cluster: %w: %s", err, out)
	}
	return true, nil
}

// Reset stops the cluster, deletes its data and starts a new, empty one.
func (c *Cluster) Reset(ctx context.Context) error {
	if _, err := c.Stop(ctx); err != nil {
		return err
	}
	if err := os.RemoveAll(c.dataDir()); err != nil {
		return fmt.Errorf("removing %s: %w", c.dataDir(), err)
	}
	_, err := c.Start(ctx)
	return err
}

// Destroy stops the cluster and removes its directory, and its Record when
// that names the directory.
func (c *Cluster) Destroy(ctx context.Context) error {
	if _, err := c.Stop(ctx); err != nil {
		return err
	}
	if sd := c.socketDir(); sd != c.Dir {
		os.RemoveAll(sd)
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("removing %s: %w", c.Dir, err)
	}
	if got, ok, _ := readRecord(c.Record); ok && got == c.Dir {
		if err := os.Remove(c.Record); err != nil {
			return fmt.Errorf("removing %s: %w", c.Record, err)
		}
	}
	return nil
}

// prepareDir creates the cluster and socket directories (0700, owned by the
// postgres OS user when running as root, never through a symlink or in a
// directory someone else prepared), checks that user can reach them and
// records the cluster's place when asked to.
func (c *Cluster) prepareDir() error {
	parent := filepath.Dir(c.Dir)
	if parent == PrivateBase && os.Geteuid() == 0 {
		if err := ensureBase(parent); err != nil {
			return err
		}
	} else if err := os.MkdirAll(parent, 0o711); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	if os.Geteuid() == 0 {
		if err := allowTraverse(parent); err != nil {
			return err
		}
	}
	for _, d := range []string{c.Dir, c.socketDir()} {
		if err := ensurePrivateDir(d); err != nil {
			return err
		}
	}
	if os.Geteuid() == 0 {
		if err := checkReachable(c.Dir); err != nil {
			return err
		}
	}
	if c.Record != "" {
		return writeRecord(c.Record, c.Dir)
	}
	return nil
}

// allowTraverse lets other users pass through dir (o+x, not o+r) when the
// caller owns it, so that the postgres OS user can reach the cluster inside a
// private directory such as the project's tmp/.
func allowTraverse(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != os.Geteuid() || fi.Mode().Perm()&0o001 != 0 {
		return nil
	}
	if err := os.Chmod(dir, fi.Mode().Perm()|0o001); err != nil {
		return fmt.Errorf("letting the postgres OS user traverse %s: %w", dir, err)
	}
	return nil
}

// checkReachable verifies that the postgres OS user can traverse every
// ancestor of dir.
func checkReachable(dir string) error {
	blocker, err := serverBlocker(dir)
	if err != nil || blocker == "" {
		return err
	}
	return fmt.Errorf("the postgres OS user cannot reach %s because %s; set SECUREMIG_PGDIR to a directory it can reach, "+
		"or leave SECUREMIG_PGDIR unset in a fresh checkout and securemig places the cluster under %s itself",
		dir, blocker, PrivateBase)
}

func (c *Cluster) initdb(ctx context.Context) error {
	out, err := c.run(ctx, "initdb", "-D", c.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	if err != nil {
		os.RemoveAll(c.dataDir())
		return fmt.Errorf("initdb in %s: %w: %s", c.dataDir(), err, out)
	}
	return nil
}

// startServer runs pg_ctl start, choosing another port when the recorded one
// is taken and retrying while a killed server's processes still exit.
func (c *Cluster) startServer(ctx context.Context) error {
	var lastErr error
	for attempt := range 8 {
		port, err := c.choosePort()
		if err != nil {
			return err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s", port, c.socketDir())
		if !c.Durable {
			opts += " -c fsync=off -c full_page_writes=off"
		}
		out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.logFile(), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("starting the local cluster on port %d: %w: %s%s", port, err, out, c.logTail())
		if ctx.Err() != nil {
			return lastErr
		}
		// A killed server's backends may still hold shared memory for a moment.
		time.Sleep(time.Duration(attempt+1) * 250 * time.Millisecond)
	}
	return lastErr
}

// choosePort returns the recorded port when it is free, else a new free
// port, which it records.
func (c *Cluster) choosePort() (int, error) {
	if p := c.Port(); p != 0 && portFree(p) {
		return p, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if err := os.WriteFile(c.portFile(), []byte(strconv.Itoa(p)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("recording the port: %w", err)
	}
	return p, nil
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.logFile())
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nserver log (" + c.logFile() + "):\n" + string(b)
}

// ensureDatabase creates the cluster's default database when missing.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	url, err := c.URL("postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connecting to the local cluster: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", c.Database).Scan(&exists); err != nil {
		return fmt.Errorf("checking database %s: %w", c.Database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.Database}.Sanitize()); err != nil {
		return fmt.Errorf("creating database %s: %w", c.Database, err)
	}
	return nil
}

// run executes a server binary, as the postgres OS user when root, and
// returns its combined output. Output goes to a file, not a pipe, because
// pg_ctl leaves a daemon behind that would hold a pipe open.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := os.CreateTemp("", "securemig-pgctl-*.log")
	if err != nil {
		return "", fmt.Errorf("running %s: %w", name, err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := asServerUser(cmd); err != nil {
		return "", err
	}
	runErr := cmd.Run()
	b, _ := os.ReadFile(out.Name())
	return string(bytes.TrimSpace(b)), runErr
}

func asServerUser(cmd *exec.Cmd) error {
	if os.Geteuid() != 0 {
		return nil
	}
	srv, err := lookupServerUser()
	if err != nil {
		return err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: srv.uid, Gid: srv.gid}}
	cmd.Env = append(cmd.Env, "HOME=/tmp")
	return nil
}
