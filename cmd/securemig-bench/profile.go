package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// profileTop is the number of symbols listed for a missed target.
const profileTop = 15

// maybeProfile runs one extra, unmeasured run of t under a system-wide CPU
// profiler when r misses a target, and stores the top entries of the
// stage's own processes (this driver, its children, and the backends of the
// benchmark's PostgreSQL server) in r.profile.
func (b *bench) maybeProfile(ctx context.Context, r *result, t trial) {
	missed := false
	for _, c := range r.checks {
		missed = missed || !c.met
	}
	if !missed || !b.cfg.profile || ctx.Err() != nil {
		return
	}
	perf, err := exec.LookPath("perf")
	if err != nil {
		r.profile = "no profile: perf is not installed (apt-get install linux-perf)"
		return
	}
	data := filepath.Join(b.work, fmt.Sprintf("perf-%s-%s.data", strings.ReplaceAll(r.stage, " ", ""), strings.ReplaceAll(r.sample, " ", "")))
	b.logf("profiling %s, %s (target missed) ...", r.stage, r.sample)
	wrap := func(argv []string) []string {
		return append([]string{perf, "record", "-q", "-a", "-F", "999", "-o", data, "--"}, argv...)
	}
	roots := []int{os.Getpid()}
	if pm := b.postmasterPID(ctx); pm > 0 {
		roots = append(roots, pm)
	}
	w := watchTree(roots)
	s, err := t(ctx, wrap)
	pids := slices.DeleteFunc(w.stop(), func(p int) bool { return p == os.Getpid() })
	if err != nil {
		r.profile = "no profile: " + err.Error()
		return
	}
	report := func(args ...string) (string, error) {
		args = append([]string{"report", "-i", data, "--stdio", "--no-children", "-g", "none", "--pid", joinInts(pids)}, args...)
		out, err := exec.CommandContext(ctx, perf, args...).Output()
		if err != nil {
			return "", fmt.Errorf("perf report: %w", err)
		}
		return string(out), nil
	}
	script, err := exec.CommandContext(ctx, perf, "script", "-i", data, "-F", "comm,pid").Output()
	if err != nil {
		r.profile = "no profile: perf script: " + err.Error()
		return
	}
	top, err := report("--sort", "comm,dso,sym", "--percent-limit", "1", "--percentage", "relative")
	if err != nil {
		r.profile = "no profile: " + err.Error()
		return
	}
	r.profile = fmt.Sprintf("measured runs: median wall %s, median CPU time (user+sys) of the command and its children %s\n",
		fmtSeconds(r.wall.median), fmtSeconds(r.cpu.median)) +
		cpuByProcess(string(script), pids, s.wall.Seconds()*float64(numCPU())) + "\n" +
		summarizePerf(top, profileTop)
	if !b.cfg.keep {
		os.Remove(data)
	}
}

// postmasterPID returns the process id of the benchmark server's
// postmaster when it runs on this machine, or 0.
func (b *bench) postmasterPID(ctx context.Context) int {
	conn, err := pgx.Connect(ctx, b.srv.url)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_catalog.pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	ppid, ok := parentPID(backend)
	if !ok {
		return 0
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid)); strings.TrimSpace(string(comm)) != "postgres" {
		return 0
	}
	return ppid
}

// treeWatcher collects, by polling /proc, every process that descends from
// one of its roots while it runs, so that a system-wide profile can be cut
// down to the stage's own processes.
type treeWatcher struct {
	roots []int
	done  chan struct{}
	wg    sync.WaitGroup
	seen  map[int]bool
}

// watchTree starts polling /proc every 10 ms.
func watchTree(roots []int) *treeWatcher {
	w := &treeWatcher{roots: roots, done: make(chan struct{}), seen: map[int]bool{}}
	for _, r := range roots {
		w.seen[r] = true
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			w.scan()
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// scan records the current descendants of the roots.
func (w *treeWatcher) scan() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentPID(pid); ok {
			parent[pid] = pp
		}
	}
	for pid := range parent {
		if w.seen[pid] {
			continue
		}
		for p, depth := parent[pid], 0; p > 1 && depth < 64; p, depth = parent[p], depth+1 {
			if w.seen[p] {
				w.seen[pid] = true
				break
			}
		}
	}
}

