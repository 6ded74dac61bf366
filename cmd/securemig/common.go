package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/joho/godotenv"
	"github.com/urfave/cli/v2"
)

// loadDotEnv loads .env from the working directory when present. Variables
// already set in the environment always win.
func loadDotEnv(*cli.Context) error {
	if err := godotenv.Load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("loading .env: %w", err)
	}
	return nil
}

// databaseURL returns DATABASE_URL when set. Otherwise it starts (if needed)
// the project-local cluster and returns its URL. On the way it removes the
// dump roles that killed gen runs left in that database (see doctor.go).
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
