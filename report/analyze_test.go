package report

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	lhKey  = Key{Table: Linehaul, Season: NonPeak, Area: "452", WeightLower: 5000, WeightUpper: 9999, MilesLower: 2501, MilesUpper: 3000}
	saKey  = Key{Table: ServiceAreaPrices, Service: "DOASIT", Season: Peak, Area: "101"}
	intKey = Key{Table: Intl, Service: "UBP", Season: NonPeak, Area: "NSRA1", Dest: "US12"}
	ioKey  = Key{Table: IntlOther, Service: "IOPSIT", Season: Peak, Area: "GE"}
)

// fired returns the status of every check that did not pass.
func fired(r *Report) map[string]Status {
	out := make(map[string]Status)
	for _, c := range r.Checks {
		if c.Status != StatusPass {
			out[c.ID] = c.Status
		}
	}
	return out
}

func checkByID(t *testing.T, r *Report, id string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %q", id)
	return Check{}
}

func TestCleanFixturePasses(t *testing.T) {
	r := Analyze(fixture("A"), nil, Options{})
	want := map[string]Status{"anomaly.unchanged": StatusSkipped}
	if got := fired(r); !maps.Equal(got, want) {
		t.Fatalf("checks that did not pass = %v, want %v", got, want)
	}
	if r.Summary.Verdict != VerdictPass {
		t.Errorf("verdict = %s, want pass", r.Summary.Verdict)
	}
	for _, c := range r.Counts {
		if c.Status != StatusPass {
			t.Errorf("count of %s: %s (rows %d, expected %s)", c.Table, c.Status, c.Rows, intOrDash(c.Expected))
		}
	}
	// Against an identical previous contract nothing is unchanged "while most changed".
	r = Analyze(fixture("A"), fixture("B"), Options{})
	if got := fired(r); len(got) != 0 {
		t.Fatalf("with an identical base, checks that did not pass = %v", got)
	}
}

