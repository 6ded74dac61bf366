package task

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/securemig/securemig/s3store"
)

// ApproveOptions configures Approve.
type ApproveOptions struct {
	Config
	// ContractCode and SHA256 select the checked submission: SHA256 is its
	// submission ID or its workbook's SHA-256.
	ContractCode, SHA256 string
	// Override is the reason for approving a fail verdict (required then,
	// refused otherwise).
	Override string
	// Identity is who approves.
	Identity Identity
	// Confirm, when set, is shown the check before anything is written;
	// false aborts with ErrNotConfirmed.
	Confirm func(rec *CheckRecord) (bool, error)
}

// Errors of Approve.
var (
	// ErrNotConfirmed reports that the person declined.
	ErrNotConfirmed = errors.New("not approved: not confirmed")
	// ErrOverrideRequired reports a fail verdict approved without a reason.
	ErrOverrideRequired = errors.New("the check's verdict is fail: approving it needs --override \"REASON\"")
)

// Approve records a person's approval of a checked submission: who, when,
// and which verdict and report files (by SHA-256) they saw. A rejected
// submission cannot be approved; a fail verdict needs an override reason,
// which is recorded. An approval is written once, with a conditional write.
func Approve(ctx context.Context, o ApproveOptions) (*Approval, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if !ValidID(o.SHA256) {
		return nil, fmt.Errorf("--sha256 %q is not a lower-case hex SHA-256", o.SHA256)
	}
	rec, checkSHA, err := o.findChecked(ctx, o.ContractCode, o.SHA256)
	if err != nil {
		return nil, err
	}
	switch {
	case rec.Verdict == VerdictRejected:
		return nil, fmt.Errorf("submission %s of %s was rejected (%d problems, see %s): there is nothing to approve",
			rec.Submission, rec.ContractCode, rec.Problems, o.Source.url(keyOfFile(rec.file("problems.json"))))
	case rec.Verdict == VerdictFail && strings.TrimSpace(o.Override) == "":
		return nil, ErrOverrideRequired
	case rec.Verdict != VerdictFail && o.Override != "":
		return nil, fmt.Errorf("--override is only for a fail verdict; this check's verdict is %s", rec.Verdict)
	}
	shown := map[string]string{}
	for _, f := range rec.Files {
		if !strings.HasPrefix(f.Name, "report.") {
			continue
		}
		if err := o.verifyFile(ctx, f); err != nil {
			return nil, err
		}
		shown[f.Name] = f.SHA256
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(rec)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotConfirmed
		}
	}
	a := &Approval{Record: KindApproval, Submission: rec.Submission, ContractCode: rec.ContractCode,
		WorkbookSHA256: rec.input("workbook").SHA256, RateAreasSHA256: rec.input("rate-areas").SHA256,
		Verdict: rec.Verdict, ReportSHA256: shown, CheckSHA256: checkSHA, Override: strings.TrimSpace(o.Override),
		ApprovedBy: o.Identity, ApprovedAt: o.now().UTC(), ToolVersion: o.ToolVersion}
	// The index marker first: it only says where to look, so a crash
	// between the two writes never makes an approval invisible.
	marker := o.Source.Approved(rec.ContractCode, rec.Submission)
	if err := o.Source.create(ctx, marker, []byte(rec.Submission+"\n"), "text/plain"); err != nil && !errors.Is(err, s3store.ErrExists) {
		return nil, err
	}
	key := o.Source.Approval(rec.ContractCode, rec.Submission)
	if _, err := o.Source.createJSON(ctx, key, a); errors.Is(err, s3store.ErrExists) {
		var prev Approval
		if found, _, gerr := o.Source.getJSON(ctx, key, &prev); gerr == nil && found {
			return nil, fmt.Errorf("submission %s of %s is already approved by %s at %s", rec.Submission, rec.ContractCode,
				prev.ApprovedBy, prev.ApprovedAt.Format("2006-01-02 15:04:05 MST"))
		}
		return nil, fmt.Errorf("submission %s of %s is already approved", rec.Submission, rec.ContractCode)
	} else if err != nil {
		return nil, err
	}
	o.Log.Info("approved", "contract_code", rec.ContractCode, "submission", rec.Submission,
		"workbook_sha256", a.WorkbookSHA256, "verdict", a.Verdict, "override", a.Override != "",
		"approved_by", a.ApprovedBy.String(), "approval", o.Source.url(key))
	return a, nil
}

