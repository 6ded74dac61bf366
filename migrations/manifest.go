package migrations

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
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

// AppendManifest appends name as a new line of the manifest at path, creating
// the file when it does not exist. The name must be valid and its version
// must not already be listed.
func AppendManifest(path, name string) error {
	e, err := ParseName(name)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading manifest: %w", err)
	}
	entries, err := ParseManifest(strings.NewReader(string(old)))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, x := range entries {
		if x.Version == e.Version {
			return fmt.Errorf("%s: version %s is already listed on line %d (%s)", path, e.Version, x.Line, x.Name)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening manifest: %w", err)
	}
	line := name + "\n"
	if len(old) > 0 && old[len(old)-1] != '\n' {
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	return nil
}
