package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// checkBuilder collects the findings of one check.
type checkBuilder struct {
	c       Check
	max     int
	groups  map[groupKey]int // → index into c.Groups
	kinds   []kind           // kind of each of c.Groups
	last    int              // index of the group of the previous finding; -1 before the first
	lastKey groupKey
}

// kind names what the findings of one group have in common: the group's
// summary reads "<count> <noun> <rest>", e.g. "60 prices unchanged since A
// while 660 of 720 re_domestic_linehaul_prices prices changed".
type kind struct {
	one, many string // the noun, singular and plural
	rest      string
}

// groupKey identifies a group within a check.
type groupKey struct {
	severity Severity
	kind     kind
}

func (a *analysis) newCheck(id, category, title, description string) *checkBuilder {
	return &checkBuilder{c: Check{ID: id, Category: category, Title: title, Description: description,
		Findings: []Finding{}, Groups: []FindingGroup{}}, max: a.opts.MaxFindings, groups: map[groupKey]int{}, last: -1}
}

// add records a finding of kind k; only the first max are kept, in the
// check and in each group.
func (b *checkBuilder) add(k kind, f Finding) {
	b.c.Count++
	if len(b.c.Findings) < b.max {
		b.c.Findings = append(b.c.Findings, f)
	} else {
		b.c.Truncated = true
	}
	switch {
	case f.Severity == SeverityFail:
		b.c.Status = StatusFail
	case b.c.Status != StatusFail:
		b.c.Status = StatusWarning
	}
	gk := groupKey{f.Severity, k}
	i, ok := b.last, b.last >= 0 && b.lastKey == gk // findings of a kind mostly come in runs
	if !ok {
		if i, ok = b.groups[gk]; !ok {
			i = len(b.c.Groups)
			b.groups[gk] = i
			b.c.Groups = append(b.c.Groups, FindingGroup{Severity: f.Severity, Findings: []Finding{}})
			b.kinds = append(b.kinds, k)
		}
		b.last, b.lastKey = i, gk
	}
	g := &b.c.Groups[i]
	g.Count++
	if len(g.Findings) < b.max {
		g.Findings = append(g.Findings, f)
	} else {
		g.Truncated = true
	}
}

// skip marks the check as not run.
func (b *checkBuilder) skip(reason string) Check {
	b.c.Status, b.c.Detail = StatusSkipped, reason
	return b.c
}

// done returns the check; without findings it passed.
func (b *checkBuilder) done() Check {
	if b.c.Count == 0 {
		b.c.Status = StatusPass
	} else {
		b.c.Detail = fmt.Sprintf("%d finding(s)", b.c.Count)
	}
	for i := range b.c.Groups {
		g, k := &b.c.Groups[i], b.kinds[i]
		noun := k.many
		if g.Count == 1 {
			noun = k.one
		}
		g.Summary = strings.TrimSpace(fmt.Sprintf("%d %s %s", g.Count, noun, k.rest))
	}
	return b.c
}

// at returns f located at l.
func (f Finding) at(l Location) Finding {
	f.Location, f.Ref = l.String(), l.Ref()
	return f
}

// priceFinding describes a finding about one price, showing its value when
// withValue is set.
func (a *analysis) priceFinding(sev Severity, p Price, withValue bool, format string, args ...any) Finding {
	f := Finding{Severity: sev, Message: fmt.Sprintf(format, args...), Table: p.Table.String(), Key: p.Label()}.
		at(locate(p.Key, a.kinds, a.cur.Sources))
	if withValue {
		v := FormatValue(p.Value, p.Table.Unit())
		f.Value = &v
	}
	return f
}

// checks runs every check in report order.
func (a *analysis) checks(counts []TableCount) []Check {
	return []Check{
		a.checkImportLog(),
		a.checkExpectedCounts(counts),
		a.checkLoggedCounts(counts),
		a.checkLinehaul(),
		a.checkServiceAreaPrices(),
		a.checkIntl(),
		a.checkIntlOther(),
		a.checkFixedTables(),
		a.checkTaskOrderFees(),
		a.checkZip3s(),
		a.checkNonPositive(),
		a.checkPeakBelowNonPeak(),
		a.checkEscalations(),
		a.checkOutliers(),
		a.checkUnchanged(),
	}
}

