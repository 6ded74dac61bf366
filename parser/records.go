// Package parser reads a GHC pricing template workbook (XLSX) into typed
// records, one slice per staging table, and collects every problem it finds
// with its sheet and cell. It never touches a database.
//
// The format and every rule implemented here are specified in
// docs/ghc-pricing-template.md (Parts 1–3).
package parser

import (
	"strconv"
	"strings"
	"time"
)

// Cell is the location of a workbook cell: the tab name as found in the
// workbook and the 1-based column and row numbers.
type Cell struct {
	Sheet    string
	Col, Row int
}

// String renders the cell as `<tab>!<A1>`, e.g. `2b) Dom. Service Area Prices!G9`.
func (c Cell) String() string {
	return c.Sheet + "!" + c.A1()
}

// A1 renders the cell's column letters and row number, e.g. `G9`.
func (c Cell) A1() string {
	return ColumnName(c.Col) + strconv.Itoa(c.Row)
}

// at returns the cell in the same sheet and row at column col.
func (c Cell) at(col int) Cell {
	return Cell{Sheet: c.Sheet, Col: col, Row: c.Row}
}

// ColumnName converts a 1-based column number to its Excel letters
// (1 → A, 27 → AA). Numbers below 1 give "?".
func ColumnName(col int) string {
	if col < 1 {
		return "?"
	}
	var b [8]byte
	i := len(b)
	for col > 0 && i > 0 {
		col--
		i--
		b[i] = byte('A' + col%26)
		col /= 26
	}
	return string(b[i:])
}

// Season is a pricing season. Records list NonPeak before Peak.
type Season uint8

// The two seasons, in workbook order.
const (
	NonPeak Season = iota
	Peak
)

// String returns the literal staging text, `NonPeak` or `Peak`.
func (s Season) String() string {
	if s == Peak {
		return "Peak"
	}
	return "NonPeak"
}

// IsPeak reports whether s is the peak season.
func (s Season) IsPeak() bool { return s == Peak }

// Decimal is an exact decimal number: Unscaled × 10^-Scale.
// Escalations and factors use it; it is never converted through float64.
type Decimal struct {
	Unscaled int64
	Scale    int
}

