package sample

// Season indexes: every [2] array in the model is NonPeak first, then Peak.
const (
	NonPeak = 0
	Peak    = 1
)

// SeasonNames are the season strings parser records carry, by season index.
var SeasonNames = [2]string{"NonPeak", "Peak"}

// Weight bands (lbs) and mileage ranges (miles) of 2a, in column order.
var (
	WeightBands   = [3][2]int{{500, 4999}, {5000, 9999}, {10000, 999999}}
	MileageRanges = [10][2]int{
		{0, 250}, {251, 500}, {501, 1000}, {1001, 1500}, {1501, 2000},
		{2001, 2500}, {2501, 3000}, {3001, 3500}, {3501, 4000}, {4001, 999999},
	}
)

// Move types of the five 3e sections, in sheet order.
var MoveTypes = [5]string{"NSRA to NSRA", "NSRA to OCONUS", "OCONUS to NSRA", "NSRA to CONUS", "CONUS to NSRA"}

// Service texts of 2c and 5a.
const (
	ServicePacking  = "Packing (per cwt)"
	ServiceUnpack   = "Unpack (per cwt)"
	ServiceSITPD    = "SIT Pickup / Delivery ≤50 miles (per cwt)"
	ServiceCrating  = "Crating (per cubic ft.)"
	ServiceUncrate  = "Uncrating (per cubic ft.)"
	ServiceShuttle  = "Shuttle Service (per cwt)"
	MarketCONUS     = "CONUS"
	MarketOCONUS    = "OCONUS"
	ShipMobileHomes = "Mobile Homes"
	ShipTowAway     = "Tow Away Boat Service"
	ShipHaulAway    = "Haul Away Boat Service"
	ShipNTSPacking  = "NTS Packing Factor"
)

// Model is everything a generated workbook and its reference CSV hold, with
// money as integers: cents, or for 2a thousandths of a dollar (a parser's
// millicents are these × 100). Row fields are 1-based Excel rows.
type Model struct {
	Options Options

	ServiceAreaRows []ServiceAreaRow // 1b C–F, in sheet (city) order
	IntlRateAreas   []RateArea       // 1b J–K: OCONUS areas, then NSRAs
	OconusAreas     []RateArea       // the OCONUS part of IntlRateAreas
	NSRAAreas       []RateArea       // the NSRA part of IntlRateAreas
	DomesticAreas   []RateArea       // domestic price areas, in 3b/3c order

	Linehaul          []LinehaulRow         // 2a, by service-area number
	ServiceAreaPrices []ServiceAreaPriceRow // 2b, by service-area number
	PackPrices        []OtherDomesticRow    // 2c pack/unpack
	SITPrices         []OtherDomesticRow    // 2c SIT pickup/delivery

	OconusToOconus []IntlPriceRow  // 3a
	ConusToOconus  []IntlPriceRow  // 3b
	OconusToConus  []IntlPriceRow  // 3c
	OtherIntl      []OtherIntlRow  // 3d
	NonStandard    []NonStdSection // 3e, in sheet order

	Management []FeeRow // 4a shipment management services
	Counseling []FeeRow // 4a counseling services
	Transition FeeRow   // 4a transition

	DomesticAccessorials []DomesticAccessorialRow // 5a domestic
	IntlAccessorials     []IntlAccessorialRow     // 5a international
	ShipmentTypes        []ShipmentTypeRow        // 5a additional
	Escalations          []EscalationRow          // 5b

	Zip3Refs []Zip3Ref // reference CSV zip3 lines, by zip3
	Zip5Refs []Zip5Ref // reference CSV zip5 lines, by zip5
}

// ServiceAreaRow is one 1b domestic row (one base-point city).
type ServiceAreaRow struct {
	Row         int
	City, State string
	ServiceArea int   // 1–999
	Zip3s       []int // 0–999, in cell order
}

// RateArea is a rate area: code and name. Row is its 1b row (0 for domestic areas).
type RateArea struct {
	Row        int
	Code, Name string
}

// LinehaulRow is one 2a data row. Prices[season][band][range] are in
// thousandths of a dollar ($2.477 → 2477).
type LinehaulRow struct {
	Row         int
	ServiceArea int
	Name        string
	Schedule    int
	Prices      [2][3][10]int64
}

