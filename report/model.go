package report

import "time"

// SchemaVersion is the version of the JSON schema (schema.json) that Report
// follows. It changes only when a field is removed or changes meaning.
const SchemaVersion = 1

// Verdict is the overall outcome of a report.
type Verdict string

// Verdicts, from best to worst.
const (
	VerdictPass     Verdict = "pass"     // every check passed
	VerdictWarnings Verdict = "warnings" // some checks warned; the import is still usable
	VerdictFail     Verdict = "fail"     // a blocking check failed
)

// ExitCode returns the process exit status of a verdict: 0 pass, 1
// warnings, 2 fail.
func (v Verdict) ExitCode() int {
	switch v {
	case VerdictPass:
		return 0
	case VerdictWarnings:
		return 1
	default:
		return 2
	}
}

// Status is the outcome of one check or count.
type Status string

// Check statuses.
const (
	StatusPass    Status = "pass"
	StatusWarning Status = "warning"
	StatusFail    Status = "fail"
	StatusSkipped Status = "skipped" // the check could not run (the reason is in Detail)
)

// Severity is how bad one finding is.
type Severity string

// Finding severities.
const (
	SeverityWarning Severity = "warning" // worth a look, not blocking
	SeverityFail    Severity = "fail"    // blocking
)

// Report is the spot-check report of one contract. Its JSON encoding is the
// documented, stable format of schema.json.
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	GeneratedAt   time.Time      `json:"generated_at"`
	Generator     string         `json:"generator"` // version of the tool that wrote the report
	Summary       Summary        `json:"summary"`
	Counts        []TableCount   `json:"counts"`
	Checks        []Check        `json:"checks"`
	Statistics    []ServiceStats `json:"statistics"`
	Diff          *Diff          `json:"diff"` // nil when there is no contract to compare to
	Sample        []SampleRow    `json:"sample"`
	Notes         []string       `json:"notes"`
}

// Summary identifies the contract and its import and gives the verdict.
type Summary struct {
	ContractCode string `json:"contract_code"`
	ContractName string `json:"contract_name"`
	// Import log fields; nil when the contract has no import log entry.
	WorkbookName      *string    `json:"workbook_name"`
	WorkbookSHA256    *string    `json:"workbook_sha256"`
	ImportedAt        *time.Time `json:"imported_at"`
	ImportToolVersion *string    `json:"import_tool_version"`
	ImportStatus      *string    `json:"import_status"`
	ComparedTo        *string    `json:"compared_to"` // contract code of the diff base
	// Comparison is how the diff base was chosen (previous, requested,
	// earliest or off) and ComparisonReason why, in words.
	Comparison       string  `json:"comparison"`
	ComparisonReason string  `json:"comparison_reason"`
	Verdict          Verdict `json:"verdict"`
	FailedChecks     int     `json:"failed_checks"`
	WarningChecks    int     `json:"warning_checks"`
	// SourceCells tells whether the Excel rows of the contract's import are
	// known (recorded with the import), so sample and findings carry exact
	// workbook cells; otherwise locations name the sheet, column and key.
	SourceCells bool `json:"source_cells"`
}

// TableCount compares a table's row count with what the workbook's
// dimensions and the import log say it should be.
type TableCount struct {
	Table      string `json:"table"`
	Rows       int64  `json:"rows"`
	Expected   *int64 `json:"expected"`   // from the workbook's dimensions; nil when not derivable
	Derivation string `json:"derivation"` // how Expected was computed, e.g. "226 service areas × 60"
	Logged     *int64 `json:"logged"`     // as recorded by the import; nil without a log entry
	Status     Status `json:"status"`
}

// Check is the outcome of one completeness or anomaly check.
type Check struct {
	ID          string    `json:"id"`       // stable identifier, e.g. "completeness.linehaul"
	Category    string    `json:"category"` // import, counts, completeness or anomaly
	Title       string    `json:"title"`
	Description string    `json:"description"` // what the check verifies
	Status      Status    `json:"status"`
	Detail      string    `json:"detail"`   // why a check was skipped, or a summary of what fired
	Count       int       `json:"count"`    // number of findings in total
	Findings    []Finding `json:"findings"` // at most Options.MaxFindings of them
	Truncated   bool      `json:"truncated"`
	// Groups holds all findings by what they say, e.g. every price
	// unchanged in one service group: how the report lists them.
	Groups []FindingGroup `json:"groups"`
}

