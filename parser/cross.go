package parser

import (
	"fmt"
	"strings"
)

// crossChecks runs the cross-sheet checks that need no database.
func (st *state) crossChecks() {
	rec := &st.res.Records
	st.checkServiceAreas(rec)
	st.checkYears(rec)
	st.checkRateAreas(rec)
}

// crossAt reports a cross_sheet problem at a record cell of data sheet i.
func (st *state) crossAt(sev Severity, i int, c Cell, format string, args ...any) {
	st.add(sev, KindCrossSheet, i, c.Row, c.Col, fmt.Sprintf(format, args...))
}

// checkServiceAreas: 2a/2b service areas exist in 1b; every 1b service area
// has 2b (error) and 2a (warning) rows; 2a schedules agree with 2b.
func (st *state) checkServiceAreas(rec *Records) {
	in1b := map[string]Cell{}
	for _, d := range rec.DomesticServiceAreas {
		if _, ok := in1b[d.ServiceArea]; !ok && d.ServiceArea != "" {
			in1b[d.ServiceArea] = d.Key.at(colE)
		}
	}
	sched2b := map[string]int{}
	for _, p := range rec.DomesticServiceAreaPrices {
		if p.Season != NonPeak {
			continue
		}
		sched2b[p.ServiceArea] = p.ServicesSchedule.Value
		if _, ok := in1b[p.ServiceArea]; !ok {
			st.crossAt(Error, sh2b, p.Key, "service area %s is not in %s", p.ServiceArea, dataSheets[sh1b].name)
		}
	}
	in2a := map[string]bool{}
	lastRow := 0
	for _, p := range rec.DomesticLinehaulPrices {
		if p.Key.Row == lastRow {
			continue
		}
		lastRow = p.Key.Row
		in2a[p.ServiceArea] = true
		if _, ok := in1b[p.ServiceArea]; !ok {
			st.crossAt(Error, sh2a, p.Key, "service area %s is not in %s", p.ServiceArea, dataSheets[sh1b].name)
		}
		if s, ok := sched2b[p.ServiceArea]; ok && s != p.ServicesSchedule.Value && s != 0 && p.ServicesSchedule.Value != 0 {
			st.crossAt(Warning, sh2a, p.Key.at(colE), "services schedule %d differs from %s's %d for service area %s (2b wins)",
				p.ServicesSchedule.Value, dataSheets[sh2b].name, s, p.ServiceArea)
		}
	}
	reported := map[string]bool{}
	for _, d := range rec.DomesticServiceAreas {
		sa := d.ServiceArea
		if sa == "" || reported[sa] || in1b[sa] != d.Key.at(colE) {
			continue
		}
		reported[sa] = true
		if _, ok := sched2b[sa]; !ok && st.found[sh2b] != "" {
			st.crossAt(Error, sh1b, d.Key.at(colE), "service area %s has no row in %s", sa, dataSheets[sh2b].name)
		}
		if !in2a[sa] && st.found[sh2a] != "" {
			st.crossAt(Warning, sh1b, d.Key.at(colE), "service area %s has no row in %s", sa, dataSheets[sh2a].name)
		}
	}
}

// checkYears: 4a years exist in 5b; every 5b year has 4a rows.
func (st *state) checkYears(rec *Records) {
	years := map[string]bool{}
	for _, p := range rec.PriceEscalationDiscounts {
		years[p.ContractYear] = true
	}
	have5b := st.found[sh5b] != ""
	mgmt, coun := map[string]bool{}, map[string]bool{}
	for _, tbl := range []struct {
		fees []TaskOrderFee
		seen map[string]bool
	}{{rec.ShipmentManagementServicesPrices, mgmt}, {rec.CounselingServicesPrices, coun}} {
		for _, p := range tbl.fees {
			tbl.seen[p.ContractYear] = true
			if have5b && p.ContractYear != "" && !years[p.ContractYear] {
				st.crossAt(Error, sh4a, p.Key, "contract year %q is not in %s", p.ContractYear, dataSheets[sh5b].name)
			}
		}
	}
	if st.found[sh4a] == "" {
		return
	}
	for _, p := range rec.PriceEscalationDiscounts {
		if p.ContractYear == "" {
			continue
		}
		var missing []string
		if !mgmt[p.ContractYear] {
			missing = append(missing, "shipment management")
		}
		if !coun[p.ContractYear] {
			missing = append(missing, "counseling")
		}
		if len(missing) > 0 {
			st.crossAt(Warning, sh5b, p.Key, "contract year %q has no %s row in %s", p.ContractYear,
				strings.Join(missing, " or "), dataSheets[sh4a].name)
		}
	}
}

