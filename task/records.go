package task

import (
	"time"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/parser"
)

// Record kinds, stored in each record's "record" field.
const (
	KindCheck     = "securemig.task.check/v1"
	KindApproval  = "securemig.task.approval/v1"
	KindMigration = "securemig.task.migration/v1"
	KindImport    = "securemig.task.import/v1"
)

// Verdicts of a check: the report's verdict, or VerdictRejected when the
// inputs could not be imported at all (parse errors, CSV or import
// problems, a bad sidecar).
const (
	VerdictPass     = "pass"
	VerdictWarnings = "warnings"
	VerdictFail     = "fail"
	VerdictRejected = "rejected"
)

// Input is one input file of a submission.
type Input struct {
	// Role is "workbook", "rate-areas" or "contract".
	Role string `json:"role"`
	// InboxKey is where it was found; Key is the copy kept with the
	// results, from which later steps read it.
	InboxKey string `json:"inbox_key"`
	Key      string `json:"key"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	ETag     string `json:"etag"`
}

// File is one result file.
type File struct {
	Name   string `json:"name"`
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// CheckRecord is check.json: the outcome of checking one submission. It is
// written last, with a conditional write, so it exists only for a complete
// check and only once.
type CheckRecord struct {
	Record            string `json:"record"`
	Submission        string `json:"submission"`
	ContractCode      string `json:"contract_code"`
	ContractName      string `json:"contract_name"`
	ContractStartDate string `json:"contract_start_date"`
	// Verdict is pass, warnings, fail or rejected.
	Verdict       string `json:"verdict"`
	FailedChecks  int    `json:"failed_checks"`
	WarningChecks int    `json:"warning_checks"`
	// ParseErrors and ParseWarnings count the workbook's problems;
	// Problems counts every problem of problems.json.
	ParseErrors   int `json:"parse_errors"`
	ParseWarnings int `json:"parse_warnings"`
	Problems      int `json:"problems"`
	// ComparedTo is the contract the report diffs against, with its
	// submission ("" when there was none).
	ComparedTo           string           `json:"compared_to,omitempty"`
	ComparedToSubmission string           `json:"compared_to_submission,omitempty"`
	Inputs               []Input          `json:"inputs"`
	Files                []File           `json:"files"`
	Rows                 map[string]int64 `json:"rows,omitempty"`
	Notes                []string         `json:"notes,omitempty"`
	ToolVersion          string           `json:"tool_version"`
	Runner               string           `json:"runner"`
	Claim                int              `json:"claim"`
	StartedAt            time.Time        `json:"started_at"`
	FinishedAt           time.Time        `json:"finished_at"`
}

// input returns the input with role, nil when absent.
func (r *CheckRecord) input(role string) *Input {
	for i := range r.Inputs {
		if r.Inputs[i].Role == role {
			return &r.Inputs[i]
		}
	}
	return nil
}

// file returns the result file called name, nil when absent.
func (r *CheckRecord) file(name string) *File {
	for i := range r.Files {
		if r.Files[i].Name == name {
			return &r.Files[i]
		}
	}
	return nil
}

// Problems is problems.json: every problem found, each naming its sheet
// and cell, CSV line or table; never a price.
type Problems struct {
	Workbook  []parser.Problem   `json:"workbook"`
	RateAreas []CSVProblem       `json:"rate_areas"`
	Contract  []string           `json:"contract"`
	Import    []importer.Problem `json:"import"`
}

func (p *Problems) count() int {
	return len(p.Workbook) + len(p.RateAreas) + len(p.Contract) + len(p.Import)
}

// CSVProblem is one problem of the rate-areas CSV.
type CSVProblem struct {
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
}

// Identity says who did something.
type Identity struct {
	// Principal is the cloud identity (an ARN from STS) when it could be
	// resolved; Account is its account.
	Principal string `json:"principal,omitempty"`
	Account   string `json:"account,omitempty"`
	// OSUser and Host are the operating-system user and machine.
	OSUser string `json:"os_user"`
	Host   string `json:"host"`
	// Note explains a missing Principal.
	Note string `json:"note,omitempty"`
}

// String renders the identity for people.
func (i Identity) String() string {
	s := i.OSUser + "@" + i.Host
	if i.Principal != "" {
		s = i.Principal + " (" + s + ")"
	}
	return s
}

// Approval is approval.json: a person's decision to ship a checked
// submission, with what they saw.
type Approval struct {
	Record       string `json:"record"`
	Submission   string `json:"submission"`
	ContractCode string `json:"contract_code"`
	// WorkbookSHA256 and RateAreasSHA256 are the inputs approved.
	WorkbookSHA256  string `json:"workbook_sha256"`
	RateAreasSHA256 string `json:"rate_areas_sha256"`
	// Verdict and ReportSHA256 are the check's verdict and the SHA-256 of
	// each report file (by name) that the approver was shown;
	// CheckSHA256 is the SHA-256 of check.json.
	Verdict      string            `json:"verdict"`
	ReportSHA256 map[string]string `json:"report_sha256"`
	CheckSHA256  string            `json:"check_sha256"`
	// Override is the reason given for approving a fail verdict.
	Override    string    `json:"override,omitempty"`
	ApprovedBy  Identity  `json:"approved_by"`
	ApprovedAt  time.Time `json:"approved_at"`
	ToolVersion string    `json:"tool_version"`
}

// MigrationRecord is migration.json: the secure migration generated once
// for a submission and shipped, byte for byte, to every environment.
type MigrationRecord struct {
	Record       string `json:"record"`
	Submission   string `json:"submission"`
	ContractCode string `json:"contract_code"`
	// FileName is <version>_import_pricing_data_<code>.up.sql.
	FileName string `json:"file_name"`
	// Production, Down and Placeholder are the stored files; Lock is the
	// lock file holding the migration's entry, and Manifest its manifest
	// line: what a developer adds to the repository to record it.
	Production     File            `json:"production"`
	Down           File            `json:"down"`
	Placeholder    File            `json:"placeholder"`
	Lock           File            `json:"lock"`
	Manifest       string          `json:"manifest"`
	Entry          *lockfile.Entry `json:"entry"`
	ApprovalSHA256 string          `json:"approval_sha256"`
	ToolVersion    string          `json:"tool_version"`
	Runner         string          `json:"runner"`
	Claim          int             `json:"claim"`
	GeneratedAt    time.Time       `json:"generated_at"`
}

// ImportRecord is imports/<ENV>.json: a submission shipped to one
// environment.
type ImportRecord struct {
	Record       string `json:"record"`
	Submission   string `json:"submission"`
	ContractCode string `json:"contract_code"`
	Environment  string `json:"environment"`
	// Migration is the migration file name, SHA256 its digest.
	Migration string `json:"migration"`
	SHA256    string `json:"sha256"`
	// Upload is the object in the environment's bucket.
	Upload *lockfile.Upload `json:"upload"`
	// Database names the database applied to (host:port/name, no
	// credentials). Applied is false when its tracking table already
	// recorded the migration.
	Database   string `json:"database"`
	Applied    bool   `json:"applied"`
	Statements int    `json:"statements"`
	CopyRows   int64  `json:"copy_rows"`
	// ApprovalSHA256 is the SHA-256 of the approval acted on.
	ApprovalSHA256 string    `json:"approval_sha256"`
	ToolVersion    string    `json:"tool_version"`
	Runner         string    `json:"runner"`
	Claim          int       `json:"claim"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at"`
}
