// Package task is the unattended pipeline: run from a scheduler (cron, a
// systemd timer, a Kubernetes CronJob, an ECS scheduled task), it picks up
// workbooks dropped into an S3 prefix, checks them, publishes the results
// beside them for a person to review, and ships approved ones to an
// environment. It orchestrates the other packages (parser, importer,
// report, securegen, release, migrations, s3store) through their public
// APIs and adds only naming, claims and records.
//
// # The inbox
//
// The source is s3://BUCKET/PREFIX/. A submission is a workbook directly
// under the prefix named after its contract code, with the rate-areas CSV
// beside it and an optional contract sidecar:
//
//	PREFIX/<CODE>.xlsx              the pricing workbook; CODE is the contract code
//	PREFIX/<CODE>.rate-areas.csv    the zip-to-rate-area reference CSV (required)
//	PREFIX/<CODE>.contract.json     optional: {"contract_name": "...", "contract_start_date": "YYYY-MM-DD"}
//
// A submission's identity is its content: the submission ID is the SHA-256
// of the SHA-256s of its files (SubmissionID), so a re-upload of the same
// bytes is the same submission and any change makes a new one.
//
// # Results
//
// Everything the task writes goes beside the workbook, under
// PREFIX/<CODE>.securemig/<ID>/, and is never overwritten (conditional
// writes, If-None-Match):
//
//	input/                        the exact files checked; later steps read these, never the inbox
//	claims/<STEP>/<N>.json        claims: which runner works on a step, until when
//	check-<N>/                    report.html, report.md, report.json, problems.json of claim N
//	check.json                    the check record (verdict, SHA-256s, versions): written last
//	approval.json                 a person's approval
//	migration-<N>/, migration.json  the secure migration generated for it, once
//	imports/<ENV>.json            the import into environment ENV
//
// An index under PREFIX/.securemig/ lets an idle run decide from two
// listings, without reading any object: seen/<CODE>/<ETAGS> marks inbox
// files (by ETag and size) already checked, approved/<CODE>/<ID> marks
// approvals, imported/<ENV>/<CODE>/<ID> marks finished imports.
//
// # Claims
//
// Before working on a step a runner creates the next claim object with a
// conditional write, so of two runners started at once exactly one
// proceeds. A claim expires after a TTL (a crashed runner); a runner that
// fails releases its claim, with the reason, so that the next run retries.
// A step's record is itself written conditionally, so even a runner that
// outlived its claim cannot record a step twice.
package task
