package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Options control what Build generates.
type Options struct {
	// Seed makes the synthetic values reproducible: equal seeds give equal models.
	Seed uint64
	// Scale multiplies the service areas (up to the format's limits) by Scale
	// and the rate areas by round(√Scale), so the pairwise international tables
	// grow about Scale-fold. 0 means 1.
	Scale int
}

// MaxScale is the largest accepted Scale.
const MaxScale = 100

// Sizes of a full-size (scale 1) template, Part 5 of the specification.
const (
	baseServiceAreas = 226
	baseRows         = 774
	baseZip3s        = 908
	baseZip5Lines    = 922
)

// Data start rows of the sheets whose tables grow.
const (
	rowServiceAreas = 10
	rowLinehaul     = 15
	rowSAPrices     = 11
	rowIntl         = 11
	rowNonStdHeader = 8
	nonStdGap       = 6 // header row of a 3e section = previous last data row + nonStdGap
)

// Build computes the model of a sample workbook. It is pure and deterministic:
// equal options give equal models.
func Build(opts Options) (*Model, error) {
	if opts.Scale == 0 {
		opts.Scale = 1
	}
	if opts.Scale < 1 || opts.Scale > MaxScale {
		return nil, fmt.Errorf("sample: scale %d out of range 1–%d", opts.Scale, MaxScale)
	}
	b := &builder{
		rng: rand.New(rand.NewPCG(opts.Seed, 0x5ec0e1a7e5a4b1e)),
		m:   &Model{Options: opts},
	}
	if err := b.serviceAreas(opts.Scale); err != nil {
		return nil, err
	}
	areaMul := int(math.Round(math.Sqrt(float64(opts.Scale))))
	b.rateAreas(areaMul)
	b.linehaul()
	b.serviceAreaPrices()
	b.otherDomestic()
	b.intlPairs()
	b.otherIntl()
	b.nonStandard()
	b.fees()
	b.accessorials()
	b.zipRefs()
	return b.m, nil
}

// builder carries the random source while a model is built.
type builder struct {
	rng *rand.Rand
	m   *Model
	// remoteness per rate-area code drives international price levels.
	remote map[string]int64
	// saBase is the 2a base price (thousandths) per free service area.
	saBase map[int]int64
	// schedules per service area: services schedule, SIT schedule.
	schedules map[int][2]int
	// saNames per service area number.
	saNames map[int]string
	// pinned service areas by number.
	pinned map[int]*pinnedServiceArea
}

// between returns a uniform integer in [lo, hi].
func (b *builder) between(lo, hi int64) int64 { return lo + b.rng.Int64N(hi-lo+1) }

// scaled returns round(v × num / den), half away from zero, for v, num, den > 0.
func scaled(v, num, den int64) int64 { return (2*v*num + den) / (2 * den) }

