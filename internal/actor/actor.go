// Package actor names who runs a securemig step. The name goes into the
// records the tool keeps (import log, lock file, tracking table, history
// events), so that a contract's history says who did what.
package actor

import (
	"os"
	"os/user"
	"strings"
)

// EnvVar names the environment variable that overrides the actor, for
// unattended runs (a scheduled task sets e.g. "task:nightly@runner-7").
const EnvVar = "SECUREMIG_ACTOR"

// Current returns the actor of this process: SECUREMIG_ACTOR when set, else
// "user@host" of the operating system account ("unknown" for a part that
// cannot be read).
func Current() string {
	if a := strings.TrimSpace(os.Getenv(EnvVar)); a != "" {
		return a
	}
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}