// ServiceAreaPriceRow is one 2b data row. Cents[season][k] holds the seven
// price columns of a group in order: shorthaul, origin/destination, pack,
// unpack, SIT first day, SIT additional days, SIT pickup/delivery.
type ServiceAreaPriceRow struct {
	Row                   int
	ServiceArea           int
	Name                  string
	Schedule, SITSchedule int
	Cents                 [2][7]int64
}

// Indexes into ServiceAreaPriceRow.Cents.
const (
	SAShorthaul = iota
	SAOriginDest
	SAPack
	SAUnpack
	SASITFirstDay
	SASITAddlDays
	SASITPickupDelivery
)

// OtherDomesticRow is one 2c row: schedule, service text, NonPeak/Peak cents.
type OtherDomesticRow struct {
	Row      int
	Schedule int
	Service  string
	Cents    [2]int64
}

// IntlPriceRow is one 3a/3b/3c/3e row. Cents[season] is {HHG, UB}.
type IntlPriceRow struct {
	Row                int
	Origin, OriginName string
	Dest, DestName     string
	MoveType           string // 3e only
	Cents              [2][2]int64
}

// OtherIntlRow is one 3d row. Cents[season] holds the eight prices in column
// order (HHG pack, HHG unpack, UB pack, UB unpack, SIT first day, SIT
// additional days, SIT ≤50 miles, SIT >50 miles).
type OtherIntlRow struct {
	Row        int
	Code, Name string
	Cents      [2][8]int64
}

// NonStdSection is one 3e section.
type NonStdSection struct {
	MoveType  string
	HeaderRow int // row R: code/name headers; R+1 price headers; R+2 example
	Rows      []IntlPriceRow
}

// FeeRow is one 4a row: contract-year text and price in cents.
type FeeRow struct {
	Row   int
	Year  string
	Cents int64
}

// DomesticAccessorialRow is one 5a domestic row.
type DomesticAccessorialRow struct {
	Row      int
	Schedule int
	Service  string
	Cents    int64
}

// IntlAccessorialRow is one 5a international row.
type IntlAccessorialRow struct {
	Row     int
	Market  string
	Service string
	Cents   int64
}

// ShipmentTypeRow is one 5a additional row; Factor is in hundredths (1.20 → 120).
type ShipmentTypeRow struct {
	Row          int
	Market       string
	ShipmentType string
	Factor       int64
}

// EscalationRow is one 5b row; Escalation is in units of 1/100,000
// (1.0206 → 102060). The forecasting adjustment shows the same factor; the
// discount column is empty.
type EscalationRow struct {
	Row        int
	Year       string
	Escalation int64
}

// Zip3Ref is a reference-CSV zip3 line; Code is a domestic code or "ZIP".
type Zip3Ref struct {
	Zip3 int
	Code string
}

// Zip5Ref is a reference-CSV zip5 line.
type Zip5Ref struct {
	Zip5 int
	Code string
}

// Stage table names (Part 3.1 of the format specification).
const (
	StageDomesticServiceAreas      = "stage_domestic_service_areas"
	StageInternationalServiceAreas = "stage_international_service_areas"
	StageDomesticLinehaulPrices    = "stage_domestic_linehaul_prices"
	StageDomesticServiceAreaPrices = "stage_domestic_service_area_prices"
	StageDomesticOtherPackPrices   = "stage_domestic_other_pack_prices"
	StageDomesticOtherSITPrices    = "stage_domestic_other_sit_prices"
	StageOconusToOconusPrices      = "stage_oconus_to_oconus_prices"
	StageConusToOconusPrices       = "stage_conus_to_oconus_prices"
	StageOconusToConusPrices       = "stage_oconus_to_conus_prices"
	StageOtherIntlPrices           = "stage_other_intl_prices"
	StageNonStandardLocnPrices     = "stage_non_standard_locn_prices"
	StageShipmentManagementPrices  = "stage_shipment_management_services_prices"
	StageCounselingServicesPrices  = "stage_counseling_services_prices"
	StageTransitionPrices          = "stage_transition_prices"
	StageDomesticMoveAccessorials  = "stage_domestic_move_accessorial_prices"
	StageIntlMoveAccessorials      = "stage_international_move_accessorial_prices"
	StageDomesticIntlAdditional    = "stage_domestic_international_additional_prices"
	StagePriceEscalationDiscounts  = "stage_price_escalation_discounts"
)

