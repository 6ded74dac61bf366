package report

import (
	"bytes"
	"html"
	"os"
	"path/filepath"
	"regexp"
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
		"## Spot-check sample", "- [ ] `'2a) Domestic Linehaul Prices'!",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(out, "<script") {
		t.Error("Markdown contains a script tag")
	}
	clean := renderReport(t, Analyze(fixture("A"), nil, Options{}), FormatMarkdown)
	if !strings.Contains(clean, "**Verdict: ✅ PASS**") || !strings.Contains(clean, "No diff: no contract to compare to.") {
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

// TestSampleRightUnderTheVerdict checks that both formats put the
// spot-check sample, with Excel references and a checkbox per row, right
// under the verdict and the comparison.
func TestSampleRightUnderTheVerdict(t *testing.T) {
	r := failingDiffReport(t)
	if len(r.Sample) < 18 {
		t.Fatalf("sample of %d rows", len(r.Sample))
	}
	for _, s := range r.Sample {
		if s.Ref == "" || !strings.HasPrefix(s.Ref, "'") || !strings.HasSuffix(s.Ref, "'!"+s.Cell) {
			t.Errorf("%s: ref %q for cell %q of %q", s.Key, s.Ref, s.Cell, s.Sheet)
		}
	}

	out := renderReport(t, r, FormatMarkdown)
	sections := regexp.MustCompile(`(?m)^## .*$`).FindAllString(out, 3)
	if len(sections) < 2 || sections[0] != "## Spot-check sample" {
		t.Errorf("Markdown sections start %q, want the sample first", sections)
	}
	head := out[:strings.Index(out, "## Spot-check sample")]
	if !strings.Contains(head, "**Verdict: ❌ FAIL**") || !strings.Contains(head, "Compared to A: ") {
		t.Errorf("Markdown does not open with the verdict and the comparison:\n%s", head)
	}
	items := regexp.MustCompile("(?m)^- \\[ \\] `([^`]+)` \\*\\*").FindAllStringSubmatch(out, -1)
	if len(items) != len(r.Sample) {
		t.Fatalf("Markdown has %d unticked task items with a reference, want %d", len(items), len(r.Sample))
	}
	for i, it := range items {
		if it[1] != r.Sample[i].Ref {
			t.Errorf("task %d: reference %s, want %s", i+1, it[1], r.Sample[i].Ref)
		}
	}

	page := renderReport(t, r, FormatHTML)
	iSample, iContract, iChecks := strings.Index(page, `<h2 id="sample">`), strings.Index(page, "<h2>Contract"), strings.Index(page, "<h2>Checks")
	if iSample < 0 || iSample > iContract || iSample > iChecks || iSample < strings.Index(page, `class="verdict`) {
		t.Errorf("HTML: sample at %d, contract at %d, checks at %d: the sample must come right after the verdict", iSample, iContract, iChecks)
	}
	if n := strings.Count(page, `<input type="checkbox"`); n != len(r.Sample) {
		t.Errorf("HTML has %d checkboxes, want %d", n, len(r.Sample))
	}
	for _, s := range r.Sample {
		if !strings.Contains(page, `<code class="ref">`+html.EscapeString(s.Ref)+`</code>`) {
			t.Errorf("HTML lacks the reference %s", s.Ref)
		}
	}
}

// TestRepeatedFindingsAreGrouped checks that findings saying the same
// thing about many prices become one line with their number and the list
// collapsed, in JSON, Markdown and HTML.
func TestRepeatedFindingsAreGrouped(t *testing.T) {
	cur, prev := fixture("B"), fixture("A")
	unchanged := 0
	for i, p := range cur.Prices {
		if p.Table != Intl || p.Service != "ISLH" {
			continue
		}
		if unchanged < 7 { // most ISLH prices change: these 7 are stale
			unchanged++
			continue
		}
		cur.Prices[i].Value = p.Value * 104 / 100
	}
	r := Analyze(cur, prev, Options{})
	c := checkByID(t, r, "anomaly.unchanged")
	if c.Count != 7 || len(c.Groups) != 1 || c.Groups[0].Count != 7 || len(c.Groups[0].Findings) != 7 {
		t.Fatalf("unchanged check: %d findings in %d groups %+v", c.Count, len(c.Groups), c.Groups)
	}
	summary := c.Groups[0].Summary
	if want := "7 prices unchanged since A while 137 of 144 re_intl_prices ISLH prices changed"; summary != want {
		t.Errorf("group summary %q, want %q", summary, want)
	}

	out := renderReport(t, r, FormatMarkdown)
	section := out[strings.Index(out, "No stale prices where most changed\n\n"):]
	section = section[:strings.Index(section, "\n## ")]
	if n := strings.Count(section, "unchanged since A"); n != 8 { // the summary line and 7 collapsed rows
		t.Errorf("Markdown mentions the stale prices %d times, want 8:\n%s", n, section)
	}
	if !strings.Contains(section, "- **warning** "+md(summary)+"\n\n<details><summary>Show the 7</summary>") ||
		strings.Count(section, "</details>") != 1 || strings.Count(section, "- **warning**") != 1 {
		t.Errorf("Markdown does not group the stale prices under one line with a collapsed list:\n%s", section)
	}

	page := renderReport(t, r, FormatHTML)
	group := regexp.MustCompile(`(?s)<details>\s*<summary><span class="badge b-warning">warning</span> ` +
		regexp.QuoteMeta(html.EscapeString(summary)) + `</summary>(.*?)</details>`).FindStringSubmatch(page)
	if group == nil {
		t.Fatal("HTML lacks a collapsed group of the stale prices")
	}
	if n := strings.Count(group[1], "<tr><td>unchanged since A"); n != 7 {
		t.Errorf("the HTML group lists %d prices, want 7", n)
	}
	if n := strings.Count(page, "unchanged since A"); n != 8 {
		t.Errorf("HTML mentions the stale prices %d times, want 8 (one summary, 7 collapsed rows)", n)
	}
}