func TestChecksFire(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, cur, prev *Dataset)
		want   map[string]Status // every check that must not pass, and its status
		count  map[string]int    // findings expected for some checks
	}{
		{"no import log", func(t *testing.T, cur, _ *Dataset) { cur.Import = nil },
			map[string]Status{"import.log": StatusWarning, "counts.logged": StatusSkipped}, nil},
		{"failed import", func(t *testing.T, cur, _ *Dataset) { cur.Import.Status = "rolled-back" },
			map[string]Status{"import.log": StatusFail}, nil},
		{"logged count differs", func(t *testing.T, cur, _ *Dataset) { cur.Import.RowCounts["re_zip3s"]++ },
			map[string]Status{"counts.logged": StatusFail}, nil},
		{"missing linehaul price", func(t *testing.T, cur, _ *Dataset) { mustRemove(t, cur, lhKey) },
			map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.linehaul": StatusFail},
			map[string]int{"completeness.linehaul": 1}},
		{"linehaul bounds off the layout", func(t *testing.T, cur, _ *Dataset) {
			i := slices.IndexFunc(cur.Prices, func(p Price) bool { return p.Key == lhKey })
			cur.Prices[i].MilesUpper = 2999
		}, map[string]Status{"completeness.linehaul": StatusFail}, map[string]int{"completeness.linehaul": 2}},
		{"missing service-area price", func(t *testing.T, cur, _ *Dataset) { mustRemove(t, cur, saKey) },
			map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.service_area_prices": StatusFail}, nil},
		{"missing international price", func(t *testing.T, cur, _ *Dataset) { mustRemove(t, cur, intKey) },
			map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.international": StatusFail}, nil},
		{"missing other international price", func(t *testing.T, cur, _ *Dataset) { mustRemove(t, cur, ioKey) },
			map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.other_international": StatusFail}, nil},
		{"missing transition price", func(t *testing.T, cur, _ *Dataset) { mustRemove(t, cur, Key{Table: Transition}) },
			map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.fixed_tables": StatusFail}, nil},
		{"missing 2c price", func(t *testing.T, cur, _ *Dataset) {
			mustRemove(t, cur, Key{Table: OtherDomestic, Service: "DDDSIT", Season: Peak, Area: "3"})
		}, map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.fixed_tables": StatusFail}, nil},
		{"missing counseling fee", func(t *testing.T, cur, _ *Dataset) {
			mustRemove(t, cur, Key{Table: TaskOrderFees, Service: "CS", Area: "Base Period Year 2"})
		}, map[string]Status{"counts.expected": StatusFail, "counts.logged": StatusFail, "completeness.task_order_fees": StatusFail}, nil},
		{"multi-area zip3 without zip5s", func(t *testing.T, cur, _ *Dataset) { cur.Zip5s = nil; cur.Import.RowCounts["re_zip5_rate_areas"] = 0 },
			map[string]Status{"completeness.zip3": StatusFail}, nil},
		{"zip3 without rate area", func(t *testing.T, cur, _ *Dataset) { cur.Zip3s[0].RateArea = "" },
			map[string]Status{"completeness.zip3": StatusFail}, nil},
		{"zero price", func(t *testing.T, cur, _ *Dataset) { mustSet(t, cur, intKey, 0) },
			map[string]Status{"anomaly.nonpositive": StatusWarning}, map[string]int{"anomaly.nonpositive": 1}},
		{"zero linehaul price of the 0–250 mile range is a template pattern", func(t *testing.T, cur, _ *Dataset) {
			k := lhKey
			k.MilesLower, k.MilesUpper = 0, 250
			mustSet(t, cur, k, 0)
		}, map[string]Status{"anomaly.outlier": StatusWarning}, nil},
		{"zero linehaul price elsewhere", func(t *testing.T, cur, _ *Dataset) { mustSet(t, cur, lhKey, 0) },
			map[string]Status{"anomaly.nonpositive": StatusWarning, "anomaly.outlier": StatusWarning}, nil},
		{"negative price", func(t *testing.T, cur, _ *Dataset) {
			mustSet(t, cur, Key{Table: DomAccessorial, Service: "DCRT", Area: "2"}, -5)
		},
			map[string]Status{"anomaly.nonpositive": StatusFail}, nil},
		{"peak below non-peak", func(t *testing.T, cur, _ *Dataset) {
			np := saKey
			np.Season = NonPeak
			mustSet(t, cur, saKey, valueOf(cur, np)-1)
		}, map[string]Status{"anomaly.peak_below_nonpeak": StatusWarning}, map[string]int{"anomaly.peak_below_nonpeak": 1}},
		{"implausible escalation", func(t *testing.T, cur, _ *Dataset) { cur.Years[2].Escalation = 150000 },
			map[string]Status{"anomaly.escalation": StatusWarning}, nil},
		{"outlier", func(t *testing.T, cur, _ *Dataset) {
			pk := lhKey
			pk.Season = Peak
			mustSet(t, cur, pk, valueOf(cur, pk)*10)
		},
			map[string]Status{"anomaly.outlier": StatusWarning}, map[string]int{"anomaly.outlier": 1}},
		{"unchanged where most changed", func(t *testing.T, cur, prev *Dataset) {
			for i, p := range cur.Prices {
				if p.Table == ServiceAreaPrices && p.Service == "DSH" && p.Area != "452" {
					cur.Prices[i].Value = p.Value * 103 / 100
				}
			}
		}, map[string]Status{"anomaly.unchanged": StatusWarning}, map[string]int{"anomaly.unchanged": 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur, prev := fixture("B"), fixture("A")
			tc.mutate(t, cur, prev)
			r := Analyze(cur, prev, Options{})
			if got := fired(r); !maps.Equal(got, tc.want) {
				t.Fatalf("checks that did not pass = %v, want %v", got, tc.want)
			}
			for id, n := range tc.count {
				if c := checkByID(t, r, id); c.Count != n {
					t.Errorf("%s: %d findings, want %d: %+v", id, c.Count, n, c.Findings)
				}
			}
			want := VerdictWarnings
			if slices.Contains(slices.Collect(maps.Values(tc.want)), StatusFail) {
				want = VerdictFail
			}
			if r.Summary.Verdict != want {
				t.Errorf("verdict = %s, want %s", r.Summary.Verdict, want)
			}
		})
	}
}

func mustRemove(t *testing.T, d *Dataset, k Key) {
	t.Helper()
	if !removePrice(d, k) {
		t.Fatalf("fixture has no price %s", k.Label())
	}
}

func mustSet(t *testing.T, d *Dataset, k Key, v int64) {
	t.Helper()
	if !setPrice(d, k, v) {
		t.Fatalf("fixture has no price %s", k.Label())
	}
}

func TestFindingsTruncated(t *testing.T) {
	cur := fixture("A")
	for i := range cur.Prices {
		if cur.Prices[i].Table == Intl {
			cur.Prices[i].Value = 0
		}
	}
	r := Analyze(cur, nil, Options{MaxFindings: 7})
	c := checkByID(t, r, "anomaly.nonpositive")
	if c.Count != 288 || len(c.Findings) != 7 || !c.Truncated {
		t.Fatalf("count %d, kept %d, truncated %v; want 288, 7, true", c.Count, len(c.Findings), c.Truncated)
	}
}

func TestFindingsNeverCarryValuesInMessages(t *testing.T) {
	// Values belong in Finding.Value; messages of completeness checks name keys only.
	cur := fixture("A")
	mustRemove(t, cur, lhKey)
	r := Analyze(cur, nil, Options{})
	c := checkByID(t, r, "completeness.linehaul")
	if len(c.Findings) != 1 || c.Findings[0].Value != nil || !strings.Contains(c.Findings[0].Message, "service area 452") {
		t.Fatalf("finding = %+v", c.Findings)
	}
}

func TestVerdictExitCodes(t *testing.T) {
	for v, code := range map[Verdict]int{VerdictPass: 0, VerdictWarnings: 1, VerdictFail: 2} {
		if got := v.ExitCode(); got != code {
			t.Errorf("%s.ExitCode() = %d, want %d", v, got, code)
		}
	}
}

func TestDiffReportsExactlyTheChangedSet(t *testing.T) {
	prev, cur := fixture("A"), fixture("B")
	changed := map[string]int64{}
	for _, k := range []Key{lhKey, saKey, ioKey} {
		v := valueOf(cur, k) * 112 / 100
		mustSet(t, cur, k, v)
		changed[k.Label()] = v
	}
	removed := []Key{intKey, {Table: TaskOrderFees, Service: "MS", Area: "Option Period 1"}}
	for _, k := range removed {
		mustRemove(t, cur, k)
	}
	added := []Key{{Table: ShipmentType, Service: "DMHF", Area: "C"}, saKey}
	for _, k := range added {
		mustRemove(t, prev, k)
	}
	delete(changed, saKey.Label()) // only in cur now: added, not changed

	r := Analyze(cur, prev, Options{Now: time.Unix(0, 0)})
	d := r.Diff
	if d == nil || d.BaseContract != "A" {
		t.Fatalf("diff = %+v", d)
	}
	gotChanged := map[string]int64{}
	for _, c := range d.ChangedKeys {
		gotChanged[c.Key] = c.New
		if c.Pct == nil || *c.Pct < 11 || *c.Pct > 13 {
			t.Errorf("%s: pct %s, want about +12%%", c.Key, pctText(c.Pct))
		}
	}
	if !maps.Equal(gotChanged, changed) || d.Changed != len(changed) {
		t.Errorf("changed = %v (%d), want %v", gotChanged, d.Changed, changed)
	}
	if got, want := refKeys(d.AddedKeys), labels(added); !slices.Equal(got, want) || d.Added != len(want) {
		t.Errorf("added = %v, want %v", got, want)
	}
	if got, want := refKeys(d.RemovedKeys), labels(removed); !slices.Equal(got, want) || d.Removed != len(want) {
		t.Errorf("removed = %v, want %v", got, want)
	}
	if want := len(prev.Prices) - len(removed) - len(changed); d.Unchanged != want {
		t.Errorf("unchanged = %d, want %d", d.Unchanged, want)
	}
	total := 0
	for _, b := range d.Histogram {
		total += b.Count
	}
	if total != len(changed) || d.Histogram[binIndex(ptr(12.0))].Count != len(changed) {
		t.Errorf("histogram = %+v, want all %d in the 10…20%% bin", d.Histogram, len(changed))
	}
	if len(d.TopMovers) != len(changed) {
		t.Errorf("top movers = %d, want %d", len(d.TopMovers), len(changed))
	}
}

func refKeys(refs []PriceRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Key)
	}
	slices.Sort(out)
	return out
}

func labels(keys []Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Label())
	}
	slices.Sort(out)
	return out
}

