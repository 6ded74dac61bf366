package securegen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/dump"
	"github.com/securemig/securemig/internal/pgtest"
)

// Benchmarks compare generating a secure migration with a bare pg_dump of
// the same tables, on a sample imported at SECUREMIG_BENCH_SCALE (default
// 1; the figure is for 25):
//
//	SECUREMIG_BENCH_SCALE=25 go test -run '^$' -bench 'Generate|PgDump' -benchtime 3x ./securegen/
//
// BenchmarkGenerate reports the production phase (pg_dump, filter,
// digest, file) as production-s/op beside the whole run; compare it with
// BenchmarkPgDump's sec/op.

var (
	benchOnce sync.Once
	benchDSN  string
)

func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		scale := 1
		if s := os.Getenv("SECUREMIG_BENCH_SCALE"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				b.Fatalf("SECUREMIG_BENCH_SCALE: %v", err)
			}
			scale = n
		}
		benchDSN = pgtest.NewSchemaDatabase(&keepTB{TB: b})
		importContract(b, benchDSN, "BENCH", 1, scale)
	})
	if benchDSN == "" {
		b.Fatal("the benchmark database could not be built")
	}
	return benchDSN
}

func BenchmarkGenerate(b *testing.B) {
	ctx := context.Background()
	dsn := benchDB(b)
	var dumpTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		root := b.TempDir()
		o := Options{DSN: dsn, ContractCode: "BENCH", OutDir: filepath.Join(root, "secure"),
			PlaceholderDir: filepath.Join(root, "ph"), ManifestPath: filepath.Join(root, "manifest.txt"),
			LockPath: filepath.Join(root, "secure.lock"), Version: "2026112112" + strconv.Itoa(1000+i)}
		b.StartTimer()
		res, err := Generate(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		dumpTime += res.Timing.Dump
		b.SetBytes(res.Size)
	}
	b.ReportMetric(dumpTime.Seconds()/float64(b.N), "dump-s/op")
}

func BenchmarkPgDump(b *testing.B) {
	ctx := context.Background()
	dsn := benchDB(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	major, err := dump.ServerMajor(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := dump.FindPgDump(ctx, "", major)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "dump.sql")
	args := append(dump.Options{Include: DefaultInclude, Exclude: DefaultExclude}.Args(), "--file="+out, "--dbname="+dsn)
	b.ResetTimer()
	for range b.N {
		if msg, err := exec.Command(prog, args...).CombinedOutput(); err != nil {
			b.Fatalf("pg_dump: %v: %s", err, msg)
		}
		fi, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(fi.Size())
	}
}
