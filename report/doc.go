// Package report builds the spot-check report of an imported pricing
// contract: row counts against the workbook's dimensions, completeness and
// anomaly checks, per-service statistics, a diff against another contract and
// a deterministic sample of prices with their workbook cells. It renders the
// report as one self-contained HTML file, as Markdown for pull requests, and
// as JSON whose schema (schema.json) is stable.
//
// The analysis is pure: Load reads a contract from the database into a
// Dataset, and Analyze turns Datasets into a Report without any I/O. Generate
// does both.
//
// The report shows prices on purpose (a reviewer compares them with the
// workbook), so files holding it are written with 0600 permissions; errors of
// this package never contain prices.
package report