// stop ends the polling and returns the processes seen, sorted.
func (w *treeWatcher) stop() []int {
	close(w.done)
	w.wg.Wait()
	out := make([]int, 0, len(w.seen))
	for pid := range w.seen {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out
}

// parentPID reads a process's parent from /proc/PID/stat.
func parentPID(pid int) (int, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name is in parentheses and may contain spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// joinInts joins numbers with commas.
func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// perfEntry is one line of perf report: a share of the samples.
type perfEntry struct {
	pct               float64
	comm, dso, symbol string
}

// summarizePerf turns perf report's stdio output (sorted by comm, dso,
// symbol, without call graphs, already limited to the stage's processes)
// into a per-process split and the top n entries. Percentages are of the
// stage's samples; the profiler itself is left out.
func summarizePerf(report string, n int) string {
	var entries []perfEntry
	byComm := map[string]float64{}
	for _, l := range strings.Split(report, "\n") {
		e, ok := parsePerfLine(l)
		if !ok || e.comm == "perf" || e.comm == "swapper" {
			continue
		}
		entries = append(entries, e)
		byComm[e.comm] += e.pct
	}
	if len(entries) == 0 {
		return "no samples from the stage's processes"
	}
	comms := make([]string, 0, len(byComm))
	for c := range byComm {
		comms = append(comms, c)
	}
	sort.Slice(comms, func(i, j int) bool { return byComm[comms[i]] > byComm[comms[j]] })
	var sb strings.Builder
	sb.WriteString("share of the stage's CPU samples (entries ≥ 1%):")
	for i, c := range comms {
		sep := ","
		if i == len(comms)-1 {
			sep = ""
		}
		fmt.Fprintf(&sb, " %s %.1f%%%s", c, byComm[c], sep)
	}
	sb.WriteString("\n\n")
	for i, e := range entries {
		if i == n {
			break
		}
		fmt.Fprintf(&sb, "%6.2f%%  %-15s %-20s %s\n", e.pct, e.comm, e.dso, e.symbol)
	}
	return sb.String()
}

// cpuByProcess turns perf script's "comm pid" lines (one per sample, all
// cores, idle included) into CPU seconds per process name for the processes
// in pids; coreSeconds is the profiled run's wall time times the cores.
func cpuByProcess(script string, pids []int, coreSeconds float64) string {
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	total := 0
	byComm := map[string]int{}
	for _, l := range strings.Split(script, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		pid, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			continue
		}
		total++
		if comm := strings.Join(f[:len(f)-1], " "); want[pid] && comm != "perf" {
			byComm[comm]++
		}
	}
	comms := make([]string, 0, len(byComm))
	for c := range byComm {
		comms = append(comms, c)
	}
	sort.Slice(comms, func(i, j int) bool {
		if byComm[comms[i]] != byComm[comms[j]] {
			return byComm[comms[i]] > byComm[comms[j]]
		}
		return comms[i] < comms[j]
	})
	var sb strings.Builder
	fmt.Fprintf(&sb, "profiled run, CPU time by process (of %.1f core-seconds):", coreSeconds)
	for i, c := range comms {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, " %s %s", c, fmtSeconds(float64(byComm[c])/float64(total)*coreSeconds))
	}
	if len(comms) == 0 {
		sb.WriteString(" no samples")
	}
	return sb.String() + "\n"
}

// parsePerfLine parses "  12.34%  comm  dso  [.] symbol".
func parsePerfLine(l string) (perfEntry, bool) {
	f := strings.Fields(l)
	if len(f) < 5 || !strings.HasSuffix(f[0], "%") || strings.HasPrefix(l, "#") {
		return perfEntry{}, false
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
	if err != nil {
		return perfEntry{}, false
	}
	e := perfEntry{pct: pct, comm: f[1], dso: f[2]}
	sym := f[3:]
	if strings.HasPrefix(sym[0], "[") && strings.HasSuffix(sym[0], "]") {
		sym = sym[1:]
	}
	e.symbol = strings.Join(sym, " ")
	return e, true
}
