package importer

import (
	"math/big"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/securemig/securemig/parser"
)

// rowYield receives one row (its values in the table's column order) and
// where it came from. The row slice is reused between calls.
type rowYield func(src source, row []any) bool

// gen produces the rows of one contract table. While validating, lookups
// that fail record problems and the row is skipped.
type gen func(p *plan, yield rowYield)

// gens maps each contract table to its generator.
var gens = map[string]gen{
	"re_contracts":                    genContracts,
	"re_contract_years":               genContractYears,
	"re_rate_areas":                   genRateAreas,
	"re_domestic_service_areas":       genServiceAreas,
	"re_zip3s":                        genZip3s,
	"re_zip5_rate_areas":              genZip5s,
	"re_domestic_linehaul_prices":     genLinehaul,
	"re_domestic_service_area_prices": genServiceAreaPrices,
	"re_domestic_other_prices":        genOtherPrices,
	"re_intl_prices":                  genIntlPrices,
	"re_intl_other_prices":            genIntlOtherPrices,
	"re_task_order_fees":              genTaskOrderFees,
	"re_contract_transition_prices":   genTransition,
	"re_domestic_accessorial_prices":  genDomesticAccessorials,
	"re_intl_accessorial_prices":      genIntlAccessorials,
	"re_shipment_type_prices":         genShipmentTypes,
}

// newRow returns a row buffer of n values whose last two (created_at,
// updated_at) are set to p.now.
func (p *plan) newRow(n int) []any {
	row := make([]any, n)
	row[n-2], row[n-1] = p.now, p.now
	return row
}

// numeric converts an exact decimal for a numeric column.
func numeric(d parser.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(d.Unscaled), Exp: -int32(d.Scale), Valid: true}
}

// peakText is the natural-key text of a season.
func peakText(s parser.Season) string { return s.String() }

func genContracts(p *plan, yield rowYield) {
	row := p.newRow(5)
	row[0], row[1], row[2] = p.contractID, p.code, p.name
	yield(source{}, row)
}

func genContractYears(p *plan, yield rowYield) {
	row := p.newRow(9)
	row[1] = p.contractID
	for _, y := range p.years {
		row[0], row[2], row[3], row[4] = p.yearIDs[y.Name], y.Name, y.Start, y.End
		row[5], row[6] = numeric(y.Escalation), numeric(y.Compounded)
		if !yield(source{cell: y.Src}, row) {
			return
		}
	}
}

func genRateAreas(p *plan, yield rowYield) {
	row := p.newRow(7)
	row[1] = p.contractID
	for _, r := range p.rateAreas {
		row[0], row[2], row[3], row[4] = r.ID, r.IsOconus, r.Code, r.Name
		if !yield(source{}, row) {
			return
		}
	}
}

func genServiceAreas(p *plan, yield rowYield) {
	row := p.newRow(7)
	row[1] = p.contractID
	for _, s := range p.serviceAreas {
		row[0], row[2], row[3], row[4] = s.ID, s.Number, s.Schedule, s.SITPDSched
		if !yield(source{}, row) {
			return
		}
	}
}

func genZip3s(p *plan, yield rowYield) {
	row := p.newRow(10)
	row[1] = p.contractID
	for _, z := range p.zip3s {
		row[0], row[2], row[3], row[4], row[5] = z.ID, z.Zip3, z.City, z.State, z.ServiceArea
		row[6], row[7] = nil, true
		if z.RateArea != nil {
			row[6], row[7] = *z.RateArea, false
		}
		if !yield(z.Src, row) {
			return
		}
	}
}

func genZip5s(p *plan, yield rowYield) {
	row := p.newRow(6)
	row[1] = p.contractID
	for _, z := range p.ref.Zip5s {
		at := source{file: p.ref.File, line: z.Line}
		ra, ok := p.domestic[z.Code]
		if !ok {
			continue // reported by the reference check
		}
		row[0], row[2], row[3] = p.ids.id("re_zip5_rate_areas", z.Zip5), z.Zip5, ra
		if !yield(at, row) {
			return
		}
	}
}

