package task

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/securemig/securemig/s3store"
)

// Claim is one runner's claim on one step of one submission, stored as
// claims/<STEP>/<NNNNNN>.json. Claims are numbered: the first is 1, and a
// runner may take claim n+1 only when claim n was released or has expired.
// Each claim is created with a conditional write, so of two runners racing
// for the same number exactly one wins; nothing is ever overwritten or
// deleted, which keeps the history of attempts.
type Claim struct {
	Step      string    `json:"step"`
	N         int       `json:"n"`
	Runner    string    `json:"runner"`
	ClaimedAt time.Time `json:"claimed_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Release ends a claim early (claims/<STEP>/<NNNNNN>.released.json): the
// runner gave up, and says why.
type Release struct {
	Runner     string    `json:"runner"`
	ReleasedAt time.Time `json:"released_at"`
	Error      string    `json:"error"`
}

// errBusy reports that another runner holds a live claim.
type errBusy struct{ holder Claim }

func (e *errBusy) Error() string {
	return fmt.Sprintf("claimed by %s until %s", e.holder.Runner, e.holder.ExpiresAt.UTC().Format(time.RFC3339))
}

// held is a claim this runner holds.
type held struct {
	Claim
	key string
}

// takeClaim claims step of a submission for this runner, or returns an
// *errBusy naming the holder of a live claim.
func (r *Config) takeClaim(ctx context.Context, code, id, step string) (*held, error) {
	dir := r.Source.Claims(code, id, step)
	objs, err := r.Source.list(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	last, released := 0, map[int]bool{}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, dir)
		num, rest, _ := strings.Cut(name, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		switch rest {
		case "json":
			last = max(last, n)
		case "released.json":
			released[n] = true
		}
	}
	if last > 0 && !released[last] {
		var c Claim
		found, _, err := r.Source.getJSON(ctx, claimKey(dir, last), &c)
		if err != nil {
			return nil, err
		}
		if found && r.now().Before(c.ExpiresAt) {
			return nil, &errBusy{holder: c}
		}
	}
	now := r.now().UTC()
	c := Claim{Step: step, N: last + 1, Runner: r.Runner, ClaimedAt: now, ExpiresAt: now.Add(r.ClaimTTL)}
	key := claimKey(dir, c.N)
	if _, err := r.Source.createJSON(ctx, key, c); err != nil {
		if errors.Is(err, s3store.ErrExists) {
			// Another runner took this number first.
			return nil, &errBusy{holder: Claim{Step: step, N: c.N, Runner: "another runner", ExpiresAt: c.ExpiresAt}}
		}
		return nil, fmt.Errorf("claiming %s: %w", r.Source.url(key), err)
	}
	return &held{Claim: c, key: key}, nil
}

// release gives a claim up so that the next run can retry at once, and
// records why. It is best effort: an unreleased claim expires anyway.
func (r *Config) release(ctx context.Context, h *held, cause error) {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	key := strings.TrimSuffix(h.key, ".json") + ".released.json"
	_, err := r.Source.createJSON(context.WithoutCancel(ctx), key,
		Release{Runner: r.Runner, ReleasedAt: r.now().UTC(), Error: msg})
	if err != nil {
		r.Log.Warn("release_failed", "claim", r.Source.url(h.key), "error", err.Error())
	}
}

func claimKey(dir string, n int) string { return dir + claimNumber(n) + ".json" }
