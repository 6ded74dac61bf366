package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// child describes one child process to measure.
type child struct {
	// name is what the measurement is called in errors and logs.
	name string
	// argv is the program and its arguments.
	argv []string
	// dir is the working directory ("" for the driver's).
	dir string
	// env is added to the driver's environment (NAME=value).
	env []string
	// okCodes lists exit codes other than 0 that still count as success
	// (e.g. a report's documented "warnings" verdict).
	okCodes []int
	// timeout bounds the run.
	timeout time.Duration
}

// sample is one measured run of a child process.
type sample struct {
	// wall is the elapsed time from start to exit.
	wall time.Duration
	// maxRSS is the peak resident set size in bytes of the child and the
	// descendants it waited for (ru_maxrss).
	maxRSS int64
	// cpu is the user plus system CPU time of the child and the
	// descendants it waited for.
	cpu time.Duration
	// exitCode is the child's exit code.
	exitCode int
	// stdout is what the child printed on standard output (bounded).
	stdout string
}

// maxCapture bounds the captured stdout and stderr of a child.
const maxCapture = 64 << 10

// spawner is the program that launches measured children ("spawn" mode of
// this driver); main sets it to this executable.
var spawner string

// run starts the child through the launcher, waits for it and returns its
// wall time, peak memory and CPU time. A failing child yields an error
// carrying the last line of its standard error (securemig never prints
// sensitive values there).
//
// The launcher exists because of how Linux accounts peak memory: a process
// started with vfork (as Go's os/exec does) inherits its parent's peak RSS
// in ru_maxrss when it calls exec, so a child started by this driver, which
// may hold a gigabyte of uploaded objects, would report the driver's peak.
// The launcher is a small process; what it inherits is its own few
// megabytes, below any measured program's own peak.
func (c child) run(ctx context.Context) (sample, error) {
	timeout := c.timeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pr, pw, err := os.Pipe()
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", c.name, err)
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, spawner, append([]string{"spawn", "--"}, c.argv...)...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	stdout := &capped{max: maxCapture}
	stderr := &tail{max: maxCapture}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{pw}
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	err = cmd.Start()
	pw.Close()
	if err == nil {
		err = cmd.Wait()
	}
	s := sample{wall: time.Since(start), stdout: stdout.buf.String(), exitCode: -1}
	if ps := cmd.ProcessState; ps != nil {
		s.exitCode = ps.ExitCode()
	}
	if u, perr := readUsage(pr); perr == nil {
		s.wall, s.maxRSS, s.cpu = u.wall, u.maxRSS, u.cpu
	} else if err == nil {
		return s, fmt.Errorf("%s: %w", c.name, perr)
	}
	if err == nil {
		return s, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		for _, code := range c.okCodes {
			if s.exitCode == code {
				return s, nil
			}
		}
	}
	if ctx.Err() != nil {
		return s, fmt.Errorf("%s: %w after %s", c.name, ctx.Err(), s.wall.Round(time.Millisecond))
	}
	return s, fmt.Errorf("%s: exit %d: %s", c.name, s.exitCode, lastLine(stderr.String()))
}

// usage is what the launcher reports about the program it ran.
type usage struct {
	wall   time.Duration
	maxRSS int64
	cpu    time.Duration
}

// readUsage reads the launcher's report: "wall_ns maxrss_kib cpu_ns".
func readUsage(r io.Reader) (usage, error) {
	var wall, rss, cpu int64
	if _, err := fmt.Fscan(r, &wall, &rss, &cpu); err != nil {
		return usage{}, fmt.Errorf("no resource usage from the launcher: %w", err)
	}
	return usage{wall: time.Duration(wall), maxRSS: rss * 1024, cpu: time.Duration(cpu)}, nil
}

// spawnMain is the "spawn -- PROGRAM ARGS..." mode: it runs the program
// with this process's standard streams, writes "wall_ns maxrss_kib cpu_ns"
// of the program (and the descendants it waited for) to file descriptor 3,
// and exits with the program's exit code (128+N when killed by signal N).
// The program is killed if the launcher dies.
func spawnMain(args []string) int {
	if len(args) < 2 || args[0] != "--" {
		fmt.Fprintln(os.Stderr, "usage: securemig-bench spawn -- PROGRAM [ARGS...]")
		return 2
	}
	runtime.LockOSThread() // Pdeathsig follows the thread that started the child
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	ps := cmd.ProcessState
	if ps == nil {
		fmt.Fprintln(os.Stderr, "securemig-bench spawn:", err)
		return 127
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		report := os.NewFile(3, "usage")
		fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), ru.Maxrss, ru.Utime.Nano()+ru.Stime.Nano())
		report.Close()
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// lastLine returns the last non-empty line of s, shortened for a table cell.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if l == "" {
		return "(no error output)"
	}
	const maxLen = 200
	if len(l) > maxLen {
		l = l[:maxLen] + "…"
	}
	return l
}

// capped is an io.Writer that keeps at most max bytes.
type capped struct {
	buf bytes.Buffer
	max int
}

// Write keeps what fits and reports everything as written.
func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// tail is an io.Writer that keeps roughly the last max bytes written.
type tail struct {
	buf []byte
	max int
}

// Write appends p, dropping the oldest bytes beyond twice max.
func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// String returns the kept bytes.
func (t *tail) String() string { return string(t.buf) }
