package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Options tune the analysis. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	Now       time.Time // report time; default time.Now()
	Generator string    // tool version recorded in the report

	MaxFindings int // findings kept per check (the count is always complete); default 50
	ListLimit   int // entries kept per diff list; default 200
	TopMovers   int // largest % changes listed; default 20
	SampleSize  int // spot-check sample size; default 20

	// OutlierZ is the robust z-score beyond which a price is an outlier
	// among its peers (same table, service and season; for linehaul, same
	// weight band and mileage range; for international prices, same kind of
	// origin and destination); default 6.
	OutlierZ float64
	MinPeers int // peer groups smaller than this are not scored; default 10

	// EscalationMin and EscalationMax bound a plausible yearly escalation
	// factor; defaults 0.95 and 1.10.
	EscalationMin, EscalationMax float64

	// UnchangedShare: when more than this share of a service group's prices
	// changed against the diff base, the unchanged ones are flagged;
	// default 0.5 ("most").
	UnchangedShare float64
}

// DefaultOptions returns the defaults documented on Options.
func DefaultOptions() Options {
	return Options{
		MaxFindings: 50, ListLimit: 200, TopMovers: 20, SampleSize: 20,
		OutlierZ: 6, MinPeers: 10, EscalationMin: 0.95, EscalationMax: 1.10, UnchangedShare: 0.5,
	}
}

// withDefaults fills zero fields from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.MaxFindings = cmp.Or(o.MaxFindings, d.MaxFindings)
	o.ListLimit = cmp.Or(o.ListLimit, d.ListLimit)
	o.TopMovers = cmp.Or(o.TopMovers, d.TopMovers)
	o.SampleSize = cmp.Or(o.SampleSize, d.SampleSize)
	o.OutlierZ = cmp.Or(o.OutlierZ, d.OutlierZ)
	o.MinPeers = cmp.Or(o.MinPeers, d.MinPeers)
	o.EscalationMin = cmp.Or(o.EscalationMin, d.EscalationMin)
	o.EscalationMax = cmp.Or(o.EscalationMax, d.EscalationMax)
	o.UnchangedShare = cmp.Or(o.UnchangedShare, d.UnchangedShare)
	return o
}

// analysis holds the state shared by the checks of one report.
type analysis struct {
	cur, prev  *Dataset
	opts       Options
	kinds      map[string]AreaKind
	prices     priceList // cur prices sorted by key
	prevSorted priceList // prev prices sorted by key (empty without prev)
}

// Analyze builds the report of cur, diffed against prev when prev is not
// nil. It does no I/O.
func Analyze(cur, prev *Dataset, opts Options) *Report {
	a := &analysis{cur: cur, prev: prev, opts: opts.withDefaults(), kinds: cur.areaKinds()}
	a.prices = cur.priceList()
	if prev != nil {
		a.prevSorted = prev.priceList()
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		GeneratedAt:   a.opts.Now.UTC(),
		Generator:     a.opts.Generator,
		Summary:       a.summary(),
		Counts:        a.counts(),
		Statistics:    a.statistics(),
		Sample:        a.sample(),
		Notes:         a.notes(),
	}
	r.Summary.Comparison, r.Summary.ComparisonReason = CompareOff, "no contract to compare to"
	if prev != nil {
		r.Diff = a.diff()
		r.Summary.ComparedTo = &prev.Code
		r.Summary.Comparison, r.Summary.ComparisonReason = CompareRequested, prev.Code+" was requested"
	}
	r.Checks = a.checks(r.Counts)
	r.Summary.Verdict, r.Summary.FailedChecks, r.Summary.WarningChecks = verdict(r.Checks)
	return r
}

// verdict is fail when any check failed, warnings when any warned, else pass.
func verdict(checks []Check) (v Verdict, failed, warned int) {
	for _, c := range checks {
		switch c.Status {
		case StatusFail:
			failed++
		case StatusWarning:
			warned++
		}
	}
	switch {
	case failed > 0:
		return VerdictFail, failed, warned
	case warned > 0:
		return VerdictWarnings, failed, warned
	}
	return VerdictPass, failed, warned
}

func (a *analysis) summary() Summary {
	s := Summary{ContractCode: a.cur.Code, ContractName: a.cur.Name, SourceCells: a.cur.Sources != nil}
	if im := a.cur.Import; im != nil {
		s.WorkbookName, s.WorkbookSHA256 = &im.WorkbookName, &im.WorkbookSHA256
		s.ImportToolVersion, s.ImportStatus = &im.ToolVersion, &im.Status
		t := im.StartedAt.UTC()
		if im.FinishedAt != nil {
			t = im.FinishedAt.UTC()
		}
		s.ImportedAt = &t
	}
	return s
}