// serviceAreas builds the 1b domestic rows, service-area names and schedules.
func (b *builder) serviceAreas(scale int) error {
	b.pinned = map[int]*pinnedServiceArea{}
	reserved := map[int]bool{}
	pinnedRows, pinnedZips := 0, 0
	for i := range pinnedServiceAreas {
		p := &pinnedServiceAreas[i]
		b.pinned[p.number] = p
		for _, r := range p.rows {
			pinnedRows++
			for _, z := range r.zip3s {
				reserved[z] = true
				pinnedZips++
			}
		}
	}
	var candidates []int
	for z := range 1000 {
		if stateOf(z) != "" && !reserved[z] {
			candidates = append(candidates, z)
		}
	}
	zip3Count := min(baseZip3s*scale, len(candidates)+pinnedZips)
	freeZips := zip3Count - pinnedZips
	freeSAs := min(baseServiceAreas*scale-len(pinnedServiceAreas), freeZips)
	freeRows := min(max(baseRows*scale-pinnedRows, freeSAs), freeZips)
	if extra := freeZips - freeRows; extra > 2*freeRows {
		return errors.New("sample: internal size error: too many zip3s per row")
	}

	// Pick the free zip3s: every required one, then random others.
	required := map[int]bool{}
	for _, z := range multiAreaZip3s {
		required[z.zip3] = true
	}
	for _, z := range refinedZip3s {
		required[z.zip3] = true
	}
	var zips, others []int
	for _, z := range candidates {
		if required[z] {
			zips = append(zips, z)
		} else {
			others = append(others, z)
		}
	}
	b.rng.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	zips = append(zips, others[:freeZips-len(zips)]...)
	sort.Ints(zips)

	rowSizes := b.partition(freeZips, freeRows, 3, false)
	saSizes := b.partition(freeRows, freeSAs, 31, true)

	// Service-area numbers, ascending with geography.
	var numbers []int
	for n := 1; n <= 999; n++ {
		if b.pinned[n] == nil {
			numbers = append(numbers, n)
		}
	}
	b.rng.Shuffle(len(numbers), func(i, j int) { numbers[i], numbers[j] = numbers[j], numbers[i] })
	numbers = numbers[:freeSAs]
	sort.Ints(numbers)

	names := newCityNames(b.rng)
	for _, p := range pinnedServiceAreas {
		for _, r := range p.rows {
			names.reserve(r.city)
		}
	}
	b.saNames = map[int]string{}
	b.schedules = map[int][2]int{}
	b.saBase = map[int]int64{}
	var rows []ServiceAreaRow
	zi, ri := 0, 0
	for si, n := range numbers {
		for k := range saSizes[si] {
			size := rowSizes[ri]
			ri++
			row := ServiceAreaRow{City: names.next(), ServiceArea: n, Zip3s: slices.Clone(zips[zi : zi+size])}
			zi += size
			row.State = stateOf(row.Zip3s[0])
			if k == 0 {
				b.saNames[n] = row.City + ", " + row.State
			}
			rows = append(rows, row)
		}
		b.schedules[n] = [2]int{int(b.between(1, 3)), int(b.between(1, 3))}
		b.saBase[n] = b.between(1500, 3500)
	}
	for _, p := range pinnedServiceAreas {
		for _, r := range p.rows {
			rows = append(rows, ServiceAreaRow{City: r.city, State: r.state, ServiceArea: p.number, Zip3s: slices.Clone(r.zip3s)})
		}
		b.saNames[p.number] = p.name
		b.schedules[p.number] = [2]int{p.schedule, p.sitSched}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].City != rows[j].City {
			return rows[i].City < rows[j].City
		}
		return rows[i].State < rows[j].State
	})
	for i := range rows {
		rows[i].Row = rowServiceAreas + i
	}
	b.m.ServiceAreaRows = rows
	return nil
}

// partition splits total items into n groups of 1..maxSize items. With
// extremes, one group gets maxSize and another exactly 1 (when possible).
func (b *builder) partition(total, n, maxSize int, extremes bool) []int {
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 1
	}
	extra := total - n
	keepOne := -1
	if extremes && n >= 2 && extra >= maxSize-1 {
		big := b.rng.IntN(n)
		sizes[big] = maxSize
		extra -= maxSize - 1
		keepOne = (big + 1 + b.rng.IntN(n-1)) % n
	}
	for extra > 0 {
		i := b.rng.IntN(n)
		if i == keepOne || sizes[i] >= maxSize {
			continue
		}
		sizes[i]++
		extra--
	}
	return sizes
}

// cityNames hands out unique synthetic city names.
type cityNames struct {
	rng  *rand.Rand
	used map[string]bool
}

func newCityNames(rng *rand.Rand) *cityNames {
	return &cityNames{rng: rng, used: map[string]bool{}}
}

func (c *cityNames) reserve(name string) { c.used[name] = true }

func (c *cityNames) next() string {
	for {
		name := cityPrefixes[c.rng.IntN(len(cityPrefixes))] + citySuffixes[c.rng.IntN(len(citySuffixes))]
		if c.rng.IntN(4) == 0 {
			name = cityQualifiers[c.rng.IntN(len(cityQualifiers))] + name
		}
		if !c.used[name] {
			c.used[name] = true
			return name
		}
	}
}

