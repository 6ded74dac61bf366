package task

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"time"
)

// DefaultClaimTTL is how long a claim lasts before another runner may take
// over the step (the claimant crashed). It must exceed the longest step.
const DefaultClaimTTL = 30 * time.Minute

// Config is what every task command shares.
type Config struct {
	// Source is the watched bucket prefix.
	Source *Source
	// Log receives one structured event per step (JSON lines on stderr in
	// the command); nil discards them. Events carry object keys, SHA-256s,
	// verdicts and counts, never prices.
	Log *slog.Logger
	// Runner names who runs this process in claims and records (default
	// "user@host pid N").
	Runner string
	// ToolVersion is recorded in every record.
	ToolVersion string
	// ClaimTTL is the life of a claim (DefaultClaimTTL when 0).
	ClaimTTL time.Duration
	// TempDir holds the private working directory of each step (the
	// system's temporary directory when empty); it is removed afterwards.
	TempDir string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (c *Config) defaults() error {
	if c.Source == nil || c.Source.Store == nil || c.Source.Bucket == "" {
		return fmt.Errorf("task: no source bucket")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Runner == "" {
		c.Runner = DefaultRunner()
	}
	if c.ClaimTTL <= 0 {
		c.ClaimTTL = DefaultClaimTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func (c *Config) now() time.Time { return c.Now() }

// DefaultRunner returns "user@host pid N" for this process.
func DefaultRunner() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// workDir creates a private (0700) working directory; the caller removes it.
func (c *Config) workDir() (string, error) {
	dir, err := os.MkdirTemp(c.TempDir, "securemig-task-")
	if err != nil {
		return "", fmt.Errorf("creating a working directory: %w", err)
	}
	return dir, nil
}
