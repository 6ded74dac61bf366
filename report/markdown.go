package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as Markdown suitable for a pull request,
// in the order a reviewer works: verdict and comparison, the spot-check
// sample as a task list to tick off, then checks, counts, statistics and
// the diff. Long lists sit in collapsed <details> blocks.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m := &mdWriter{w: bw}
	s := r.Summary
	m.f("# Spot-check report: %s\n\n", md(s.ContractCode))
	m.f("**Verdict: %s** — %d failed and %d warning checks of %d.\n\n", verdictMark(s.Verdict),
		s.FailedChecks, s.WarningChecks, len(r.Checks))
	m.f("%s\n\n", md(comparisonText(s)))
	m.sample(r.Sample)

	m.f("## Contract\n\n| | |\n|---|---|\n")
	m.f("| Contract | %s (%s) |\n", md(s.ContractCode), md(s.ContractName))
	m.f("| Workbook | %s |\n", md(orDash(s.WorkbookName)))
	m.f("| Workbook SHA-256 | `%s` |\n", orDash(s.WorkbookSHA256))
	m.f("| Imported | %s |\n", md(importedText(s)))
	m.f("| Compared to | %s |\n", md(orDash(s.ComparedTo)))
	m.f("| Workbook cells | %s |\n", cellsText(s))
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
		m.groups(c.Groups)
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
		m.f("\n## Diff\n\nNo diff: %s.\n", md(s.ComparisonReason))
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

// sample writes the spot-check sample as a task list.
func (m *mdWriter) sample(rows []SampleRow) {
	m.f("## Spot-check sample\n\n")
	if len(rows) == 0 {
		m.f("The contract has no prices to sample.\n\n")
		return
	}
	m.f("Paste each reference into Excel's Name Box (left of the formula bar), compare the value and tick the box.\n\n")
	for _, s := range rows {
		m.f("- [ ] %s **%s** — %s · %s\n", mdLocation(s.Ref, s.Location), md(s.Display), s.Table, md(s.Key))
	}
	m.f("\n")
}

// groups lists a check's findings: one line per finding that stands alone,
// and for findings that say the same thing about many prices or rows, one
// line with their number and the list collapsed below it.
func (m *mdWriter) groups(groups []FindingGroup) {
	for _, g := range groups {
		if g.Count == 1 && len(g.Findings) == 1 {
			f := g.Findings[0]
			m.f("- **%s** %s", f.Severity, md(f.Message))
			if f.Value != nil {
				m.f(" (value %s)", md(*f.Value))
			}
			if f.Location != "" {
				m.f(" — %s", mdLocation(f.Ref, f.Location))
			}
			m.f("\n\n")
			continue
		}
		m.f("- **%s** %s\n\n", g.Severity, md(g.Summary))
		shown := fmt.Sprintf("the %d", len(g.Findings))
		if g.Truncated {
			shown = fmt.Sprintf("the first %d of %d", len(g.Findings), g.Count)
		}
		m.f("<details><summary>Show %s</summary>\n\n| Finding | Key | Value | Workbook |\n|---|---|--:|---|\n", shown)
		for _, f := range g.Findings {
			value := "—"
			if f.Value != nil {
				value = md(*f.Value)
			}
			m.f("| %s | %s | %s | %s |\n", md(f.Message), md(f.Key), value, mdLocation(f.Ref, f.Location))
		}
		m.f("\n</details>\n\n")
	}
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
			m.f("| %s | %s | %s | %s | %s | %s |\n", c.Table, md(c.Key), c.OldDisplay, c.NewDisplay, pctText(c.Pct), mdLocation(c.Ref, c.Location))
		}
	}
	m.refs("Added keys", d.AddedKeys, d.Added)
	m.refs("Removed keys", d.RemovedKeys, d.Removed)
}

// refs lists the keys of a diff list, collapsed.
func (m *mdWriter) refs(title string, refs []PriceRef, total int) {
	if total == 0 {
		return
	}
	m.f("\n### %s (%d)\n\n", title, total)
	shown := fmt.Sprintf("the %d", len(refs))
	if total > len(refs) {
		shown = fmt.Sprintf("the first %d of %d", len(refs), total)
	}
	m.f("<details><summary>Show %s</summary>\n\n| Table | Key | Value |\n|---|---|--:|\n", shown)
	for _, r := range refs {
		m.f("| %s | %s | %s |\n", r.Table, md(r.Key), r.Display)
	}
	m.f("\n</details>\n")
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

// mdLocation renders a workbook location: an exact reference as code (so
// it copies as is), otherwise the sheet, column and key as text.
func mdLocation(ref, location string) string {
	if ref == "" {
		return md(location)
	}
	return mdCode(ref)
}

// mdCode renders s as a code span usable in a table cell: fenced with more
// backticks than s holds in a row, pipes escaped (GFM tables split on them
// even inside code).
func mdCode(s string) string {
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	pad := ""
	if longest > 0 {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "|", `\|`) + pad + fence
}