// StageCounts returns the number of records each staging table gets from
// the workbook.
func (m *Model) StageCounts() map[string]int {
	nonStd := 0
	for _, s := range m.NonStandard {
		nonStd += 2 * len(s.Rows)
	}
	return map[string]int{
		StageDomesticServiceAreas:      len(m.ServiceAreaRows),
		StageInternationalServiceAreas: len(m.IntlRateAreas),
		StageDomesticLinehaulPrices:    60 * len(m.Linehaul),
		StageDomesticServiceAreaPrices: 2 * len(m.ServiceAreaPrices),
		StageDomesticOtherPackPrices:   len(m.PackPrices),
		StageDomesticOtherSITPrices:    len(m.SITPrices),
		StageOconusToOconusPrices:      2 * len(m.OconusToOconus),
		StageConusToOconusPrices:       2 * len(m.ConusToOconus),
		StageOconusToConusPrices:       2 * len(m.OconusToConus),
		StageOtherIntlPrices:           2 * len(m.OtherIntl),
		StageNonStandardLocnPrices:     nonStd,
		StageShipmentManagementPrices:  len(m.Management),
		StageCounselingServicesPrices:  len(m.Counseling),
		StageTransitionPrices:          1,
		StageDomesticMoveAccessorials:  len(m.DomesticAccessorials),
		StageIntlMoveAccessorials:      len(m.IntlAccessorials),
		StageDomesticIntlAdditional:    len(m.ShipmentTypes),
		StagePriceEscalationDiscounts:  len(m.Escalations),
	}
}

// RateEngineCounts returns the number of rows each re_* table gets when the
// workbook and its reference CSV are imported (derivations of Part 5).
func (m *Model) RateEngineCounts() map[string]int {
	st := m.StageCounts()
	zip3s := map[int]bool{}
	for _, r := range m.ServiceAreaRows {
		for _, z := range r.Zip3s {
			zip3s[z] = true
		}
	}
	areas := map[int]bool{}
	for _, r := range m.ServiceAreaRows {
		areas[r.ServiceArea] = true
	}
	domAcc := 0
	for _, r := range m.DomesticAccessorials {
		switch r.Service {
		case ServiceCrating, ServiceShuttle:
			domAcc += 2
		default:
			domAcc++
		}
	}
	intlAcc := 0
	for _, r := range m.IntlAccessorials {
		if r.Service == ServiceShuttle {
			intlAcc += 2
		} else {
			intlAcc++
		}
	}
	return map[string]int{
		"re_contracts":                    1,
		"re_contract_years":               len(m.Escalations),
		"re_rate_areas":                   len(m.DomesticAreas) + len(m.IntlRateAreas),
		"re_domestic_service_areas":       len(areas),
		"re_zip3s":                        len(zip3s),
		"re_zip5_rate_areas":              len(m.Zip5Refs),
		"re_domestic_linehaul_prices":     st[StageDomesticLinehaulPrices],
		"re_domestic_service_area_prices": 7 * st[StageDomesticServiceAreaPrices],
		"re_domestic_other_prices":        2*len(m.PackPrices) + 4*len(m.SITPrices),
		"re_intl_prices": 2 * (st[StageOconusToOconusPrices] + st[StageConusToOconusPrices] +
			st[StageOconusToConusPrices] + st[StageNonStandardLocnPrices]),
		"re_intl_other_prices":           10 * st[StageOtherIntlPrices],
		"re_task_order_fees":             len(m.Management) + len(m.Counseling),
		"re_contract_transition_prices":  1,
		"re_domestic_accessorial_prices": domAcc,
		"re_intl_accessorial_prices":     intlAcc,
		"re_shipment_type_prices":        len(m.ShipmentTypes),
	}
}

// Total sums the values of a count map.
func Total(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}
