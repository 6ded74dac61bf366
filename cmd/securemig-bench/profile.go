package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// profileTop is the number of symbols listed for a missed target.
const profileTop = 15

// maybeProfile runs one extra, unmeasured run of t under a system-wide CPU
// profiler when r misses a target, and stores the top entries in r.profile.
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
	if _, err := t(ctx, wrap); err != nil {
		r.profile = "no profile: " + err.Error()
		return
	}
	out, err := exec.CommandContext(ctx, perf, "report", "-i", data, "--stdio", "--no-children",
		"--sort", "comm,dso,sym", "-g", "none", "--percent-limit", "0.5").Output()
	if err != nil {
		r.profile = "no profile: perf report failed: " + err.Error()
		return
	}
	r.profile = summarizePerf(string(out), profileTop)
	if !b.cfg.keep {
		os.Remove(data)
	}
}

// perfEntry is one line of perf report: a share of the samples.
type perfEntry struct {
	pct               float64
	comm, dso, symbol string
}

// stageComms are the processes a stage runs: securemig, its children and
// the database server. Other processes (the idle task, the profiler, other
// work on the machine) are summed up as "other".
var stageComms = map[string]bool{"securemig": true, "postgres": true, "pg_dump": true, "psql": true,
	"securemig-bench": true, "bash": true}

// summarizePerf turns perf report's stdio output (sorted by comm, dso,
// symbol, without call graphs) into a per-process split and the top n
// entries of the stage's processes. Percentages are of all samples, idle
// included.
func summarizePerf(report string, n int) string {
	var entries []perfEntry
	byComm := map[string]float64{}
	var other float64
	for _, l := range strings.Split(report, "\n") {
		e, ok := parsePerfLine(l)
		switch {
		case !ok:
			continue
		case !stageComms[e.comm]:
			if e.comm != "swapper" {
				other += e.pct
			}
			continue
		}
		entries = append(entries, e)
		byComm[e.comm] += e.pct
	}
	if len(entries) == 0 {
		return "no samples outside the idle task"
	}
	comms := make([]string, 0, len(byComm))
	for c := range byComm {
		comms = append(comms, c)
	}
	sort.Slice(comms, func(i, j int) bool { return byComm[comms[i]] > byComm[comms[j]] })
	var sb strings.Builder
	sb.WriteString("share of all CPU samples by process (entries ≥ 0.5% only):")
	for _, c := range comms {
		fmt.Fprintf(&sb, " %s %.1f%%;", c, byComm[c])
	}
	fmt.Fprintf(&sb, " other processes %.1f%%\n\n", other)
	for i, e := range entries {
		if i == n {
			break
		}
		fmt.Fprintf(&sb, "%6.2f%%  %-12s %-22s %s\n", e.pct, e.comm, e.dso, e.symbol)
	}
	return sb.String()
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