// rateAreas builds the international (1b J–K) and domestic lists, with mul
// times the sample's number of each kind.
func (b *builder) rateAreas(mul int) {
	b.remote = map[string]int64{}
	add := func(list *[]RateArea, code, name string, lo, hi int64) {
		*list = append(*list, RateArea{Code: code, Name: name})
		b.remote[code] = b.between(lo, hi)
	}
	m := b.m
	for _, a := range oconusAreas {
		add(&m.OconusAreas, a.code, a.name, 80, 200)
	}
	for i := 1; i <= len(oconusAreas)*(mul-1); i++ {
		add(&m.OconusAreas, fmt.Sprintf("XO%03d", i), fmt.Sprintf("Overseas Area %03d", i), 80, 200)
	}
	for _, a := range nsraAreas {
		add(&m.NSRAAreas, a.code, a.name, 120, 250)
	}
	for i := len(nsraAreas) + 1; i <= len(nsraAreas)*mul; i++ {
		add(&m.NSRAAreas, fmt.Sprintf("NSRA%d", i), fmt.Sprintf("Non-Standard Area %d", i), 120, 250)
	}
	for _, a := range domesticAreas {
		add(&m.DomesticAreas, a.code, a.name, 90, 120)
	}
	for i := 1; i <= len(domesticAreas)*(mul-1); i++ {
		add(&m.DomesticAreas, fmt.Sprintf("US9%03d", i), fmt.Sprintf("Domestic Area 9%03d", i), 90, 120)
	}
	row := rowServiceAreas
	for _, list := range [][]RateArea{m.OconusAreas, m.NSRAAreas} {
		for i := range list {
			list[i].Row = row
			row++
			m.IntlRateAreas = append(m.IntlRateAreas, list[i])
		}
	}
}