func (a *analysis) checkImportLog() Check {
	b := a.newCheck("import.log", "import", "Import log",
		"The contract has an import log entry and its last import completed (status imported).")
	switch im := a.cur.Import; {
	case im == nil:
		b.add(kind{"import log problem", "import log problems", ""}, Finding{Severity: SeverityWarning,
			Message: "no import log entry: workbook, checksum and import time are unknown"})
	case im.Status != "imported":
		b.add(kind{"import log problem", "import log problems", ""},
			Finding{Severity: SeverityFail, Message: fmt.Sprintf("the last import's status is %q", im.Status)})
	}
	return b.done()
}

func (a *analysis) checkExpectedCounts(counts []TableCount) Check {
	b := a.newCheck("counts.expected", "counts", "Row counts match the workbook's dimensions",
		"Each price table has exactly the rows its dimensions imply (e.g. linehaul = service areas × 2 seasons × 3 weight bands × 10 mileage ranges).")
	for _, c := range counts {
		if c.Expected != nil && *c.Expected != c.Rows {
			b.add(kind{"table", "tables", "with another row count than the workbook's dimensions imply"}, Finding{Severity: SeverityFail, Table: c.Table,
				Message: fmt.Sprintf("%s has %d rows, expected %d (%s)", c.Table, c.Rows, *c.Expected, c.Derivation)})
		}
	}
	return b.done()
}

func (a *analysis) checkLoggedCounts(counts []TableCount) Check {
	b := a.newCheck("counts.logged", "counts", "Row counts match the import log",
		"Each table still holds the number of rows the import wrote (nothing was added or deleted since).")
	if a.cur.Import == nil {
		return b.skip("no import log entry")
	}
	for _, c := range counts {
		if c.Logged != nil && *c.Logged != c.Rows {
			b.add(kind{"table", "tables", "with another row count than the import wrote"}, Finding{Severity: SeverityFail, Table: c.Table,
				Message: fmt.Sprintf("%s has %d rows, the import wrote %d", c.Table, c.Rows, *c.Logged)})
		}
	}
	return b.done()
}

