package sample

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/securemig/securemig/parser"
)

// TestRoundTrip generates full-size workbooks, parses them with our parser
// and checks that every record equals what was generated, cell for cell:
// source cell, codes, names, converted amounts and displayed texts.
func TestRoundTrip(t *testing.T) {
	tests := []Options{{Seed: 1}}
	if !testing.Short() {
		tests = append(tests, Options{Seed: 20261121}, Options{Seed: 3, Scale: 4})
	}
	for _, opts := range tests {
		t.Run(fmt.Sprintf("seed=%d/scale=%d", opts.Seed, max(opts.Scale, 1)), func(t *testing.T) {
			t.Parallel()
			m := buildT(t, opts)
			path := filepath.Join(t.TempDir(), "sample.xlsx")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.WriteWorkbook(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			res, err := parser.ParseFile(context.Background(), path)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			for i, p := range res.Problems {
				if i == 20 {
					t.Errorf("… and %d more problems", len(res.Problems)-20)
					break
				}
				t.Errorf("parser %s: %s", p.Severity, p)
			}
			want := expectedRecords(m)
			compareRecords(t, &res.Records, want)
			counts := recordCounts(&res.Records)
			if !reflect.DeepEqual(counts, m.StageCounts()) {
				t.Errorf("parsed record counts %v\nwant %v", counts, m.StageCounts())
			}
			if opts.Scale <= 1 && !reflect.DeepEqual(counts, part5Stage) {
				t.Errorf("parsed record counts differ from Part 5: %v", counts)
			}
		})
	}
}

// compareRecords compares each staging table field by field and reports the
// first few differing records per table.
func compareRecords(t *testing.T, got, want *parser.Records) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i), wv.Field(i)
		if g.Len() != w.Len() {
			t.Errorf("%s: %d records, want %d", name, g.Len(), w.Len())
		}
		bad := 0
		for k := range min(g.Len(), w.Len()) {
			if !reflect.DeepEqual(g.Index(k).Interface(), w.Index(k).Interface()) {
				if bad++; bad <= 3 {
					t.Errorf("%s[%d]:\n got %+v\nwant %+v", name, k, g.Index(k).Interface(), w.Index(k).Interface())
				}
			}
		}
		if bad > 3 {
			t.Errorf("%s: %d differing records in all", name, bad)
		}
	}
}

// recordCounts maps staging table names to parsed record counts.
func recordCounts(r *parser.Records) map[string]int {
	return map[string]int{
		StageDomesticServiceAreas:      len(r.DomesticServiceAreas),
		StageInternationalServiceAreas: len(r.InternationalServiceAreas),
		StageDomesticLinehaulPrices:    len(r.DomesticLinehaulPrices),
		StageDomesticServiceAreaPrices: len(r.DomesticServiceAreaPrices),
		StageDomesticOtherPackPrices:   len(r.DomesticOtherPackPrices),
		StageDomesticOtherSITPrices:    len(r.DomesticOtherSITPrices),
		StageOconusToOconusPrices:      len(r.OconusToOconusPrices),
		StageConusToOconusPrices:       len(r.ConusToOconusPrices),
		StageOconusToConusPrices:       len(r.OconusToConusPrices),
		StageOtherIntlPrices:           len(r.OtherIntlPrices),
		StageNonStandardLocnPrices:     len(r.NonStandardLocnPrices),
		StageShipmentManagementPrices:  len(r.ShipmentManagementServicesPrices),
		StageCounselingServicesPrices:  len(r.CounselingServicesPrices),
		StageTransitionPrices:          len(r.TransitionPrices),
		StageDomesticMoveAccessorials:  len(r.DomesticMoveAccessorialPrices),
		StageIntlMoveAccessorials:      len(r.InternationalMoveAccessorialPrices),
		StageDomesticIntlAdditional:    len(r.DomesticInternationalAdditionalPrices),
		StagePriceEscalationDiscounts:  len(r.PriceEscalationDiscounts),
	}
}

