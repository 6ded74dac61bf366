package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
	// descendants it waited for.
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

// run starts the child, waits for it and returns its wall time and peak
// memory. A failing child yields an error carrying the last line of its
// standard error (securemig never prints sensitive values there).
func (c child) run(ctx context.Context) (sample, error) {
	timeout := c.timeout
	if timeout == 0 {
		timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	stdout := &capped{max: maxCapture}
	stderr := &tail{max: maxCapture}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)

	s := sample{wall: wall, stdout: stdout.buf.String(), exitCode: -1}
	if ps := cmd.ProcessState; ps != nil {
		s.exitCode = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			s.maxRSS = ru.Maxrss * 1024 // KiB on Linux
			s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
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
		return s, fmt.Errorf("%s: %w after %s", c.name, ctx.Err(), wall.Round(time.Millisecond))
	}
	return s, fmt.Errorf("%s: exit %d: %s", c.name, s.exitCode, lastLine(stderr.String()))
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
