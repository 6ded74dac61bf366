package report

import (
	"cmp"
	"math"
	"slices"
)

// sample picks about SampleSize prices across all price tables: every
// non-empty table gets one, the rest is shared in proportion to the square
// root of the tables' sizes. Within a table the prices with the smallest
// FNV-1a hash of contract code and key are taken, so the sample is
// deterministic for a contract yet spread over the table.
func (a *analysis) sample() []SampleRow {
	byTable := make([]priceList, numTables) // a.prices is sorted by table first
	sizes := make([]int, numTables)
	for t := range numTables {
		byTable[t] = a.tableRange(t)
		sizes[t] = byTable[t].len()
	}
	quota := sampleQuota(sizes, a.opts.SampleSize)
	out := []SampleRow{}
	for t, prices := range byTable {
		type hashed struct {
			h uint64
			i int32 // index into prices
		}
		hs := make([]hashed, prices.len())
		for i := range hs {
			hs[i] = hashed{keyHash(a.cur.Code, prices.at(i).Key), int32(i)}
		}
		slices.SortFunc(hs, func(x, y hashed) int { return cmp.Compare(x.h, y.h) })
		picked := make([]Price, 0, quota[t])
		for _, h := range hs[:quota[t]] {
			picked = append(picked, prices.at(int(h.i)))
		}
		slices.SortFunc(picked, func(x, y Price) int { return compareKeys(x.Key, y.Key) })
		for _, p := range picked {
			loc := locate(p.Key, a.kinds, a.cur.Sources)
			out = append(out, SampleRow{PriceRef: a.priceRef(p), Sheet: loc.Sheet, Cell: loc.Cell()})
		}
	}
	return out
}

// sampleQuota splits size over tables of the given sizes (largest
// remainder on square-root weights), at least one per non-empty table and
// never more than it holds.
func sampleQuota(sizes []int, size int) []int {
	quota := make([]int, len(sizes))
	weights := make([]float64, len(sizes))
	total, left := 0.0, size
	for t, n := range sizes {
		if n > 0 {
			quota[t] = 1
			left--
			weights[t] = math.Sqrt(float64(n - 1))
			total += weights[t]
		}
	}
	if left <= 0 || total == 0 {
		return quota
	}
	type rem struct {
		t int
		r float64
	}
	var rems []rem
	given := 0
	for t := range sizes {
		share := float64(left) * weights[t] / total
		n := min(int(share), sizes[t]-quota[t])
		quota[t] += n
		given += n
		rems = append(rems, rem{t, share - math.Floor(share)})
	}
	slices.SortStableFunc(rems, func(x, y rem) int { return cmp.Compare(y.r, x.r) })
	for _, r := range rems {
		if given >= left {
			break
		}
		if quota[r.t] < sizes[r.t] {
			quota[r.t]++
			given++
		}
	}
	return quota
}