// checkRateAreas checks the international and domestic code lists of 1b, 3a–3e.
func (st *state) checkRateAreas(rec *Records) {
	intl := map[string]bool{}
	for _, a := range rec.InternationalServiceAreas {
		intl[a.RateAreaID] = true
	}
	domestic := map[string]bool{}
	for _, p := range rec.ConusToOconusPrices {
		domestic[p.OriginID] = true
	}
	for _, p := range rec.OconusToConusPrices {
		domestic[p.DestinationID] = true
	}
	have1b := st.found[sh1b] != ""
	for _, a := range rec.InternationalServiceAreas {
		if domestic[a.RateAreaID] {
			st.crossAt(Error, sh1b, a.Key.at(colK), "code %q is both an international rate area and a domestic price area (3b/3c)", a.RateAreaID)
		}
	}
	needIntl := func(i int, c Cell, code, role string) {
		if have1b && code != "" && !intl[code] {
			st.crossAt(Error, i, c, "%s %q is not in the international rate areas of %s", role, code, dataSheets[sh1b].name)
		}
	}
	for i, ps := range map[int][]IntlLinehaulPrice{sh3a: rec.OconusToOconusPrices, sh3b: rec.ConusToOconusPrices, sh3c: rec.OconusToConusPrices} {
		for _, p := range ps {
			if p.Season != NonPeak {
				continue
			}
			if i != sh3b {
				needIntl(i, p.Key, p.OriginID, "origin")
			}
			if i != sh3c {
				needIntl(i, p.Key.at(colE), p.DestinationID, "destination")
			}
		}
		st.coverage(i, "", ps)
	}
	for _, p := range rec.OtherIntlPrices {
		if p.Season == NonPeak && p.RateAreaCode != "" && !intl[p.RateAreaCode] && !domestic[p.RateAreaCode] {
			st.crossAt(Error, sh3d, p.Key, "price area code %q is neither an international rate area (1b) nor a domestic price area (3b/3c)", p.RateAreaCode)
		}
	}
	bySection := map[string][]IntlLinehaulPrice{}
	for _, p := range rec.NonStandardLocnPrices {
		if p.Season != NonPeak {
			continue
		}
		kinds := strings.Split(p.MoveType, " to ")
		if len(kinds) != 2 {
			continue
		}
		for k, code := range []string{p.OriginID, p.DestinationID} {
			c, role := p.Key, "origin"
			if k == 1 {
				c, role = p.Key.at(colE), "destination"
			}
			switch kinds[k] {
			case "CONUS":
				if code != "" && !domestic[code] {
					st.crossAt(Error, sh3e, c, "%s %q is not a domestic price area of 3b/3c", role, code)
				}
			default:
				needIntl(sh3e, c, code, role)
			}
		}
		bySection[p.MoveType] = append(bySection[p.MoveType], IntlLinehaulPrice{OriginID: p.OriginID, DestinationID: p.DestinationID})
	}
	for _, mt := range moveTypes {
		if ps, ok := bySection[mt]; ok {
			st.coverage(sh3e, mt+" ", ps)
		}
	}
}

// coverage warns when a table does not cover every origin × destination pair
// of the codes it uses.
func (st *state) coverage(i int, what string, ps []IntlLinehaulPrice) {
	origins, dests, pairs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range ps {
		origins[p.OriginID] = true
		dests[p.DestinationID] = true
		pairs[p.OriginID+"\x00"+p.DestinationID] = true
	}
	if missing := len(origins)*len(dests) - len(pairs); missing > 0 {
		st.add(Warning, KindCrossSheet, i, 0, 0, fmt.Sprintf("%s%d origin × destination pairs are missing (%d origins, %d destinations)",
			what, missing, len(origins), len(dests)))
	}
}