func genLinehaul(p *plan, yield rowYield) {
	row := p.newRow(11)
	row[1] = p.contractID
	recs := p.rec.DomesticLinehaulPrices
	for i := range recs {
		r := &recs[i]
		at := source{cell: r.RateCell()}
		sa, ok := p.serviceArea(r.ServiceArea, source{cell: r.Key})
		if !ok {
			continue
		}
		wl, wu, ml, mu := r.WeightLower(), r.WeightUpper(), r.MilesLower(), r.MilesUpper()
		row[0] = p.ids.id("re_domestic_linehaul_prices", r.ServiceArea, peakText(r.Season),
			strconv.Itoa(int(wl)), strconv.Itoa(int(ml)))
		row[2], row[3], row[4], row[5] = wl, wu, ml, mu
		row[6], row[7], row[8] = r.Season.IsPeak(), sa, int32(r.Rate.Amount)
		if !yield(at, row) {
			return
		}
	}
}

func genServiceAreaPrices(p *plan, yield rowYield) {
	row := p.newRow(8)
	row[1] = p.contractID
	recs := p.rec.DomesticServiceAreaPrices
	codes := [7]string{"DSH", "DOP", "DDP", "DOFSIT", "DDFSIT", "DOASIT", "DDASIT"}
	price := [7]int{0, 1, 1, 2, 2, 3, 3} // index into PriceCells / the four prices
	for i := range recs {
		r := &recs[i]
		sa, ok := p.serviceArea(r.ServiceArea, source{cell: r.Key})
		if !ok {
			continue
		}
		cells := r.PriceCells()
		amounts := [4]int64{r.ShorthaulPrice.Amount, r.OriginDestinationPrice.Amount,
			r.SITFirstDayWarehouse.Amount, r.SITAddlDays.Amount}
		for j, code := range codes {
			at := source{cell: cells[price[j]]}
			svc, ok := p.service(code, at)
			if !ok {
				continue
			}
			row[0] = p.ids.id("re_domestic_service_area_prices", code, peakText(r.Season), r.ServiceArea)
			row[2], row[3], row[4], row[5] = svc, r.Season.IsPeak(), sa, int32(amounts[price[j]])
			if !yield(at, row) {
				return
			}
		}
	}
}

func genOtherPrices(p *plan, yield rowYield) {
	row := p.newRow(8)
	row[1] = p.contractID
	emit := func(code string, sched int, key parser.Cell, nonPeak, peak parser.Money) bool {
		for s, m := range [2]parser.Money{nonPeak, peak} {
			at := source{cell: cellAt(key, 5+s)}
			svc, ok := p.service(code, at)
			if !ok {
				continue
			}
			season := parser.Season(s)
			row[0] = p.ids.id("re_domestic_other_prices", code, peakText(season), strconv.Itoa(sched))
			row[2], row[3], row[4], row[5] = svc, season.IsPeak(), int32(sched), int32(m.Amount)
			if !yield(at, row) {
				return false
			}
		}
		return true
	}
	for _, r := range p.rec.DomesticOtherPackPrices {
		var code string
		switch r.ServiceProvided {
		case "Packing (per cwt)":
			code = "DPK"
		case "Unpack (per cwt)":
			code = "DUPK"
		default:
			p.problem(source{cell: cellAt(r.Key, 4)}, "unknown service provided %q", r.ServiceProvided)
			continue
		}
		if !emit(code, r.ServicesSchedule.Value, r.Key, r.NonPeakPrice, r.PeakPrice) {
			return
		}
	}
	for _, r := range p.rec.DomesticOtherSITPrices {
		for _, code := range [2]string{"DOPSIT", "DDDSIT"} {
			if !emit(code, r.SITPickupDeliverySchedule.Value, r.Key, r.NonPeakPrice, r.PeakPrice) {
				return
			}
		}
	}
}

// intlSource is one of the four sheets feeding re_intl_prices.
type intlSource struct {
	originDomestic, destDomestic bool
	recs                         []parser.IntlLinehaulPrice
}

