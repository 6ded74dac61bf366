package sqlscan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// BenchmarkScanner measures splitting a pg_dump-shaped file held in memory:
// a few SET lines and a 300k-row COPY block.
// Run: go test -run '^$' -bench Scanner ./migrations/sqlscan/
func BenchmarkScanner(b *testing.B) {
	var in bytes.Buffer
	in.WriteString("SET client_encoding = 'UTF8';\nSELECT pg_catalog.set_config('search_path', '', false);\nCOPY public.t (a, b, c) FROM stdin;\n")
	for i := range 300_000 {
		fmt.Fprintf(&in, "%d\tsome text\\twith tab\t\\N\n", i)
	}
	in.WriteString("\\.\nSELECT 1;\n")
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		s := NewScanner(bytes.NewReader(in.Bytes()))
		for {
			it, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if it.Kind == Copy {
				if _, err := io.Copy(io.Discard, s.Data()); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
