package migrations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Location is a place migration files are read from: a local directory
// (file://DIR) or an object-store prefix (s3://bucket/prefix).
type Location interface {
	// String returns the location as it was given, e.g. "file://migrations/schema".
	String() string
	// List returns the base names of the files present in the location.
	List(ctx context.Context) ([]string, error)
	// Open opens the named file (a base name returned by List) for reading.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

// OpenFunc opens a Location from a parsed URL of its scheme.
type OpenFunc func(ctx context.Context, u *url.URL) (Location, error)

var (
	schemesMu sync.RWMutex
	schemes   = map[string]OpenFunc{"file": openFileURL}
)

// RegisterScheme makes locations with the given URL scheme (e.g. "s3")
// available to OpenLocation. Registering a scheme twice replaces the first
// registration. It is safe for concurrent use.
func RegisterScheme(scheme string, open func(ctx context.Context, u *url.URL) (Location, error)) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	schemes[strings.ToLower(scheme)] = open
}

// OpenLocation parses a location string such as "file://migrations/schema"
// or "s3://bucket/prefix" and opens it with its registered scheme. A string
// without a scheme is taken as a local directory.
func OpenLocation(ctx context.Context, s string) (Location, error) {
	if !strings.Contains(s, "://") {
		return NewFileLocation(s), nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("migration location %q: %w", s, err)
	}
	schemesMu.RLock()
	open, ok := schemes[strings.ToLower(u.Scheme)]
	schemesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("migration location %q: unknown scheme %q (is its support registered?)", s, u.Scheme)
	}
	loc, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("migration location %q: %w", s, err)
	}
	return loc, nil
}

// fileLocation is a local directory of migration files.
type fileLocation struct {
	dir string
}

// NewFileLocation returns the location of the local directory dir; a relative
// dir is relative to the working directory.
func NewFileLocation(dir string) Location {
	return fileLocation{dir: dir}
}

// openFileURL opens file://DIR. "file://migrations/schema" (host and path
// together) is the relative directory migrations/schema; "file:///abs/dir" is
// absolute.
func openFileURL(_ context.Context, u *url.URL) (Location, error) {
	dir := u.Host + u.Path
	if u.Opaque != "" {
		dir = u.Opaque
	}
	if dir == "" {
		return nil, errors.New("file location has no directory")
	}
	return fileLocation{dir: filepath.FromSlash(dir)}, nil
}

func (l fileLocation) String() string { return "file://" + filepath.ToSlash(l.dir) }

// List returns the names of the regular files in the directory (symbolic
// links to regular files included), sorted. A directory that does not exist
// holds no files.
func (l fileLocation) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", l, err)
	}
	var names []string
	for _, e := range ents {
		regular := e.Type().IsRegular()
		if e.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(filepath.Join(l.dir, e.Name()))
			regular = err == nil && st.Mode().IsRegular()
		}
		if regular {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Open opens a file of the directory. Names containing a path separator are
// refused so that a manifest line cannot reach outside the directory.
func (l fileLocation) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("opening %q in %s: not a plain file name", name, l)
	}
	f, err := os.Open(filepath.Join(l.dir, name))
	if err != nil {
		return nil, fmt.Errorf("opening %s in %s: %w", name, l, err)
	}
	return f, nil
}
