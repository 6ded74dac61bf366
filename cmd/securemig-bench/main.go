// Command securemig-bench measures every stage of the securemig pipeline
// against a baseline taken in the same run and writes docs/benchmarks.md.
//
// It runs the real binary (bin/securemig, built by make build) as child
// processes and takes wall time from the clock and peak memory from each
// child's resource usage. Baselines are child processes too: the excelize
// raw-iteration floor (this program's "floor" mode), bare pg_dump with the
// same tables, and psql applying the same file. Ratios are taken pair by
// pair over alternating runs (A B A B ...) and reported as the median with
// minimum and maximum.
//
// Usage (from the repository root, after make build and make pricing-import):
//
//	go run ./cmd/securemig-bench [-quick] [-pairs 5] [-runs 3] [-out docs/benchmarks.md]
//	go run ./cmd/securemig-bench floor FILE.xlsx   # the raw-iteration floor alone
//
// Databases are created on the server of DATABASE_URL when set, otherwise on
// the project-local cluster ('securemig db url'); every database the driver
// creates is named securemig_bench_* and dropped afterwards. Commands that
// write migration files run in scratch project directories under the work
// directory, so the repository's migrations/ is never touched.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "floor":
			os.Exit(floorMain(os.Args[2:]))
		case "spawn":
			os.Exit(spawnMain(os.Args[2:]))
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "securemig-bench: locating this program:", err)
		os.Exit(1)
	}
	spawner = self
	os.Exit(benchMain(os.Args[1:]))
}

// config holds the driver's flags.
type config struct {
	bin       string
	quick     bool
	pairs     int
	runs      int
	largeRuns int
	scale     int
	uploadMiB int
	out       string
	work      string
	benchfmt  string
	only      string
	profile   bool
	keep      bool
}

// parseFlags parses the driver's command line.
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("securemig-bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: securemig-bench [flags]      measure every stage, print a Markdown table, write -out")
		fmt.Fprintln(fs.Output(), "       securemig-bench floor FILE  iterate every data-sheet row of FILE with excelize (raw mode)")
		fmt.Fprintln(fs.Output(), "Run from the repository root after 'make build' (and 'make pricing-import').")
		fmt.Fprintln(fs.Output(), "Exit codes: 0 every stage measured (targets may be missed), 1 a stage failed or was not available, 2 usage.")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.bin, "bin", "bin/securemig", "the securemig binary to measure (built by make build)")
	fs.BoolVar(&c.quick, "quick", false, "under a minute: full-size sample only, one run per stage without a baseline (pairs stay), no upload, pipeline or profiles; writes no document unless -out is given")
	fs.IntVar(&c.pairs, "pairs", 5, "alternating A/B pairs per ratio (at least 5)")
	fs.IntVar(&c.runs, "runs", 3, "runs of each stage without a baseline on the full-size sample")
	fs.IntVar(&c.largeRuns, "large-runs", 3, "runs of each stage without a baseline on the scaled sample")
	fs.IntVar(&c.scale, "scale", 25, "scale factor of the large sample (0: full size only)")
	fs.IntVar(&c.uploadMiB, "upload-mib", 1024, "size of the uploaded file in MiB (0: skip the upload row)")
	fs.StringVar(&c.out, "out", "", "Markdown file to write (default docs/benchmarks.md, none with -quick)")
	fs.StringVar(&c.work, "work", "tmp/bench", "scratch directory for samples, scratch projects and profiles")
	fs.StringVar(&c.benchfmt, "benchfmt", "", "also write every run in Go benchmark format for benchstat (default WORK/results.txt, WORK/results-quick.txt with -quick)")
	fs.StringVar(&c.only, "only", "", "comma-separated stages to run: parse,import,report,generate,apply,compress,upload,pipeline,task (default all)")
	fs.BoolVar(&c.profile, "profile", true, "CPU-profile (perf) one extra run of a stage that misses a target")
	fs.BoolVar(&c.keep, "keep", false, "keep the scratch databases and directories")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.pairs < 5 {
		return c, fmt.Errorf("-pairs must be at least 5, got %d", c.pairs)
	}
	if c.runs < 1 || c.largeRuns < 1 {
		return c, fmt.Errorf("-runs and -large-runs must be at least 1")
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	if c.quick {
		if !setFlags["scale"] {
			c.scale = 0
		}
		if !setFlags["upload-mib"] {
			c.uploadMiB = 0
		}
		if !setFlags["runs"] {
			c.runs = 1
		}
		if !setFlags["profile"] {
			c.profile = false
		}
		if !setFlags["only"] {
			c.only = "parse,import,report,generate,apply"
		}
	} else if c.out == "" {
		c.out = "docs/benchmarks.md"
	}
	if c.benchfmt == "" {
		c.benchfmt = c.work + "/results.txt"
		if c.quick {
			c.benchfmt = c.work + "/results-quick.txt" // keeps the full run's raw results
		}
	}
	return c, nil
}

// wants reports whether the stage was selected with -only.
func (c config) wants(stage string) bool {
	if c.only == "" {
		return true
	}
	for _, s := range strings.Split(c.only, ",") {
		if strings.TrimSpace(s) == stage {
			return true
		}
	}
	return false
}

// benchMain runs the benchmark and returns the exit code.
func benchMain(args []string) int {
	cfg, err := parseFlags(args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(os.Stderr, "securemig-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	b, err := newBench(ctx, cfg, args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "securemig-bench:", err)
		return 1
	}
	defer b.close()
	code := b.runAll(ctx)
	if err := b.finish(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "securemig-bench:", err)
		return 1
	}
	b.logf("done in %s", time.Since(start).Round(time.Second))
	return code
}