func keyOfFile(f *File) string {
	if f == nil {
		return ""
	}
	return f.Key
}

// verifyFile checks that a stored result file still has the bytes its
// check record names.
func (c *Config) verifyFile(ctx context.Context, f File) error {
	data, err := c.Source.getSmall(ctx, f.Key)
	if err != nil {
		return err
	}
	if got := sha256Hex(data); got != f.SHA256 {
		return fmt.Errorf("%s has SHA-256 %s, but the check wrote %s: the results were changed after the check",
			c.Source.url(f.Key), got, f.SHA256)
	}
	return nil
}

// findChecked returns the check record of a contract's submission given
// its ID or its workbook's SHA-256, with the record's own SHA-256.
func (c *Config) findChecked(ctx context.Context, code, sha string) (*CheckRecord, string, error) {
	var rec CheckRecord
	found, sum, err := c.Source.getJSON(ctx, c.Source.Check(code, sha), &rec)
	if err != nil {
		return nil, "", err
	}
	if found {
		return &rec, sum, nil
	}
	_, dirs, err := c.Source.Store.ListObjects(ctx, c.Source.Bucket, c.Source.Results(code), "/")
	if err != nil {
		return nil, "", err
	}
	var (
		matches []*CheckRecord
		sums    []string
		ids     []string
	)
	for _, d := range dirs {
		id := strings.TrimSuffix(strings.TrimPrefix(d, c.Source.Results(code)), "/")
		if !ValidID(id) {
			continue
		}
		var r CheckRecord
		found, sum, err := c.Source.getJSON(ctx, c.Source.Check(code, id), &r)
		if err != nil {
			return nil, "", err
		}
		if !found {
			continue
		}
		ids = append(ids, id)
		if wb := r.input("workbook"); wb != nil && wb.SHA256 == sha {
			matches = append(matches, &r)
			sums = append(sums, sum)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], sums[0], nil
	case 0:
		if len(ids) == 0 {
			return nil, "", fmt.Errorf("contract %s has no checked submission in %s (run securemig task check first)", code, c.Source)
		}
		return nil, "", fmt.Errorf("contract %s has no checked submission with SHA-256 %s; checked submissions: %s",
			code, sha, strings.Join(ids, ", "))
	default:
		var names []string
		for _, m := range matches {
			names = append(names, m.Submission)
		}
		return nil, "", fmt.Errorf("workbook SHA-256 %s matches several submissions of %s (the CSV or sidecar differ); give the submission ID: %s",
			sha, code, strings.Join(names, ", "))
	}
}

// latestApproved returns the check record of the most recently approved
// submission of a contract other than exclude (and equal to only, when
// set); nil when there is none.
func (c *Config) latestApproved(ctx context.Context, exclude, only string) (*CheckRecord, error) {
	markers, err := c.Source.list(ctx, c.Source.ApprovedIndex(), "")
	if err != nil {
		return nil, err
	}
	var best *Approval
	for _, m := range markers {
		code, id, ok := ParseMarker(c.Source.ApprovedIndex(), m.Key)
		if !ok || code == exclude || (only != "" && code != only) {
			continue
		}
		var a Approval
		found, _, err := c.Source.getJSON(ctx, c.Source.Approval(code, id), &a)
		if err != nil {
			return nil, err
		}
		if found && (best == nil || a.ApprovedAt.After(best.ApprovedAt)) {
			best = &a
		}
	}
	if best == nil {
		return nil, nil
	}
	var rec CheckRecord
	found, _, err := c.Source.getJSON(ctx, c.Source.Check(best.ContractCode, best.Submission), &rec)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("approved submission %s of %s has no check record", best.Submission, best.ContractCode)
	}
	return &rec, nil
}
