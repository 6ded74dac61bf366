package report

import (
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// fixture builds a small, clean, complete contract: 12 service areas, 3
// domestic, 4 OCONUS and 2 NSRA rate areas, 3 contract years. Prices are
// deterministic, within ±5% of a per-group base, peak 15% above non-peak.
func fixture(code string) *Dataset {
	d := &Dataset{
		Code: code, Name: code, CreatedAt: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC),
		ServiceAreas: []string{"004", "008", "012", "056", "101", "222", "304", "452", "600", "672", "801", "999"},
		RateAreas: []RateArea{{"US11", false}, {"US12", false}, {"US4964400", false},
			{"AR", true}, {"GE", true}, {"JP", true}, {"US8101000", true}, {"NSRA1", true}, {"NSRA2", true}},
		Years: []Year{{"Base Period Year 1", 100000, 100000}, {"Base Period Year 2", 102060, 102060},
			{"Option Period 1", 101970, 104071}},
		Zip3s: []Zip3{{"173", "US11", false}, {"321", "", true}, {"444", "US12", false}},
		Zip5s: []string{"32101", "32102"},
	}
	add := func(k Key, base int64) {
		h := fnv.New32a()
		h.Write([]byte(k.String()))
		v := base * int64(950+h.Sum32()%101) / 1000
		if k.Season == Peak {
			v = v * 115 / 100
		}
		d.Prices = append(d.Prices, Price{Key: k, Value: v})
	}
	bands := [][2]int32{{500, 4999}, {5000, 9999}, {10000, 999999}}
	ranges := [][2]int32{{0, 250}, {251, 500}, {501, 1000}, {1001, 1500}, {1501, 2000}, {2001, 2500},
		{2501, 3000}, {3001, 3500}, {3501, 4000}, {4001, 999999}}
	for _, sa := range d.ServiceAreas {
		for _, s := range seasons {
			for bi, w := range bands {
				for mi, m := range ranges {
					add(Key{Table: Linehaul, Season: s, Area: sa, WeightLower: w[0], WeightUpper: w[1],
						MilesLower: m[0], MilesUpper: m[1]}, int64(200000+50000*mi-30000*bi))
				}
			}
			for i, svc := range services2b {
				add(Key{Table: ServiceAreaPrices, Service: svc, Season: s, Area: sa}, int64(100+300*i))
			}
		}
	}
	for _, pk := range intlPairs {
		for _, o := range d.areasOf(pk[0]) {
			for _, dst := range d.areasOf(pk[1]) {
				for _, svc := range []string{"ISLH", "UBP"} {
					for _, s := range seasons {
						add(Key{Table: Intl, Service: svc, Season: s, Area: o, Dest: dst}, int64(1500+2000*int(pk[0])+len(svc)*700))
					}
				}
			}
		}
	}
	for _, ra := range d.RateAreas {
		for i, svc := range services3d {
			for _, s := range seasons {
				add(Key{Table: IntlOther, Service: svc, Season: s, Area: ra.Code}, int64(500+900*i))
			}
		}
	}
	for _, y := range d.Years {
		add(Key{Table: TaskOrderFees, Service: "MS", Area: y.Name}, 45115)
		add(Key{Table: TaskOrderFees, Service: "CS", Area: y.Name}, 22263)
	}
	for _, k := range fixedKeys() {
		add(k, 2000)
	}
	// Every workbook row of the fixture's keys, numbered in key order.
	d.Sources = Sources{}
	kinds := d.areaKinds()
	for _, p := range d.Prices {
		if _, sk := place(p.Key, kinds); d.Sources[sk] == 0 {
			d.Sources[sk] = 10 + len(d.Sources)
		}
	}
	for _, y := range d.Years {
		d.Sources[SourceKey{Src5b, y.Name, ""}] = 10 + len(d.Sources)
	}
	d.Import = &ImportLog{WorkbookName: "sample.xlsx", WorkbookSHA256: fmt.Sprintf("%064x", 1), ToolVersion: "test",
		Status: "imported", StartedAt: d.CreatedAt, RowCounts: map[string]int64{}}
	for _, c := range (&analysis{cur: d}).counts() {
		d.Import.RowCounts[c.Table] = c.Rows
	}
	return d
}

// clone deep-copies a dataset so a test can mutate it.
func clone(d *Dataset) *Dataset {
	c := *d
	c.Prices = slices.Clone(d.Prices)
	c.Years = slices.Clone(d.Years)
	c.Zip3s = slices.Clone(d.Zip3s)
	c.Zip5s = slices.Clone(d.Zip5s)
	c.RateAreas = slices.Clone(d.RateAreas)
	c.ServiceAreas = slices.Clone(d.ServiceAreas)
	if d.Import != nil {
		im := *d.Import
		im.RowCounts = make(map[string]int64)
		for k, v := range d.Import.RowCounts {
			im.RowCounts[k] = v
		}
		c.Import = &im
	}
	return &c
}

// removePrice deletes the price with key k and reports whether it existed.
func removePrice(d *Dataset, k Key) bool {
	i := slices.IndexFunc(d.Prices, func(p Price) bool { return p.Key == k })
	if i < 0 {
		return false
	}
	d.Prices = slices.Delete(d.Prices, i, i+1)
	return true
}

// setPrice changes the value of the price with key k.
func setPrice(d *Dataset, k Key, v int64) bool {
	i := slices.IndexFunc(d.Prices, func(p Price) bool { return p.Key == k })
	if i < 0 {
		return false
	}
	d.Prices[i].Value = v
	return true
}

// valueOf returns the value of the price with key k.
func valueOf(d *Dataset, k Key) int64 {
	i := slices.IndexFunc(d.Prices, func(p Price) bool { return p.Key == k })
	return d.Prices[i].Value
}