func genIntlPrices(p *plan, yield rowYield) {
	row := p.newRow(9)
	row[1] = p.contractID
	emit := func(key parser.Cell, cells [2]parser.Cell, origin, dest string, oDom, dDom bool,
		season parser.Season, hhg, ub parser.Money) bool {
		o, ok1 := p.rateArea(origin, oDom, source{cell: key})
		d, ok2 := p.rateArea(dest, dDom, source{cell: cellAt(key, 5)})
		if !ok1 || !ok2 {
			return true
		}
		for j, code := range [2]string{"ISLH", "UBP"} {
			at := source{cell: cells[j]}
			svc, ok := p.service(code, at)
			if !ok {
				continue
			}
			amount := hhg.Amount
			if j == 1 {
				amount = ub.Amount
			}
			row[0] = p.ids.id("re_intl_prices", code, peakText(season), origin, dest)
			row[2], row[3], row[4], row[5], row[6] = svc, season.IsPeak(), o, d, int32(amount)
			if !yield(at, row) {
				return false
			}
		}
		return true
	}
	for _, s := range []intlSource{
		{false, false, p.rec.OconusToOconusPrices},
		{true, false, p.rec.ConusToOconusPrices},
		{false, true, p.rec.OconusToConusPrices},
	} {
		for i := range s.recs {
			r := &s.recs[i]
			if !emit(r.Key, r.PriceCells(), r.OriginID, r.DestinationID, s.originDomestic, s.destDomestic,
				r.Season, r.HHGPrice, r.UBPrice) {
				return
			}
		}
	}
	recs := p.rec.NonStandardLocnPrices
	for i := range recs {
		r := &recs[i]
		oDom, dDom, ok := moveTypeKinds(r.MoveType)
		if !ok {
			p.problem(source{cell: cellAt(r.Key, 7)}, "unknown move type %q", r.MoveType)
			continue
		}
		if !emit(r.Key, r.PriceCells(), r.OriginID, r.DestinationID, oDom, dDom, r.Season, r.HHGPrice, r.UBPrice) {
			return
		}
	}
}

// intlOther maps the eight 3d prices to their services and is_less_50_miles.
var intlOther = []struct {
	price int // index of the price (OtherIntlPrice.PriceCell)
	code  string
	less  any // nil, true or false
}{
	{0, "IHPK", nil}, {1, "IHUPK", nil}, {2, "IUBPK", nil}, {3, "IUBUPK", nil},
	{4, "IOFSIT", nil}, {4, "IDFSIT", nil}, {5, "IOASIT", nil}, {5, "IDASIT", nil},
	{6, "IOPSIT", true}, {7, "IDDSIT", false},
}

func genIntlOtherPrices(p *plan, yield rowYield) {
	row := p.newRow(9)
	row[1] = p.contractID
	recs := p.rec.OtherIntlPrices
	for i := range recs {
		r := &recs[i]
		ra, ok := p.intl[r.RateAreaCode]
		if !ok {
			ra, ok = p.domestic[r.RateAreaCode]
		}
		if !ok {
			p.problem(source{cell: r.Key}, "rate area %q is neither international (1b) nor domestic (3b/3c)", r.RateAreaCode)
			continue
		}
		amounts := [8]int64{r.HHGOriginPack.Amount, r.HHGDestinationUnpack.Amount, r.UBOriginPack.Amount,
			r.UBDestinationUnpack.Amount, r.SITFirstDayWarehouse.Amount, r.SITAddlDays.Amount,
			r.SITLTE50Miles.Amount, r.SITGT50Miles.Amount}
		for _, m := range intlOther {
			at := source{cell: r.PriceCell(m.price)}
			svc, ok := p.service(m.code, at)
			if !ok {
				continue
			}
			row[0] = p.ids.id("re_intl_other_prices", m.code, peakText(r.Season), r.RateAreaCode)
			row[2], row[3], row[4], row[5], row[6] = svc, r.Season.IsPeak(), ra, int32(amounts[m.price]), m.less
			if !yield(at, row) {
				return
			}
		}
	}
}

func genTaskOrderFees(p *plan, yield rowYield) {
	row := p.newRow(6)
	for _, t := range []struct {
		code string
		recs []parser.TaskOrderFee
	}{{"MS", p.rec.ShipmentManagementServicesPrices}, {"CS", p.rec.CounselingServicesPrices}} {
		for _, r := range t.recs {
			at := source{cell: cellAt(r.Key, 4)}
			year, ok := p.yearIDs[r.ContractYear]
			if !ok {
				p.problem(source{cell: r.Key}, "contract year %q is not in 5b) Price Escalation Discount", r.ContractYear)
				continue
			}
			svc, ok := p.service(t.code, at)
			if !ok {
				continue
			}
			row[0] = p.ids.id("re_task_order_fees", r.ContractYear, t.code)
			row[1], row[2], row[3] = year, svc, int32(r.PricePerTaskOrder.Amount)
			if !yield(at, row) {
				return
			}
		}
	}
}

