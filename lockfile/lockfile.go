// Package lockfile reads and writes migrations/secure.lock, the committed
// record that links each secure migration placeholder in git to the exact
// bytes of its production file: SHA-256, size, per-table row counts and, per
// environment, the uploaded object.
//
// The file is JSON with sorted keys, written atomically (temporary file and
// rename) under an advisory file lock, so concurrent writers never lose each
// other's entries and a crash never leaves a half-written file.
package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// DefaultPath is the lock file's location relative to the project root.
const DefaultPath = "migrations/secure.lock"

// FormatVersion is the version of the file format written by this package.
const FormatVersion = 1

// File is the whole lock file.
type File struct {
	// Version is the file format version.
	Version int `json:"version"`
	// Migrations maps a production file name (<version>_<name>.up.sql) to its entry.
	Migrations map[string]*Entry `json:"migrations"`
}

// Entry describes one secure migration's production file.
type Entry struct {
	// SHA256 is the hex SHA-256 of the production file's bytes (of the
	// concatenated parts when split).
	SHA256 string `json:"sha256"`
	// Size is the production file's size in bytes.
	Size int64 `json:"size"`
	// Compression is Gzip when the production file and the placeholder are
	// stored gzipped (<name>.gz); SHA256 and Size then describe the stored
	// (compressed) bytes and SQLSHA256 and SQLSize the SQL inside.
	Compression string `json:"compression,omitempty"`
	// SQLSHA256 and SQLSize describe the SQL inside a compressed production
	// file (empty when plain: the stored bytes are the SQL).
	SQLSHA256 string `json:"sql_sha256,omitempty"`
	SQLSize   int64  `json:"sql_size,omitempty"`
	// ContractCode is the pricing contract the migration ships, if any.
	ContractCode string `json:"contract_code,omitempty"`
	// WorkbookSHA256 is the hex SHA-256 of the workbook the data came from, if any.
	WorkbookSHA256 string `json:"workbook_sha256,omitempty"`
	// GeneratedAt is when the production file was generated (UTC).
	GeneratedAt time.Time `json:"generated_at"`
	// ToolVersion is the securemig version that generated it.
	ToolVersion string `json:"tool_version,omitempty"`
	// Tables maps each table to the number of rows the file loads into it.
	Tables map[string]int64 `json:"tables,omitempty"`
	// Parts lists the part files, in order, when the file was split.
	Parts []Part `json:"parts,omitempty"`
	// PlaceholderSHA256 is the hex SHA-256 of the scrubbed placeholder in git
	// (of its stored bytes).
	PlaceholderSHA256 string `json:"placeholder_sha256,omitempty"`
	// PlaceholderSQLSHA256 is the hex SHA-256 of the SQL inside a compressed
	// placeholder.
	PlaceholderSQLSHA256 string `json:"placeholder_sql_sha256,omitempty"`
	// DownSHA256 is the hex SHA-256 of the matching down migration, if any.
	DownSHA256 string `json:"down_sha256,omitempty"`
	// CreatedAt and CreatedBy say when and by whom (actor: "user@host") the
	// entry was written. GeneratedAt is the version's timestamp, which the
	// file's header repeats; CreatedAt is the wall clock.
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	// Reverts, on a revert migration's entry, is the production file name of
	// the secure migration it reverts. Such an entry describes a committed
	// file in migrations/revert (SHA256 and Size are its bytes; Tables the
	// rows it removes).
	Reverts string `json:"reverts,omitempty"`
	// RevertedBy, on a secure migration's entry, is the file name of the
	// revert migration generated for it.
	RevertedBy string `json:"reverted_by,omitempty"`
	// Uploads maps an environment name to the object uploaded there.
	Uploads map[string]*Upload `json:"uploads,omitempty"`
}

// Gzip is the Compression of gzipped migration files, stored with the
// GzipSuffix after the migration's name.
const (
	Gzip       = "gzip"
	GzipSuffix = ".gz"
)

// StoredName returns the name of the stored production file or
// placeholder: name, with the ".gz" suffix when compressed.
func (e *Entry) StoredName(name string) string {
	if e.Compression == Gzip {
		return name + GzipSuffix
	}
	return name
}

// SQLDigest returns the SHA-256 of the production file's SQL: SQLSHA256
// when compressed, else SHA256.
func (e *Entry) SQLDigest() string {
	if e.Compression != "" {
		return e.SQLSHA256
	}
	return e.SHA256
}

