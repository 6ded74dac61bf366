package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FormatOf returns the format a file name's extension implies: .html/.htm,
// .md/.markdown or .json.
func FormatOf(path string) (Format, bool) {
	f, err := ParseFormat(strings.TrimPrefix(filepath.Ext(path), "."))
	return f, err == nil
}

// WriteFile writes the report to path in format f. The report holds prices,
// so the file gets mode 0600 and a new parent directory 0700; the file is
// written under a temporary name and renamed, so a reader never sees half
// a report.
func (r *Report) WriteFile(path string, f Format) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := r.Write(tmp, f); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing report %s: %w", path, err)
	}
	return nil
}
