package report

import (
	"cmp"
	"hash/fnv"
	"math"
	"slices"
)

// sample picks about SampleSize prices across all price tables: every
// non-empty table gets one, the rest is shared in proportion to the square
// root of the tables' sizes. Within a table the prices with the smallest
// FNV-1a hash of contract code and key are taken, so the sample is
// deterministic for a contract yet spread over the table.
func (a *analysis) sample() []SampleRow {
	byTable := make([][]Price, numTables) // a.prices is sorted by table first
	for t := range numTables {
		byTable[t] = a.tableRange(t)
	}
	quota := sampleQuota(byTable, a.opts.SampleSize)
	out := []SampleRow{}
	for t, prices := range byTable {
		type hashed struct {
			h uint64
			i int32 // index into prices
		}
		hs := make([]hashed, len(prices))
		for i, p := range prices {
			f := fnv.New64a()
			f.Write([]byte(a.cur.Code + "|" + p.Key.String()))
			hs[i] = hashed{f.Sum64(), int32(i)}
		}
		slices.SortFunc(hs, func(x, y hashed) int { return cmp.Compare(x.h, y.h) })
		picked := make([]Price, 0, quota[t])
		for _, h := range hs[:quota[t]] {
			picked = append(picked, prices[h.i])
		}
		slices.SortFunc(picked, func(x, y Price) int { return compareKeys(x.Key, y.Key) })
		for _, p := range picked {
			loc := locate(p.Key, a.kinds, a.cur.Sources)
			out = append(out, SampleRow{PriceRef: a.priceRef(p), Sheet: loc.Sheet, Cell: loc.Cell()})
		}
	}
	return out
}

// sampleQuota splits size over the tables (largest remainder on square-root
// weights), at least one per non-empty table and never more than it holds.
func sampleQuota(byTable [][]Price, size int) []int {
	quota := make([]int, len(byTable))
	weights := make([]float64, len(byTable))
	total, left := 0.0, size
	for t, p := range byTable {
		if len(p) > 0 {
			quota[t] = 1
			left--
			weights[t] = math.Sqrt(float64(len(p) - 1))
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
	for t := range byTable {
		share := float64(left) * weights[t] / total
		n := min(int(share), len(byTable[t])-quota[t])
		quota[t] += n
		given += n
		rems = append(rems, rem{t, share - math.Floor(share)})
	}
	slices.SortStableFunc(rems, func(x, y rem) int { return cmp.Compare(y.r, x.r) })
	for _, r := range rems {
		if given >= left {
			break
		}
		if quota[r.t] < len(byTable[r.t]) {
			quota[r.t]++
			given++
		}
	}
	return quota
}
