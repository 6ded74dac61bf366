// Package schema embeds the rate-engine schema migrations (the
// <YYYYMMDDHHMMSS>_<name>.up.sql files of this directory) and applies them
// for tests and bootstrapping. Production databases get the same files
// through the migration engine (package migrations), which also tracks them.
package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
)

// FS holds the schema migration files.
//
//go:embed *.up.sql
var FS embed.FS

// Files returns the schema file names in version order.
func Files() ([]string, error) {
	names, err := fs.Glob(FS, "*.up.sql")
	if err != nil {
		return nil, fmt.Errorf("listing schema files: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// Apply runs every schema file, in version order, in one transaction on conn.
// It records nothing; use it only on scratch and test databases.
func Apply(ctx context.Context, conn *pgx.Conn) error {
	names, err := Files()
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("applying schema: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
	for _, name := range names {
		sql, err := FS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("applying %s: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("applying schema: %w", err)
	}
	return nil
}
