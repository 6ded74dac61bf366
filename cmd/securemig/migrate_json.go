package main

import (
	"time"

	"github.com/securemig/securemig/migrations"
)

// migrationJSON is one migration in `migrate status --json`.
type migrationJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// State: applied, pending, changed, missing, failed, reverted, unlisted, unknown.
	State  string `json:"state"`
	Source string `json:"source"` // location it was found in; "" when missing
	SHA256 string `json:"sha256"` // of the source's bytes; "" when not read
	Size   int64  `json:"size"`
	// Applied is the tracking-table row; null when never applied.
	Applied *appliedJSON `json:"applied"`
}

// appliedJSON is the tracking-table row of an applied (or failed) migration.
type appliedJSON struct {
	Status          string    `json:"status"` // applied or failed
	SHA256          string    `json:"sha256"` // of the bytes that ran
	Location        string    `json:"location"`
	AppliedAt       time.Time `json:"applied_at"`
	AppliedBy       string    `json:"applied_by"`
	ToolVersion     string    `json:"tool_version"`
	DurationMS      int64     `json:"duration_ms"`
	FailedStatement int       `json:"failed_statement,omitempty"`
	FailedLine      int       `json:"failed_line,omitempty"`
	// Reverts is the version a revert migration reverted; RevertedBy and
	// RevertedAt name the revert migration that reverted this one, and when.
	Reverts    string     `json:"reverts,omitempty"`
	RevertedBy string     `json:"reverted_by,omitempty"`
	RevertedAt *time.Time `json:"reverted_at,omitempty"`
}

// migrationStatusJSON is the document `migrate status --json` prints.
func migrationStatusJSON(files []migrations.FileStatus) any {
	doc := struct {
		Migrations []migrationJSON `json:"migrations"`
		// NeedsAttention is true when some migration is changed, failed or
		// missing (the command then exits 2).
		NeedsAttention bool `json:"needs_attention"`
	}{Migrations: []migrationJSON{}}
	for _, f := range files {
		m := migrationJSON{Name: f.Name, Version: f.Version, State: string(f.State), Source: f.Source, SHA256: f.SHA256, Size: f.Size}
		if r := f.Record; r != nil {
			m.Applied = &appliedJSON{Status: r.Status, SHA256: r.SHA256, Location: r.Location, AppliedAt: r.AppliedAt.UTC(),
				AppliedBy: r.AppliedBy, ToolVersion: r.ToolVersion, DurationMS: r.Duration.Milliseconds(),
				FailedStatement: r.FailedStatement, FailedLine: r.FailedLine, Reverts: r.Reverts}
			if f.Revert != nil {
				at := f.Revert.AppliedAt.UTC()
				m.Applied.RevertedBy, m.Applied.RevertedAt = f.Revert.Name, &at
			}
		}
		switch f.State {
		case migrations.Changed, migrations.Failed, migrations.Missing:
			doc.NeedsAttention = true
		}
		doc.Migrations = append(doc.Migrations, m)
	}
	return doc
}
