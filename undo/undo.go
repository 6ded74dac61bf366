// Package undo removes what one contract's pipeline created locally: its
// rows in the local database (as `pricing rollback`), its secure migration's
// production, part and down files, the placeholder, the manifest line and
// lock entry, and the reports. It refuses when anything of it left the
// machine (uploaded, committed, or reverted), because a deployed database
// may hold it: that is a revert migration's job.
package undo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/history"
	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/internal/actor"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/securegen"
)

// DefaultReportDir is where `pricing report` and the pipeline write
// CODE.html, CODE.md and CODE.json.
const DefaultReportDir = "tmp/reports"

// Options configures Plan.
type Options struct {
	// ContractCode is the contract to undo.
	ContractCode string
	// OutDir, PlaceholderDir, ManifestPath and LockPath are the generator's
	// (securegen defaults when empty); ReportDir holds the reports
	// (DefaultReportDir when empty).
	OutDir, PlaceholderDir, ManifestPath, LockPath, ReportDir string
	// Actor is recorded in the import log and the events log (default
	// actor.Current()).
	Actor string
}

func (o *Options) defaults() {
	if o.OutDir == "" {
		o.OutDir = securegen.DefaultOutDir
	}
	if o.PlaceholderDir == "" {
		o.PlaceholderDir = securegen.DefaultPlaceholderDir
	}
	if o.ManifestPath == "" {
		o.ManifestPath = securegen.DefaultManifest
	}
	if o.LockPath == "" {
		o.LockPath = lockfile.DefaultPath
	}
	if o.ReportDir == "" {
		o.ReportDir = DefaultReportDir
	}
}

// Plan is what Apply removes, or why it must not.
type Plan struct {
	opts Options
	// ContractCode is the contract.
	ContractCode string
	// Rows are the local database's rows per table (nil: no such contract).
	Rows map[string]int64
	// Migrations are the lock entries (and manifest lines) to remove.
	Migrations []string
	// ManifestLines are the manifest entries to remove.
	ManifestLines []string
	// Files are the files to delete: production, parts, down, placeholder,
	// reports.
	Files []string
	// Refusals say what left the machine; when there is any, Apply refuses.
	Refusals []string
}

// Empty reports that there is nothing to undo.
func (p *Plan) Empty() bool {
	return p.Rows == nil && len(p.Migrations) == 0 && len(p.ManifestLines) == 0 && len(p.Files) == 0
}

// TotalRows is the number of rows to delete.
func (p *Plan) TotalRows() int64 {
	var n int64
	for _, v := range p.Rows {
		n += v
	}
	return n
}

// ErrRefused is returned (wrapped) by Apply when something of the contract
// was uploaded, committed or reverted.
var ErrRefused = errors.New("undo refused: the contract's migration left this machine")

