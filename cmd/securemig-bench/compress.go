package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// compress measures compressed migration files (gen --compress): the
// generation next to a bare pg_dump (a row it adds itself), then applying
// the compressed production file with securemig migrate next to psql
// applying the plain one (the row it returns), with the sizes of both forms
// of the production file and the placeholder in the details. It needs the
// generate stage's plain migration.
func (b *bench) compress(ctx context.Context, wb *workbook) result {
	r := result{stage: "apply (gzip)", sample: wb.name, what: "`securemig migrate` of the gzipped production file (`gen --compress`), fresh database",
		baseline: "`psql -X -v ON_ERROR_STOP=1 -1 -f` of the plain production file, fresh database"}
	if err := b.available(ctx, "migrate"); err != nil {
		r.note = err.Error()
		return r
	}
	if wb.production == "" {
		r.note = "needs a generated secure migration (the generate stage)"
		return r
	}
	var proj, gz string
	defer func() {
		if proj != "" {
			b.removeProject(proj)
		}
	}()
	gen := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		p, err := b.newProject()
		if err != nil {
			return sample{}, err
		}
		s, err := child{name: "securemig gen secure-migration --compress", dir: p, env: []string{"DATABASE_URL=" + wb.sourceDSN},
			argv: wrapArgv(wrap, []string{b.bin, "gen", "secure-migration", "--contract-code", contractCode, "--compress"})}.run(ctx)
		if err != nil {
			b.removeProject(p)
			return s, err
		}
		if proj != "" {
			b.removeProject(proj)
		}
		proj, gz = p, productionPath(s.stdout)
		if !filepath.IsAbs(gz) {
			gz = filepath.Join(p, gz)
		}
		return s, nil
	}
	g := result{stage: "dump + generate --compress", sample: wb.name, what: "`securemig gen secure-migration --compress`",
		baseline: "bare `pg_dump --data-only` of the same tables"}
	dumpFile := filepath.Join(b.work, "pg_dump-compress.sql")
	defer os.Remove(dumpFile)
	bare := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		argv := []string{"pg_dump", "--data-only", "--strict-names", "--format=plain", "--no-password"}
		for _, t := range wb.tables {
			argv = append(argv, "--table="+t)
		}
		argv = append(argv, "--file="+dumpFile, "--dbname="+wb.sourceDSN)
		return child{name: "pg_dump", dir: b.root, argv: wrapArgv(wrap, argv)}.run(ctx)
	}
	as, bs, err := pairs(ctx, b.cfg.pairs, gen, bare)
	b.record("GenerateGzip", wb.tag, as)
	if err != nil {
		g.note = err.Error()
		b.add(g)
		r.note = err.Error()
		return r
	}
	g.measured(as)
	g.against(as, bs)
	g.detail = sizeDetail(wb.production, gz)
	b.add(g)

	// Apply: the compressed file with securemig, the plain one with psql.
	secureDir := filepath.Dir(gz)
	migrate := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		name, dsn, err := b.freshDatabase(ctx, "apply")
		if err != nil {
			return sample{}, err
		}
		defer b.dropDatabase(ctx, name)
		argv := append([]string{b.bin, "migrate"}, migrateSchemaArgs...)
		argv = append(argv, "--path", "file://"+secureDir)
		return child{name: "securemig migrate", dir: proj, env: []string{"DATABASE_URL=" + dsn}, argv: wrapArgv(wrap, argv)}.run(ctx)
	}
	psql := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		name, dsn, err := b.freshDatabase(ctx, "psql")
		if err != nil {
			return sample{}, err
		}
		defer b.dropDatabase(ctx, name)
		return child{name: "psql", dir: wb.project,
			argv: wrapArgv(wrap, []string{"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", wb.production, "-d", dsn})}.run(ctx)
	}
	as, bs, err = pairs(ctx, b.cfg.pairs, migrate, psql)
	b.record("ApplyGzip", wb.tag, as)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(as)
	r.against(as, bs)
	return r
}

// sizeDetail compares the plain and gzipped production files and
// placeholders (the placeholders are migrations/secure/ beside tmp/secure).
func sizeDetail(plain, gz string) string {
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	ph := func(p string) string {
		proj := filepath.Dir(filepath.Dir(filepath.Dir(p)))
		return filepath.Join(proj, "migrations", "secure", filepath.Base(p))
	}
	var parts []string
	for _, f := range []struct{ what, plain, gz string }{
		{"production file", plain, gz},
		{"placeholder", ph(plain), ph(gz)},
	} {
		p, z := size(f.plain), size(f.gz)
		if p == 0 || z == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MB plain, %.1f MB gzip (%.1f%%)", f.what, float64(p)/1e6, float64(z)/1e6, 100*float64(z)/float64(p)))
	}
	return "sizes: " + strings.Join(parts, "; ")
}
