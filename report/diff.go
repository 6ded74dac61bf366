package report

import (
	"cmp"
	"math"
	"slices"
)

// pctChange returns the % change from old to cur, nil when old is zero.
func pctChange(old, cur int64) *float64 {
	if old == 0 {
		return nil
	}
	p := float64(cur-old) / math.Abs(float64(old)) * 100
	return &p
}

// diff compares the current contract's prices with the base contract's.
func (a *analysis) diff() *Diff {
	prevKinds := a.prev.areaKinds()
	d := &Diff{BaseContract: a.prev.Code, ListLimit: a.opts.ListLimit,
		AddedKeys: []PriceRef{}, RemovedKeys: []PriceRef{}, ChangedKeys: []Change{}, TopMovers: []Change{}, Groups: []DiffGroup{}}
	prev := &cursor{sorted: a.prevSorted}
	var all []moved
	var allPct []*float64
	groups := make(map[[2]string]*DiffGroup)
	var order [][2]string
	group := func(k Key) *DiffGroup {
		g := [2]string{k.Table.String(), k.Service}
		if dg, ok := groups[g]; ok {
			return dg
		}
		dg := &DiffGroup{Table: g[0], Service: g[1], Name: serviceName(k.Table, k.Service)}
		groups[g] = dg
		order = append(order, g)
		return dg
	}
	groupPcts := make(map[*DiffGroup][]*float64)

	for i := range a.prices.len() {
		p := a.prices.at(i)
		g := group(p.Key)
		old, ok := prev.find(p.Key)
		switch {
		case !ok:
			d.Added++
			g.Added++
			if len(d.AddedKeys) < a.opts.ListLimit {
				d.AddedKeys = append(d.AddedKeys, a.priceRef(p))
			}
		case old == p.Value:
			d.Unchanged++
			g.Unchanged++
		default:
			d.Changed++
			g.Changed++
			m := moved{i: int32(i), old: old, pct: pctChange(old, p.Value)}
			all = append(all, m)
			allPct = append(allPct, m.pct)
			groupPcts[g] = append(groupPcts[g], m.pct)
		}
	}
	cur := &cursor{sorted: a.prices}
	for i := range a.prevSorted.len() {
		p := a.prevSorted.at(i)
		if _, ok := cur.find(p.Key); ok {
			continue
		}
		d.Removed++
		group(p.Key).Removed++
		if len(d.RemovedKeys) < a.opts.ListLimit {
			r := a.priceRef(p)
			loc := locate(p.Key, prevKinds, a.prev.Sources)
			r.Location, r.Ref = loc.String(), loc.Ref()
			d.RemovedKeys = append(d.RemovedKeys, r)
		}
	}
	for _, m := range all[:min(len(all), a.opts.ListLimit)] {
		d.ChangedKeys = append(d.ChangedKeys, a.change(m))
	}
	d.Histogram = histogram(allPct)
	slices.SortFunc(order, func(x, y [2]string) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	for _, g := range order {
		dg := groups[g]
		dg.Histogram = histogram(groupPcts[dg])
		dg.MedianPct = medianPct(groupPcts[dg])
		d.Groups = append(d.Groups, *dg)
	}
	for _, m := range topMovers(all, a.opts.TopMovers) {
		d.TopMovers = append(d.TopMovers, a.change(m))
	}
	return d
}

// moved is a changed price before it is described for the report.
type moved struct {
	i   int32 // index into the current contract's prices
	old int64
	pct *float64
}

// change describes a changed price.
func (a *analysis) change(m moved) Change {
	p := a.prices.at(int(m.i))
	u := p.Table.Unit()
	loc := locate(p.Key, a.kinds, a.cur.Sources)
	return Change{
		Table: p.Table.String(), Service: p.Service, Season: p.Season, Key: p.Label(), Unit: u,
		Old: m.old, New: p.Value, OldDisplay: FormatValue(m.old, u), NewDisplay: FormatValue(p.Value, u),
		Pct: m.pct, Location: loc.String(), Ref: loc.Ref(),
	}
}

// medianPct is the median of the defined % changes, nil when there are none.
func medianPct(pcts []*float64) *float64 {
	var v []float64
	for _, p := range pcts {
		if p != nil {
			v = append(v, *p)
		}
	}
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	m := median(v)
	return &m
}

// topMovers returns the n changes with the largest absolute % change
// (changes from zero first), ties in key order.
func topMovers(all []moved, n int) []moved {
	mag := make([]float64, len(all))
	idx := make([]int, len(all))
	for i, m := range all {
		idx[i], mag[i] = i, math.Inf(1)
		if m.pct != nil {
			mag[i] = math.Abs(*m.pct)
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(mag[y], mag[x]) })
	out := make([]moved, 0, min(len(all), n))
	for _, i := range idx[:min(len(idx), n)] {
		out = append(out, all[i])
	}
	return out
}
