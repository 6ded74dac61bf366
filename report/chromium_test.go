package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumPath finds a headless-capable Chromium. Without one the test
// fails when CI is set (the CI image must provide it) and skips otherwise.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: CI must install it (apt-get install -y chromium)")
	}
	t.Skip("chromium not found; install it with apt-get install -y chromium to run the HTML rendering test")
	return ""
}

// renderInChromium opens the HTML file in headless Chromium, takes a
// screenshot and returns it with the console messages the page logged.
func renderInChromium(t *testing.T, chromium, htmlFile string) (image.Image, []string) {
	t.Helper()
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--window-size=1280,2400", "--screenshot="+shot,
		"file://"+htmlFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	var console []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") {
			console = append(console, line)
		}
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.String())
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding screenshot: %v", err)
	}
	return img, console
}

// inkShare returns the share of pixels that differ from the top-left
// (background) pixel, and the number of distinct colours.
func inkShare(img image.Image) (float64, int) {
	b := img.Bounds()
	bg := img.At(b.Min.X, b.Min.Y)
	br, bgG, bb, _ := bg.RGBA()
	ink, total := 0, 0
	colors := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r != br || g != bgG || bl != bb {
				ink++
			}
			if len(colors) < 1000 {
				colors[[3]uint32{r, g, bl}] = true
			}
		}
	}
	return float64(ink) / float64(total), len(colors)
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHTMLRendersInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	page := writeTemp(t, "report.html", renderReport(t, failingDiffReport(t), FormatHTML))
	img, console := renderInChromium(t, chromium, page)
	if len(console) > 0 {
		t.Errorf("the report logged console messages:\n%s", strings.Join(console, "\n"))
	}
	share, colors := inkShare(img)
	if share < 0.02 || colors < 8 {
		t.Errorf("screenshot looks blank: %.2f%% non-background pixels, %d colours", share*100, colors)
	}
}

// The detector itself must catch a broken page, or the test above proves
// nothing.
func TestChromiumDetectsConsoleErrorsAndBlankPages(t *testing.T) {
	chromium := chromiumPath(t)
	broken := writeTemp(t, "broken.html", `<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>`)
	img, console := renderInChromium(t, chromium, broken)
	if len(console) == 0 || !strings.Contains(strings.Join(console, "\n"), "undefinedFunction") {
		t.Errorf("console error not detected: %q", console)
	}
	if share, _ := inkShare(img); share > 0.001 {
		t.Errorf("blank page has %.2f%% ink", share*100)
	}
}

// layoutScript measures the rendered page and puts the result, as JSON,
// into the document title, which --dump-dom prints. It opens every
// <details> first, so collapsed tables are laid out too.
const layoutScript = `<script>
(() => {
  const out = {tokens: 0, wrapped: [], overflow: 0, texts: 0, clipped: [], overlaps: []};
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  for (const el of document.querySelectorAll('code.ref, code.tbl, code.id')) {
    out.tokens++;
    if (el.getClientRects().length !== 1) out.wrapped.push(el.textContent);
  }
  out.overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  for (const svg of document.querySelectorAll('svg.chart')) {
    const vb = svg.viewBox.baseVal, seen = [];
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox(), name = (svg.getAttribute('aria-label') || '') + ': ' + t.textContent;
      out.texts++;
      if (b.width === 0 || b.x < vb.x || b.y < vb.y || b.x + b.width > vb.x + vb.width || b.y + b.height > vb.y + vb.height) {
        out.clipped.push(name);
      }
      for (const o of seen) {
        if (b.x < o.b.x + o.b.width && o.b.x < b.x + b.width && b.y < o.b.y + o.b.height && o.b.y < b.y + b.height) {
          out.overlaps.push(name + ' / ' + o.name);
        }
      }
      seen.push({b, name});
    }
  }
  document.title = JSON.stringify(out);
})();
</script>`

// layout is what layoutScript reports.
type layout struct {
	Tokens   int      `json:"tokens"`   // cell references, table names and check ids
	Wrapped  []string `json:"wrapped"`  // tokens laid out on more than one line
	Overflow float64  `json:"overflow"` // how far the page scrolls sideways
	Texts    int      `json:"texts"`    // chart labels
	Clipped  []string `json:"clipped"`  // chart labels outside their chart
	Overlaps []string `json:"overlaps"` // pairs of chart labels that overlap
}

