package migrations

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Source is where a manifest entry's bytes are: one file of a location, or
// the parts of a split file, read in order as one stream.
type Source struct {
	// Location holds the file.
	Location Location
	// Files lists the file names to read, in order: the whole file, or its
	// parts (<version>_<name>.part-NNN.up.sql).
	Files []string
}

// String describes the source, e.g. "file://migrations/secure",
// "s3://bucket/prefix (3 parts)" or "file://tmp/secure (gzip)".
func (s Source) String() string {
	switch {
	case len(s.Files) > 1 || len(s.Files) == 1 && partRE.MatchString(s.Files[0]):
		return fmt.Sprintf("%s (%d parts)", s.Location, len(s.Files))
	case s.Compressed():
		return s.Location.String() + " (gzip)"
	}
	return s.Location.String()
}

// Compressed reports a gzip-compressed file (<version>_<name>.up.sql.gz).
func (s Source) Compressed() bool {
	return len(s.Files) == 1 && strings.HasSuffix(s.Files[0], GzipSuffix)
}

// resolution is the outcome of resolving the manifest in the locations.
type resolution struct {
	sources  map[string]Source // by entry name
	missing  []Entry           // listed but found nowhere
	unlisted []unlisted        // present but not listed
}

// unlisted is a migration file present in a location but not in the manifest.
type unlisted struct {
	name string
	loc  Location
}

// resolve finds every entry in locs; later locations override earlier ones.
// In one location a whole file wins over parts of it.
func resolve(ctx context.Context, locs []Location, entries []Entry) (*resolution, error) {
	res := &resolution{sources: map[string]Source{}}
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.Name] = true
	}
	type content struct {
		whole map[string]bool
		gz    map[string]bool           // name (without .gz) of a compressed file
		parts map[string]map[int]string // whole name -> part number -> part name
	}
	contents := make([]content, len(locs))
	for i, loc := range locs {
		names, err := loc.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", loc, err)
		}
		c := content{whole: map[string]bool{}, gz: map[string]bool{}, parts: map[string]map[int]string{}}
		for _, n := range names {
			if plain, ok := strings.CutSuffix(n, GzipSuffix); ok && nameRE.MatchString(plain) {
				c.gz[plain] = true
				if !listed[plain] {
					res.unlisted = append(res.unlisted, unlisted{n, loc})
				}
				continue
			}
			if whole, k, ok := partOf(n); ok {
				if c.parts[whole] == nil {
					c.parts[whole] = map[int]string{}
				}
				c.parts[whole][k] = n
				if !listed[whole] {
					res.unlisted = append(res.unlisted, unlisted{n, loc})
				}
				continue
			}
			c.whole[n] = true
			if strings.HasSuffix(n, ".up.sql") && !listed[n] {
				res.unlisted = append(res.unlisted, unlisted{n, loc})
			}
		}
		contents[i] = c
	}
	for _, e := range entries {
		found := false
		for i := len(locs) - 1; i >= 0 && !found; i-- {
			c := contents[i]
			switch {
			case c.whole[e.Name] && c.gz[e.Name]:
				return nil, fmt.Errorf("%s holds both %s and %s: one migration must have one file per location; remove one of them",
					locs[i], e.Name, e.Name+GzipSuffix)
			case c.gz[e.Name]:
				res.sources[e.Name] = Source{Location: locs[i], Files: []string{e.Name + GzipSuffix}}
				found = true
			case c.whole[e.Name]:
				res.sources[e.Name] = Source{Location: locs[i], Files: []string{e.Name}}
				found = true
			case len(c.parts[e.Name]) > 0:
				files, err := partList(e.Name, c.parts[e.Name])
				if err != nil {
					return nil, fmt.Errorf("%s: %w", locs[i], err)
				}
				res.sources[e.Name] = Source{Location: locs[i], Files: files}
				found = true
			}
		}
		if !found {
			res.missing = append(res.missing, e)
		}
	}
	return res, nil
}

// partList orders the parts of name, which must be numbered from 1 without
// gaps.
func partList(name string, parts map[int]string) ([]string, error) {
	nums := make([]int, 0, len(parts))
	for k := range parts {
		nums = append(nums, k)
	}
	sort.Ints(nums)
	files := make([]string, len(nums))
	for i, k := range nums {
		if k != i+1 {
			return nil, fmt.Errorf("%s is split but part %s is missing", name, PartName(name, i+1))
		}
		files[i] = parts[k]
	}
	return files, nil
}

// partsReader reads the files of a Source one after another, opening each
// only when the previous one is done. It remembers the stream line where each
// file starts, to name the file and line of an error.
type partsReader struct {
	ctx    context.Context
	src    Source
	next   int
	cur    io.ReadCloser
	lines  int   // newlines read so far
	starts []int // stream line of each opened file's first line
}

// openSource opens the concatenated stream of src.
func openSource(ctx context.Context, src Source) *partsReader {
	return &partsReader{ctx: ctx, src: src}
}

func (r *partsReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if r.next == len(r.src.Files) {
				return 0, io.EOF
			}
			rc, err := openStored(r.ctx, r.src.Location, r.src.Files[r.next])
			if err != nil {
				return 0, fmt.Errorf("opening %s in %s: %w", r.src.Files[r.next], r.src.Location, err)
			}
			r.cur = rc
			r.starts = append(r.starts, r.lines+1)
			r.next++
		}
		n, err := r.cur.Read(p)
		r.lines += bytes.Count(p[:n], []byte{'\n'})
		if err == io.EOF {
			cerr := r.cur.Close()
			r.cur = nil
			if cerr != nil {
				return n, fmt.Errorf("closing %s: %w", r.src.Files[r.next-1], cerr)
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reading %s from %s: %w", r.src.Files[r.next-1], r.src.Location, err)
		}
		return n, nil
	}
}

// Close closes the file being read, if any.
func (r *partsReader) Close() error {
	if r.cur == nil {
		return nil
	}
	err := r.cur.Close()
	r.cur = nil
	return err
}

// locate maps a line of the stream to the file and line it came from.
func (r *partsReader) locate(line int) (string, int) {
	for i := len(r.starts) - 1; i >= 0; i-- {
		if r.starts[i] <= line {
			return r.src.Files[i], line - r.starts[i] + 1
		}
	}
	return r.src.Files[0], line
}

// openStored opens a file of a location; a compressed one (.gz) is
// decompressed as it is read (its CRC and size are checked at the end).
func openStored(ctx context.Context, loc Location, name string) (io.ReadCloser, error) {
	rc, err := loc.Open(ctx, name)
	if err != nil || !strings.HasSuffix(name, GzipSuffix) {
		return rc, err
	}
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s is not gzip data: %w", name, err)
	}
	return &gzipFile{Reader: zr, raw: rc}, nil
}

// gzipFile decompresses a stored file; Close closes both.
type gzipFile struct {
	*gzip.Reader
	raw io.ReadCloser
}

func (g *gzipFile) Close() error {
	return errors.Join(g.Reader.Close(), g.raw.Close())
}

// digest reads src and returns the hex SHA-256 and size of its SQL (of the
// decompressed bytes of a compressed file).
func digest(ctx context.Context, src Source) (string, int64, error) {
	r := openSource(ctx, src)
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
