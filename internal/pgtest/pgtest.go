// Package pgtest gives tests a real PostgreSQL server and a fresh database
// per test.
//
// The server is TEST_DATABASE_URL when set; otherwise a throwaway cluster
// that Main starts from the system's server binaries (package localdb) and
// removes when the package's tests end. When no server can be had, every
// test that asks for a database fails with the reason: tests never skip
// because a real part is missing.
//
// Usage:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.NewSchemaDatabase(t) // or NewDatabase for an empty one
//		...
//	}
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/localdb"
	"github.com/securemig/securemig/migrations/schema"
)

var (
	serverURL string // maintenance-database DSN of the server
	startErr  error  // why no server is available
	counter   atomic.Int64

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// Main starts the package's server, runs the tests and cleans up. Call it
// from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

// Run is Main for a TestMain with its own setup and cleanup around the
// tests: it returns the exit code instead of exiting.
func Run(m *testing.M) int {
	return run(m)
}

func run(m *testing.M) int {
	ctx := context.Background()
	var cluster *localdb.Cluster
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		serverURL = u
	} else {
		cluster, startErr = startCluster(ctx)
		if startErr == nil {
			serverURL, startErr = cluster.URL("postgres")
		}
	}
	code := m.Run()
	if templateName != "" && templateErr == nil {
		dropDatabase(ctx, templateName)
	}
	if cluster != nil {
		if err := cluster.Destroy(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: removing the throwaway cluster:", err)
		}
	}
	return code
}

func startCluster(ctx context.Context) (*localdb.Cluster, error) {
	dir, err := os.MkdirTemp("", "smpg")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c, err := localdb.New(dir, os.Getenv("SECUREMIG_PG_BIN"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: no test database (set TEST_DATABASE_URL or install PostgreSQL): %w", err)
	}
	c.Database = "postgres"
	if _, err := c.Start(ctx); err != nil {
		c.Destroy(ctx)
		return nil, fmt.Errorf("pgtest: starting a throwaway cluster: %w", err)
	}
	return c, nil
}

// ServerURL returns the DSN of the server's maintenance database, for tests
// that create databases themselves.
func ServerURL(t testing.TB) string {
	t.Helper()
	if startErr != nil {
		t.Fatalf("%v", startErr)
	}
	if serverURL == "" {
		t.Fatalf("pgtest: no server; call pgtest.Main(m) from TestMain")
	}
	return serverURL
}

// NewDatabase creates an empty database, dropped when the test ends, and
// returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return create(t, "template0")
}

// NewSchemaDatabase creates a database holding the rate-engine schema
// (migrations/schema), dropped when the test ends, and returns its DSN.
func NewSchemaDatabase(t testing.TB) string {
	t.Helper()
	ServerURL(t)
	templateOnce.Do(func() { templateName, templateErr = buildTemplate() })
	if templateErr != nil {
		t.Fatalf("pgtest: building the schema template: %v", templateErr)
	}
	return create(t, templateName)
}

// DatabaseURL returns srv with its database name replaced by db.
func DatabaseURL(srv, db string) string {
	u, err := url.Parse(srv)
	if err != nil {
		return srv
	}
	u.Path = "/" + db
	return u.String()
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

func create(t testing.TB, template string) string {
	t.Helper()
	srv := ServerURL(t)
	name := unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 30 {
		name = name[:30]
	}
	name = fmt.Sprintf("t%d_%d_%s", os.Getpid(), counter.Add(1), name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := exec(ctx, srv, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(context.Background(), name) })
	return DatabaseURL(srv, name)
}

func buildTemplate() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := fmt.Sprintf("tmpl%d_schema", os.Getpid())
	if err := exec(ctx, serverURL, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, DatabaseURL(serverURL, name))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if err := schema.Apply(ctx, conn); err != nil {
		return "", err
	}
	return name, nil
}

func dropDatabase(ctx context.Context, name string) {
	if err := exec(ctx, serverURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: dropping database %s: %v\n", name, err)
	}
}

func exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
