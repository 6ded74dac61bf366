package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// mdFindings is how many findings per check the Markdown report lists.
const mdFindings = 10

// WriteMarkdown writes the report as Markdown suitable for a pull request.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m := &mdWriter{w: bw}
	s := r.Summary
	m.f("# Spot-check report: %s\n\n", md(s.ContractCode))
	m.f("**Verdict: %s** — %d failed and %d warning checks of %d.\n\n", verdictMark(s.Verdict),
		s.FailedChecks, s.WarningChecks, len(r.Checks))
	m.f("| | |\n|---|---|\n")
	m.f("| Contract | %s (%s) |\n", md(s.ContractCode), md(s.ContractName))
	m.f("| Workbook | %s |\n", md(orDash(s.WorkbookName)))
	m.f("| Workbook SHA-256 | `%s` |\n", orDash(s.WorkbookSHA256))
	m.f("| Imported | %s |\n", md(importedText(s)))
	m.f("| Compared to | %s |\n", md(orDash(s.ComparedTo)))
	m.f("| Report | %s by %s (schema %d) |\n\n", r.GeneratedAt.Format("2006-01-02 15:04:05 MST"), md(r.Generator), r.SchemaVersion)

	m.f("## Checks\n\n| Status | Check | Findings |\n|---|---|---|\n")
	for _, c := range r.Checks {
		m.f("| %s | %s (`%s`) | %d |\n", statusMark(c.Status), md(c.Title), c.ID, c.Count)
	}
	m.f("\n")
	for _, c := range r.Checks {
		if c.Status == StatusPass || c.Status == StatusSkipped {
			continue
		}
		m.f("### %s %s\n\n%s\n\n", statusMark(c.Status), md(c.Title), md(c.Description))
		for i, f := range c.Findings {
			if i == mdFindings {
				break
			}
			m.f("- **%s** %s", f.Severity, md(f.Message))
			if f.Value != nil {
				m.f(" (value %s)", md(*f.Value))
			}
			if f.Location != "" {
				m.f(" — %s", md(f.Location))
			}
			m.f("\n")
		}
		if c.Count > mdFindings {
			m.f("- … and %d more (see the HTML or JSON report)\n", c.Count-mdFindings)
		}
		m.f("\n")
	}

	m.f("## Row counts\n\n| Table | Rows | Expected | Logged | Status | Derivation |\n|---|--:|--:|--:|---|---|\n")
	for _, c := range r.Counts {
		m.f("| %s | %d | %s | %s | %s | %s |\n", c.Table, c.Rows, intOrDash(c.Expected), intOrDash(c.Logged),
			statusMark(c.Status), md(c.Derivation))
	}

	m.f("\n## Statistics per service\n\n| Table | Service | Name | Count | Min | Median | Max |\n|---|---|---|--:|--:|--:|--:|\n")
	for _, s := range r.Statistics {
		m.f("| %s | %s | %s | %d | %s | %s | %s |\n", s.Table, s.Service, md(s.Name), s.Count, s.MinDisplay, s.MedianDisplay, s.MaxDisplay)
	}

	if d := r.Diff; d != nil {
		m.diff(d)
	} else {
		m.f("\n## Diff\n\nNo other contract to compare to.\n")
	}

	m.f("\n## Spot-check sample\n\nCompare each value with the workbook cell.\n\n| # | Table | Key | Value | Workbook |\n|--:|---|---|--:|---|\n")
	for i, s := range r.Sample {
		m.f("| %d | %s | %s | %s | %s |\n", i+1, s.Table, md(s.Key), s.Display, md(s.Location))
	}
	m.f("\n## Notes\n\n")
	for _, n := range r.Notes {
		m.f("- %s\n", md(n))
	}
	if m.err != nil {
		return fmt.Errorf("writing Markdown report: %w", m.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing Markdown report: %w", err)
	}
	return nil
}

func (m *mdWriter) diff(d *Diff) {
	m.f("\n## Diff against %s\n\n", md(d.BaseContract))
	m.f("%d added, %d removed, %d changed, %d unchanged prices.\n\n", d.Added, d.Removed, d.Changed, d.Unchanged)
	m.f("### Distribution of %% change (changed prices)\n\n| Change | Prices | |\n|---|--:|---|\n")
	most := 0
	for _, b := range d.Histogram {
		most = max(most, b.Count)
	}
	for _, b := range d.Histogram {
		bar := 0
		if most > 0 {
			bar = (b.Count*30 + most - 1) / most
		}
		m.f("| %s | %d | %s |\n", b.Label, b.Count, strings.Repeat("█", bar))
	}
	m.f("\n### Per service\n\n| Table | Service | Added | Removed | Changed | Unchanged | Median %% change |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, g := range d.Groups {
		m.f("| %s | %s | %d | %d | %d | %d | %s |\n", g.Table, g.Service, g.Added, g.Removed, g.Changed, g.Unchanged, medianText(g.MedianPct))
	}
	if len(d.TopMovers) > 0 {
		m.f("\n### Top movers\n\n| Table | Key | Old | New | Change | Workbook |\n|---|---|--:|--:|--:|---|\n")
		for _, c := range d.TopMovers {
			m.f("| %s | %s | %s | %s | %s | %s |\n", c.Table, md(c.Key), c.OldDisplay, c.NewDisplay, pctText(c.Pct), md(c.Location))
		}
	}
	m.refs("Added keys", d.AddedKeys, d.Added)
	m.refs("Removed keys", d.RemovedKeys, d.Removed)
}

// refs lists up to 20 keys of a diff list.
func (m *mdWriter) refs(title string, refs []PriceRef, total int) {
	if total == 0 {
		return
	}
	m.f("\n### %s (%d)\n\n", title, total)
	for i, r := range refs {
		if i == 20 {
			break
		}
		m.f("- %s %s: %s\n", r.Table, md(r.Key), r.Display)
	}
	if total > min(20, len(refs)) {
		m.f("- … and %d more\n", total-min(20, len(refs)))
	}
}

func medianText(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%+.2f%%", *p)
}

// mdWriter writes formatted text, keeping the first error.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) f(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// md escapes text for a Markdown table cell or list item.
var mdEscaper = strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`")

func md(s string) string { return mdEscaper.Replace(s) }
