package task

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/securemig/securemig/importer"
)

// File-name suffixes of a submission in the inbox (the source prefix).
const (
	// WorkbookSuffix ends a workbook's key: <CODE>.xlsx.
	WorkbookSuffix = ".xlsx"
	// RateAreasSuffix ends the zip-to-rate-area CSV beside it: <CODE>.rate-areas.csv.
	RateAreasSuffix = ".rate-areas.csv"
	// ContractSuffix ends the optional contract sidecar: <CODE>.contract.json.
	ContractSuffix = ".contract.json"
	// ResultsSuffix ends the results "directory" beside the workbook: <CODE>.securemig/.
	ResultsSuffix = ".securemig/"
	// IndexDir is the index "directory" under the source prefix.
	IndexDir = ".securemig/"
)

// Submission is one workbook found in the inbox with the files beside it.
type Submission struct {
	// Code is the contract code: the workbook's file name without .xlsx.
	Code string
	// Workbook, RateAreas and Contract are the objects as listed; RateAreas
	// is nil while the CSV is missing, Contract when there is no sidecar.
	Workbook, RateAreas, Contract *Listed
}

// Listed is an object as a listing shows it.
type Listed struct {
	Key  string
	Size int64
	ETag string
}

// Inbox finds the submissions among the objects directly under prefix,
// sorted by contract code. Objects whose name is not a workbook, its CSV or
// its sidecar are ignored; a workbook whose name is not a valid contract
// code is returned in bad (with the reason).
func Inbox(prefix string, objects []Listed) (subs []*Submission, bad []BadName) {
	byBase := map[string]*Listed{}
	for i := range objects {
		o := &objects[i]
		name, ok := strings.CutPrefix(o.Key, prefix)
		if !ok || name == "" || strings.Contains(name, "/") {
			continue
		}
		byBase[name] = o
	}
	for name, o := range byBase {
		code, ok := strings.CutSuffix(name, WorkbookSuffix)
		if !ok {
			continue
		}
		if !importer.ValidContractCode(code) {
			bad = append(bad, BadName{Key: o.Key, Reason: fmt.Sprintf(
				"%q is not a contract code (1-80 letters, digits, '-' or '_'); name the workbook <CODE>%s", code, WorkbookSuffix)})
			continue
		}
		subs = append(subs, &Submission{Code: code, Workbook: o,
			RateAreas: byBase[code+RateAreasSuffix], Contract: byBase[code+ContractSuffix]})
	}
	slices.SortFunc(subs, func(a, b *Submission) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(bad, func(a, b BadName) int { return strings.Compare(a.Key, b.Key) })
	return subs, bad
}

// BadName is an inbox object that looks like a workbook but cannot be one.
type BadName struct {
	Key, Reason string
}

// SubmissionID is the identity of a submission's content: the SHA-256 of
// the line-oriented text naming the SHA-256 of the workbook, of the CSV and
// of the sidecar ("-" when absent). Equal files give equal IDs.
func SubmissionID(workbook, rateAreas, contract string) string {
	if contract == "" {
		contract = "-"
	}
	sum := sha256.Sum256([]byte("securemig task submission v1\nworkbook " + workbook +
		"\nrate-areas " + rateAreas + "\ncontract " + contract + "\n"))
	return hex.EncodeToString(sum[:])
}

// Layout names every key the task reads and writes under one source prefix.
type Layout struct {
	// Prefix is the source prefix, "" or ending in "/".
	Prefix string
}

// Results is the results "directory" of a contract code: <CODE>.securemig/.
func (l Layout) Results(code string) string { return l.Prefix + code + ResultsSuffix }

// Dir is the results "directory" of one submission: <CODE>.securemig/<ID>/.
func (l Layout) Dir(code, id string) string { return l.Results(code) + id + "/" }

// Check is the check record, written last by a check: its commit point.
func (l Layout) Check(code, id string) string { return l.Dir(code, id) + "check.json" }

// Approval is the approval record.
func (l Layout) Approval(code, id string) string { return l.Dir(code, id) + "approval.json" }

// Migration is the record of the generated secure migration.
func (l Layout) Migration(code, id string) string { return l.Dir(code, id) + "migration.json" }

// Import is the record of the import into an environment.
func (l Layout) Import(code, id, env string) string {
	return l.Dir(code, id) + "imports/" + env + ".json"
}

// Claims is the "directory" of the claims of one step: "check",
// "migration" or "import-<ENV>".
func (l Layout) Claims(code, id, step string) string { return l.Dir(code, id) + "claims/" + step + "/" }

// Run is the "directory" of the files written under claim n of a step.
func (l Layout) Run(code, id, step string, n int) string {
	return l.Dir(code, id) + step + "-" + claimNumber(n) + "/"
}

// SeenIndex is the "directory" of the markers of checked submissions.
func (l Layout) SeenIndex() string { return l.Prefix + IndexDir + "seen/" }

// Seen is the marker telling that the inbox objects with these ETags and
// sizes were checked; its content names the submission.
func (l Layout) Seen(code string, wb, csv Listed, contract *Listed) string {
	m := l.SeenIndex() + code + "/" + etagToken(wb) + "." + etagToken(csv)
	if contract != nil {
		m += "." + etagToken(*contract)
	}
	return m
}

// ApprovedIndex is the "directory" of approval markers.
func (l Layout) ApprovedIndex() string { return l.Prefix + IndexDir + "approved/" }

// Approved is the marker of an approval (written before the approval
// itself, so it only ever points at where to look).
func (l Layout) Approved(code, id string) string { return l.ApprovedIndex() + code + "/" + id }

// ImportedIndex is the "directory" of the markers of imports into env.
func (l Layout) ImportedIndex(env string) string {
	return l.Prefix + IndexDir + "imported/" + env + "/"
}

// Imported is the marker of a finished import into env.
func (l Layout) Imported(env, code, id string) string { return l.ImportedIndex(env) + code + "/" + id }

// ParseMarker splits an index marker key below index into its contract
// code and last element.
func ParseMarker(index, key string) (code, last string, ok bool) {
	rest, found := strings.CutPrefix(key, index)
	if !found {
		return "", "", false
	}
	code, last, ok = strings.Cut(rest, "/")
	if !ok || code == "" || last == "" || strings.Contains(last, "/") {
		return "", "", false
	}
	return code, last, true
}

var etagUnsafe = regexp.MustCompile(`[^A-Za-z0-9]+`)

// etagToken renders an object's ETag and size as a key element. An ETag
// changes whenever an object's content does (for single-part uploads it is
// the MD5; for multipart and KMS-encrypted objects an opaque value), so the
// token identifies one version of the object's bytes without reading them.
func etagToken(o Listed) string {
	tag := etagUnsafe.ReplaceAllString(o.ETag, "")
	if tag == "" {
		tag = "none"
	}
	return tag + "-" + strconv.FormatInt(o.Size, 10)
}

// claimNumber renders a claim generation with a fixed width, so keys sort
// in order.
func claimNumber(n int) string { return fmt.Sprintf("%06d", n) }

// ValidID reports whether s looks like a submission ID or SHA-256.
func ValidID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