// Make builds the plan for the contract, reading the local database on
// conn (nil: rows are not considered), the lock file, the manifest, git
// and the directories. It changes nothing.
func Make(ctx context.Context, conn *pgx.Conn, o Options) (*Plan, error) {
	o.defaults()
	p := &Plan{opts: o, ContractCode: o.ContractCode}
	if conn != nil {
		rows, err := importer.ContractRows(ctx, conn, o.ContractCode)
		if err != nil {
			return nil, err
		}
		p.Rows = rows
	}
	lf, err := lockfile.Load(o.LockPath)
	if err != nil {
		return nil, err
	}
	committed, err := securegen.CommittedLock(ctx, o.LockPath)
	if err != nil {
		return nil, err
	}
	for _, name := range lf.Contract(o.ContractCode) {
		if err := p.addMigration(ctx, name, lf.Migrations[name], committed); err != nil {
			return nil, err
		}
	}
	if err := p.addStrays(ctx); err != nil {
		return nil, err
	}
	if err := p.addManifestLines(); err != nil {
		return nil, err
	}
	reports, err := filepath.Glob(filepath.Join(o.ReportDir, globEscape(o.ContractCode)+".*"))
	if err != nil {
		return nil, fmt.Errorf("listing reports: %w", err)
	}
	for _, r := range reports {
		if err := p.addFile(ctx, r); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addMigration plans the removal of one lock entry and its files, or
// records why it must stay.
func (p *Plan) addMigration(ctx context.Context, name string, e *lockfile.Entry, committed *lockfile.File) error {
	o := p.opts
	switch {
	case len(e.Uploads) > 0:
		envs := slices.Sorted(maps.Keys(e.Uploads))
		p.Refusals = append(p.Refusals, fmt.Sprintf("%s was uploaded to %s (%s)", name, strings.Join(envs, ", "), o.LockPath))
	case e.IsRevert():
		p.Refusals = append(p.Refusals, fmt.Sprintf("%s is a revert migration of %s", name, e.Reverts))
	case e.RevertedBy != "":
		p.Refusals = append(p.Refusals, fmt.Sprintf("%s has a revert migration, %s", name, e.RevertedBy))
	}
	if _, ok := committed.Lookup(name); ok {
		p.Refusals = append(p.Refusals, fmt.Sprintf("the lock entry of %s is committed in git (HEAD)", name))
	}
	ph := filepath.Join(o.PlaceholderDir, name)
	if where, err := securegen.InGit(ctx, ph); err != nil {
		return err
	} else if where != "" {
		p.Refusals = append(p.Refusals, fmt.Sprintf("the placeholder %s is %s", ph, where))
	}
	p.Migrations = append(p.Migrations, name)
	files := []string{filepath.Join(o.OutDir, name), filepath.Join(o.OutDir, strings.TrimSuffix(name, ".up.sql")+".down.sql"), ph,
		filepath.Join(o.OutDir, name+lockfile.GzipSuffix), ph + lockfile.GzipSuffix} // gen --compress
	for _, part := range e.Parts {
		files = append(files, filepath.Join(o.OutDir, filepath.Base(part.Name)))
	}
	for _, f := range files {
		// Plain or gzipped (gen --compress).
		for _, stored := range []string{f, f + migrations.GzipSuffix} {
			if err := p.addFile(ctx, stored); err != nil {
				return err
			}
		}
	}
	return nil
}

// addStrays plans the contract's migration files that no lock entry names
// (left by an interrupted or replaced generation).
func (p *Plan) addStrays(ctx context.Context) error {
	o := p.opts
	fc := strings.ToLower(strings.ReplaceAll(o.ContractCode, "-", "_"))
	for _, dir := range []string{o.OutDir, o.PlaceholderDir} {
		matches, err := filepath.Glob(filepath.Join(dir, "[0-9]*_import_pricing_data_"+globEscape(fc)+".*"))
		if err != nil {
			return fmt.Errorf("listing %s: %w", dir, err)
		}
		gz, _ := filepath.Glob(filepath.Join(dir, "[0-9]*_import_pricing_data_"+globEscape(fc)+".*sql"+lockfile.GzipSuffix))
		matches = append(matches, gz...)
		for _, m := range matches {
			if err := p.addFile(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// addManifestLines plans the manifest lines of the planned migrations.
func (p *Plan) addManifestLines() error {
	entries, err := migrations.ReadManifest(p.opts.ManifestPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if slices.Contains(p.Migrations, e.Name) {
			p.ManifestLines = append(p.ManifestLines, e.Name)
		}
	}
	return nil
}

// addFile plans the removal of path when it exists; a file git has is a
// refusal instead.
func (p *Plan) addFile(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if slices.Contains(p.Files, path) {
		return nil
	}
	if where, err := securegen.InGit(ctx, path); err != nil {
		return err
	} else if where != "" && !slices.ContainsFunc(p.Refusals, func(r string) bool { return strings.Contains(r, path) }) {
		p.Refusals = append(p.Refusals, fmt.Sprintf("%s is %s", path, where))
	}
	p.Files = append(p.Files, path)
	return nil
}

// globEscape escapes the glob metacharacters of s (contract codes have
// none, but a pattern never trusts its input).
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}

// Result is what Apply removed.
type Result struct {
	// Rows are the rows deleted per table (nil: none).
	Rows map[string]int64
	// Migrations, ManifestLines and Files are what was removed.
	Migrations, ManifestLines, Files []string
}

// Apply removes what the plan lists: the rows (one transaction, the
// imports marked rolled back), then the lock entries, then the manifest
// lines, then the files, and records an "undo" event in the events log.
// With any refusal it removes nothing and returns an error wrapping
// ErrRefused. A failure stops at the step that failed and says what was
// done; running undo again finishes the rest.
func (p *Plan) Apply(ctx context.Context, conn *pgx.Conn) (*Result, error) {
	if len(p.Refusals) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrRefused, strings.Join(p.Refusals, "; "))
	}
	res := &Result{}
	if p.Rows != nil {
		rows, err := importer.Rollback(ctx, conn, p.ContractCode)
		if err != nil && !errors.Is(err, importer.ErrNoContract) {
			return res, err
		}
		res.Rows = rows
	}
	if err := p.removeRecords(res); err != nil {
		return res, err
	}
	for _, f := range p.Files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("removing %s: %w", f, err)
		}
		res.Files = append(res.Files, f)
	}
	if conn != nil {
		if err := p.record(ctx, conn, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// removeRecords drops the lock entries, then the manifest lines.
func (p *Plan) removeRecords(res *Result) error {
	o := p.opts
	if len(p.Migrations) > 0 {
		err := lockfile.Update(o.LockPath, func(f *lockfile.File) error {
			for _, name := range p.Migrations {
				if e, ok := f.Lookup(name); ok && len(e.Uploads) > 0 {
					return fmt.Errorf("%s was uploaded meanwhile; nothing removed from %s", name, o.LockPath)
				}
				delete(f.Migrations, name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.Migrations = p.Migrations
	}
	if len(p.ManifestLines) > 0 {
		if err := migrations.UpdateManifest(o.ManifestPath, p.ManifestLines, ""); err != nil {
			return fmt.Errorf("the lock entries are removed, the manifest lines not: %w", err)
		}
		res.ManifestLines = p.ManifestLines
	}
	return nil
}

// record writes the undo into the events log.
func (p *Plan) record(ctx context.Context, conn *pgx.Conn, res *Result) error {
	var rows int64
	for _, n := range res.Rows {
		rows += n
	}
	d := map[string]any{"rows": rows, "files": len(res.Files)}
	if len(res.Migrations) > 0 {
		d["migrations"] = res.Migrations
	}
	by := p.opts.Actor
	if by == "" {
		by = actor.Current()
	}
	return history.Record(ctx, conn, history.Event{At: time.Now(), Step: history.StepUndo, Actor: by,
		ContractCode: p.ContractCode, Status: "undone", Details: d})
}
