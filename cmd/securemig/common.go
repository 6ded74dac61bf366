package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/joho/godotenv"
	"github.com/urfave/cli/v2"
)

// errNotImplemented is returned by commands whose issue has not landed yet.
var errNotImplemented = errors.New("not yet implemented")

// loadDotEnv loads .env from the working directory when present. Variables
// already set in the environment always win.
func loadDotEnv(*cli.Context) error {
	if err := godotenv.Load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("loading .env: %w", err)
	}
	return nil
}

// databaseURL returns DATABASE_URL when set. Otherwise it starts (if needed)
// the project-local cluster and returns its URL.
func databaseURL(c *cli.Context) (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	return localDatabaseURL(c)
}