// measureLayout renders page in headless Chromium at the given window
// width and returns what layoutScript measured.
func measureLayout(t *testing.T, chromium, page string, width int) layout {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, []byte(strings.Replace(page, "</body>", layoutScript+"</body>", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--hide-scrollbars", fmt.Sprintf("--window-size=%d,1200", width), "--dump-dom", "file://"+file)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`<title>(\{.*?\})</title>`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("the layout script reported nothing at %d px:\n%s", width, stderr.String())
	}
	var l layout
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &l); err != nil {
		t.Fatalf("layout report: %v", err)
	}
	return l
}

// layoutReport has what stresses the layout: long cell references and
// table names in every section, a diff with changes in every price table
// and every % bin, groups of findings and added and removed keys.
func layoutReport(t *testing.T) *Report {
	t.Helper()
	cur, prev := fixture("B"), fixture("A")
	pcts := []int64{-30, -15, -7, -3, -1, 1, 3, 7, 15, 30}
	for i, p := range cur.Prices {
		if i%5 != 0 { // most prices change, some stay: stale-price findings
			cur.Prices[i].Value = p.Value * (100 + pcts[i%len(pcts)]) / 100
		}
	}
	mustRemove(t, cur, lhKey)
	mustRemove(t, prev, saKey)
	return Analyze(cur, prev, Options{})
}

// TestHTMLLayout renders a report at a narrow and a wide window and checks
// that no cell reference, table name or check id wraps, that the page does
// not scroll sideways (wide tables scroll within their box), and that no
// chart label overlaps another or leaves its chart.
func TestHTMLLayout(t *testing.T) {
	chromium := chromiumPath(t)
	r := layoutReport(t)
	page := renderReport(t, r, FormatHTML)
	minTokens := len(r.Sample) + len(r.Counts) + len(r.Statistics) + len(r.Checks)
	for _, width := range []int{800, 1280} {
		l := measureLayout(t, chromium, page, width)
		if l.Tokens < minTokens {
			t.Errorf("%d px: %d cell references, table names and check ids marked as tokens, want at least %d", width, l.Tokens, minTokens)
		}
		if len(l.Wrapped) > 0 {
			t.Errorf("%d px: %d tokens wrap, e.g. %q", width, len(l.Wrapped), l.Wrapped[:min(5, len(l.Wrapped))])
		}
		if l.Overflow > 0 {
			t.Errorf("%d px: the page scrolls sideways by %.0f px", width, l.Overflow)
		}
		if l.Texts < 100 {
			t.Errorf("%d px: only %d chart labels measured", width, l.Texts)
		}
		if len(l.Clipped) > 0 {
			t.Errorf("%d px: chart labels outside their chart: %q", width, l.Clipped)
		}
		if len(l.Overlaps) > 0 {
			t.Errorf("%d px: %d overlapping chart labels, e.g. %q", width, len(l.Overlaps), l.Overlaps[:min(5, len(l.Overlaps))])
		}
	}
}

// The layout checks must catch a wrapping token, a page wider than the
// window and overlapping or clipped chart labels, or the test above proves
// nothing.
func TestLayoutDetectsProblems(t *testing.T) {
	chromium := chromiumPath(t)
	page := `<!DOCTYPE html><html><body style="margin:0">
<div style="width:120px"><code class="ref" style="word-break:break-all">'2a) Domestic Linehaul Prices'!AM24</code></div>
<div style="width:2000px">wide</div>
<svg class="chart" viewBox="0 0 100 50" width="100" height="50"><text x="10" y="20">one two</text><text x="12" y="22">three</text><text x="90" y="45">clipped label</text></svg>
</body></html>`
	l := measureLayout(t, chromium, page, 800)
	if l.Tokens != 1 || len(l.Wrapped) != 1 || l.Overflow <= 0 || l.Texts != 3 || len(l.Clipped) != 1 || len(l.Overlaps) != 1 {
		t.Errorf("problems not detected: %+v", l)
	}
}
