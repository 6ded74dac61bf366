package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func renderReport(t *testing.T, r *Report, f Format) string {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// failingDiffReport has a failing check, warnings, and a diff with changes.
func failingDiffReport(t *testing.T) *Report {
	cur, prev := fixture("B"), fixture("A")
	mustRemove(t, cur, lhKey)
	mustSet(t, cur, saKey, valueOf(cur, saKey)*2)
	for i, p := range cur.Prices {
		if p.Table == Intl && p.Service == "ISLH" {
			cur.Prices[i].Value = p.Value * 104 / 100
		}
	}
	return Analyze(cur, prev, Options{})
}

func TestMarkdown(t *testing.T) {
	out := renderReport(t, failingDiffReport(t), FormatMarkdown)
	for _, want := range []string{
		"# Spot-check report: B", "**Verdict: ❌ FAIL**", "## Checks", "❌ fail | Linehaul prices (2a) are complete",
		"service area 452: 1 of 60 prices missing", "## Row counts", "| re_domestic_linehaul_prices | 719 | 720 |",
		"## Statistics per service", "## Diff against A", "### Top movers", "+100.00%", "### Removed keys (1)",
		"## Spot-check sample", "| 20 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(out, "<script") {
		t.Error("Markdown contains a script tag")
	}
	clean := renderReport(t, Analyze(fixture("A"), nil, Options{}), FormatMarkdown)
	if !strings.Contains(clean, "**Verdict: ✅ PASS**") || !strings.Contains(clean, "No other contract to compare to.") {
		t.Error("clean Markdown lacks the pass verdict or the no-diff note")
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	if got := md("a|b_c*d`e<f>"); got != `a\|b\_c\*d`+"\\`"+`e&lt;f&gt;` {
		t.Errorf("md = %q", got)
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	out := renderReport(t, failingDiffReport(t), FormatHTML)
	for _, want := range []string{"<!DOCTYPE html>", "<style>", "<svg", "All changed prices: % change", "Price range per service",
		"re_intl_prices", "class=\"verdict fail\"", "Spot-check sample"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "src=", "href=", "url(", "@import", "<link", "<iframe"} {
		if strings.Contains(strings.ToLower(out), banned) {
			t.Errorf("HTML contains %q: it must not load anything", banned)
		}
	}
}

func TestHTMLEscapesText(t *testing.T) {
	d := fixture("A")
	d.Name = `<img onerror=x>`
	out := renderReport(t, Analyze(d, nil, Options{}), FormatHTML)
	if strings.Contains(out, "<img") || !strings.Contains(out, "&lt;img onerror=x&gt;") {
		t.Error("contract name is not escaped")
	}
	svg := string(histogramSVG(`<b>&`, ChangeBins, 300))
	if strings.Contains(svg, "<b>") || !strings.Contains(svg, "&lt;b&gt;&amp;") {
		t.Errorf("SVG title not escaped: %s", svg[:200])
	}
}

func TestWriteFile(t *testing.T) {
	r := Analyze(fixture("A"), nil, Options{})
	dir := filepath.Join(t.TempDir(), "reports")
	for _, name := range []string{"A.html", "A.md", "A.json"} {
		path := filepath.Join(dir, name)
		f, ok := FormatOf(path)
		if !ok {
			t.Fatalf("FormatOf(%s) failed", name)
		}
		if err := r.WriteFile(path, f); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
		if data, _ := os.ReadFile(path); string(data) != renderReport(t, r, f) {
			t.Errorf("%s: content differs from the rendered report", name)
		}
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("report directory: %v, %v", di.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("directory holds %d entries, want the 3 reports only", len(entries))
	}
	if _, ok := FormatOf("report.pdf"); ok {
		t.Error("FormatOf(report.pdf) succeeded")
	}
	if err := r.WriteFile(filepath.Join(dir, "A.md", "x.md"), FormatMarkdown); err == nil {
		t.Error("writing below a file succeeded")
	}
}
