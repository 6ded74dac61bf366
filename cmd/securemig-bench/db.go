package main

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// server is the PostgreSQL server the benchmark creates its databases on.
type server struct {
	// url is a DSN of an existing database on the server (used for CREATE
	// and DROP DATABASE).
	url string
	// prefix starts every database name the driver creates.
	prefix string
	seq    atomic.Int64
}

// dsn returns the server's DSN with the database name replaced by db.
func (s *server) dsn(db string) (string, error) {
	u, err := url.Parse(s.url)
	if err != nil {
		return "", fmt.Errorf("parsing the database URL: invalid URL")
	}
	u.Path = "/" + db
	return u.String(), nil
}

// exec runs one statement on the server's own database.
func (s *server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("connecting to the benchmark server: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// create makes a fresh database from template ("" for template0) and
// returns its name and DSN.
func (s *server) create(ctx context.Context, tag, template string) (string, string, error) {
	name := fmt.Sprintf("%s_%s_%d", s.prefix, tag, s.seq.Add(1))
	if template == "" {
		template = "template0"
	}
	q := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())
	if err := s.exec(ctx, q); err != nil {
		return "", "", fmt.Errorf("creating database %s: %w", name, err)
	}
	dsn, err := s.dsn(name)
	return name, dsn, err
}

// drop removes a database the driver created, disconnecting its sessions.
func (s *server) drop(ctx context.Context, name string) error {
	if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// version returns the server's version string.
func (s *server) version(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return "", fmt.Errorf("connecting to the benchmark server: %w", err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT pg_catalog.version()").Scan(&v); err != nil {
		return "", fmt.Errorf("reading the server version: %w", err)
	}
	return v, nil
}

// countRows returns the number of rows in the staging (stage_*) and
// rate-engine (re_*) tables of the database at dsn.
func countRows(ctx context.Context, dsn string) (staging, rateEngine int64, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, 0, fmt.Errorf("connecting to the imported database: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_catalog.pg_tables
		WHERE schemaname = 'public' AND (tablename LIKE 'stage\_%' OR tablename LIKE 're\_%')
		ORDER BY 1`)
	if err != nil {
		return 0, 0, fmt.Errorf("listing tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, 0, fmt.Errorf("listing tables: %w", err)
	}
	for _, t := range tables {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM public."+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			return 0, 0, fmt.Errorf("counting rows of %s: %w", t, err)
		}
		if t[:3] == "re_" {
			rateEngine += n
		} else {
			staging += n
		}
	}
	return staging, rateEngine, nil
}
