package task

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/migrations/schema"
)

// checkTarget refuses an environment database that cannot take the
// migration, before anything is uploaded or applied: one whose tracking
// table shows that it applied some of the schema migrations this version
// of securemig generates against but not all of them (its schema is
// behind), or one that lacks a table the migration loads (no schema).
func (o *ImportOptions) checkTarget(ctx context.Context, mig *MigrationRecord) error {
	db := redactDSN(o.Target)
	conn, err := pgx.Connect(ctx, o.Target)
	if err != nil {
		return fmt.Errorf("connecting to environment %s's database %s: %w", o.Env.Name, db, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	recs, err := migrations.ReadRecords(ctx, conn)
	if err != nil {
		return fmt.Errorf("environment %s's database %s: %w", o.Env.Name, db, err)
	}
	files, err := schema.Files()
	if err != nil {
		return err
	}
	if missing := missingSchema(files, recs); len(missing) > 0 && len(missing) < len(files) {
		return refused("environment %s's database %s is behind: it has not applied the schema migration(s) %s "+
			"that %s was generated against; apply them first (securemig migrate --path file://migrations/schema ...); "+
			"nothing was uploaded or applied", o.Env.Name, db, strings.Join(missing, ", "), mig.FileName)
	}
	tables := slices.Sorted(maps.Keys(mig.Entry.Tables))
	var absent []string
	err = conn.QueryRow(ctx, `SELECT coalesce(array_agg(t ORDER BY t), '{}') FROM unnest($1::text[]) AS t
		WHERE to_regclass(t) IS NULL`, tables).Scan(&absent)
	if err != nil {
		return fmt.Errorf("environment %s's database %s: looking up the migration's tables: %w", o.Env.Name, db, err)
	}
	if len(absent) > 0 {
		return refused("environment %s's database %s lacks %s of the %d tables the migration loads (%s): its schema "+
			"was not applied; apply the schema migrations first (securemig migrate --path file://migrations/schema ...); "+
			"nothing was uploaded or applied", o.Env.Name, db, countOf(len(absent), len(tables)), len(tables), listSome(absent, 3))
	}
	return nil
}

// missingSchema returns the schema files that the tracking records do not
// show as applied.
func missingSchema(files []string, recs []migrations.Record) []string {
	applied := map[string]bool{}
	for _, r := range recs {
		if r.Status == "applied" {
			applied[r.Name] = true
		}
	}
	var missing []string
	for _, f := range files {
		if !applied[f] {
			missing = append(missing, f)
		}
	}
	return missing
}

// countOf says "all" when n is total, else n.
func countOf(n, total int) string {
	if n == total {
		return "all"
	}
	return fmt.Sprint(n)
}

// listSome joins the first n names, saying how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