// FindingGroup is the findings of one check that say the same thing about
// different prices or rows.
type FindingGroup struct {
	Severity Severity `json:"severity"`
	// Summary says what the findings have in common, with their number,
	// e.g. "60 prices unchanged since A while 660 of 720 … prices changed".
	Summary   string    `json:"summary"`
	Count     int       `json:"count"`    // findings in the group
	Findings  []Finding `json:"findings"` // the first Options.MaxFindings of them
	Truncated bool      `json:"truncated"`
}

// Finding is one violation found by a check.
type Finding struct {
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Table    string   `json:"table"`    // "" when not about one table
	Key      string   `json:"key"`      // the price's natural key, e.g. "DSH · SA 452 · Peak"
	Value    *string  `json:"value"`    // the value as the workbook shows it, when relevant
	Location string   `json:"location"` // workbook sheet and cell (or sheet and key)
	Ref      string   `json:"ref"`      // Excel reference of the cell ('sheet'!A1); "" when not known
}

// ServiceStats are the statistics of one service group (table and service).
type ServiceStats struct {
	Table         string  `json:"table"`
	Service       string  `json:"service"` // service code; "" for linehaul and transition
	Name          string  `json:"name"`
	Unit          Unit    `json:"unit"`
	Count         int     `json:"count"`
	Min           int64   `json:"min"`
	Median        float64 `json:"median"`
	Max           int64   `json:"max"`
	MinDisplay    string  `json:"min_display"`
	MedianDisplay string  `json:"median_display"`
	MaxDisplay    string  `json:"max_display"`
}

// Diff compares the contract's prices with those of another contract,
// matched by natural key.
type Diff struct {
	BaseContract string `json:"base_contract"`
	Added        int    `json:"added"`     // keys only in this contract
	Removed      int    `json:"removed"`   // keys only in the base contract
	Changed      int    `json:"changed"`   // keys in both with different values
	Unchanged    int    `json:"unchanged"` // keys in both with equal values
	// ListLimit is the most entries AddedKeys, RemovedKeys and ChangedKeys
	// hold; the totals above are always complete.
	ListLimit   int         `json:"list_limit"`
	AddedKeys   []PriceRef  `json:"added_keys"`
	RemovedKeys []PriceRef  `json:"removed_keys"`
	ChangedKeys []Change    `json:"changed_keys"`
	Histogram   []Bin       `json:"histogram"` // % change of all changed prices
	Groups      []DiffGroup `json:"groups"`
	TopMovers   []Change    `json:"top_movers"` // largest absolute % changes
}

// DiffGroup is the diff of one service group.
type DiffGroup struct {
	Table     string   `json:"table"`
	Service   string   `json:"service"`
	Name      string   `json:"name"`
	Added     int      `json:"added"`
	Removed   int      `json:"removed"`
	Changed   int      `json:"changed"`
	Unchanged int      `json:"unchanged"`
	MedianPct *float64 `json:"median_pct"` // median % change of the changed prices with a non-zero base
	Histogram []Bin    `json:"histogram"`
}

// Bin is one bin of a % change distribution: [Lower, Upper), open-ended
// where a bound is nil.
type Bin struct {
	Label string   `json:"label"`
	Lower *float64 `json:"lower"`
	Upper *float64 `json:"upper"`
	Count int      `json:"count"`
}

// PriceRef is one price with its key and workbook location.
type PriceRef struct {
	Table    string `json:"table"`
	Service  string `json:"service"`
	Season   string `json:"season"` // NonPeak, Peak or ""
	Key      string `json:"key"`
	Value    int64  `json:"value"` // in Unit
	Unit     Unit   `json:"unit"`
	Display  string `json:"display"`
	Location string `json:"location"`
	Ref      string `json:"ref"` // Excel reference of the cell ('sheet'!A1); "" when not known
}

// Change is one price present in both contracts with different values.
type Change struct {
	Table      string   `json:"table"`
	Service    string   `json:"service"`
	Season     string   `json:"season"`
	Key        string   `json:"key"`
	Unit       Unit     `json:"unit"`
	Old        int64    `json:"old"`
	New        int64    `json:"new"`
	OldDisplay string   `json:"old_display"`
	NewDisplay string   `json:"new_display"`
	Pct        *float64 `json:"pct"` // nil when the old value is zero
	Location   string   `json:"location"`
	Ref        string   `json:"ref"` // Excel reference of the cell ('sheet'!A1); "" when not known
}

// SampleRow is one price of the spot-check sample.
type SampleRow struct {
	PriceRef
	Sheet string `json:"sheet"`
	Cell  string `json:"cell"` // A1 cell; "" when the row is not known
}
