package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper":          func(v Verdict) string { return strings.ToUpper(string(v)) },
	"orDash":         orDash,
	"intOrDash":      intOrDash,
	"pctText":        pctText,
	"medianText":     medianText,
	"importedText":   importedText,
	"comparisonText": comparisonText,
	"cellsText":      cellsText,
	"inc":            func(i int) int { return i + 1 },
}).Parse(htmlTemplateText))

// htmlView is what the HTML template renders.
type htmlView struct {
	*Report
	RangeChart  template.HTML
	DiffChart   template.HTML
	TableCharts []template.HTML
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and inline SVG charts, no scripts and no external resources.
func (r *Report) WriteHTML(w io.Writer) error {
	v := htmlView{Report: r, RangeChart: rangeSVG(r.Statistics, 900)}
	if d := r.Diff; d != nil {
		v.DiffChart = histogramSVG("All changed prices: % change", d.Histogram, 900)
		for _, t := range diffTables(d) {
			v.TableCharts = append(v.TableCharts, histogramSVG(t.name, t.bins, 440))
		}
	}
	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

type tableBins struct {
	name string
	bins []Bin
}

// diffTables sums the group histograms per table, for tables with changes.
func diffTables(d *Diff) []tableBins {
	var out []tableBins
	for _, g := range d.Groups {
		if g.Changed == 0 {
			continue
		}
		if len(out) == 0 || out[len(out)-1].name != g.Table {
			out = append(out, tableBins{name: g.Table, bins: slices.Clone(ChangeBins)})
		}
		last := out[len(out)-1].bins
		for i, b := range g.Histogram {
			last[i].Count += b.Count
		}
	}
	return out
}
