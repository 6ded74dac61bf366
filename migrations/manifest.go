package migrations

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Entry is one migration named by the manifest.
type Entry struct {
	// Name is the file name, "<version>_<name>.up.sql".
	Name string
	// Version is the 14-digit version prefix of Name (YYYYMMDDHHMMSS).
	Version string
	// Line is the manifest line the entry came from (0 when not from a manifest).
	Line int
}

var (
	nameRE = regexp.MustCompile(`^([0-9]{14})_([a-z0-9][a-z0-9_]*)\.up\.sql$`)
	partRE = regexp.MustCompile(`^([0-9]{14}_[a-z0-9][a-z0-9_]*)\.part-([0-9]{3})\.up\.sql$`)
)

// ParseName validates a migration file name, "<14-digit version>_<name>.up.sql"
// with a name of lower-case letters, digits and underscores, and returns its
// entry.
func ParseName(name string) (Entry, error) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return Entry{}, fmt.Errorf("invalid migration file name %q: want <14-digit version>_<name>.up.sql (name: a-z, 0-9, _)", name)
	}
	return Entry{Name: name, Version: m[1]}, nil
}

// partOf reports whether file is a part "<base>.part-NNN.up.sql" of a split
// migration, returning the whole file's name "<base>.up.sql" and the part
// number.
func partOf(file string) (whole string, n int, ok bool) {
	m := partRE.FindStringSubmatch(file)
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(m[2])
	if err != nil || n == 0 {
		return "", 0, false
	}
	return m[1] + ".up.sql", n, true
}

// PartName returns the file name of part n (1-based) of a split migration.
func PartName(name string, n int) string {
	return strings.TrimSuffix(name, ".up.sql") + fmt.Sprintf(".part-%03d.up.sql", n)
}

// ParseManifest reads a manifest: one migration file name per line, with
// blank lines, '#' comments and surrounding spaces ignored. Invalid names and
// duplicate names or versions are errors naming the line. Entries are
// returned in manifest order.
func ParseManifest(r io.Reader) ([]Entry, error) {
	var (
		entries []Entry
		seen    = map[string]int{} // version -> line
		br      = bufio.NewReader(r)
		lineNo  int
	)
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading manifest line %d: %w", lineNo+1, err)
		}
		if line == "" && err != nil {
			return entries, nil
		}
		lineNo++
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line != "" {
			e, perr := ParseName(line)
			if perr != nil {
				return nil, fmt.Errorf("manifest line %d: %w", lineNo, perr)
			}
			if prev, dup := seen[e.Version]; dup {
				return nil, fmt.Errorf("manifest line %d: version %s of %s is already listed on line %d", lineNo, e.Version, e.Name, prev)
			}
			seen[e.Version] = lineNo
			e.Line = lineNo
			entries = append(entries, e)
		}
		if err != nil {
			return entries, nil
		}
	}
}

// ReadManifest parses the manifest file at path.
func ReadManifest(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening manifest: %w", err)
	}
	defer f.Close()
	entries, err := ParseManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// AppendManifest adds name as a new last line of the manifest at path,
// creating the file when missing. It refuses a malformed name and a version
// the manifest already lists.
func AppendManifest(path, name string) error {
	return UpdateManifest(path, nil, name)
}

// UpdateManifest rewrites the manifest at path atomically: the lines naming
// any of drop are removed and add is appended (see EditManifest). A missing
// file counts as empty.
func UpdateManifest(path string, drop []string, add string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading manifest: %w", err)
	}
	next, err := EditManifest(old, drop, add)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeAtomic(path, next, 0o644)
}

// EditManifest returns manifest without the lines naming any of drop and
// with add appended as a new last line (nothing is appended when add is
// empty). Comments, blank lines and the other entries are kept as they are.
// It refuses a malformed name, a manifest that does not parse, and a version
// the remaining manifest already lists.
func EditManifest(manifest []byte, drop []string, add string) ([]byte, error) {
	var e Entry
	if add != "" {
		var err error
		if e, err = ParseName(add); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	for line := range bytes.Lines(manifest) {
		if slices.Contains(drop, string(bytes.TrimSpace(line))) {
			continue
		}
		out.Write(line)
	}
	entries, err := ParseManifest(bytes.NewReader(out.Bytes()))
	if err != nil {
		return nil, err
	}
	if add == "" {
		return out.Bytes(), nil
	}
	for _, x := range entries {
		if x.Version == e.Version {
			return nil, fmt.Errorf("version %s is already listed on line %d (%s)", e.Version, x.Line, x.Name)
		}
	}
	if b := out.Bytes(); len(b) > 0 && b[len(b)-1] != '\n' {
		out.WriteByte('\n')
	}
	out.WriteString(add + "\n")
	return out.Bytes(), nil
}

// writeAtomic replaces path with data through a synced temporary file in
// the same directory, so readers never see a half-written manifest.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".manifest-*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
