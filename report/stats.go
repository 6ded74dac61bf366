package report

import (
	"math"
	"slices"
)

// madScale makes the median absolute deviation a consistent estimator of the
// standard deviation for normally distributed data.
const madScale = 1.4826

// meanADScale does the same for the mean absolute deviation, the fallback
// when more than half of the values are equal (MAD = 0).
const meanADScale = 1.253314

// median returns the median of sorted values (0 for none).
func median(sorted []float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return sorted[n/2]
	default:
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
}

// robustScale returns the median of values and a robust spread: the scaled
// median absolute deviation, or the scaled mean absolute deviation when the
// MAD is zero. The spread is zero only when all values are equal.
func robustScale(values []float64) (med, spread float64) {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	med = median(sorted)
	dev := make([]float64, len(sorted))
	sum := 0.0
	for i, v := range sorted {
		dev[i] = math.Abs(v - med)
		sum += dev[i]
	}
	slices.Sort(dev)
	if mad := median(dev); mad > 0 {
		return med, madScale * mad
	}
	if len(dev) == 0 {
		return med, 0
	}
	return med, meanADScale * sum / float64(len(dev))
}

// robustZ returns the robust z-score of every value against all values:
// (v − median) / spread, or 0 for all when the spread is zero.
func robustZ(values []float64) []float64 {
	med, spread := robustScale(values)
	z := make([]float64, len(values))
	if spread == 0 {
		return z
	}
	for i, v := range values {
		z[i] = (v - med) / spread
	}
	return z
}

// Summary statistics of one service group.
type summary struct {
	count            int
	min, median, max float64
}

// summarize returns count, min, median and max of values.
func summarize(values []float64) summary {
	if len(values) == 0 {
		return summary{}
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return summary{count: len(sorted), min: sorted[0], median: median(sorted), max: sorted[len(sorted)-1]}
}

// ChangeBins are the fixed bins of the % change distributions, as
// half-open ranges [Lower, Upper) in percent; the first bin has no lower and
// the last no upper bound. Unchanged prices are not binned; a change from
// zero counts in the last bin.
var ChangeBins = []Bin{
	{Label: "< −20%", Upper: ptr(-20.0)},
	{Label: "−20…−10%", Lower: ptr(-20.0), Upper: ptr(-10.0)},
	{Label: "−10…−5%", Lower: ptr(-10.0), Upper: ptr(-5.0)},
	{Label: "−5…−2%", Lower: ptr(-5.0), Upper: ptr(-2.0)},
	{Label: "−2…0%", Lower: ptr(-2.0), Upper: ptr(0.0)},
	{Label: "0…2%", Lower: ptr(0.0), Upper: ptr(2.0)},
	{Label: "2…5%", Lower: ptr(2.0), Upper: ptr(5.0)},
	{Label: "5…10%", Lower: ptr(5.0), Upper: ptr(10.0)},
	{Label: "10…20%", Lower: ptr(10.0), Upper: ptr(20.0)},
	{Label: "≥ 20%", Lower: ptr(20.0)},
}

func ptr[T any](v T) *T { return &v }

// binIndex returns the ChangeBins index of a % change; nil (a change from
// zero) falls in the last bin.
func binIndex(pct *float64) int {
	if pct == nil {
		return len(ChangeBins) - 1
	}
	for i, b := range ChangeBins {
		if b.Upper == nil || *pct < *b.Upper {
			return i
		}
	}
	return len(ChangeBins) - 1
}

// histogram counts % changes into a copy of ChangeBins.
func histogram(pcts []*float64) []Bin {
	bins := slices.Clone(ChangeBins)
	for _, p := range pcts {
		bins[binIndex(p)].Count++
	}
	return bins
}