func (a *analysis) notes() []string {
	n := []string{
		"Prices are matched across contracts by natural key (service, season, service area or rate areas, bands), never by database id.",
		"Workbook columns follow the fixed layout of the GHC pricing template; rows are the Excel rows the import recorded for each row key.",
	}
	if a.cur.Sources == nil {
		n = append(n, "The Excel rows of this import are unknown (it predates recorded rows and the staging tables hold a later import), so locations name the sheet, column and row key instead of an exact cell.")
	}
	n = append(n, fmt.Sprintf("Outliers: robust z-score (median and scaled MAD) above %g among at least %d peers.",
		a.opts.OutlierZ, a.opts.MinPeers))
	return n
}

// priceRef describes a price of the current contract for the report.
func (a *analysis) priceRef(p Price) PriceRef {
	loc := locate(p.Key, a.kinds, a.cur.Sources)
	return PriceRef{
		Table: p.Table.String(), Service: p.Service, Season: p.Season, Key: p.Label(),
		Value: p.Value, Unit: p.Table.Unit(), Display: FormatValue(p.Value, p.Table.Unit()),
		Location: loc.String(), Ref: loc.Ref(),
	}
}

// statistics summarises every service group in table and service order.
func (a *analysis) statistics() []ServiceStats {
	out := []ServiceStats{}
	forGroups(a.prices, func(group priceList) {
		vals := make([]float64, group.len())
		for i, p := range group.p {
			vals[i] = float64(p.value)
		}
		s := summarize(vals)
		k := group.at(0).Key
		u := k.Table.Unit()
		out = append(out, ServiceStats{
			Table: k.Table.String(), Service: k.Service, Name: serviceName(k.Table, k.Service), Unit: u,
			Count: s.count, Min: int64(s.min), Median: s.median, Max: int64(s.max),
			MinDisplay: FormatValue(int64(s.min), u), MedianDisplay: formatMedian(s.median, u),
			MaxDisplay: FormatValue(int64(s.max), u),
		})
	})
	return out
}

// formatMedian renders a median that may lie halfway between two units.
func formatMedian(m float64, u Unit) string {
	if m == float64(int64(m)) {
		return FormatValue(int64(m), u)
	}
	scale := 2
	if u == Millicents {
		scale = 5
	}
	s := decimal(int64(m*10), scale+1, scale+1) // m is halfway between two units: one more digit is exact
	if u == Hundredths {
		return s
	}
	return "$" + s
}

// forGroups calls f for each run of sorted prices of one table and service.
func forGroups(sorted priceList, f func(priceList)) {
	p := sorted.p
	for i := 0; i < len(p); {
		j := i + 1
		for j < len(p) && p[j].table == p[i].table && p[j].service == p[i].service {
			j++
		}
		f(sorted.slice(i, j))
		i = j
	}
}

// compareKeys orders keys by table, service, then the natural key, season
// last (NonPeak before Peak). priceList orders its compact prices the
// same way.
func compareKeys(x, y Key) int {
	if c := cmp.Compare(x.Table, y.Table); c != 0 {
		return c
	}
	if c := strings.Compare(x.Service, y.Service); c != 0 {
		return c
	}
	if c := strings.Compare(x.Area, y.Area); c != 0 {
		return c
	}
	if c := strings.Compare(x.Dest, y.Dest); c != 0 {
		return c
	}
	if c := cmp.Compare(x.WeightLower, y.WeightLower); c != 0 {
		return c
	}
	if c := cmp.Compare(x.WeightUpper, y.WeightUpper); c != 0 {
		return c
	}
	if c := cmp.Compare(x.MilesLower, y.MilesLower); c != 0 {
		return c
	}
	if c := cmp.Compare(x.MilesUpper, y.MilesUpper); c != 0 {
		return c
	}
	return strings.Compare(x.Season, y.Season)
}

// has tells whether the current contract has a price with key k.
func (a *analysis) has(k Key) bool {
	_, ok := a.prices.search(k)
	return ok
}

// tableRange returns the current contract's prices of table t.
func (a *analysis) tableRange(t Table) priceList {
	byTable := func(p packed, t Table) int { return cmp.Compare(Table(p.table), t) }
	lo, _ := slices.BinarySearchFunc(a.prices.p, t, byTable)
	hi, _ := slices.BinarySearchFunc(a.prices.p, t+1, byTable)
	return a.prices.slice(lo, hi)
}

// cursor finds the values of keys, asked for in ascending key order, in a
// list of prices sorted by key: a merge instead of a map.
type cursor struct {
	sorted priceList
	i      int
}

// find returns the value of the price with key k and whether there is one;
// k must not sort before the key of the previous call.
func (c *cursor) find(k Key) (int64, bool) {
	p := c.sorted.p
	for c.i < len(p) && c.sorted.compareKey(p[c.i], k) < 0 {
		c.i++
	}
	if c.i < len(p) && c.sorted.compareKey(p[c.i], k) == 0 {
		return p[c.i].value, true
	}
	return 0, false
}