// PlaceholderSQLDigest returns the SHA-256 of the placeholder's SQL.
func (e *Entry) PlaceholderSQLDigest() string {
	if e.Compression != "" {
		return e.PlaceholderSQLSHA256
	}
	return e.PlaceholderSHA256
}

// Part is one part of a split production file.
type Part struct {
	// Name is the part's file name (<version>_<name>.part-NNN.up.sql).
	Name string `json:"name"`
	// SHA256 is the hex SHA-256 of the part's bytes.
	SHA256 string `json:"sha256"`
	// Size is the part's size in bytes.
	Size int64 `json:"size"`
}

// Upload records one object uploaded to one environment.
type Upload struct {
	// Bucket and Key locate the object.
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// VersionID is the object's version id when the bucket is versioned.
	VersionID string `json:"version_id,omitempty"`
	// SHA256 is the digest verified on the stored object after upload.
	SHA256 string `json:"sha256"`
	// Size is the stored object's size in bytes.
	Size int64 `json:"size"`
	// Checksums maps each stored object's name (the file, or each part of a
	// split file) to the SHA-256 checksum the store reported for it and the
	// upload verified: base64 of the digest for a single PUT, the composite
	// "<base64>-<parts>" for a multipart upload. Status checks compare the
	// store's checksum with it.
	Checksums map[string]string `json:"checksums,omitempty"`
	// UploadedAt is when the upload was verified (UTC).
	UploadedAt time.Time `json:"uploaded_at"`
	// UploadedBy is the actor who uploaded ("user@host", or SECUREMIG_ACTOR)
	// and, when known, the AWS profile used: "user@host (profile app-stg)".
	UploadedBy string `json:"uploaded_by,omitempty"`
}

// IsRevert reports whether the entry describes a revert migration.
func (e *Entry) IsRevert() bool { return e.Reverts != "" }

// Contract returns the names of the entries of the contract with code, in
// name (version) order; revert entries are included.
func (f *File) Contract(code string) []string {
	var names []string
	for name, e := range f.Migrations {
		if e != nil && e.ContractCode == code {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// New returns an empty lock file.
func New() *File {
	return &File{Version: FormatVersion, Migrations: map[string]*Entry{}}
}

// Load reads the lock file at path. A missing file yields an empty File.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	return decode(path, data)
}

// Parse decodes lock file contents; name is used in error messages.
func Parse(name string, data []byte) (*File, error) { return decode(name, data) }

func decode(path string, data []byte) (*File, error) {
	f := New()
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("lock file %s: format version %d, this securemig reads version %d", path, f.Version, FormatVersion)
	}
	if f.Migrations == nil {
		f.Migrations = map[string]*Entry{}
	}
	return f, nil
}

// Lookup returns the entry for a production file name.
func (f *File) Lookup(name string) (*Entry, bool) {
	e, ok := f.Migrations[name]
	return e, ok && e != nil
}

// Marshal returns the file's canonical JSON form: indented, keys sorted,
// with a final newline.
func (f *File) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding lock file: %w", err)
	}
	return append(data, '\n'), nil
}

// Save writes f to path atomically. Prefer Update, which also serialises
// concurrent writers.
func (f *File) Save(path string) error {
	return f.saveVia(path, filepath.Dir(path))
}

// saveVia writes f to path atomically through a temporary file in tmpDir
// (on path's file system).
func (f *File) saveVia(path, tmpDir string) error {
	data, err := f.Marshal()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(tmpDir, ".secure.lock.*")
	if err != nil {
		return fmt.Errorf("writing lock file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing lock file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing lock file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing lock file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing lock file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing lock file: %w", err)
	}
	return nil
}

// Update loads the lock file at path, calls fn on it and saves the result,
// holding an exclusive advisory lock on path's directory throughout (the
// file itself is replaced by rename, so it cannot carry the lock), so that
// concurrent updates (say, two environments uploading at once) are
// serialised. When fn returns an error nothing is written.
func Update(path string, fn func(*File) error) error {
	return UpdateVia(path, filepath.Dir(path), fn)
}

// UpdateVia is Update writing its temporary file in tmpDir, a directory on
// path's file system (say, a git-ignored one, so that a process killed
// while writing leaves nothing beside the lock file).
func UpdateVia(path, tmpDir string, fn func(*File) error) error {
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("locking lock file: %w", err)
	}
	defer dir.Close()
	if err := syscall.Flock(int(dir.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking lock file: %w", err)
	}
	defer syscall.Flock(int(dir.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
	f, err := Load(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	return f.saveVia(path, tmpDir)
}
