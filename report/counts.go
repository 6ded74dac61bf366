package report

import "fmt"

// counts returns every rate-engine table's row count with the count its
// dimensions imply and the count the import logged.
func (a *analysis) counts() []TableCount {
	d := a.cur
	rows := make(map[Table]int64)
	for _, p := range d.priceList().p {
		rows[Table(p.table)]++
	}
	sa := int64(len(d.ServiceAreas))
	dom, oc, ns := int64(len(d.areasOf(KindDomestic))), int64(len(d.areasOf(KindOconus))), int64(len(d.areasOf(KindNSRA)))
	years := int64(len(d.Years))
	pairs := oc*oc + dom*oc + oc*dom + ns*ns + ns*oc + oc*ns + ns*dom + dom*ns
	exp := func(n int64, format string, args ...any) (*int64, string) { return &n, fmt.Sprintf(format, args...) }

	out := []TableCount{
		{Table: "re_contracts", Rows: 1},
		{Table: "re_contract_years", Rows: years},
		{Table: "re_rate_areas", Rows: int64(len(d.RateAreas))},
		{Table: "re_domestic_service_areas", Rows: sa},
		{Table: "re_zip3s", Rows: int64(len(d.Zip3s))},
		{Table: "re_zip5_rate_areas", Rows: int64(len(d.Zip5s))},
	}
	for t := range numTables {
		c := TableCount{Table: t.String(), Rows: rows[t]}
		switch t {
		case Linehaul:
			c.Expected, c.Derivation = exp(sa*60, "%d service areas × 2 seasons × 3 weight bands × 10 mileage ranges", sa)
		case ServiceAreaPrices:
			c.Expected, c.Derivation = exp(sa*14, "%d service areas × 2 seasons × 7 services", sa)
		case OtherDomestic:
			c.Expected, c.Derivation = exp(24, "3 schedules × 4 services (pack, unpack, SIT pickup, SIT delivery) × 2 seasons")
		case Intl:
			c.Expected, c.Derivation = exp(pairs*4,
				"%d origin/destination pairs (%d OCONUS, %d domestic, %d NSRA areas; 3a, 3b, 3c and 3e) × 2 services × 2 seasons",
				pairs, oc, dom, ns)
		case IntlOther:
			c.Expected, c.Derivation = exp((oc+dom+ns)*20, "%d rate areas × 10 services × 2 seasons", oc+dom+ns)
		case TaskOrderFees:
			c.Expected, c.Derivation = exp(years*2, "%d contract years × 2 services (MS, CS)", years)
		case Transition:
			c.Expected, c.Derivation = exp(1, "one per contract")
		case DomAccessorial:
			c.Expected, c.Derivation = exp(15, "3 schedules × 5 services")
		case IntlAccessorial:
			c.Expected, c.Derivation = exp(8, "2 markets × 4 services")
		case ShipmentType:
			c.Expected, c.Derivation = exp(7, "4 CONUS + 3 OCONUS factors")
		}
		out = append(out, c)
	}
	for i := range out {
		c := &out[i]
		if d.Import != nil {
			if n, ok := d.Import.RowCounts[c.Table]; ok {
				c.Logged = &n
			}
		}
		c.Status = StatusPass
		if (c.Expected != nil && *c.Expected != c.Rows) || (c.Logged != nil && *c.Logged != c.Rows) {
			c.Status = StatusFail
		}
	}
	return out
}