// serviceAreaNumbers returns every service-area number, ascending.
func (b *builder) serviceAreaNumbers() []int {
	var ns []int
	for n := range b.saNames {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns
}

// linehaul builds 2a: prices rise with distance, fall slightly with weight,
// and peak is at least non-peak.
func (b *builder) linehaul() {
	distance := [10]int64{100, 110, 145, 185, 225, 265, 305, 345, 385, 425} // percent
	band := [3]int64{100, 96, 92}                                           // percent
	for i, n := range b.serviceAreaNumbers() {
		r := LinehaulRow{Row: rowLinehaul + i, ServiceArea: n, Name: b.saNames[n], Schedule: b.schedules[n][0]}
		p := b.pinned[n]
		base, noisy := b.saBase[n], true
		if p != nil {
			base, noisy = p.linehaulBase, false
		}
		peak := b.between(108, 118)
		zeroFirst := noisy && i%40 == 7 // real templates have a few $0.000 prices
		for bd := range 3 {
			prev := int64(0)
			for mi := range 10 {
				v := scaled(base, distance[mi]*band[bd], 10000)
				if noisy {
					v = scaled(v, b.between(990, 1010), 1000)
				}
				if pin, ok := p.pin(bd, mi); ok {
					v = pin
				}
				v = max(v, prev)
				if zeroFirst && bd == 0 && mi == 0 {
					v = 0
				}
				prev = v
				r.Prices[NonPeak][bd][mi] = v
				r.Prices[Peak][bd][mi] = scaled(v, peak, 100)
			}
		}
		b.m.Linehaul = append(b.m.Linehaul, r)
	}
}

// pin returns the pinned 2a NonPeak price of a cell, if any.
func (p *pinnedServiceArea) pin(band, rng int) (int64, bool) {
	if p == nil {
		return 0, false
	}
	v, ok := p.linehaulPins[[2]int{band, rng}]
	return v, ok
}

// serviceAreaPrices builds 2b.
func (b *builder) serviceAreaPrices() {
	ranges := [7][2]int64{{10, 150}, {400, 800}, {5000, 8000}, {400, 800}, {1200, 2400}, {40, 90}, {15000, 25000}}
	for i, n := range b.serviceAreaNumbers() {
		s := b.schedules[n]
		r := ServiceAreaPriceRow{Row: rowSAPrices + i, ServiceArea: n, Name: b.saNames[n], Schedule: s[0], SITSchedule: s[1]}
		peak := b.between(110, 120)
		for k, rg := range ranges {
			r.Cents[NonPeak][k] = b.between(rg[0], rg[1])
			r.Cents[Peak][k] = scaled(r.Cents[NonPeak][k], peak, 100)
		}
		if p := b.pinned[n]; p != nil {
			switch {
			case p.servicePricesCents != nil:
				r.Cents = *p.servicePricesCents
			case p.serviceNonPeakCents != nil:
				r.Cents[NonPeak] = *p.serviceNonPeakCents
				for k := range r.Cents[Peak] {
					r.Cents[Peak][k] = scaled(r.Cents[NonPeak][k], peak, 100)
				}
			}
		}
		b.m.ServiceAreaPrices = append(b.m.ServiceAreaPrices, r)
	}
}

// otherDomestic builds 2c.
func (b *builder) otherDomestic() {
	row := 13
	for s := 1; s <= 3; s++ {
		for _, svc := range []string{ServicePacking, ServiceUnpack} {
			var np int64
			if svc == ServicePacking {
				np = b.between(6000, 7500)
			} else {
				np = b.between(500, 800)
			}
			r := OtherDomesticRow{Row: row, Schedule: s, Service: svc, Cents: [2]int64{np, scaled(np, b.between(102, 106), 100)}}
			if s == 1 && svc == ServicePacking {
				r.Cents = [2]int64{6333, 6544}
			}
			b.m.PackPrices = append(b.m.PackPrices, r)
			row++
		}
	}
	for s := 1; s <= 3; s++ {
		np := b.between(20000, 26000)
		r := OtherDomesticRow{Row: 24 + s, Schedule: s, Service: ServiceSITPD, Cents: [2]int64{np, scaled(np, b.between(101, 104), 100)}}
		if s == 1 {
			r.Cents = [2]int64{21796, 22011}
		}
		b.m.SITPrices = append(b.m.SITPrices, r)
	}
}

// pairPrice returns the prices of a pair of rate areas: HHG from the areas'
// remoteness, UB a multiple of it, peak at least non-peak.
func (b *builder) pairPrice(origin, dest string) [2][2]int64 {
	hhg := scaled(6*(b.remote[origin]+b.remote[dest]), b.between(95, 105), 100)
	ub := scaled(hhg, b.between(140, 290), 100)
	peak := b.between(108, 120)
	return [2][2]int64{{hhg, ub}, {scaled(hhg, peak, 100), scaled(ub, peak, 100)}}
}

// pinnedPairs are the fixed prices of pairs quoted by the specification.
var pinnedPairs = map[string]map[[2]string][2][2]int64{
	SheetOconusToOconus: {{"AR", "AR"}: {{1035, 1689}, {1221, 1993}}},
	SheetConusToOconus:  {{"US11", "AR"}: {{1528, 4394}, {1751, 5035}}},
	SheetNonStandard:    {{"NSRA1", "NSRA1"}: {{1528, 1689}, {1711, 1892}}},
}

// pairs builds the origin-major rows of every origin × destination pair.
func (b *builder) pairs(sheet string, origins, dests []RateArea, firstRow int, moveType string) []IntlPriceRow {
	rows := make([]IntlPriceRow, 0, len(origins)*len(dests))
	for _, o := range origins {
		for _, d := range dests {
			r := IntlPriceRow{
				Row: firstRow + len(rows), Origin: o.Code, OriginName: o.Name,
				Dest: d.Code, DestName: d.Name, MoveType: moveType,
				Cents: b.pairPrice(o.Code, d.Code),
			}
			if p, ok := pinnedPairs[sheet][[2]string{o.Code, d.Code}]; ok {
				r.Cents = p
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// intlPairs builds 3a, 3b and 3c.
func (b *builder) intlPairs() {
	m := b.m
	m.OconusToOconus = b.pairs(SheetOconusToOconus, m.OconusAreas, m.OconusAreas, rowIntl, "")
	m.ConusToOconus = b.pairs(SheetConusToOconus, m.DomesticAreas, m.OconusAreas, rowIntl, "")
	// 3c mirrors 3b: OCONUS → CONUS costs what CONUS → OCONUS does, as in
	// real templates (the workbook writes these cells as formulas into 3b).
	m.OconusToConus = b.pairs(SheetOconusToConus, m.OconusAreas, m.DomesticAreas, rowIntl, "")
	for i := range m.OconusToConus {
		m.OconusToConus[i].Cents = m.ConusToOconus[mirrorIndex(i, len(m.OconusAreas), len(m.DomesticAreas))].Cents
	}
}

// mirrorIndex maps the index of 3c pair (o, d), origin-major over nO OCONUS
// and nD domestic areas, to the index of 3b pair (d, o).
func mirrorIndex(i, nO, nD int) int {
	o, d := i/nD, i%nD
	return d*nO + o
}

// otherIntl builds 3d: OCONUS, then domestic, then NSRA codes.
func (b *builder) otherIntl() {
	ranges := [8][2]int64{{5000, 7000}, {500, 900}, {5000, 6500}, {500, 900}, {400, 800}, {15, 40}, {12000, 17000}, {18000, 26000}}
	row := rowIntl
	for _, list := range [][]RateArea{b.m.OconusAreas, b.m.DomesticAreas, b.m.NSRAAreas} {
		for _, a := range list {
			r := OtherIntlRow{Row: row, Code: a.Code, Name: a.Name}
			if n, ok := nsraOtherNames[a.Code]; ok {
				r.Name = n
			}
			peak := b.between(105, 115)
			for k, rg := range ranges {
				r.Cents[NonPeak][k] = b.between(rg[0], rg[1])
				r.Cents[Peak][k] = scaled(r.Cents[NonPeak][k], peak, 100)
			}
			if a.Code == "AR" {
				r.Cents[NonPeak] = [8]int64{6105, 752, 5776, 724, 599, 20, 14531, 21796}
				for k := range r.Cents[Peak] {
					r.Cents[Peak][k] = scaled(r.Cents[NonPeak][k], peak, 100)
				}
			}
			b.m.OtherIntl = append(b.m.OtherIntl, r)
			row++
		}
	}
}

// nonStandard builds the five 3e sections.
func (b *builder) nonStandard() {
	m := b.m
	sets := [5][2][]RateArea{
		{m.NSRAAreas, m.NSRAAreas}, {m.NSRAAreas, m.OconusAreas}, {m.OconusAreas, m.NSRAAreas},
		{m.NSRAAreas, m.DomesticAreas}, {m.DomesticAreas, m.NSRAAreas},
	}
	header := rowNonStdHeader
	for i, s := range sets {
		sec := NonStdSection{MoveType: MoveTypes[i], HeaderRow: header}
		sec.Rows = b.pairs(SheetNonStandard, s[0], s[1], header+3, MoveTypes[i])
		m.NonStandard = append(m.NonStandard, sec)
		header = sec.Rows[len(sec.Rows)-1].Row + nonStdGap
	}
}

// fees builds 4a (escalated by 5b) and 5b.
func (b *builder) fees() {
	ms, cs := int64(45115), int64(22263)
	for i, y := range ContractYears {
		if i > 0 {
			ms = scaled(ms, escalations[i], 100000)
			cs = scaled(cs, escalations[i], 100000)
		}
		b.m.Management = append(b.m.Management, FeeRow{Row: 10 + i, Year: y, Cents: ms})
		b.m.Counseling = append(b.m.Counseling, FeeRow{Row: 23 + i, Year: y, Cents: cs})
		b.m.Escalations = append(b.m.Escalations, EscalationRow{Row: 10 + i, Year: y, Escalation: escalations[i]})
	}
	b.m.Transition = FeeRow{Row: 35, Year: TransitionYear, Cents: 45018}
}

// accessorials builds the three 5a tables.
func (b *builder) accessorials() {
	m := b.m
	type svc struct {
		name   string
		lo, hi int64
	}
	services := []svc{{ServiceCrating, 2000, 2800}, {ServiceUncrate, 500, 900}, {ServiceShuttle, 6000, 9000}}
	row := 12
	for _, s := range services {
		for sched := 1; sched <= 3; sched++ {
			c := b.between(s.lo, s.hi)
			if s.name == ServiceCrating && sched == 1 {
				c = 2369
			}
			m.DomesticAccessorials = append(m.DomesticAccessorials, DomesticAccessorialRow{Row: row, Schedule: sched, Service: s.name, Cents: c})
			row++
		}
	}
	row = 26
	for _, s := range services {
		for _, mk := range []string{MarketCONUS, MarketOCONUS} {
			c := b.between(s.lo, s.hi)
			if s.name == ServiceCrating && mk == MarketOCONUS {
				c = 2859
			}
			m.IntlAccessorials = append(m.IntlAccessorials, IntlAccessorialRow{Row: row, Market: mk, Service: s.name, Cents: c})
			row++
		}
	}
	types := []struct {
		market, shipment string
		lo, hi           int64
	}{
		{MarketCONUS, ShipMobileHomes, 120, 120},
		{MarketCONUS, ShipTowAway, 110, 160}, {MarketOCONUS, ShipTowAway, 110, 160},
		{MarketCONUS, ShipHaulAway, 120, 190}, {MarketOCONUS, ShipHaulAway, 120, 190},
		{MarketCONUS, ShipNTSPacking, 130, 170}, {MarketOCONUS, ShipNTSPacking, 130, 170},
	}
	for i, t := range types {
		m.ShipmentTypes = append(m.ShipmentTypes, ShipmentTypeRow{Row: 40 + i, Market: t.market, ShipmentType: t.shipment, Factor: b.between(t.lo, t.hi)})
	}
}

// zipRefs builds the reference CSV: a line per workbook zip3 (ZIP for the
// multi-area ones) and zip5 lines refining the multi-area and refined zip3s.
func (b *builder) zipRefs() {
	multi := map[int]bool{}
	for _, z := range multiAreaZip3s {
		multi[z.zip3] = true
	}
	refined := map[int]bool{}
	for _, z := range refinedZip3s {
		refined[z.zip3] = true
	}
	var zip3s []int
	for _, r := range b.m.ServiceAreaRows {
		zip3s = append(zip3s, r.Zip3s...)
	}
	sort.Ints(zip3s)
	var eligible []int // indexes of zip3 lines that may take an extra domestic code
	for _, z := range zip3s {
		code := zip3Area(z)
		if multi[z] {
			code = "ZIP"
		} else if !refined[z] {
			eligible = append(eligible, len(b.m.Zip3Refs))
		}
		b.m.Zip3Refs = append(b.m.Zip3Refs, Zip3Ref{Zip3: z, Code: code})
	}
	extra := b.m.DomesticAreas[len(domesticAreas):]
	if len(extra) > 0 {
		step := max(len(eligible)/len(extra), 1)
		for i, a := range extra {
			b.m.Zip3Refs[eligible[(i*step)%len(eligible)]].Code = a.Code
		}
	}

	type split struct {
		zip3  int
		codes [2]string
	}
	var splits []split
	for _, z := range multiAreaZip3s {
		splits = append(splits, split{z.zip3, z.codes})
	}
	for _, z := range refinedZip3s {
		splits = append(splits, split{z.zip3, z.codes})
	}
	sort.Slice(splits, func(i, j int) bool { return splits[i].zip3 < splits[j].zip3 })
	counts := b.partition(baseZip5Lines, len(splits), 100, false)
	for i, s := range splits {
		suffixes := b.rng.Perm(100)[:counts[i]]
		sort.Ints(suffixes)
		for k, sfx := range suffixes {
			code := s.codes[0]
			if k%3 == 2 || k == len(suffixes)-1 {
				code = s.codes[1]
			}
			b.m.Zip5Refs = append(b.m.Zip5Refs, Zip5Ref{Zip5: s.zip3*100 + sfx, Code: code})
		}
	}
}
