package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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
