package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
// deleted, which keeps the history of attempts. While a runner works it
// renews its claim every third of the TTL with a new object,
// claims/<STEP>/<NNNNNN>.renewal-<KKKKKK>.json holding the claim with a
// later ExpiresAt, so that a step may take longer than the TTL and the TTL
// only bounds how long a crashed runner blocks the step.
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
	last, released, renewals := 0, map[int]bool{}, map[int]int{}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, dir)
		num, rest, _ := strings.Cut(name, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		switch {
		case rest == "json":
			last = max(last, n)
		case rest == "released.json":
			released[n] = true
		case strings.HasPrefix(rest, "renewal-") && strings.HasSuffix(rest, ".json"):
			if k, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rest, "renewal-"), ".json")); err == nil {
				renewals[n] = max(renewals[n], k)
			}
		}
	}
	if last > 0 && !released[last] {
		key := claimKey(dir, last)
		if k := renewals[last]; k > 0 {
			key = renewalKey(key, k)
		}
		var c Claim
		found, _, err := r.Source.getJSON(ctx, key, &c)
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

// renewalKey is the key of renewal k of the claim stored under claim.
func renewalKey(claim string, k int) string {
	return strings.TrimSuffix(claim, ".json") + ".renewal-" + claimNumber(k) + ".json"
}

// renew extends a held claim by a TTL from now with renewal k.
func (r *Config) renew(ctx context.Context, h *held, k int) error {
	c := h.Claim
	c.ExpiresAt = r.now().UTC().Add(r.ClaimTTL)
	_, err := r.Source.createJSON(ctx, renewalKey(h.key, k), c)
	return err
}

// keepAlive renews the claim every third of the TTL until the returned
// function is called, which it must be before the step returns. A renewal
// that fails is logged; the claim then lapses at its last expiry, and a
// runner taking over cannot record the step a second time.
func (r *Config) keepAlive(ctx context.Context, h *held, log *slog.Logger) (stop func()) {
	every := r.renewEvery
	if every <= 0 {
		every = r.ClaimTTL / 3
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for k := 1; ; k++ {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := r.renew(ctx, h, k); err != nil {
				log.Warn("renew_failed", "claim", r.Source.url(h.key), "error", err.Error())
			} else {
				log.Debug("renewed", "claim", h.N, "renewal", k)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
