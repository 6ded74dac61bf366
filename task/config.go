package task

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/securemig/securemig/internal/actor"
)

// DefaultClaimTTL is how long a claim lasts before another runner may take
// over the step (the claimant crashed). A working runner renews its claim
// every third of it, so a step may run longer; the TTL bounds how long a
// crashed runner holds the step up.
const DefaultClaimTTL = 10 * time.Minute

// Config is what every task command shares.
type Config struct {
	// Source is the watched bucket prefix.
	Source *Source
	// Log receives one structured event per step (JSON lines on stderr in
	// the command); nil discards them. Events carry object keys, SHA-256s,
	// verdicts and counts, never prices.
	Log *slog.Logger
	// Runner names who runs this process in claims and records, and is
	// the actor the lock entry, the upload and the tracking table record
	// for the steps it takes (default DefaultRunner()).
	Runner string
	// ToolVersion is recorded in every record.
	ToolVersion string
	// ClaimTTL is the life of a claim (DefaultClaimTTL when 0); a runner
	// renews its claim every third of it while it works.
	ClaimTTL time.Duration
	// TempDir holds the private working directory of each step (the
	// system's temporary directory when empty); it is removed afterwards.
	TempDir string
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// renewEvery is the renewal interval (ClaimTTL/3 when 0); for tests.
	renewEvery time.Duration
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

// DefaultRunner returns "ACTOR pid N" for this process, where ACTOR is
// actor.Current(): SECUREMIG_ACTOR when set (e.g. "task:nightly@runner-7"),
// else "user@host".
func DefaultRunner() string {
	return fmt.Sprintf("%s pid %d", actor.Current(), os.Getpid())
}

// workDir creates a private (0700) working directory; the caller removes it.
func (c *Config) workDir() (string, error) {
	dir, err := os.MkdirTemp(c.TempDir, "securemig-task-")
	if err != nil {
		return "", fmt.Errorf("creating a working directory: %w", err)
	}
	return dir, nil
}
