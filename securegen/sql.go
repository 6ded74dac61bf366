package securegen

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// guardSQL returns the statement that stops the migration when the
// contract code already exists in the target database. The code is
// validated (letters, digits, '-', '_'), so it is safe to inline.
func guardSQL(code, fileName string) string {
	return fmt.Sprintf(`-- Guard: a contract is shipped once. Stop if it already exists here.
DO $securemig_guard$
BEGIN
    IF EXISTS (SELECT 1 FROM public.re_contracts WHERE code = '%[1]s') THEN
        RAISE EXCEPTION 'securemig: contract %[1]s already exists in this database; %[2]s must not be applied again';
    END IF;
END
$securemig_guard$;

`, code, fileName)
}

// downSQL returns the down migration: it deletes exactly the contract's
// rows, children first (reverse foreign-key order), and refuses to run when
// the contract is absent.
func downSQL(fileName, code, contractID string, tables []*Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- securemig down migration for %s\n", fileName)
	fmt.Fprintf(&b, "-- Removes exactly contract %s (id %s) from every contract table, children first.\n\n", code, contractID)
	fmt.Fprintf(&b, `DO $securemig_guard$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.re_contracts WHERE id = '%s'::uuid) THEN
        RAISE EXCEPTION 'securemig: contract %s is not in this database; nothing to roll back';
    END IF;
END
$securemig_guard$;

`, contractID, code)
	for i := len(tables) - 1; i >= 0; i-- {
		t := tables[i]
		fmt.Fprintf(&b, "DELETE FROM %s WHERE %s;\n", t.Ident(), t.Where(contractID, ""))
	}
	return b.String()
}

// openConcat opens files as one stream.
func openConcat(paths []string) (io.ReadCloser, error) {
	var (
		files   []*os.File
		readers []io.Reader
	)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			for _, g := range files {
				g.Close()
			}
			return nil, fmt.Errorf("opening %s: %w", p, err)
		}
		files = append(files, f)
		readers = append(readers, f)
	}
	return &multiFile{Reader: io.MultiReader(readers...), files: files}, nil
}

type multiFile struct {
	io.Reader
	files []*os.File
}

func (m *multiFile) Close() error {
	var first error
	for _, f := range m.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// openSQL opens files as one stream of SQL: a compressed file (.gz) is
// decompressed.
func openSQL(paths []string) (io.ReadCloser, error) {
	if len(paths) != 1 || !strings.HasSuffix(paths[0], migrations.GzipSuffix) {
		return openConcat(paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", paths[0], err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is not gzip data: %w", paths[0], err)
	}
	return &gzipFile{Reader: zr, f: f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g *gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// checkStored compares a compressed file's stored bytes with the digest
// the lock file records for them (the SQL inside is checked when applied).
func checkStored(lockPath string, rep *VerifyReport) error {
	if lockPath == "" || len(rep.Files) != 1 || !strings.HasSuffix(rep.Files[0], migrations.GzipSuffix) {
		return nil
	}
	f, err := lockfile.Load(lockPath)
	if err != nil {
		return err
	}
	e, ok := f.Lookup(rep.FileName)
	if !ok {
		return nil
	}
	want := e.SHA256
	if rep.Kind == KindPlaceholder {
		want = e.PlaceholderSHA256
	}
	got, err := fileSHA256(rep.Files[0])
	if err != nil {
		return err
	}
	if e.Compression != lockfile.Gzip {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s is compressed but the lock file records a plain file", filepath.Base(rep.Files[0])))
	} else if got != want {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the stored (gzip) bytes have SHA-256 %s, the lock file's %s", got, want))
	}
	return nil
}

// fileSHA256 returns the hex SHA-256 of a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
