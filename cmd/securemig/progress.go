package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
)

// progressDelay is how long work runs before its progress line appears
// (with --progress auto): quick commands print nothing extra.
const progressDelay = time.Second

// progressFlag is the --progress flag of every command that shows live
// progress (migrate, pricing parse and import, gen, verify).
func progressFlag() cli.Flag {
	return &cli.StringFlag{Name: "progress", Value: "auto",
		Usage: "live progress on stderr: auto (when stderr is a terminal), always or never"}
}

// quietFlag is the --quiet flag: only errors and the final line.
func quietFlag() cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Usage: "print only errors and the final line (no tables, warnings or progress)"}
}

// liveStatus is the self-overwriting status line that migrate draws while it
// applies a file ("\r\033[K" + text, at most five redraws a second), for work
// that reports phases rather than counts: it shows the current phase and the
// time spent, once the work has taken progressDelay, and erases itself when
// the work ends. Without a terminal (--progress auto) it draws nothing, so
// logs and pipes see exactly the output they would without it.
type liveStatus struct {
	w     io.Writer
	start time.Time
	delay time.Duration

	mu    sync.Mutex
	phase string
	drawn bool
	stop  chan struct{}
	done  chan struct{}
}

// startStatus starts the status line of a command with the first phase;
// Stop it when the work ends. It draws nothing unless --progress (default
// auto: stderr is a terminal) asks for it and --quiet is not given.
func startStatus(c *cli.Context, phase string) (*liveStatus, error) {
	mode := c.String("progress")
	if mode == "" {
		mode = "auto"
	}
	live, err := progressWanted(mode)
	if err != nil {
		return nil, usageError(c, "%v", err)
	}
	s := &liveStatus{w: c.App.ErrWriter, start: time.Now(), delay: progressDelay, phase: phase}
	if !live || c.Bool("quiet") {
		return s, nil
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	if mode == "always" {
		s.delay = 0
		s.draw()
	}
	go s.run()
	return s, nil
}

// run redraws the line until Stop.
func (s *liveStatus) run() {
	defer close(s.done)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.draw()
		}
	}
}

// draw writes the line once the delay has passed.
func (s *liveStatus) draw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := time.Since(s.start)
	if elapsed < s.delay {
		return
	}
	fmt.Fprintf(s.w, "\r\033[K%s … %.1fs", s.phase, elapsed.Seconds())
	s.drawn = true
}

// Phase switches to the next phase of the work.
func (s *liveStatus) Phase(phase string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.phase = phase
	s.mu.Unlock()
}

// Stop ends the line, erasing it; safe to call more than once.
func (s *liveStatus) Stop() {
	if s == nil || s.stop == nil {
		return
	}
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		fmt.Fprint(s.w, "\r\033[K")
	}
}

// LogWriter returns a writer for a command's stage log (one line per
// stage): each line is written to w (erasing the status line first, so
// they never mix) and becomes the status line's detail. With w nil the
// lines only feed the status line.
func (s *liveStatus) LogWriter(w io.Writer, prefix string) io.Writer {
	return &statusLog{s: s, w: w, prefix: prefix}
}

type statusLog struct {
	s      *liveStatus
	w      io.Writer
	prefix string
}

func (l *statusLog) Write(p []byte) (int, error) {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		fmt.Fprint(s.w, "\r\033[K")
		s.drawn = false
	}
	if line := strings.TrimSpace(string(p)); line != "" {
		if i := strings.LastIndexByte(line, '\n'); i >= 0 {
			line = line[i+1:]
		}
		s.phase = l.prefix + ": " + line
	}
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}
