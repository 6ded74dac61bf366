package securegen

import (
	"bufio"
	"bytes"
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

// sink writes a file (or, when splitting, numbered parts cut at line
// boundaries) into a directory through temporary files, hashing while
// writing. Nothing appears under the final names until commit.
type sink struct {
	dir, name string
	limit     int64 // > 0: split into parts of at most limit bytes
	whole     hash.Hash
	size      int64
	parts     []*partFile
	cur       *partFile
	closed    bool
}

type partFile struct {
	f    *os.File
	bw   *bufio.Writer
	h    hash.Hash // nil unless splitting
	size int64
	last byte // last byte written
}

// written describes a committed file.
type written struct {
	Path   string
	SHA256 string
	Size   int64
	Parts  []lockfile.Part
	Paths  []string // every file created (the whole file or its parts)
}

func newSink(dir, name string, splitLimit int64) (*sink, error) {
	s := &sink{dir: dir, name: name, limit: splitLimit, whole: sha256.New()}
	if err := s.rotate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sink) rotate() error {
	if s.cur != nil {
		if err := s.cur.bw.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	f, err := os.CreateTemp(s.dir, ".securemig-*.tmp")
	if err != nil {
		return fmt.Errorf("creating a file in %s: %w", s.dir, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("creating a file in %s: %w", s.dir, err)
	}
	p := &partFile{f: f, last: '\n'}
	if s.limit > 0 {
		p.h = sha256.New() // unsplit files only need the whole digest
	}
	p.bw = bufio.NewWriterSize(f, 1<<20)
	s.parts = append(s.parts, p)
	s.cur = p
	return nil
}

func (p *partFile) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if p.h != nil {
		p.h.Write(b)
	}
	if _, err := p.bw.Write(b); err != nil {
		return err
	}
	p.size += int64(len(b))
	p.last = b[len(b)-1]
	return nil
}

// Write writes b. When splitting, a part is cut only after a newline, so
// callers must write whole lines.
func (s *sink) Write(b []byte) (int, error) {
	n := len(b)
	s.whole.Write(b)
	s.size += int64(n)
	for len(b) > 0 {
		if s.limit <= 0 || s.cur.size+int64(len(b)) <= s.limit {
			if err := s.cur.write(b); err != nil {
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
		if err := s.cur.write(b[:i+1]); err != nil {
			return 0, fmt.Errorf("writing %s: %w", s.name, err)
		}
		b = b[i+1:]
		if err := s.rotate(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// flush writes out the buffers. The data stays under temporary names
// (tempPaths) until commit.
func (s *sink) flush() error {
	for _, p := range s.parts {
		if err := p.bw.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	return nil
}

// tempPaths lists the temporary files in order (the whole file or its
// parts); after flush they hold everything written.
func (s *sink) tempPaths() []string {
	paths := make([]string, len(s.parts))
	for i, p := range s.parts {
		paths[i] = p.f.Name()
	}
	return paths
}

// digest returns the SHA-256 of everything written so far.
func (s *sink) digest() string { return hex.EncodeToString(s.whole.Sum(nil)) }

// commit flushes, syncs and moves the temporary files to their final
// names, never overwriting an existing file. On failure nothing is left.
func (s *sink) commit() (*written, error) {
	if err := s.flush(); err != nil {
		s.cleanup()
		return nil, err
	}
	s.closed = true
	for _, p := range s.parts {
		if err := p.f.Sync(); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("writing %s: %w", s.name, err)
		}
		if err := p.f.Close(); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("writing %s: %w", s.name, err)
		}
	}
	// An empty trailing part (the limit was hit exactly) is dropped.
	if n := len(s.parts); n > 1 && s.parts[n-1].size == 0 {
		os.Remove(s.parts[n-1].f.Name())
		s.parts = s.parts[:n-1]
	}
	w := &written{Path: filepath.Join(s.dir, s.name), SHA256: s.digest(), Size: s.size}
	if len(s.parts) == 1 {
		if err := linkNew(s.parts[0].f.Name(), w.Path); err != nil {
			s.cleanup()
			return nil, err
		}
		w.Paths = []string{w.Path}
		return w, nil
	}
	for i, p := range s.parts {
		name := migrations.PartName(s.name, i+1)
		path := filepath.Join(s.dir, name)
		if err := linkNew(p.f.Name(), path); err != nil {
			for _, done := range w.Paths {
				os.Remove(done)
			}
			s.cleanup()
			return nil, err
		}
		w.Paths = append(w.Paths, path)
		w.Parts = append(w.Parts, lockfile.Part{Name: name, SHA256: hex.EncodeToString(p.h.Sum(nil)), Size: p.size})
	}
	return w, nil
}

// linkNew gives the temporary file tmp its final name; it fails rather
// than replace an existing file.
func linkNew(tmp, path string) error {
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; refusing to overwrite it", path)
		}
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return os.Remove(tmp)
}

// cleanup removes the temporary files.
func (s *sink) cleanup() {
	for _, p := range s.parts {
		if !s.closed {
			p.f.Close()
		}
		os.Remove(p.f.Name())
	}
	s.closed = true
}
