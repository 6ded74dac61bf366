package migrations

// GzipSuffix ends the name of a gzip-compressed migration file: a location
// may hold <version>_<name>.up.sql or <version>_<name>.up.sql.gz (not both);
// the manifest, the lock file and the tracking table always name the
// migration without the suffix.
const GzipSuffix = ".gz"
