package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/urfave/cli/v2"
)

// databaseURL returns DATABASE_URL when set (in the environment or the
// project's .env). Otherwise it starts (if needed) the project-local cluster
// and returns its URL; outside any project that is an error. On the way it
// removes the dump roles that killed gen runs left in that database (see
// doctor.go).
func databaseURL(c *cli.Context) (string, error) {
	u, err := resolveDatabaseURL(c)
	if err != nil {
		return "", err
	}
	sweepStaleScopes(c, u)
	return u, nil
}

// resolveDatabaseURL is databaseURL without the sweep.
func resolveDatabaseURL(c *cli.Context) (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	return localDatabaseURL(c)
}

// connect opens a connection to databaseURL(c). The caller closes it.
func connect(c *cli.Context) (*pgx.Conn, error) {
	dsn, err := databaseURL(c)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(c.Context, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return conn, nil
}

// writeJSON prints v as indented JSON: the --json output of every command.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// infoWriter is where a command writes progress notes and other
// informational lines: standard error, or nowhere with --quiet.
func infoWriter(c *cli.Context) io.Writer {
	if c.Bool("quiet") {
		return io.Discard
	}
	return c.App.ErrWriter
}

// securemigTable reports whether a relation name belongs to securemig's
// schema (rate-engine, staging, import log and migration tracking tables).
func securemigTable(name string) bool {
	name = strings.TrimPrefix(name, "public.")
	return strings.HasPrefix(name, "re_") || strings.HasPrefix(name, "stage_") ||
		strings.HasPrefix(name, "pricing_") || strings.HasPrefix(name, "securemig_")
}

// missingColumn returns the relation named by an undefined_column (42703)
// error that names one (`column "c" of relation "r" does not exist`).
func missingColumn(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42703" {
		return "", false
	}
	_, rest, ok := strings.Cut(pgErr.Message, `of relation "`)
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, `"`)
	return name, true
}

// missingRelation returns the relation named by an undefined_table
// (42P01) error.
func missingRelation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		return "", false
	}
	_, rest, ok := strings.Cut(pgErr.Message, `relation "`)
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, `"`)
	return name, true
}

// connectionLost reports whether err means the database server closed the
// connection (shut down, crashed, terminated the session, or the network
// dropped it). Only meaningful for errors of a database session: an EOF
// from a file looks the same.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08")
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "conn closed") ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// describeURL names a database without its password: "user U at HOST:PORT,
// database D".
func describeURL(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "an unparsable URL"
	}
	return fmt.Sprintf("user %s at %s, database %s", cfg.User, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database)
}

// explainError rewrites database errors into what the user should know:
// where the database URL came from when the server cannot be reached (with
// psql's hint), that the schema is missing, or that the server closed the
// connection mid-run. The exit code is kept.
func explainError(app *cli.App, err error) error {
	if err == nil {
		return nil
	}
	st := state(app)
	var msg string
	var connErr *pgconn.ConnectError
	switch {
	case errors.As(err, &connErr):
		msg = err.Error() + "\n  the database URL came from " + urlSource(st)
		if u := os.Getenv("DATABASE_URL"); u != "" {
			msg += " (" + describeURL(u) + ")"
		}
		if unreachable(err) {
			msg += "\n  is the server running on that host and accepting TCP/IP connections?"
		}
	case isMissingSchema(err):
		rel, _ := missingRelation(err)
		msg = fmt.Sprintf("the schema is not applied: run `securemig migrate` (or `make db-up`) (table %s does not exist in %s)",
			rel, urlSource(st))
	case isSchemaBehind(err):
		rel, _ := missingColumn(err)
		msg = fmt.Sprintf("the schema is behind this version of securemig: run `securemig migrate` (or `make db-up`) (table %s in %s lacks a column)",
			rel, urlSource(st))
	case st.urlSource != "" && connectionLost(err) && !strings.Contains(err.Error(), "closed the connection"):
		what := "`securemig " + st.command + "`"
		msg = fmt.Sprintf("the database server closed the connection during %s: %v", what, err)
	default:
		return err
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	return &exitError{code: code, err: errors.New(msg)}
}

// isMissingSchema reports whether err is a missing securemig table.
func isMissingSchema(err error) bool {
	rel, ok := missingRelation(err)
	return ok && securemigTable(rel)
}

// isSchemaBehind reports whether err is a missing column of a securemig
// table: the database's schema predates this binary.
func isSchemaBehind(err error) bool {
	rel, ok := missingColumn(err)
	return ok && securemigTable(rel)
}

// urlSource says where the database URL came from.
func urlSource(st *runState) string {
	if st.urlSource != "" {
		return st.urlSource
	}
	return "the local cluster"
}

// unreachable reports whether a connection failed before reaching a server
// (refused, unknown host, timed out, no socket).
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	var netErr net.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.As(err, &dnsErr) || (errors.As(err, &netErr) && netErr.Timeout())
}