// missingFinding reports the keys of one workbook row that have no price.
func (a *analysis) missingFinding(t Table, loc Location, what string, missing []string, of int) Finding {
	msg := fmt.Sprintf("%s: %d of %d prices missing: %s", what, len(missing), of, strings.Join(firstN(missing, 6), ", "))
	if len(missing) > 6 {
		msg += ", …"
	}
	return Finding{Severity: SeverityFail, Message: msg, Table: t.String(), Key: what}.at(loc)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var seasons = []string{NonPeak, Peak}

// isSeason tells whether s is one of the two seasons.
func isSeason(s string) bool { return s == NonPeak || s == Peak }

// noBounds tells whether a key has no linehaul bounds.
func noBounds(k Key) bool {
	return k.WeightLower == 0 && k.WeightUpper == 0 && k.MilesLower == 0 && k.MilesUpper == 0
}

// setOf returns the set of values.
func setOf(values []string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

func (a *analysis) checkLinehaul() Check {
	b := a.newCheck("completeness.linehaul", "completeness", "Linehaul prices (2a) are complete",
		"Every service area has all 60 linehaul prices: 2 seasons × 3 weight bands × 10 mileage ranges, with the standard bounds.")
	bands := [][2]int32{{500, 4999}, {5000, 9999}, {10000, 999999}}
	ranges := [][2]int32{{0, 250}, {251, 500}, {501, 1000}, {1001, 1500}, {1501, 2000}, {2001, 2500},
		{2501, 3000}, {3001, 3500}, {3501, 4000}, {4001, 999999}}
	for _, sa := range a.cur.ServiceAreas {
		var missing []string
		for _, s := range seasons {
			for _, w := range bands {
				for _, m := range ranges {
					k := Key{Table: Linehaul, Season: s, Area: sa, WeightLower: w[0], WeightUpper: w[1],
						MilesLower: m[0], MilesUpper: m[1]}
					if !a.has(k) {
						missing = append(missing, fmt.Sprintf("%s %d–%d lb %d–%d mi", s, w[0], w[1], m[0], m[1]))
					}
				}
			}
		}
		if len(missing) > 0 {
			loc := locate(Key{Table: Linehaul, Area: sa}, a.kinds, a.cur.Sources)
			loc.Column = ""
			b.add(kind{"service area", "service areas", "missing linehaul prices"}, a.missingFinding(Linehaul, loc, "service area "+sa, missing, 60))
		}
	}
	areas := setOf(a.cur.ServiceAreas)
	a.unexpected(b, Linehaul, func(k Key) bool {
		return k.Service == "" && k.Dest == "" && isSeason(k.Season) && areas[k.Area] &&
			slices.Contains(bands, [2]int32{k.WeightLower, k.WeightUpper}) &&
			slices.Contains(ranges, [2]int32{k.MilesLower, k.MilesUpper})
	})
	return b.done()
}

// unexpected reports prices of table t whose key is not expected, a test
// rather than a set of every expected key (over a million at scale).
func (a *analysis) unexpected(b *checkBuilder, t Table, expected func(Key) bool) {
	l := a.tableRange(t)
	for i := range l.len() {
		if p := l.at(i); !expected(p.Key) {
			b.add(kind{"unexpected price", "unexpected prices", "(keys that are not part of the workbook's layout)"},
				a.priceFinding(SeverityFail, p, false, "unexpected price: its key is not part of the workbook's layout"))
		}
	}
}

var services2b = []string{"DSH", "DOP", "DDP", "DOFSIT", "DDFSIT", "DOASIT", "DDASIT"}

func (a *analysis) checkServiceAreaPrices() Check {
	b := a.newCheck("completeness.service_area_prices", "completeness", "Service-area prices (2b) are complete",
		"Every service area has both seasons of all 7 service-area prices (DSH, DOP, DDP, DOFSIT, DDFSIT, DOASIT, DDASIT).")
	for _, sa := range a.cur.ServiceAreas {
		var missing []string
		for _, s := range seasons {
			for _, svc := range services2b {
				k := Key{Table: ServiceAreaPrices, Service: svc, Season: s, Area: sa}
				if !a.has(k) {
					missing = append(missing, svc+" "+s)
				}
			}
		}
		if len(missing) > 0 {
			loc := locate(Key{Table: ServiceAreaPrices, Area: sa}, a.kinds, a.cur.Sources)
			loc.Column = ""
			b.add(kind{"service area", "service areas", "missing service-area prices"}, a.missingFinding(ServiceAreaPrices, loc, "service area "+sa, missing, 14))
		}
	}
	areas := setOf(a.cur.ServiceAreas)
	a.unexpected(b, ServiceAreaPrices, func(k Key) bool {
		return k.Dest == "" && noBounds(k) && isSeason(k.Season) && areas[k.Area] && slices.Contains(services2b, k.Service)
	})
	return b.done()
}

// intlPairs returns the origin/destination kind pairs of 3a, 3b, 3c and the
// five 3e sections.
var intlPairs = [][2]AreaKind{
	{KindOconus, KindOconus}, {KindDomestic, KindOconus}, {KindOconus, KindDomestic},
	{KindNSRA, KindNSRA}, {KindNSRA, KindOconus}, {KindOconus, KindNSRA}, {KindNSRA, KindDomestic}, {KindDomestic, KindNSRA},
}

func (a *analysis) checkIntl() Check {
	b := a.newCheck("completeness.international", "completeness", "International prices (3a, 3b, 3c, 3e) are complete",
		"Every origin/destination pair of 3a, 3b, 3c and the 3e sections has both services (ISLH, UBP) in both seasons.")
	for _, pk := range intlPairs {
		for _, o := range a.cur.areasOf(pk[0]) {
			for _, d := range a.cur.areasOf(pk[1]) {
				var missing []string
				for _, svc := range servicesIntl {
					for _, s := range seasons {
						k := Key{Table: Intl, Service: svc, Season: s, Area: o, Dest: d}
						if !a.has(k) {
							missing = append(missing, svc+" "+s)
						}
					}
				}
				if len(missing) > 0 {
					loc := locate(Key{Table: Intl, Area: o, Dest: d}, a.kinds, a.cur.Sources)
					loc.Column = ""
					b.add(kind{"origin/destination pair", "origin/destination pairs", "missing international prices"}, a.missingFinding(Intl, loc, o+" → "+d, missing, 4))
				}
			}
		}
	}
	kinds := make(map[string][]AreaKind) // a code may (wrongly) have several rows
	for _, ra := range a.cur.RateAreas {
		kinds[ra.Code] = append(kinds[ra.Code], kindOf(ra))
	}
	a.unexpected(b, Intl, func(k Key) bool {
		if !noBounds(k) || !isSeason(k.Season) || !slices.Contains(servicesIntl, k.Service) {
			return false
		}
		for _, pk := range intlPairs {
			if slices.Contains(kinds[k.Area], pk[0]) && slices.Contains(kinds[k.Dest], pk[1]) {
				return true
			}
		}
		return false
	})
	return b.done()
}

var servicesIntl = []string{"ISLH", "UBP"}

var services3d = []string{"IHPK", "IHUPK", "IUBPK", "IUBUPK", "IOFSIT", "IDFSIT", "IOASIT", "IDASIT", "IOPSIT", "IDDSIT"}

func (a *analysis) checkIntlOther() Check {
	b := a.newCheck("completeness.other_international", "completeness", "Other international prices (3d) are complete",
		"Every rate area (international, domestic and NSRA) has the 10 other international prices in both seasons.")
	codes := make(map[string]bool, len(a.cur.RateAreas))
	for _, ra := range a.cur.RateAreas {
		codes[ra.Code] = true
		var missing []string
		for _, svc := range services3d {
			for _, s := range seasons {
				k := Key{Table: IntlOther, Service: svc, Season: s, Area: ra.Code}
				if !a.has(k) {
					missing = append(missing, svc+" "+s)
				}
			}
		}
		if len(missing) > 0 {
			loc := locate(Key{Table: IntlOther, Area: ra.Code}, a.kinds, a.cur.Sources)
			loc.Column = ""
			b.add(kind{"rate area", "rate areas", "missing other international prices"}, a.missingFinding(IntlOther, loc, "rate area "+ra.Code, missing, 20))
		}
	}
	a.unexpected(b, IntlOther, func(k Key) bool {
		return k.Dest == "" && noBounds(k) && isSeason(k.Season) && codes[k.Area] && slices.Contains(services3d, k.Service)
	})
	return b.done()
}

// fixedKeys are the keys of the tables whose size does not depend on the
// workbook: 2c, the transition price and the three 5a tables.
func fixedKeys() []Key {
	var keys []Key
	for _, sched := range []string{"1", "2", "3"} {
		for _, svc := range []string{"DPK", "DUPK", "DOPSIT", "DDDSIT"} {
			for _, s := range seasons {
				keys = append(keys, Key{Table: OtherDomestic, Service: svc, Season: s, Area: sched})
			}
		}
		for _, svc := range []string{"DCRT", "DCRTSA", "DUCRT", "DDSHUT", "DOSHUT"} {
			keys = append(keys, Key{Table: DomAccessorial, Service: svc, Area: sched})
		}
	}
	keys = append(keys, Key{Table: Transition})
	for _, m := range []string{"C", "O"} {
		for _, svc := range []string{"ICRT", "IUCRT", "IDSHUT", "IOSHUT"} {
			keys = append(keys, Key{Table: IntlAccessorial, Service: svc, Area: m})
		}
	}
	for _, svc := range []string{"DMHF", "DBTF", "DBHF", "DNPK"} {
		keys = append(keys, Key{Table: ShipmentType, Service: svc, Area: "C"})
	}
	for _, svc := range []string{"IBTF", "IBHF", "INPK"} {
		keys = append(keys, Key{Table: ShipmentType, Service: svc, Area: "O"})
	}
	return keys
}

func (a *analysis) checkFixedTables() Check {
	b := a.newCheck("completeness.fixed_tables", "completeness", "Fixed-size tables (2c, 4a transition, 5a) are complete",
		"2c has packing, unpacking and SIT pickup/delivery prices for schedules 1–3 in both seasons; the transition price exists; 5a has every accessorial and shipment-type factor.")
	expected := make(map[Key]bool)
	for _, k := range fixedKeys() {
		expected[k] = true
		if !a.has(k) {
			b.add(kind{"missing price", "missing prices", ""}, Finding{Severity: SeverityFail, Message: "missing price",
				Table: k.Table.String(), Key: k.Label()}.at(locate(k, a.kinds, a.cur.Sources)))
		}
	}
	for _, t := range []Table{OtherDomestic, Transition, DomAccessorial, IntlAccessorial, ShipmentType} {
		a.unexpected(b, t, func(k Key) bool { return expected[k] })
	}
	return b.done()
}

func (a *analysis) checkTaskOrderFees() Check {
	b := a.newCheck("completeness.task_order_fees", "completeness", "Management and counseling fees (4a) cover every contract year",
		"Every contract year has a shipment management (MS) and a counseling (CS) fee.")
	if len(a.cur.Years) == 0 {
		b.add(kind{"contract without contract years", "contracts without contract years", ""},
			Finding{Severity: SeverityFail, Message: "the contract has no contract years", Table: "re_contract_years"})
	}
	for _, y := range a.cur.Years {
		for _, svc := range []string{"MS", "CS"} {
			k := Key{Table: TaskOrderFees, Service: svc, Area: y.Name}
			if !a.has(k) {
				b.add(kind{"missing fee", "missing fees", ""}, Finding{Severity: SeverityFail, Message: "missing " + svc + " fee for " + y.Name,
					Table: TaskOrderFees.String(), Key: k.Label()}.at(locate(k, a.kinds, a.cur.Sources)))
			}
		}
	}
	return b.done()
}

func (a *analysis) checkZip3s() Check {
	b := a.newCheck("completeness.zip3", "completeness", "Every zip3 maps to a rate area",
		"Every zip3 has a rate area, or is flagged as spanning several rate areas and has zip5 rows.")
	zip5s := make(map[string]int)
	for _, z := range a.cur.Zip5s {
		if len(z) >= 3 {
			zip5s[z[:3]]++
		}
	}
	for _, z := range a.cur.Zip3s {
		switch {
		case z.Multi && zip5s[z.Zip3] == 0:
			b.add(kind{"zip3", "zip3s", "spanning several rate areas without zip5 rows"}, Finding{Severity: SeverityFail, Table: "re_zip3s", Key: "zip3 " + z.Zip3,
				Message: "zip3 " + z.Zip3 + " spans several rate areas but has no zip5 rows"})
		case !z.Multi && z.RateArea == "":
			b.add(kind{"zip3", "zip3s", "without a rate area"}, Finding{Severity: SeverityFail, Table: "re_zip3s", Key: "zip3 " + z.Zip3,
				Message: "zip3 " + z.Zip3 + " has no rate area"})
		}
	}
	return b.done()
}

func (a *analysis) checkNonPositive() Check {
	b := a.newCheck("anomaly.nonpositive", "anomaly", "No zero or negative prices",
		"Negative prices fail; zero prices are flagged for a look, except 2a linehaul prices of the 0–250 mile range, where the template itself has zeros (they show in the statistics).")
	for i := range a.prices.len() {
		switch p := a.prices.at(i); {
		case p.Value < 0:
			b.add(kind{"negative price", "negative prices", ""}, a.priceFinding(SeverityFail, p, true, "negative price"))
		case p.Value == 0 && !zeroExpected(p.Key):
			b.add(kind{"zero price", "zero prices", ""}, a.priceFinding(SeverityWarning, p, true, "zero price"))
		}
	}
	return b.done()
}

// zeroExpected tells whether a zero price is a known pattern of the
// template: the first mileage range (0–250 miles) of 2a.
func zeroExpected(k Key) bool {
	return k.Table == Linehaul && k.MilesLower == 0
}

func (a *analysis) checkPeakBelowNonPeak() Check {
	b := a.newCheck("anomaly.peak_below_nonpeak", "anomaly", "Peak prices are not below non-peak prices",
		"For every price with both seasons, the peak price is at least the non-peak price.")
	for i, x := range a.prices.p {
		if seasonCodes[x.season] != Peak || i == 0 {
			continue
		}
		p := a.prices.at(i)
		// Season sorts last and NonPeak before Peak: the non-peak price of
		// the same key, when there is one, comes right before.
		np := p.Key
		np.Season = NonPeak
		if q := a.prices.at(i - 1); q.Key == np && p.Value < q.Value {
			b.add(kind{"peak price", "peak prices", "below the non-peak price"}, a.priceFinding(SeverityWarning, p, true, "peak price below the non-peak price %s",
				FormatValue(q.Value, p.Table.Unit())))
		}
	}
	return b.done()
}

func (a *analysis) checkEscalations() Check {
	b := a.newCheck("anomaly.escalation", "anomaly", "Escalations are plausible",
		fmt.Sprintf("Every contract year's escalation factor lies between %.2f and %.2f.", a.opts.EscalationMin, a.opts.EscalationMax))
	for _, y := range a.cur.Years {
		e := float64(y.Escalation) / 1e5
		if e < a.opts.EscalationMin || e > a.opts.EscalationMax {
			v := decimal(y.Escalation, 5, 5)
			b.add(kind{"contract year", "contract years", fmt.Sprintf("with an escalation outside %.2f–%.2f", a.opts.EscalationMin, a.opts.EscalationMax)},
				Finding{Severity: SeverityWarning, Table: "re_contract_years", Key: y.Name, Value: &v,
					Message: fmt.Sprintf("escalation of %s outside %.2f–%.2f", y.Name, a.opts.EscalationMin, a.opts.EscalationMax),
				}.at(locateEscalation(y.Name, a.cur.Sources)))
		}
	}
	return b.done()
}

// peerGroup identifies the group a price is compared with for outliers.
type peerGroup struct {
	table, season       uint8
	service             uint32 // id in the current contract's priceList
	weightLower         int32
	milesLower          int32
	origin, destination AreaKind
}

// peerGroupOf returns the peer group of a price of the current contract;
// kinds holds the area kind of each text id.
func peerGroupOf(p packed, kinds []AreaKind) peerGroup {
	g := peerGroup{table: p.table, season: p.season, service: p.service}
	switch Table(p.table) {
	case Linehaul:
		g.weightLower, g.milesLower = p.weightLower, p.milesLower
	case Intl:
		g.origin, g.destination = kinds[p.area], kinds[p.dest]
	}
	return g
}

func (a *analysis) checkOutliers() Check {
	b := a.newCheck("anomaly.outlier", "anomaly", "No prices far from their peers",
		fmt.Sprintf("Robust z-score (median, scaled MAD) of each price among its peers (same table, service and season; linehaul also same weight band and mileage range; international also same kind of origin and destination) stays within ±%g.", a.opts.OutlierZ))
	kinds := make([]AreaKind, len(a.prices.texts))
	for id, text := range a.prices.texts {
		kinds[id] = a.kinds[text]
	}
	groups := make(map[peerGroup][]int32) // peer group → indexes into a.prices
	var order []peerGroup
	for i, p := range a.prices.p {
		g := peerGroupOf(p, kinds)
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], int32(i))
	}
	for _, g := range order {
		peers := groups[g]
		if len(peers) < a.opts.MinPeers {
			continue
		}
		vals := make([]float64, len(peers))
		for i, j := range peers {
			vals[i] = float64(a.prices.p[j].value)
		}
		med, _ := robustScale(vals)
		for i, z := range robustZ(vals) {
			if math.Abs(z) > a.opts.OutlierZ {
				p := a.prices.at(int(peers[i]))
				b.add(kind{"price", "prices", fmt.Sprintf("far from their peers (robust z-score beyond ±%g)", a.opts.OutlierZ)},
					a.priceFinding(SeverityWarning, p, true, "robust z-score %.1f among %d peers (median %s)",
						z, len(peers), formatMedian(med, p.Table.Unit())))
			}
		}
	}
	return b.done()
}

