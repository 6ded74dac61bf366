package securegen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/migrations"
)

// gzipLevel is the compression level of --compress: nearly the default
// level's ratio at a fraction of its time.
const gzipLevel = gzip.BestSpeed

// sink writes one output file (or, when splitting, numbered parts cut at
// line boundaries) into a run's staging directory, hashing while writing:
// the SQL written and, when compressing, the stored (gzip) bytes. The
// files get their final names only at commit (see staging).
type sink struct {
	dir   string // staging directory
	stem  string // staging file name stem
	name  string // final file name of the SQL, <version>_<name>.up.sql
	limit int64  // > 0: split into parts of at most limit bytes
	sql   hash.Hash
	size  int64 // SQL bytes written
	gz    *gzip.Writer
	parts []*partFile
	cur   *partFile
}

// partFile is one staged file.
type partFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	wb   *writeBack
	h    hash.Hash // stored bytes' digest; nil when it equals the SQL's
	size int64     // stored bytes
	last byte      // last byte written
}

// storedName is the final name of the stored file: name, or name.gz.
func (s *sink) storedName() string {
	if s.gz != nil {
		return s.name + migrations.GzipSuffix
	}
	return s.name
}

func newSink(dir, stem, name string, splitLimit int64, compress bool) (*sink, error) {
	if compress && splitLimit > 0 {
		return nil, errors.New("a compressed file cannot be split")
	}
	s := &sink{dir: dir, stem: stem, name: name, limit: splitLimit, sql: sha256.New()}
	if err := s.rotate(); err != nil {
		return nil, err
	}
	if compress {
		s.cur.h = sha256.New()
		gz, err := gzip.NewWriterLevel(s.cur, gzipLevel)
		if err != nil {
			return nil, err
		}
		// The zero header (no name, no time, unknown OS) keeps the bytes
		// identical for identical SQL.
		s.gz = gz
	}
	return s, nil
}

func (s *sink) rotate() error {
	if s.cur != nil {
		if err := s.cur.bw.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%s.%03d", s.stem, len(s.parts)+1))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating a file in %s: %w", s.dir, err)
	}
	p := &partFile{path: path, f: f, last: '\n', wb: newWriteBack(f)}
	if s.limit > 0 {
		p.h = sha256.New() // unsplit files only need the whole digest
	}
	p.bw = bufio.NewWriterSize(p.wb, 1<<20)
	s.parts = append(s.parts, p)
	s.cur = p
	return nil
}

// Write writes the stored bytes of a part.
func (p *partFile) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if p.h != nil {
		p.h.Write(b)
	}
	if _, err := p.bw.Write(b); err != nil {
		return 0, err
	}
	p.size += int64(len(b))
	p.last = b[len(b)-1]
	return len(b), nil
}

// Write writes SQL bytes. When splitting, a part is cut only after a
// newline, so callers must write whole lines.
func (s *sink) Write(b []byte) (int, error) {
	n := len(b)
	s.sql.Write(b)
	s.size += int64(n)
	if s.gz != nil {
		if _, err := s.gz.Write(b); err != nil {
			return 0, fmt.Errorf("writing %s: %w", s.name, err)
		}
		return n, nil
	}
	for len(b) > 0 {
		if s.limit <= 0 || s.cur.size+int64(len(b)) <= s.limit {
			if _, err := s.cur.Write(b); err != nil {
				return 0, fmt.Errorf("writing %s: %w", s.name, err)
			}
			return n, nil
		}
		room := s.limit - s.cur.size
		i := bytes.LastIndexByte(b[:room], '\n')
		if i < 0 {
			if s.cur.size == 0 || s.cur.last != '\n' {
				return 0, fmt.Errorf("writing %s: a line is longer than the part size limit %d", s.name, s.limit)
			}
			if err := s.rotate(); err != nil {
				return 0, err
			}
			continue
		}
		if _, err := s.cur.Write(b[:i+1]); err != nil {
			return 0, fmt.Errorf("writing %s: %w", s.name, err)
		}
		b = b[i+1:]
		if err := s.rotate(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// finish ends the gzip stream and writes out the buffers. An empty
// trailing part (the limit was hit exactly) is dropped.
func (s *sink) finish() error {
	if s.gz != nil {
		if err := s.gz.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	for _, p := range s.parts {
		if err := p.bw.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	if n := len(s.parts); n > 1 && s.parts[n-1].size == 0 {
		last := s.parts[n-1]
		last.f.Close()
		os.Remove(last.path)
		s.parts = s.parts[:n-1]
	}
	return nil
}

// sync makes the staged files durable and closes them.
func (s *sink) sync() error {
	for _, p := range s.parts {
		if err := p.wb.sync(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
		if err := p.f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	return nil
}

// close closes the files (after a failure; the staging directory is
// removed with them).
func (s *sink) close() {
	for _, p := range s.parts {
		p.f.Close()
	}
}

// sqlDigest returns the SHA-256 of the SQL written.
func (s *sink) sqlDigest() string { return hex.EncodeToString(s.sql.Sum(nil)) }

// storedDigest returns the SHA-256 and size of the stored bytes (all parts
// together): the SQL's unless compressed.
func (s *sink) storedDigest() (string, int64) {
	if s.gz == nil {
		return s.sqlDigest(), s.size
	}
	return hex.EncodeToString(s.parts[0].h.Sum(nil)), s.parts[0].size
}

// finals lists the staged files with their final names in dir, and the
// lock file's parts when split.
func (s *sink) finals(dir string) (staged, final []string, parts []lockfile.Part) {
	if len(s.parts) == 1 {
		return []string{s.parts[0].path}, []string{filepath.Join(dir, s.storedName())}, nil
	}
	for i, p := range s.parts {
		name := migrations.PartName(s.name, i+1)
		staged = append(staged, p.path)
		final = append(final, filepath.Join(dir, name))
		parts = append(parts, lockfile.Part{Name: name, SHA256: hex.EncodeToString(p.h.Sum(nil)), Size: p.size})
	}
	return staged, final, parts
}