func genTransition(p *plan, yield rowYield) {
	row := p.newRow(6)
	row[1] = p.contractID
	for i, r := range p.rec.TransitionPrices {
		at := source{cell: cellAt(r.Key, 4)}
		if i > 0 {
			p.problem(source{cell: r.Key}, "more than one transition price")
			return
		}
		row[0], row[2], row[3] = p.ids.id("re_contract_transition_prices"), r.ContractYear, int32(r.PriceTotalCost.Amount)
		if !yield(at, row) {
			return
		}
	}
}

// accessorialServices maps a 5a service-provided text to its domestic and
// international services.
var accessorialServices = map[string]struct{ domestic, intl []string }{
	"Crating (per cubic ft.)":   {[]string{"DCRT", "DCRTSA"}, []string{"ICRT"}},
	"Uncrating (per cubic ft.)": {[]string{"DUCRT"}, []string{"IUCRT"}},
	"Shuttle Service (per cwt)": {[]string{"DDSHUT", "DOSHUT"}, []string{"IDSHUT", "IOSHUT"}},
}

func genDomesticAccessorials(p *plan, yield rowYield) {
	row := p.newRow(7)
	row[1] = p.contractID
	for _, r := range p.rec.DomesticMoveAccessorialPrices {
		at := source{cell: cellAt(r.Key, 5)}
		svcs, ok := accessorialServices[r.ServiceProvided]
		if !ok {
			p.problem(source{cell: cellAt(r.Key, 4)}, "unknown service provided %q", r.ServiceProvided)
			continue
		}
		for _, code := range svcs.domestic {
			svc, ok := p.service(code, at)
			if !ok {
				continue
			}
			sched := r.ServicesSchedule.Value
			row[0] = p.ids.id("re_domestic_accessorial_prices", code, strconv.Itoa(sched))
			row[2], row[3], row[4] = svc, int32(sched), int32(r.PricePerUnit.Amount)
			if !yield(at, row) {
				return
			}
		}
	}
}

func genIntlAccessorials(p *plan, yield rowYield) {
	row := p.newRow(7)
	row[1] = p.contractID
	for _, r := range p.rec.InternationalMoveAccessorialPrices {
		at := source{cell: cellAt(r.Key, 5)}
		svcs, ok := accessorialServices[r.ServiceProvided]
		if !ok {
			p.problem(source{cell: cellAt(r.Key, 4)}, "unknown service provided %q", r.ServiceProvided)
			continue
		}
		if !validMarket(r.Market) {
			p.problem(source{cell: r.Key}, "unknown market %q", r.MarketText)
			continue
		}
		for _, code := range svcs.intl {
			svc, ok := p.service(code, at)
			if !ok {
				continue
			}
			row[0] = p.ids.id("re_intl_accessorial_prices", code, string(r.Market))
			row[2], row[3], row[4] = svc, string(r.Market), int32(r.PricePerUnit.Amount)
			if !yield(at, row) {
				return
			}
		}
	}
}

// shipmentTypes maps a 5a shipment type to its CONUS and OCONUS services
// ("" where the pair is invalid).
var shipmentTypes = map[string][2]string{
	"Mobile Homes":           {"DMHF", ""},
	"Tow Away Boat Service":  {"DBTF", "IBTF"},
	"Haul Away Boat Service": {"DBHF", "IBHF"},
	"NTS Packing Factor":     {"DNPK", "INPK"},
}

func genShipmentTypes(p *plan, yield rowYield) {
	row := p.newRow(7)
	row[1] = p.contractID
	for _, r := range p.rec.DomesticInternationalAdditionalPrices {
		at := source{cell: cellAt(r.Key, 5)}
		if !validMarket(r.Market) {
			p.problem(source{cell: r.Key}, "unknown market %q", r.MarketText)
			continue
		}
		codes, ok := shipmentTypes[r.ShipmentType]
		code := ""
		if ok {
			code = codes[0]
			if r.Market == parser.MarketOCONUS {
				code = codes[1]
			}
		}
		if code == "" {
			p.problem(source{cell: cellAt(r.Key, 4)}, "unknown shipment type %q for market %s", r.ShipmentType, r.MarketText)
			continue
		}
		svc, ok := p.service(code, at)
		if !ok {
			continue
		}
		row[0] = p.ids.id("re_shipment_type_prices", code, string(r.Market))
		row[2], row[3], row[4] = svc, string(r.Market), numeric(r.Factor.Value)
		if !yield(at, row) {
			return
		}
	}
}

// validMarket reports whether m is C or O.
func validMarket(m parser.Market) bool {
	return m == parser.MarketCONUS || m == parser.MarketOCONUS
}
