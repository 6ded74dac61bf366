package sample

import (
	"context"
	"fmt"
	"io"
	"testing"
)

// BenchmarkGenerate measures building and writing a workbook and its
// reference CSV at scale 1 (full size) and 25 (load test).
func BenchmarkGenerate(b *testing.B) {
	for _, scale := range []int{1, 25} {
		b.Run(fmt.Sprintf("scale=%d", scale), func(b *testing.B) {
			var st *Stats
			for b.Loop() {
				var err error
				st, err = Generate(context.Background(), io.Discard, io.Discard, Options{Seed: 1, Scale: scale})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(Total(st.Stage)), "stage-records")
			b.ReportMetric(float64(Total(st.RateEngine)), "re-rows")
		})
	}
}

// BenchmarkBuild measures computing the full-size model alone.
func BenchmarkBuild(b *testing.B) {
	for b.Loop() {
		if _, err := Build(Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
