// Package report builds the spot-check report of an imported pricing
// contract: a deterministic sample of prices with their workbook cells (as
// Excel references), row counts against the workbook's dimensions,
// completeness and anomaly checks (findings grouped by what they say),
// per-service statistics and a diff against the contract that came before
// it. It renders the report, in the order a reviewer works, as one
// self-contained HTML file, as Markdown for pull requests (the sample as a
// task list), and as JSON whose schema (schema.json) is stable.
//
// The analysis is pure: Load reads a contract from the database into a
// Dataset, and Analyze turns Datasets into a Report without any I/O. Generate
// does both.
//
// The report shows prices on purpose (a reviewer compares them with the
// workbook), so files holding it are written with 0600 permissions; errors of
// this package never contain prices.
package report