func TestSampleIsDeterministicAndCoversTables(t *testing.T) {
	d := fixture("A")
	r1 := Analyze(d, nil, Options{})
	shuffled := clone(d)
	slices.Reverse(shuffled.Prices)
	r2 := Analyze(shuffled, nil, Options{})
	if len(r1.Sample) != 20 {
		t.Fatalf("sample size = %d, want 20", len(r1.Sample))
	}
	if !slices.Equal(r1.Sample, r2.Sample) {
		t.Fatal("sample depends on row order")
	}
	tablesSeen := map[string]bool{}
	for _, s := range r1.Sample {
		tablesSeen[s.Table] = true
		if s.Sheet == "" {
			t.Errorf("%s %s: no sheet", s.Table, s.Key)
		}
	}
	if len(tablesSeen) != int(numTables) {
		t.Errorf("sample covers %d tables, want %d", len(tablesSeen), numTables)
	}
	if r3 := Analyze(fixture("Z"), nil, Options{}); slices.Equal(r1.Sample, r3.Sample) {
		t.Error("another contract code gave the same sample")
	}
}

func TestSampleQuota(t *testing.T) {
	sizes := []int{13560, 3164, 24, 46364, 2400, 16, 1, 15, 8, 7}
	q := sampleQuota(sizes, 20)
	sum := 0
	for i, n := range q {
		sum += n
		if n < 1 || n > sizes[i] {
			t.Errorf("table %d: quota %d of %d", i, n, sizes[i])
		}
	}
	if sum != 20 || q[3] <= q[0] || q[0] <= q[2] {
		t.Errorf("quota = %v (sum %d)", q, sum)
	}
	if q := sampleQuota([]int{2, 0}, 20); !slices.Equal(q, []int{2, 0}) {
		t.Errorf("small table quota = %v, want [2 0]", q)
	}
}
