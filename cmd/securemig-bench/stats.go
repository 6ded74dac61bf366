package main

import (
	"fmt"
	"slices"
)

// summary is the median, minimum and maximum of a set of measurements.
type summary struct {
	median, min, max float64
	n                int
}

// summarize returns the median, minimum and maximum of xs (the mean of the
// two middle values for an even count). It returns the zero summary for no
// values.
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	med := s[mid]
	if len(s)%2 == 0 {
		med = (s[mid-1] + s[mid]) / 2
	}
	return summary{median: med, min: s[0], max: s[len(s)-1], n: len(s)}
}

// ratios divides each a[i] by b[i]: the pair-by-pair ratios of alternating
// runs. Pairs whose baseline is zero are skipped.
func ratios(a, b []float64) []float64 {
	out := make([]float64, 0, len(a))
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// walls returns the wall times of samples in seconds.
func walls(ss []sample) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = s.wall.Seconds()
	}
	return out
}

// peakRSS returns the largest peak resident set size among samples.
func peakRSS(ss []sample) int64 {
	var m int64
	for _, s := range ss {
		m = max(m, s.maxRSS)
	}
	return m
}

// fmtSeconds formats a duration in seconds for a table cell.
func fmtSeconds(sec float64) string {
	switch {
	case sec < 0.01:
		return fmt.Sprintf("%.1f ms", sec*1000)
	case sec < 1:
		return fmt.Sprintf("%.0f ms", sec*1000)
	case sec < 10:
		return fmt.Sprintf("%.2f s", sec)
	default:
		return fmt.Sprintf("%.1f s", sec)
	}
}

// fmtWall formats a summary of seconds as "median (min–max)".
func fmtWall(s summary) string {
	if s.n == 0 {
		return "–"
	}
	if s.n == 1 {
		return fmtSeconds(s.median)
	}
	return fmt.Sprintf("%s (%s–%s)", fmtSeconds(s.median), fmtSeconds(s.min), fmtSeconds(s.max))
}

// fmtRatio formats a summary of ratios as "1.23× (1.10–1.40)".
func fmtRatio(s summary) string {
	if s.n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.median, s.min, s.max)
}

// fmtBytes formats a byte count in decimal megabytes (the unit of the
// targets).
func fmtBytes(n int64) string {
	if n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// fmtRate formats a per-second rate with thousands separators.
func fmtRate(n float64, unit string) string {
	return groupThousands(int64(n+0.5)) + " " + unit + "/s"
}

// groupThousands writes n with comma thousands separators.
func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupThousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
