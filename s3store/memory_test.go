package s3store_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
)

func TestMain(m *testing.M) {
	pgtest.Main(m) // a real PostgreSQL for the migrate-from-S3 tests
}

// sparseFile makes a file of size bytes, mostly holes, with a few non-zero
// bytes so that a misplaced part would change the digest.
func sparseFile(tb testing.TB, size int64) (*os.File, [sha256.Size]byte) {
	tb.Helper()
	f, err := os.Create(filepath.Join(tb.TempDir(), "big.up.sql"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		tb.Fatal(err)
	}
	for off := int64(0); off < size; off += 7 << 20 {
		if _, err := f.WriteAt([]byte(fmt.Sprintf("-- %d\n", off)), off); err != nil {
			tb.Fatal(err)
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		tb.Fatal(err)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return f, sum
}

// peakHeap samples the heap in use while fn runs and returns the largest
// increase over the level before fn.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var s runtime.MemStats
				runtime.ReadMemStats(&s)
				mu.Lock()
				peak = max(peak, s.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// uploadMeasured uploads a sparse file of size bytes to the real server (a
// separate process; only the small proxy in front of it runs here) and
// returns the client's peak heap growth.
func uploadMeasured(tb testing.TB, size int64) uint64 {
	tb.Helper()
	srv := s3test.StartVersity(tb)
	srv.CreateBucket(tb, "mem", false)
	c := srv.Client()
	f, sum := sparseFile(tb, size)
	in := s3store.PutInput{
		Bucket: "mem", Key: "big.up.sql", Body: f, Size: size, SHA256: sum,
		Metadata: map[string]string{"sha256": fmt.Sprintf("%x", sum)}, SSE: s3store.SSES3,
	}
	var (
		res *s3store.PutResult
		err error
	)
	growth := peakHeap(func() { res, err = c.Put(tb.Context(), in) })
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := c.Head(tb.Context(), "mem", "big.up.sql")
	if err != nil {
		tb.Fatal(err)
	}
	if obj.Size != size || obj.Metadata["sha256"] != fmt.Sprintf("%x", sum) || obj.ChecksumSHA256 != res.ChecksumSHA256 {
		tb.Fatalf("stored object: size %d, sha256 %q, checksum %q (want %q)", obj.Size, obj.Metadata["sha256"], obj.ChecksumSHA256, res.ChecksumSHA256)
	}
	return growth
}

// maxHeapGrowth bounds the client's heap growth during an upload of any size:
// parts stream from the file, so only SDK and HTTP buffers are in flight.
const maxHeapGrowth = 48 << 20

// TestPutMemoryFlat uploads 128 MiB (8 parts) and checks the client's heap
// stays far below the file size. The 1 GiB run is BenchmarkPut1GiB
// (make bench-s3), or this test with SECUREMIG_S3_1GIB=1.
func TestPutMemoryFlat(t *testing.T) {
	sizes := []int64{128 << 20}
	if os.Getenv("SECUREMIG_S3_1GIB") == "1" {
		sizes = append(sizes, 1<<30)
	}
	for _, size := range sizes {
		t.Run(fmt.Sprintf("%dMiB", size>>20), func(t *testing.T) {
			growth := uploadMeasured(t, size)
			t.Logf("peak client heap growth for %d MiB: %.1f MiB", size>>20, float64(growth)/(1<<20))
			if growth > maxHeapGrowth {
				t.Errorf("client heap grew by %d MiB uploading %d MiB; want under %d MiB (streaming)",
					growth>>20, size>>20, maxHeapGrowth>>20)
			}
		})
	}
}

// BenchmarkPut1GiB uploads a 1 GiB file to the real server and reports throughput and the client's peak heap growth (peak-heap-MiB).
func BenchmarkPut1GiB(b *testing.B) {
	for b.Loop() {
		growth := uploadMeasured(b, 1<<30)
		b.ReportMetric(float64(growth)/(1<<20), "peak-heap-MiB")
	}
	b.SetBytes(1 << 30)
}