// expectedRecords renders the model as the parser's records must read it.
func expectedRecords(m *Model) *parser.Records {
	var r parser.Records
	key := func(sheet string, col, row int) parser.Cell { return parser.Cell{Sheet: sheet, Col: col, Row: row} }
	integer := func(v int) parser.Integer { return parser.Integer{Value: v, Text: strconv.Itoa(v)} }
	money2 := func(c int64) parser.Money { return parser.Money{Amount: c, Text: Money2(c)} }
	plain2 := func(c int64) parser.Money { return parser.Money{Amount: c, Text: Plain2(c)} }
	seasons := []parser.Season{parser.NonPeak, parser.Peak}

	for _, d := range m.ServiceAreaRows {
		zips := make([]string, len(d.Zip3s))
		for i, z := range d.Zip3s {
			zips[i] = pad3(z)
		}
		r.DomesticServiceAreas = append(r.DomesticServiceAreas, parser.DomesticServiceArea{
			Key: key(SheetServiceAreas, 3, d.Row), BasePointCity: d.City, State: d.State,
			ServiceArea: pad3(d.ServiceArea), Zip3s: zips, Zip3sText: Zip3s(d.Zip3s),
		})
	}
	for _, a := range m.IntlRateAreas {
		r.InternationalServiceAreas = append(r.InternationalServiceAreas, parser.InternationalServiceArea{
			Key: key(SheetServiceAreas, 10, a.Row), RateArea: a.Name, RateAreaID: a.Code,
		})
	}
	for _, l := range m.Linehaul {
		for s, season := range seasons {
			for b := range 3 {
				for mi := range 10 {
					v := l.Prices[s][b][mi]
					r.DomesticLinehaulPrices = append(r.DomesticLinehaulPrices, parser.DomesticLinehaulPrice{
						Key: key(SheetDomesticLinehaul, 3, l.Row), ServiceArea: pad3(l.ServiceArea),
						OriginServiceArea: l.Name, ServicesSchedule: integer(l.Schedule), Season: season,
						Band: uint8(b), Range: uint8(mi), Rate: parser.Money{Amount: 100 * v, Text: Money3(v)},
					})
				}
			}
		}
	}
	for _, p := range m.ServiceAreaPrices {
		for s, season := range seasons {
			c := p.Cents[s]
			r.DomesticServiceAreaPrices = append(r.DomesticServiceAreaPrices, parser.DomesticServiceAreaPrice{
				Key: key(SheetServiceAreaPrices, 3, p.Row), ServiceArea: pad3(p.ServiceArea), ServiceAreaName: p.Name,
				ServicesSchedule: integer(p.Schedule), SITPickupDeliverySchedule: integer(p.SITSchedule), Season: season,
				ShorthaulPrice: money2(c[SAShorthaul]), OriginDestinationPrice: money2(c[SAOriginDest]),
				SITFirstDayWarehouse: money2(c[SASITFirstDay]), SITAddlDays: money2(c[SASITAddlDays]),
			})
		}
	}
	for _, p := range m.PackPrices {
		r.DomesticOtherPackPrices = append(r.DomesticOtherPackPrices, parser.DomesticOtherPackPrice{
			Key: key(SheetOtherDomestic, 3, p.Row), ServicesSchedule: integer(p.Schedule), ServiceProvided: p.Service,
			NonPeakPrice: money2(p.Cents[NonPeak]), PeakPrice: money2(p.Cents[Peak]),
		})
	}
	for _, p := range m.SITPrices {
		r.DomesticOtherSITPrices = append(r.DomesticOtherSITPrices, parser.DomesticOtherSITPrice{
			Key: key(SheetOtherDomestic, 3, p.Row), SITPickupDeliverySchedule: integer(p.Schedule), ServiceProvided: p.Service,
			NonPeakPrice: money2(p.Cents[NonPeak]), PeakPrice: money2(p.Cents[Peak]),
		})
	}
	intl := func(sheet string, rows []IntlPriceRow) []parser.IntlLinehaulPrice {
		var out []parser.IntlLinehaulPrice
		for _, p := range rows {
			for s, season := range seasons {
				out = append(out, parser.IntlLinehaulPrice{
					Key: key(sheet, 3, p.Row), OriginID: p.Origin, OriginName: p.OriginName,
					DestinationID: p.Dest, DestinationName: p.DestName, Season: season,
					HHGPrice: money2(p.Cents[s][0]), UBPrice: money2(p.Cents[s][1]),
				})
			}
		}
		return out
	}
	r.OconusToOconusPrices = intl(SheetOconusToOconus, m.OconusToOconus)
	r.ConusToOconusPrices = intl(SheetConusToOconus, m.ConusToOconus)
	r.OconusToConusPrices = intl(SheetOconusToConus, m.OconusToConus)
	for _, p := range m.OtherIntl {
		for s, season := range seasons {
			c := p.Cents[s]
			r.OtherIntlPrices = append(r.OtherIntlPrices, parser.OtherIntlPrice{
				Key: key(SheetOtherIntl, 3, p.Row), RateAreaCode: p.Code, RateAreaName: p.Name, Season: season,
				HHGOriginPack: money2(c[0]), HHGDestinationUnpack: money2(c[1]), UBOriginPack: money2(c[2]),
				UBDestinationUnpack: money2(c[3]), SITFirstDayWarehouse: money2(c[4]), SITAddlDays: money2(c[5]),
				SITLTE50Miles: money2(c[6]), SITGT50Miles: money2(c[7]),
			})
		}
	}
	for _, sec := range m.NonStandard {
		for _, p := range sec.Rows {
			for s, season := range seasons {
				r.NonStandardLocnPrices = append(r.NonStandardLocnPrices, parser.NonStandardLocnPrice{
					Key: key(SheetNonStandard, 3, p.Row), OriginID: p.Origin, OriginArea: p.OriginName,
					DestinationID: p.Dest, DestinationArea: p.DestName, MoveType: p.MoveType, Season: season,
					HHGPrice: money2(p.Cents[s][0]), UBPrice: money2(p.Cents[s][1]),
				})
			}
		}
	}
	for _, f := range m.Management {
		r.ShipmentManagementServicesPrices = append(r.ShipmentManagementServicesPrices, parser.TaskOrderFee{
			Key: key(SheetManagement, 3, f.Row), ContractYear: f.Year, PricePerTaskOrder: plain2(f.Cents),
		})
	}
	for _, f := range m.Counseling {
		r.CounselingServicesPrices = append(r.CounselingServicesPrices, parser.TaskOrderFee{
			Key: key(SheetManagement, 3, f.Row), ContractYear: f.Year, PricePerTaskOrder: plain2(f.Cents),
		})
	}
	r.TransitionPrices = []parser.TransitionPrice{{
		Key: key(SheetManagement, 3, m.Transition.Row), ContractYear: m.Transition.Year,
		PriceTotalCost: parser.Money{Amount: m.Transition.Cents, Text: Accounting(m.Transition.Cents)},
	}}
	for _, a := range m.DomesticAccessorials {
		r.DomesticMoveAccessorialPrices = append(r.DomesticMoveAccessorialPrices, parser.DomesticAccessorialPrice{
			Key: key(SheetAccessorials, 3, a.Row), ServicesSchedule: integer(a.Schedule), ServiceProvided: a.Service,
			PricePerUnit: plain2(a.Cents),
		})
	}
	market := map[string]parser.Market{MarketCONUS: parser.MarketCONUS, MarketOCONUS: parser.MarketOCONUS}
	for _, a := range m.IntlAccessorials {
		r.InternationalMoveAccessorialPrices = append(r.InternationalMoveAccessorialPrices, parser.IntlAccessorialPrice{
			Key: key(SheetAccessorials, 3, a.Row), Market: market[a.Market], MarketText: a.Market,
			ServiceProvided: a.Service, PricePerUnit: plain2(a.Cents),
		})
	}
	for _, a := range m.ShipmentTypes {
		r.DomesticInternationalAdditionalPrices = append(r.DomesticInternationalAdditionalPrices, parser.ShipmentTypePrice{
			Key: key(SheetAccessorials, 3, a.Row), Market: market[a.Market], MarketText: a.Market,
			ShipmentType: a.ShipmentType, Factor: parser.Factor{Value: parser.Decimal{Unscaled: a.Factor, Scale: 2}, Text: Factor(a.Factor)},
		})
	}
	for _, e := range m.Escalations {
		r.PriceEscalationDiscounts = append(r.PriceEscalationDiscounts, parser.PriceEscalationDiscount{
			Key: key(SheetEscalationDiscount, 8, e.Row), ContractYear: e.Year, ForecastingAdjustment: Forecast(e.Escalation),
			PriceEscalation: parser.Factor{Value: parser.Decimal{Unscaled: e.Escalation, Scale: 5}, Text: General(e.Escalation)},
		})
	}
	return &r
}
