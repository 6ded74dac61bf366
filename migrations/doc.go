// Package migrations is securemig's migration engine. It reads the manifest
// (migrations/manifest.txt), resolves every listed file in an ordered list of
// locations (file://DIR built in, other schemes registered with
// RegisterScheme; later locations override earlier ones), records what ran in
// the securemig_migrations table with SHA-256 checksums, and applies pending
// files one transaction per file under a session advisory lock.
//
// Files are split into statements by package sqlscan while they stream, so
// pg_dump output (COPY ... FROM stdin blocks, \restrict lines) applies
// exactly as psql would, in constant memory. Errors name the file, line,
// statement number and SQLSTATE but never statement text or row values.
package migrations