func (a *analysis) checkUnchanged() Check {
	b := a.newCheck("anomaly.unchanged", "anomaly", "No stale prices where most changed",
		fmt.Sprintf("In a service group where more than %.0f%% of the prices changed against the compared contract, the unchanged prices are flagged.", a.opts.UnchangedShare*100))
	if a.prev == nil {
		return b.skip("no contract to compare to")
	}
	prev := &cursor{sorted: a.prevSorted}
	forGroups(a.prices, func(group priceList) {
		// Count first and list the unchanged prices only when they are
		// flagged: in a group that did not change they are all of it.
		start := prev.i
		common, same := 0, 0
		for i := range group.len() {
			p := group.at(i)
			if v, ok := prev.find(p.Key); ok {
				common++
				if v == p.Value {
					same++
				}
			}
		}
		if common == 0 || float64(common-same) <= a.opts.UnchangedShare*float64(common) {
			return
		}
		prev.i = start
		for i := range group.len() {
			p := group.at(i)
			if v, ok := prev.find(p.Key); ok && v == p.Value {
				msg := fmt.Sprintf("unchanged since %s while %d of %d %s prices changed", a.prev.Code, common-same, common, p.Group())
				b.add(kind{"price", "prices", msg}, a.priceFinding(SeverityWarning, p, true, "%s", msg))
			}
		}
	})
	return b.done()
}
