package securegen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// generateNamed wraps an existing dump or SQL file (--name mode): the
// production file is the header plus the file with \restrict lines removed;
// the placeholder keeps its COPY blocks, scrubbed, and pg_dump's SET,
// set_config and setval lines, and leaves out any other statement (it might
// carry data). No down migration and no guard are written.
func generateNamed(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if !nameRE.MatchString(o.Name) {
		return nil, fmt.Errorf("invalid migration name %q: use lower-case letters, digits and '_'", o.Name)
	}
	if o.Source == "" {
		return nil, fmt.Errorf("migration %s: a source file is required", o.Name)
	}
	// First pass: the row counts for the header.
	counts, err := countSource(o.Source)
	if err != nil {
		return nil, err
	}
	p := &plan{opts: o, start: start}
	if err := p.prepare(ctx, o.Name); err != nil {
		return p.fail(err)
	}
	p.header = Header{Kind: KindProduction, Version: p.res.Version, Name: o.Name, Source: filepath.Base(o.Source),
		WorkbookSHA256: o.WorkbookSHA256, ToolVersion: o.ToolVersion, GeneratedAt: generatedAt(p.res.Version)}
	for _, t := range counts.order {
		p.header.Tables = append(p.header.Tables, TableCount{Table: t, Rows: counts.counts[t]})
	}
	p.res.Tables = p.header.Tables
	err = p.stream(func(w io.Writer) error {
		f, err := os.Open(o.Source)
		if err != nil {
			return fmt.Errorf("opening %s: %w", o.Source, err)
		}
		defer f.Close()
		if _, err := io.Copy(w, f); err != nil {
			return fmt.Errorf("reading %s: %w", o.Source, err)
		}
		return nil
	})
	if err != nil {
		return p.fail(err)
	}
	return p.finish(ctx)
}

// countSource counts the COPY rows per table of a file.
func countSource(path string) (*bodyFilter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	bf := newBodyFilter(io.Discard)
	if _, err := io.Copy(bf, f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := bf.close(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return bf, nil
}
