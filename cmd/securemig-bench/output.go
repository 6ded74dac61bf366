package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// finish prints the table and targets, and writes the document.
func (b *bench) finish(ctx context.Context) error {
	h := b.header(ctx)
	fmt.Println()
	writeTable(os.Stdout, b.results)
	fmt.Println()
	writeChecks(os.Stdout, b.results)
	b.logf("every run in Go benchmark format (for benchstat): %s", b.cfg.benchfmt)
	if b.cfg.out == "" {
		return nil
	}
	var sb strings.Builder
	writeDocument(&sb, h, b.results)
	if err := os.WriteFile(b.cfg.out, []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", b.cfg.out, err)
	}
	b.logf("wrote %s", b.cfg.out)
	return nil
}

// header describes the machine, the tools and the method.
func (b *bench) header(ctx context.Context) header {
	h := header{date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	h.command = "go run ./cmd/securemig-bench"
	if len(b.args) > 0 {
		h.command += " " + strings.Join(b.args, " ")
	}
	switch {
	case len(b.args) == 0:
		h.command = "make bench (= " + h.command + ")"
	case len(b.args) == 1 && b.args[0] == "-quick":
		h.command = "make bench-quick (= " + h.command + ")"
	}
	h.machine = fmt.Sprintf("%d cores (%s), %s memory, %s", numCPU(), cpuModel(), memTotal(), osRelease())
	if v, err := b.srv.version(ctx); err == nil {
		h.postgres = v
	} else {
		h.postgres = "unknown: " + err.Error()
	}
	h.tools = strings.Join([]string{toolVersion(ctx, "pg_dump"), toolVersion(ctx, "psql"), goVersion()}, "; ")
	if s, err := (child{name: "securemig version", argv: []string{b.bin, "version"}, dir: b.root}).run(ctx); err == nil {
		h.version = strings.Join(strings.Fields(s.stdout), " ")
	}
	h.notes = append([]string{
		"Every stage runs the real binary (a copy of `bin/securemig`, built by `make build`, taken when the run starts) " +
			"as a child process, started through a small launcher (`securemig-bench spawn`) that times it and reads its " +
			"resource usage. Wall time is from start to exit; peak RSS is `ru_maxrss` of the command and the children it " +
			"waited for (e.g. pg_dump under `gen`). The launcher is needed because Linux gives a vforked child its parent's " +
			"peak RSS at exec: measured straight from the driver, every command would report the driver's peak; through the " +
			"launcher it can at most report the launcher's few megabytes. The PostgreSQL server's memory is not included.",
		fmt.Sprintf("Ratios: measured and baseline run alternately (A B A B …), %d pairs; the ratio of each pair is "+
			"taken and the table shows the median with the minimum and maximum.", b.cfg.pairs),
		fmt.Sprintf("Stages without a baseline run %s on the full-size sample and %s on the scaled sample; each import "+
			"and apply goes into a fresh database cloned from a template holding the schema (cloning is not timed).",
			times(b.cfg.runs), times(b.cfg.largeRuns)),
		"The parse floor (`securemig-bench floor FILE`) opens the workbook with excelize in raw mode " +
			"(`RawCellValue: true`) and iterates every row of the 12 data sheets with `Rows`/`Columns`, doing nothing else.",
		"Generate writes into scratch project directories under the work directory (never the repository's " +
			"`migrations/`); the pg_dump baseline writes the same tables to a file. " +
			"The pipeline row runs `scripts/pricing-import` (what `make pricing-import` runs after `setup` and `build`) " +
			"in a scratch project on an empty database, with ALLOW_FAIL=1 so that a report verdict never stops it.",
		"The upload row uploads a file of filler lines to a local versitygw (the real S3 gateway the strict tests " +
			"use, a separate process writing to local disk) over plain HTTP on 127.0.0.1, with securemig's default " +
			"16 MiB parts; it includes the server's work (checksums, assembling the parts) and the verification " +
			"(HEAD, composite checksum), but not a real network. Peak memory is the securemig process's alone.",
		"The machine may be shared with other work; the alternating pairs exist so that such noise hits both " +
			"sides of a ratio alike. Raw runs in Go benchmark format (benchstat input): `" + b.cfg.benchfmt + "`.",
	}, b.notes...)
	return h
}

// times writes a run count: "once", "3 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// numCPU returns the number of logical CPUs.
func numCPU() int { return runtime.NumCPU() }

// goVersion returns the Go version this driver was built with.
func goVersion() string { return "Go " + strings.TrimPrefix(runtime.Version(), "go") }

// osRelease returns the operating system's pretty name.
func osRelease() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}
