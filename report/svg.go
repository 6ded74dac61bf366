package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"unicode/utf8"
)

// histogramSVG draws a % change distribution as an inline SVG bar chart.
// All text is escaped; the result is safe to embed in HTML.
func histogramSVG(title string, bins []Bin, width int) template.HTML {
	// top leaves room for the title above the tallest bar's count; bottom
	// for bin labels of two lines.
	const height, top, bottom, left = 160, 38, 36, 8
	most := 0
	for _, b := range bins {
		most = max(most, b.Count)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(&s, `<text x="%d" y="16" class="ct">%s</text>`, left, html.EscapeString(title))
	n := len(bins)
	slot := float64(width-2*left) / float64(max(n, 1))
	plot := float64(height - top - bottom)
	for i, b := range bins {
		x := float64(left) + float64(i)*slot
		h := 0.0
		if most > 0 {
			h = plot * float64(b.Count) / float64(most)
		}
		y := float64(top) + plot - h
		class := "bar"
		if b.Upper != nil && *b.Upper <= 0 {
			class = "bar neg"
		}
		fmt.Fprintf(&s, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			class, x+2, y, slot-4, h, html.EscapeString(b.Label), b.Count)
		if b.Count > 0 {
			fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" class="cv">%d</text>`, x+slot/2, y-3, b.Count)
		}
		binLabel(&s, b.Label, x+slot/2, height-bottom+14, slot-4)
	}
	fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="axis"/>`, left, width-left, height-bottom, height-bottom)
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) //nolint:gosec // built from escaped text only
}

// labelWidth estimates, generously, the width of text in a chart label of
// the given font size: digits take about 0.55 em in the sans-serif fonts a
// report is viewed with, "…", "−" and "%" up to 1 em.
func labelWidth(text string, size float64) float64 {
	return float64(utf8.RuneCountInString(text)) * size * 0.75
}

// fitLabel shortens text with "…" until it fits room at the given font
// size (the chart keeps the whole text in its tooltip).
func fitLabel(text string, size, room float64) string {
	if labelWidth(text, size) <= room {
		return text
	}
	r := []rune(text)
	for len(r) > 1 && labelWidth(string(r)+"…", size) > room {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// binLabel writes a bin label centred at x on baseline y; when it is wider
// than room, it breaks after its "…" into two lines, so neighbouring labels
// never overlap.
func binLabel(s *strings.Builder, label string, x float64, y int, room float64) {
	i := strings.Index(label, "…")
	if i < 0 || labelWidth(label, 10) <= room {
		fmt.Fprintf(s, `<text x="%.1f" y="%d" class="cl">%s</text>`, x, y, html.EscapeString(label))
		return
	}
	cut := i + len("…")
	fmt.Fprintf(s, `<text x="%.1f" y="%d" class="cl"><tspan x="%.1f">%s</tspan><tspan x="%.1f" dy="11">%s</tspan></text>`,
		x, y, x, html.EscapeString(label[:cut]), x, html.EscapeString(label[cut:]))
}

// dollars converts a stored value to the number a chart plots: dollars for
// prices, the factor itself for shipment-type factors.
func dollars(v float64, u Unit) float64 {
	if u == Millicents {
		return v / 1e5
	}
	return v / 100
}

// rangeSVG draws each service group's min–max range and median on a shared
// logarithmic axis (zero values sit at the axis minimum).
func rangeSVG(stats []ServiceStats, width int) template.HTML {
	// top leaves room for the title above the axis labels, right for the
	// last axis label, centred on the plot's right edge.
	const rowH, top, labelW, right = 18, 44, 300, 32
	lo, hi := math.Inf(1), 0.0
	for _, s := range stats {
		for _, v := range []float64{dollars(float64(s.Min), s.Unit), dollars(float64(s.Max), s.Unit)} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi == 0 {
		lo, hi = 0.01, 1
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	plotW := float64(width - labelW - right)
	xOf := func(v float64) float64 {
		v = math.Max(v, lo)
		return float64(labelW) + plotW*(math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))
	}
	height := top + rowH*len(stats) + 8
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="price ranges per service">`,
		width, height, width, height)
	s.WriteString(`<text x="4" y="14" class="ct">Price range per service (min–max, dot = median; log scale, dollars or factor)</text>`)
	for d := lo; d <= hi*1.0001; d *= 10 {
		x := xOf(d)
		fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>`, x, x, top-4, height-8)
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="cv">%s</text>`, x, top-8, html.EscapeString(axisLabel(d)))
	}
	for i, st := range stats {
		y := float64(top + rowH*i + rowH/2)
		x1, x2 := xOf(dollars(float64(st.Min), st.Unit)), xOf(dollars(float64(st.Max), st.Unit))
		xm := xOf(dollars(st.Median, st.Unit))
		label := groupLabel(st.Table, st.Service)
		fmt.Fprintf(&s, `<text x="%d" y="%.1f" class="rl">%s</text>`, labelW-6, y+4, html.EscapeString(fitLabel(label, 11, labelW-10)))
		fmt.Fprintf(&s, `<rect class="range" x="%.1f" y="%.1f" width="%.1f" height="8"><title>%s: %s – %s (median %s)</title></rect>`,
			x1, y-4, math.Max(x2-x1, 2), html.EscapeString(label), html.EscapeString(st.MinDisplay),
			html.EscapeString(st.MaxDisplay), html.EscapeString(st.MedianDisplay))
		fmt.Fprintf(&s, `<circle class="med" cx="%.1f" cy="%.1f" r="3.5"/>`, xm, y)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) //nolint:gosec // built from escaped text only
}

// axisLabel renders a power of ten for the range chart's axis.
func axisLabel(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%g", v)
	}
	return fmt.Sprintf("%.0f", v)
}