// String renders d with exactly Scale decimals (1.02060 for {102060, 5}).
func (d Decimal) String() string {
	neg := d.Unscaled < 0
	u := d.Unscaled
	if neg {
		u = -u
	}
	s := strconv.FormatUint(uint64(u), 10)
	if d.Scale > 0 {
		if len(s) <= d.Scale {
			s = strings.Repeat("0", d.Scale-len(s)+1) + s
		}
		s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Money is a converted price with the cell's displayed text. Amount is in
// cents, except in DomesticLinehaulPrice where it is in millicents
// (dollars × 100,000).
type Money struct {
	Amount int64
	Text   string
}

// Integer is a converted integer cell (schedules) with its displayed text.
type Integer struct {
	Value int
	Text  string
}

// Factor is a converted decimal cell (5a factors, 5b escalations) with its
// displayed text.
type Factor struct {
	Value Decimal
	Text  string
}

// Market is a 5a market code: "C" (CONUS) or "O" (OCONUS); empty when the
// cell could not be converted.
type Market string

// The two market codes.
const (
	MarketCONUS  Market = "C"
	MarketOCONUS Market = "O"
)

// In every record, Key is the key cell of the source row (column C, or J for
// 1b international rate areas, H for 5b). Text fields hold the trimmed
// displayed text; the Text of a typed field is the trimmed displayed text of
// its cell. Service areas and zip3s are 3-digit strings, or the trimmed
// displayed text when they could not be converted (an error was reported).

// DomesticServiceArea is one 1b domestic row (stage_domestic_service_areas).
type DomesticServiceArea struct {
	Key           Cell
	BasePointCity string
	State         string
	ServiceArea   string   // 3 digits
	Zip3s         []string // 3 digits each, in cell order
	Zip3sText     string   // CSV form: Zip3s joined by ",", or the displayed text
}

// InternationalServiceArea is one 1b international row
// (stage_international_service_areas).
type InternationalServiceArea struct {
	Key        Cell // column J
	RateArea   string
	RateAreaID string
}

// The 2a weight bands and mileage ranges, in column order.
var (
	// WeightBands are the 2a weight bands (lbs): lower and upper bound.
	WeightBands = [3][2]int32{{500, 4999}, {5000, 9999}, {10000, 999999}}
	// MileageRanges are the 2a mileage ranges (miles): lower and upper bound.
	MileageRanges = [10][2]int32{{0, 250}, {251, 500}, {501, 1000}, {1001, 1500}, {1501, 2000},
		{2001, 2500}, {2501, 3000}, {3001, 3500}, {3501, 4000}, {4001, 999999}}
)

// DomesticLinehaulPrice is one 2a price (stage_domestic_linehaul_prices);
// each data row yields 60, ordered season → weight band → mileage range.
type DomesticLinehaulPrice struct {
	Key               Cell
	ServiceArea       string // 3 digits
	OriginServiceArea string
	ServicesSchedule  Integer
	Season            Season
	Band              uint8 // index into WeightBands
	Range             uint8 // index into MileageRanges
	Rate              Money // millicents
}

// WeightLower returns the lower bound of the record's weight band.
func (p *DomesticLinehaulPrice) WeightLower() int32 { return WeightBands[p.Band%3][0] }

// WeightUpper returns the upper bound of the record's weight band.
func (p *DomesticLinehaulPrice) WeightUpper() int32 { return WeightBands[p.Band%3][1] }

// MilesLower returns the lower bound of the record's mileage range.
func (p *DomesticLinehaulPrice) MilesLower() int32 { return MileageRanges[p.Range%10][0] }

// MilesUpper returns the upper bound of the record's mileage range.
func (p *DomesticLinehaulPrice) MilesUpper() int32 { return MileageRanges[p.Range%10][1] }

// RateCell returns the cell the rate came from (year block 0).
func (p *DomesticLinehaulPrice) RateCell() Cell {
	return p.Key.at(linehaulCol(0, int(p.Season), int(p.Band%3), int(p.Range%10)))
}

// linehaulCol is the 1-based 2a price column of year block y, season s,
// weight band b and mileage range m.
func linehaulCol(y, s, b, m int) int { return 7 + 62*y + 31*s + 10*b + m }

// DomesticServiceAreaPrice is one 2b record per season
// (stage_domestic_service_area_prices).
type DomesticServiceAreaPrice struct {
	Key                       Cell
	ServiceArea               string // 3 digits
	ServiceAreaName           string
	ServicesSchedule          Integer
	SITPickupDeliverySchedule Integer
	Season                    Season
	ShorthaulPrice            Money // cents; G / O
	OriginDestinationPrice    Money // H / P
	SITFirstDayWarehouse      Money // K / S
	SITAddlDays               Money // L / T
}

// PriceCells returns the cells of ShorthaulPrice, OriginDestinationPrice,
// SITFirstDayWarehouse and SITAddlDays, in that order.
func (p *DomesticServiceAreaPrice) PriceCells() [4]Cell {
	base := 7 + 8*int(p.Season)
	return [4]Cell{p.Key.at(base), p.Key.at(base + 1), p.Key.at(base + 4), p.Key.at(base + 5)}
}

// DomesticOtherPackPrice is one 2c pack/unpack row
// (stage_domestic_other_pack_prices).
type DomesticOtherPackPrice struct {
	Key              Cell
	ServicesSchedule Integer
	ServiceProvided  string // "Packing (per cwt)" or "Unpack (per cwt)"
	NonPeakPrice     Money  // cents; E
	PeakPrice        Money  // F
}

// DomesticOtherSITPrice is one 2c SIT pickup/delivery row
// (stage_domestic_other_sit_prices).
type DomesticOtherSITPrice struct {
	Key                       Cell
	SITPickupDeliverySchedule Integer
	ServiceProvided           string
	NonPeakPrice              Money // cents; E
	PeakPrice                 Money // F
}

// IntlLinehaulPrice is one 3a, 3b or 3c record per season
// (stage_oconus_to_oconus_prices, stage_conus_to_oconus_prices,
// stage_oconus_to_conus_prices; the columns differ only in name).
type IntlLinehaulPrice struct {
	Key             Cell
	OriginID        string // C
	OriginName      string // D
	DestinationID   string // E
	DestinationName string // F
	Season          Season
	HHGPrice        Money // cents; G / J
	UBPrice         Money // H / K
}

// PriceCells returns the cells of HHGPrice and UBPrice.
func (p *IntlLinehaulPrice) PriceCells() [2]Cell {
	base := 7 + 3*int(p.Season)
	return [2]Cell{p.Key.at(base), p.Key.at(base + 1)}
}

// OtherIntlPrice is one 3d record per season (stage_other_intl_prices).
type OtherIntlPrice struct {
	Key                  Cell
	RateAreaCode         string
	RateAreaName         string
	Season               Season
	HHGOriginPack        Money // cents; E / N
	HHGDestinationUnpack Money // F / O
	UBOriginPack         Money // G / P
	UBDestinationUnpack  Money // H / Q
	SITFirstDayWarehouse Money // I / R
	SITAddlDays          Money // J / S
	SITLTE50Miles        Money // K / T
	SITGT50Miles         Money // L / U
}

// PriceCell returns the cell of the i-th price (0 = HHGOriginPack …
// 7 = SITGT50Miles).
func (p *OtherIntlPrice) PriceCell(i int) Cell {
	return p.Key.at(5 + 9*int(p.Season) + i)
}

// NonStandardLocnPrice is one 3e record per season
// (stage_non_standard_locn_prices).
type NonStandardLocnPrice struct {
	Key             Cell
	OriginID        string
	OriginArea      string
	DestinationID   string
	DestinationArea string
	MoveType        string // e.g. "NSRA to OCONUS"
	Season          Season
	HHGPrice        Money // cents; H / K
	UBPrice         Money // I / L
}

// PriceCells returns the cells of HHGPrice and UBPrice.
func (p *NonStandardLocnPrice) PriceCells() [2]Cell {
	base := 8 + 3*int(p.Season)
	return [2]Cell{p.Key.at(base), p.Key.at(base + 1)}
}

// TaskOrderFee is one 4a shipment management or counseling row
// (stage_shipment_management_services_prices,
// stage_counseling_services_prices).
type TaskOrderFee struct {
	Key               Cell
	ContractYear      string
	PricePerTaskOrder Money // cents; D
}

// TransitionPrice is the 4a transition row (stage_transition_prices).
type TransitionPrice struct {
	Key            Cell
	ContractYear   string // the description, e.g. "One-time Amount (applied in Base Period Year 1)"
	PriceTotalCost Money  // cents; D
}

// DomesticAccessorialPrice is one 5a domestic accessorial row
// (stage_domestic_move_accessorial_prices).
type DomesticAccessorialPrice struct {
	Key              Cell
	ServicesSchedule Integer
	ServiceProvided  string
	PricePerUnit     Money // cents; E
}

// IntlAccessorialPrice is one 5a international accessorial row
// (stage_international_move_accessorial_prices).
type IntlAccessorialPrice struct {
	Key             Cell
	Market          Market
	MarketText      string
	ServiceProvided string
	PricePerUnit    Money // cents; E
}

// ShipmentTypePrice is one 5a additional-price row
// (stage_domestic_international_additional_prices).
type ShipmentTypePrice struct {
	Key          Cell
	Market       Market
	MarketText   string
	ShipmentType string
	Factor       Factor // 2 decimals; E
}

// PriceEscalationDiscount is one 5b row (stage_price_escalation_discounts).
// Row order fixes the contract-year dates.
type PriceEscalationDiscount struct {
	Key                   Cell // column H
	ContractYear          string
	ForecastingAdjustment string // displayed text only (optional)
	Discount              string // displayed text only (optional)
	PriceEscalation       Factor // 5 decimals; K
}

// Records holds every record of a parse, one slice per staging table, each in
// sheet order.
type Records struct {
	DomesticServiceAreas                  []DomesticServiceArea
	InternationalServiceAreas             []InternationalServiceArea
	DomesticLinehaulPrices                []DomesticLinehaulPrice
	DomesticServiceAreaPrices             []DomesticServiceAreaPrice
	DomesticOtherPackPrices               []DomesticOtherPackPrice
	DomesticOtherSITPrices                []DomesticOtherSITPrice
	OconusToOconusPrices                  []IntlLinehaulPrice
	ConusToOconusPrices                   []IntlLinehaulPrice
	OconusToConusPrices                   []IntlLinehaulPrice
	OtherIntlPrices                       []OtherIntlPrice
	NonStandardLocnPrices                 []NonStandardLocnPrice
	ShipmentManagementServicesPrices      []TaskOrderFee
	CounselingServicesPrices              []TaskOrderFee
	TransitionPrices                      []TransitionPrice
	DomesticMoveAccessorialPrices         []DomesticAccessorialPrice
	InternationalMoveAccessorialPrices    []IntlAccessorialPrice
	DomesticInternationalAdditionalPrices []ShipmentTypePrice
	PriceEscalationDiscounts              []PriceEscalationDiscount
}

// Severity tells whether a problem fails the parse.
type Severity uint8

// Problem severities.
const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText renders the severity for JSON output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Kind classifies a problem (spec 2.8).
type Kind string

// Problem kinds.
const (
	KindMissingSheet    Kind = "missing_sheet"
	KindSheetByPosition Kind = "sheet_by_position"
	KindHeaderMismatch  Kind = "header_mismatch"
	KindEmptyCell       Kind = "empty_cell"
	KindBadValue        Kind = "bad_value"
	KindDuplicateKey    Kind = "duplicate_key"
	KindUnknownLabel    Kind = "unknown_label"
	KindSectionLayout   Kind = "section_layout"
	KindCrossSheet      Kind = "cross_sheet"
	KindDataAfterEnd    Kind = "data_after_end"
	KindDisplayMismatch Kind = "display_mismatch"
	// KindDamagedSheet is damage in a sheet's XML (malformed XML, invalid
	// or out-of-order row and cell references, a text longer than Excel
	// allows, …): the sheet is read no further, and this is its only problem.
	KindDamagedSheet Kind = "damaged_sheet"
	// KindUncachedFormulas is the single workbook-level problem of formula
	// cells saved without their results; it replaces the problems they cause.
	KindUncachedFormulas Kind = "uncached_formulas"
)

// Problem is one finding of a parse. Sheet is the tab name as found and Cell
// its A1 location; both are empty for workbook-level problems. Message never
// contains a price, factor or escalation.
type Problem struct {
	Severity Severity `json:"severity"`
	Kind     Kind     `json:"kind"`
	Sheet    string   `json:"sheet,omitempty"`
	Cell     string   `json:"cell,omitempty"`
	Message  string   `json:"message"`
}

// String renders the problem as `<tab>!<cell>: <message>`, `<tab>: <message>`
// or `workbook: <message>`.
func (p Problem) String() string {
	switch {
	case p.Sheet != "" && p.Cell != "":
		return p.Sheet + "!" + p.Cell + ": " + p.Message
	case p.Sheet != "":
		return p.Sheet + ": " + p.Message
	default:
		return "workbook: " + p.Message
	}
}

// SheetSummary describes how one data sheet was read.
type SheetSummary struct {
	Sheet    string        `json:"sheet"`         // expected tab name (spec 1.1)
	Tab      string        `json:"tab,omitempty"` // tab actually read; empty when missing
	Position int           `json:"position"`      // 1-based position of Tab; 0 when missing
	RowsRead int           `json:"rows_read"`     // rows delivered by the row iterator
	Records  int           `json:"records"`       // staging records produced
	Duration time.Duration `json:"duration_ns"`   // time spent reading and converting
}

// Result is the outcome of a parse: the records, every problem in
// deterministic order (sheet order, then row, then column) and one summary
// per data sheet in spec order.
type Result struct {
	File     string         `json:"file"`
	Records  Records        `json:"-"`
	Problems []Problem      `json:"problems"`
	Sheets   []SheetSummary `json:"sheets"`
}

// HasErrors reports whether any problem is an error (the parse failed).
func (r *Result) HasErrors() bool {
	return r.ErrorCount() > 0
}

// ErrorCount returns the number of error problems.
func (r *Result) ErrorCount() int {
	n := 0
	for _, p := range r.Problems {
		if p.Severity == Error {
			n++
		}
	}
	return n
}
