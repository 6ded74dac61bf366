package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Format is an output format of the report.
type Format string

// Report formats.
const (
	FormatHTML     Format = "html" // one self-contained HTML file
	FormatMarkdown Format = "md"   // Markdown for a pull request
	FormatJSON     Format = "json" // JSON following schema.json
)

// ParseFormat accepts html, md (or markdown) and json, in any case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "html", "htm":
		return FormatHTML, nil
	case "md", "markdown":
		return FormatMarkdown, nil
	case "json":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("unknown report format %q (want html, md or json)", s)
}

// Write renders the report in format f.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case FormatHTML:
		return r.WriteHTML(w)
	case FormatMarkdown:
		return r.WriteMarkdown(w)
	case FormatJSON:
		return r.WriteJSON(w)
	}
	return fmt.Errorf("unknown report format %q", f)
}

// WriteJSON writes the report as indented JSON (schema.json).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// statusMark is the short status label used in Markdown and HTML.
func statusMark(s Status) string {
	switch s {
	case StatusPass:
		return "✅ pass"
	case StatusWarning:
		return "⚠️ warning"
	case StatusFail:
		return "❌ fail"
	default:
		return "⏭ skipped"
	}
}

// verdictMark is the verdict label used in Markdown and HTML.
func verdictMark(v Verdict) string {
	switch v {
	case VerdictPass:
		return "✅ PASS"
	case VerdictWarnings:
		return "⚠️ WARNINGS"
	default:
		return "❌ FAIL"
	}
}

// orDash dereferences a string pointer, "—" when nil or empty.
func orDash(s *string) string {
	if s == nil || *s == "" {
		return "—"
	}
	return *s
}

// intOrDash renders an optional count.
func intOrDash(n *int64) string {
	if n == nil {
		return "—"
	}
	return fmt.Sprint(*n)
}

// pctText renders an optional % change with a sign.
func pctText(p *float64) string {
	if p == nil {
		return "from 0"
	}
	return fmt.Sprintf("%+.2f%%", *p)
}

// importedText renders when and by what the contract was imported.
func importedText(s Summary) string {
	if s.ImportedAt == nil {
		return "—"
	}
	return fmt.Sprintf("%s by %s (status %s)", s.ImportedAt.Format("2006-01-02 15:04:05 MST"),
		orDash(s.ImportToolVersion), orDash(s.ImportStatus))
}

// comparisonText says what the report compared the contract with, and why.
func comparisonText(s Summary) string {
	switch {
	case s.ComparedTo != nil && s.ComparisonReason != "":
		return "Compared to " + *s.ComparedTo + ": " + s.ComparisonReason + "."
	case s.ComparedTo != nil:
		return "Compared to " + *s.ComparedTo + "."
	case s.ComparisonReason != "":
		return "No comparison: " + s.ComparisonReason + "."
	}
	return "No comparison."
}

// cellsText says how exact the workbook locations are.
func cellsText(s Summary) string {
	if s.SourceCells {
		return "exact cells (recorded with the import)"
	}
	return "sheet, column and row key (the import's Excel rows are unknown)"
}

// groupLabel renders a table and service for people.
func groupLabel(table, service string) string {
	if service == "" {
		return table
	}
	return table + " " + service
}
