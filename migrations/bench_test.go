package migrations

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securemig/securemig/internal/pgtest"
)

const benchSchema = `CREATE TABLE public.re_prices (id bigint PRIMARY KEY, contract_id int, service text, area text, price_cents bigint, note text, starts date);
CREATE TABLE public.re_factors (id bigint PRIMARY KEY, year int, factor numeric(10,6), label text);`

// writeBenchDump writes a pg_dump-style data-only file of rows rows.
func writeBenchDump(b *testing.B, path string, rows int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, "\\restrict benchkey\nSET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n"+
		"SET standard_conforming_strings = on;\nSELECT pg_catalog.set_config('search_path', '', false);\n")
	fmt.Fprint(w, "COPY public.re_prices (id, contract_id, service, area, price_cents, note, starts) FROM stdin;\n")
	prices := rows * 9 / 10
	for i := 1; i <= prices; i++ {
		note := `\N`
		if i%3 == 0 {
			note = "tab\\there; -- note"
		}
		fmt.Fprintf(w, "%d\t%d\tDLH\t%03d\t%d\t%s\t2026-%02d-01\n", i, i%7, i%500, 1000+i%99991, note, 1+i%12)
	}
	fmt.Fprint(w, "\\.\n\nCOPY public.re_factors (id, year, factor, label) FROM stdin;\n")
	for i := 1; i <= rows-prices; i++ {
		fmt.Fprintf(w, "%d\t%d\t1.%06d\tfactor %d\n", i, 2020+i%10, i%1000000, i)
	}
	fmt.Fprint(w, "\\.\n\n\\unrestrict benchkey\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// peakHeap samples the bytes of live and unswept heap objects (without
// stopping the world) until stop is called, and returns the peak.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkApplyDump compares `securemig migrate`'s engine with
// `psql -X -v ON_ERROR_STOP=1 -1 -f` on the same data-only dump and server.
// Run: go test -run '^$' -bench ApplyDump -benchtime 3x ./migrations/
func BenchmarkApplyDump(b *testing.B) {
	dir := b.TempDir()
	for _, rows := range []int{150_000, 1_500_000} {
		name := fmt.Sprintf("20261121000000_bench_%d.up.sql", rows)
		path := filepath.Join(dir, name)
		writeBenchDump(b, path, rows)
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("engine/rows=%d", rows), func(b *testing.B) {
			b.SetBytes(st.Size())
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				dsn := pgtest.NewDatabase(b)
				execSQL(b, dsn, benchSchema)
				runtime.GC()
				stop := peakHeap()
				p, err := New(dsn, []Entry{{Name: name, Version: "20261121000000"}}, Options{Locations: []Location{NewFileLocation(dir)}})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := p.Up(context.Background())
				b.StopTimer()
				peak = max(peak, stop())
				if err != nil || len(res) != 1 || res[0].CopyRows != int64(rows) {
					b.Fatalf("applied %+v: %v", res, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
		b.Run(fmt.Sprintf("psql/rows=%d", rows), func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				b.StopTimer()
				dsn := pgtest.NewDatabase(b)
				execSQL(b, dsn, benchSchema)
				b.StartTimer()
				out, err := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", path, dsn).CombinedOutput()
				if err != nil {
					b.Fatalf("psql: %v\n%s", err, out)
				}
			}
		})
	}
}
