package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want summary
	}{
		{"empty", nil, summary{}},
		{"one", []float64{2}, summary{median: 2, min: 2, max: 2, n: 1}},
		{"odd", []float64{3, 1, 2}, summary{median: 2, min: 1, max: 3, n: 3}},
		{"even", []float64{4, 1, 3, 2}, summary{median: 2.5, min: 1, max: 4, n: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummarizeKeepsInput(t *testing.T) {
	in := []float64{3, 1, 2}
	summarize(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("summarize reordered its input: %v", in)
	}
}

func TestRatios(t *testing.T) {
	got := ratios([]float64{2, 3, 4, 9}, []float64{1, 0, 2})
	want := []float64{2, 2}
	if len(got) != len(want) {
		t.Fatalf("ratios = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ratios[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestBelow(t *testing.T) {
	tests := []struct {
		name      string
		value     float64
		limit     float64
		inclusive bool
		met       bool
		miss      string
	}{
		{"under", 1, 1.5, false, true, ""},
		{"at limit, strict", 1.5, 1.5, false, false, "over by 0.00× (0%)"},
		{"at limit, inclusive", 1.5, 1.5, true, true, ""},
		{"over", 3, 1.5, true, false, "over by 1.50× (100%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := below("target", tt.value, tt.limit, tt.inclusive, fmtTimes)
			if c.met != tt.met || c.miss != tt.miss {
				t.Errorf("below(%v, %v) = met %v miss %q, want met %v miss %q", tt.value, tt.limit, c.met, c.miss, tt.met, tt.miss)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtSeconds(0.0042), "4.2 ms"},
		{fmtSeconds(0.5), "500 ms"},
		{fmtSeconds(1.234), "1.23 s"},
		{fmtSeconds(61.25), "61.2 s"},
		{fmtWall(summary{median: 1, min: 0.5, max: 2, n: 3}), "1.00 s (500 ms–2.00 s)"},
		{fmtWall(summary{}), "–"},
		{fmtRatio(summary{median: 1.234, min: 1.1, max: 1.5, n: 5}), "1.23× (1.10–1.50)"},
		{fmtBytes(123_456_789), "123 MB"},
		{fmtBytes(0), "–"},
		{groupThousands(1234567), "1,234,567"},
		{groupThousands(-1000), "-1,000"},
		{groupThousands(999), "999"},
		{fmtRate(12345.4, "rows"), "12,345 rows/s"},
		{times(1), "once"},
		{times(3), "3 times"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestProductionPath(t *testing.T) {
	out := "placeholder: migrations/secure/x.up.sql\nproduction:  tmp/secure/20261121_x.up.sql\nlock: updated\n"
	if got := productionPath(out); got != "tmp/secure/20261121_x.up.sql" {
		t.Errorf("productionPath = %q", got)
	}
	if got := productionPath("nothing here"); got != "" {
		t.Errorf("productionPath without the line = %q, want empty", got)
	}
}

const perfSample = `# Samples: 1K of event 'cpu-clock:ppp'
#
# Overhead  Command    Shared Object      Symbol
# ........  .........  .................  ......
#
    40.00%  swapper    [kernel.kallsyms]  [k] default_idle
    30.00%  securemig  securemig          [.] runtime.scanobject
    20.00%  postgres   postgres           [.] CopyReadLine
     5.00%  securemig  securemig          [.] github.com/securemig/securemig/parser.(*sheet).row
     5.00%  perf       perf               [.] main
`

func TestSummarizePerf(t *testing.T) {
	got := summarizePerf(perfSample, 2)
	for _, want := range []string{"securemig 35.0%, postgres 20.0%\n", "runtime.scanobject", "CopyReadLine"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"default_idle", "parser.(*sheet).row", "perf  "} {
		if strings.Contains(got, unwanted) {
			t.Errorf("summary has %q:\n%s", unwanted, got)
		}
	}
	if got := summarizePerf("# only comments\n", 5); got != "no samples from the stage's processes" {
		t.Errorf("empty report summary = %q", got)
	}
}

func TestParsePerfLine(t *testing.T) {
	e, ok := parsePerfLine("    12.50%  postgres  libc.so.6  [.] __memmove_avx_unaligned_erms")
	if !ok || e.pct != 12.5 || e.comm != "postgres" || e.dso != "libc.so.6" || e.symbol != "__memmove_avx_unaligned_erms" {
		t.Errorf("parsePerfLine = %+v, %v", e, ok)
	}
	for _, l := range []string{"", "# 12.00% comment", "   Percent only%", "abc% a b c d"} {
		if _, ok := parsePerfLine(l); ok {
			t.Errorf("parsePerfLine(%q) accepted", l)
		}
	}
}

func TestWriteTableAndChecks(t *testing.T) {
	rs := []result{
		{stage: "parse", sample: "full size", what: "a|b", runs: 5,
			wall: summary{median: 1, min: 1, max: 1, n: 5}, rss: 50e6, rate: "10 rows/s",
			baseline: "floor", baseWall: summary{median: 0.5, min: 0.5, max: 0.5, n: 5},
			ratio:  summary{median: 2, min: 2, max: 2, n: 5},
			checks: []check{below("parse ≤ 1.5×", 2, 1.5, true, fmtTimes)}},
		{stage: "apply", sample: "full size", what: "migrate", note: "securemig migrate is not implemented yet"},
		{stage: "apply", sample: "x", what: "migrate", runs: 5, note: "loaded 1 rows, psql 2"},
	}
	var sb strings.Builder
	writeTable(&sb, rs)
	table := sb.String()
	for _, want := range []string{`a\|b`, "| 5 |", "1.00 s", "50 MB", "10 rows/s", "500 ms", "2.00× (2.00–2.00)",
		"securemig migrate is not implemented yet", "| migrate — **loaded 1 rows, psql 2** | 5 |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	sb.Reset()
	writeChecks(&sb, rs)
	checks := sb.String()
	for _, want := range []string{"| parse ≤ 1.5× | 2.00× | **no**, over by 0.50× (33%) |", "apply (full size) | not measured"} {
		if !strings.Contains(checks, want) {
			t.Errorf("checks lack %q:\n%s", want, checks)
		}
	}
	sb.Reset()
	rs[0].profile = "top entries"
	writeDocument(&sb, header{date: "today", command: "make bench", notes: []string{"a note"}}, rs)
	doc := sb.String()
	for _, want := range []string{"# Benchmarks", "Command: `make bench`", "## Targets", "### parse, full size", "top entries", "- a note"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-quick"})
	if err != nil {
		t.Fatal(err)
	}
	if c.scale != 0 || c.uploadMiB != 0 || c.out != "" || c.runs != 1 || c.profile || c.wants("pipeline") || !c.wants("apply") || c.pairs != 5 ||
		c.benchfmt != "tmp/bench/results-quick.txt" {
		t.Errorf("-quick: %+v, want full size only, one run, 5 pairs, no pipeline, profile or document", c)
	}
	c, err = parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.scale != 25 || c.uploadMiB != 1024 || c.out != "docs/benchmarks.md" || c.pairs != 5 || c.benchfmt != "tmp/bench/results.txt" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parseFlags([]string{"-quick", "-scale", "4", "-only", "parse, apply"})
	if err != nil {
		t.Fatal(err)
	}
	if c.scale != 4 || !c.wants("apply") || c.wants("import") {
		t.Errorf("-quick -scale 4 -only parse,apply: %+v", c)
	}
	for _, bad := range [][]string{{"-pairs", "4"}, {"-runs", "0"}, {"extra"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%v) accepted", bad)
		}
	}
}

func TestChildRun(t *testing.T) {
	ctx := context.Background()
	s, err := child{name: "ok", argv: []string{"sh", "-c", "echo hello"}}.run(ctx)
	if err != nil || strings.TrimSpace(s.stdout) != "hello" || s.maxRSS <= 0 || s.wall <= 0 {
		t.Errorf("ok child: %+v, %v", s, err)
	}
	s, err = child{name: "warn", argv: []string{"sh", "-c", "exit 1"}, okCodes: []int{1}}.run(ctx)
	if err != nil || s.exitCode != 1 {
		t.Errorf("exit 1 allowed: %+v, %v", s, err)
	}
	_, err = child{name: "bad", argv: []string{"sh", "-c", "echo first >&2; echo 'last words' >&2; exit 3"}}.run(ctx)
	if err == nil || !strings.Contains(err.Error(), "bad: exit 3: last words") {
		t.Errorf("failing child error = %v", err)
	}
	_, err = child{name: "slow", argv: []string{"sleep", "10"}, timeout: 50 * time.Millisecond}.run(ctx)
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("timed-out child error = %v", err)
	}
	_, err = child{name: "missing", argv: []string{"/nonexistent/program"}}.run(ctx)
	if err == nil || !strings.Contains(err.Error(), "missing: exit 127") {
		t.Errorf("missing program error = %v", err)
	}
}

// TestChildPeakMemory checks that a child's peak memory is its own, not
// this (larger) process's: Linux hands a vforked child its parent's peak
// RSS at exec.
func TestChildPeakMemory(t *testing.T) {
	ballast := make([]byte, 300<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	s, err := child{name: "true", argv: []string{"true"}}.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.maxRSS <= 0 || s.maxRSS > 100<<20 {
		t.Errorf("peak RSS of 'true' = %d bytes, want its own few megabytes (this process holds %d)", s.maxRSS, len(ballast))
	}
	if s.cpu < 0 || s.wall <= 0 {
		t.Errorf("cpu %v wall %v", s.cpu, s.wall)
	}
}

func TestReadUsage(t *testing.T) {
	u, err := readUsage(strings.NewReader("1500 2048 700\n"))
	if err != nil || u.wall != 1500 || u.maxRSS != 2048*1024 || u.cpu != 700 {
		t.Errorf("readUsage = %+v, %v", u, err)
	}
	if _, err := readUsage(strings.NewReader("")); err == nil {
		t.Error("readUsage of nothing succeeded")
	}
}

func TestTail(t *testing.T) {
	tl := &tail{max: 4}
	for _, s := range []string{"abc", "defgh", "ij"} {
		tl.Write([]byte(s))
	}
	if got := tl.String(); !strings.HasSuffix(got, "ghij") || len(got) > 8 {
		t.Errorf("tail kept %q", got)
	}
}

func TestWriteFiller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f.up.sql")
	const size = 1000
	sum, err := writeFiller(path, size)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != size {
		t.Errorf("size %d, want %d", len(data), size)
	}
	want := sha256.Sum256(data)
	if sum != hex.EncodeToString(want[:]) {
		t.Errorf("digest %s does not match the file", sum)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

// writeWorkbook writes a workbook with the given sheets, each holding rows
// rows of cols cells.
func writeWorkbook(t *testing.T, sheets []string, rows, cols int) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r := 1; r <= rows; r++ {
			for c := 1; c <= cols; c++ {
				cellName, _ := excelize.CoordinatesToCellName(c, r)
				if err := f.SetCellValue(name, cellName, r*c); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), "w.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFloor(t *testing.T) {
	// 19 tabs: the data sheets by name at their positions, other tabs
	// named as fillers.
	names := make([]string, 19)
	for i := range names {
		names[i] = "filler " + string(rune('a'+i))
	}
	for _, ds := range dataSheets {
		names[ds.index] = ds.name
	}
	path := writeWorkbook(t, names, 3, 2)
	rows, cells, err := floor(path)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 12*3 || cells != 12*3*2 {
		t.Errorf("floor = %d rows, %d cells, want 36 and 72 (data sheets only)", rows, cells)
	}

	// A renamed data sheet is found by position.
	names[4] = "renamed service areas"
	path = writeWorkbook(t, names, 2, 1)
	if rows, _, err = floor(path); err != nil || rows != 24 {
		t.Errorf("renamed sheet: %d rows, %v; want 24", rows, err)
	}

	// Too few tabs is an error naming the missing sheet.
	path = writeWorkbook(t, []string{"only"}, 1, 1)
	if _, _, err = floor(path); err == nil || !strings.Contains(err.Error(), "1b) Service Areas") {
		t.Errorf("short workbook error = %v", err)
	}
}

func TestWatchTree(t *testing.T) {
	// A shell whose child lives until the test ends it: the watcher is
	// started once both exist, so its first scan must find both, however
	// slow the machine.
	cmd := exec.Command("sh", "-c", "sleep 600 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	shell := cmd.Process.Pid
	t.Cleanup(func() {
		for _, p := range childrenOf(shell) {
			syscall.Kill(p, syscall.SIGKILL)
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(time.Minute)
	for len(childrenOf(shell)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the shell started no child within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sleeper := childrenOf(shell)[0]
	w := watchTree([]int{os.Getpid()})
	pids := w.stop()
	seen := map[int]bool{}
	for _, p := range pids {
		seen[p] = true
	}
	for _, want := range []int{os.Getpid(), shell, sleeper} {
		if !seen[want] {
			t.Errorf("watched %v: want the root %d, the shell %d and its child %d", pids, os.Getpid(), shell, sleeper)
		}
	}
	if seen[1] {
		t.Errorf("watched %v: init is not a descendant", pids)
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentPID(p); ok && pp == pid {
			out = append(out, p)
		}
	}
	return out
}

func TestParentPID(t *testing.T) {
	if pp, ok := parentPID(os.Getpid()); !ok || pp != os.Getppid() {
		t.Errorf("parentPID(self) = %d, %v; want %d", pp, ok, os.Getppid())
	}
	if _, ok := parentPID(-1); ok {
		t.Error("parentPID(-1) succeeded")
	}
}

func TestCPUByProcess(t *testing.T) {
	script := strings.Repeat("securemig 10\n", 5) + strings.Repeat("postgres 20\n", 2) +
		"postgres 99\nswapper 0\nperf 10\nmy prog 30\n"
	got := cpuByProcess(script, []int{10, 20, 30}, 11)
	want := "profiled run, CPU time by process (of 11.0 core-seconds): securemig 5.00 s, postgres 2.00 s, my prog 1.00 s\n"
	if got != want {
		t.Errorf("cpuByProcess = %q, want %q", got, want)
	}
	if got := cpuByProcess("", nil, 1); !strings.Contains(got, "no samples") {
		t.Errorf("empty script: %q", got)
	}
}

func TestGenPhases(t *testing.T) {
	out := "production: tmp/secure/x.up.sql\ntiming: prepare 0.020s, dump 0.140s, commit 0.005s, total 0.230s\n"
	got := genPhases(out)
	want := map[string]float64{"prepare": 0.02, "dump": 0.14, "commit": 0.005, "total": 0.23}
	if len(got) != len(want) {
		t.Fatalf("genPhases = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("genPhases[%q] = %v, want %v", k, got[k], v)
		}
	}
	if len(genPhases("no timing here")) != 0 {
		t.Error("phases found without a timing line")
	}
	detail := phaseDetail([]map[string]float64{got, got}, []float64{0.1, 0.07})
	for _, w := range []string{"dump 140 ms (140 ms–140 ms) = 1.70× (1.40–2.00) bare pg_dump", "prepare 20 ms", "commit 5.0 ms", "total 230 ms"} {
		if !strings.Contains(detail, w) {
			t.Errorf("phaseDetail lacks %q: %s", w, detail)
		}
	}
	if phaseDetail(nil, nil) != "" || phaseDetail([]map[string]float64{{}}, nil) != "" {
		t.Error("phaseDetail without phases is not empty")
	}
}
