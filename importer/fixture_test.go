package importer

import (
	"strings"

	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/zipref"
)

// Tab names of the fixture's cells.
const (
	tab1b = "1b) Service Areas"
	tab2a = "2a) Domestic Linehaul Prices"
	tab2b = "2b) Dom. Service Area Prices"
	tab2c = "2c) Other Domestic Prices"
	tab3a = "3a) OCONUS to OCONUS Prices"
	tab3b = "3b) CONUS to OCONUS Prices"
	tab3c = "3c) OCONUS to CONUS Prices"
	tab3d = "3d) Other International Prices"
	tab3e = "3e) Non-Standard Loc'n Prices"
	tab4a = "4a) Mgmt., Coun., Trans. Prices"
	tab5a = "5a) Access. and Add. Prices"
	tab5b = "5b) Price Escalation Discount"
)

func key(sheet string, col, row int) parser.Cell {
	return parser.Cell{Sheet: sheet, Col: col, Row: row}
}

func money(amount int64) parser.Money { return parser.Money{Amount: amount, Text: "$X"} }

// smallRecords is a small, consistent parse result: 2 service areas (004,
// 008), 4 zip3s, domestic rate areas US11 and US68, international AR and
// NSRA1, 2 contract years.
func smallRecords() *parser.Result {
	r := parser.Records{}
	r.DomesticServiceAreas = []parser.DomesticServiceArea{
		{Key: key(tab1b, 3, 10), BasePointCity: "Birmingham", State: "AL", ServiceArea: "004", Zip3s: []string{"350", "351"}, Zip3sText: "350,351"},
		{Key: key(tab1b, 3, 11), BasePointCity: "Dothan", State: "AL", ServiceArea: "008", Zip3s: []string{"363"}, Zip3sText: "363"},
		{Key: key(tab1b, 3, 12), BasePointCity: "Huntsville", State: "AL", ServiceArea: "004", Zip3s: []string{"357", "350"}, Zip3sText: "357,350"},
	}
	r.InternationalServiceAreas = []parser.InternationalServiceArea{
		{Key: key(tab1b, 10, 10), RateArea: "Argentina", RateAreaID: "AR"},
		{Key: key(tab1b, 10, 11), RateArea: "Canada West", RateAreaID: "NSRA1"},
	}
	for i, sa := range []string{"004", "008"} {
		k := key(tab2a, 3, 15+i)
		for s := parser.NonPeak; s <= parser.Peak; s++ {
			for b := uint8(0); b < 3; b++ {
				for m := uint8(0); m < 10; m++ {
					amt := int64(100000*(i+1) + 1000*int(s) + 100*int(b) + int(m))
					r.DomesticLinehaulPrices = append(r.DomesticLinehaulPrices, parser.DomesticLinehaulPrice{
						Key: k, ServiceArea: sa, OriginServiceArea: "X", ServicesSchedule: parser.Integer{Value: 2, Text: "2"},
						Season: s, Band: b, Range: m, Rate: money(amt)})
				}
			}
		}
	}
	r.DomesticLinehaulPrices[16].Rate = money(745600) // 004 NonPeak 5000-9999 lbs 2501-3000 miles
	for i, sa := range []string{"004", "008"} {
		for s := parser.NonPeak; s <= parser.Peak; s++ {
			base := int64(100*(i+1) + 10*int(s))
			r.DomesticServiceAreaPrices = append(r.DomesticServiceAreaPrices, parser.DomesticServiceAreaPrice{
				Key: key(tab2b, 3, 11+i), ServiceArea: sa, ServiceAreaName: "X",
				ServicesSchedule: parser.Integer{Value: 2, Text: "2"}, SITPickupDeliverySchedule: parser.Integer{Value: 3, Text: "3"},
				Season: s, ShorthaulPrice: money(base + 1), OriginDestinationPrice: money(base + 2),
				SITFirstDayWarehouse: money(base + 3), SITAddlDays: money(base + 4)})
		}
	}
	r.DomesticServiceAreaPrices[0].ShorthaulPrice = money(127)
	r.DomesticOtherPackPrices = []parser.DomesticOtherPackPrice{
		{Key: key(tab2c, 3, 13), ServicesSchedule: parser.Integer{Value: 1, Text: "1"}, ServiceProvided: "Packing (per cwt)", NonPeakPrice: money(6333), PeakPrice: money(6544)},
		{Key: key(tab2c, 3, 14), ServicesSchedule: parser.Integer{Value: 1, Text: "1"}, ServiceProvided: "Unpack (per cwt)", NonPeakPrice: money(500), PeakPrice: money(600)},
	}
	r.DomesticOtherSITPrices = []parser.DomesticOtherSITPrice{
		{Key: key(tab2c, 3, 25), SITPickupDeliverySchedule: parser.Integer{Value: 1, Text: "1"}, ServiceProvided: "SIT", NonPeakPrice: money(21796), PeakPrice: money(22011)},
	}
	intl := func(sheet string, row int, o, d string) []parser.IntlLinehaulPrice {
		return []parser.IntlLinehaulPrice{
			{Key: key(sheet, 3, row), OriginID: o, OriginName: o + " name", DestinationID: d, DestinationName: d + " name", Season: parser.NonPeak, HHGPrice: money(1035), UBPrice: money(1689)},
			{Key: key(sheet, 3, row), OriginID: o, OriginName: o + " name", DestinationID: d, DestinationName: d + " name", Season: parser.Peak, HHGPrice: money(1221), UBPrice: money(1993)},
		}
	}
	r.OconusToOconusPrices = intl(tab3a, 11, "AR", "AR")
	r.ConusToOconusPrices = intl(tab3b, 11, "US11", "AR")
	r.OconusToConusPrices = append(intl(tab3c, 11, "AR", "US11"), intl(tab3c, 12, "AR", "US68")...)
	for i, code := range []string{"AR", "US11", "NSRA1"} {
		for s := parser.NonPeak; s <= parser.Peak; s++ {
			r.OtherIntlPrices = append(r.OtherIntlPrices, parser.OtherIntlPrice{
				Key: key(tab3d, 3, 11+i), RateAreaCode: code, RateAreaName: "X", Season: s,
				HHGOriginPack: money(6105), HHGDestinationUnpack: money(752), UBOriginPack: money(5776),
				UBDestinationUnpack: money(724), SITFirstDayWarehouse: money(599), SITAddlDays: money(20),
				SITLTE50Miles: money(14531), SITGT50Miles: money(21796)})
		}
	}
	for i, mv := range []struct{ o, d, t string }{
		{"NSRA1", "NSRA1", "NSRA to NSRA"}, {"NSRA1", "AR", "NSRA to OCONUS"}, {"AR", "NSRA1", "OCONUS to NSRA"},
		{"NSRA1", "US11", "NSRA to CONUS"}, {"US11", "NSRA1", "CONUS to NSRA"},
	} {
		for s := parser.NonPeak; s <= parser.Peak; s++ {
			r.NonStandardLocnPrices = append(r.NonStandardLocnPrices, parser.NonStandardLocnPrice{
				Key: key(tab3e, 3, 11+i), OriginID: mv.o, OriginArea: "X", DestinationID: mv.d, DestinationArea: "Y",
				MoveType: mv.t, Season: s, HHGPrice: money(1528), UBPrice: money(1689)})
		}
	}
	years := []string{"Base Period Year 1", "Base Period Year 2"}
	for i, y := range years {
		r.ShipmentManagementServicesPrices = append(r.ShipmentManagementServicesPrices,
			parser.TaskOrderFee{Key: key(tab4a, 3, 10+i), ContractYear: y, PricePerTaskOrder: money(45115 + int64(i))})
		r.CounselingServicesPrices = append(r.CounselingServicesPrices,
			parser.TaskOrderFee{Key: key(tab4a, 3, 23+i), ContractYear: y, PricePerTaskOrder: money(22263 + int64(i))})
	}
	r.TransitionPrices = []parser.TransitionPrice{{Key: key(tab4a, 3, 35),
		ContractYear: "One-time Amount (applied in Base Period Year 1)", PriceTotalCost: money(45018)}}
	sched := parser.Integer{Value: 1, Text: "1"}
	r.DomesticMoveAccessorialPrices = []parser.DomesticAccessorialPrice{
		{Key: key(tab5a, 3, 12), ServicesSchedule: sched, ServiceProvided: "Crating (per cubic ft.)", PricePerUnit: money(2369)},
		{Key: key(tab5a, 3, 13), ServicesSchedule: sched, ServiceProvided: "Uncrating (per cubic ft.)", PricePerUnit: money(595)},
		{Key: key(tab5a, 3, 14), ServicesSchedule: sched, ServiceProvided: "Shuttle Service (per cwt)", PricePerUnit: money(1000)},
	}
	r.InternationalMoveAccessorialPrices = []parser.IntlAccessorialPrice{
		{Key: key(tab5a, 3, 26), Market: parser.MarketCONUS, MarketText: "CONUS", ServiceProvided: "Crating (per cubic ft.)", PricePerUnit: money(2561)},
		{Key: key(tab5a, 3, 27), Market: parser.MarketOCONUS, MarketText: "OCONUS", ServiceProvided: "Crating (per cubic ft.)", PricePerUnit: money(2859)},
		{Key: key(tab5a, 3, 28), Market: parser.MarketCONUS, MarketText: "CONUS", ServiceProvided: "Shuttle Service (per cwt)", PricePerUnit: money(0)},
	}
	r.DomesticInternationalAdditionalPrices = []parser.ShipmentTypePrice{
		{Key: key(tab5a, 3, 40), Market: parser.MarketCONUS, MarketText: "CONUS", ShipmentType: "Mobile Homes", Factor: parser.Factor{Value: parser.Decimal{Unscaled: 120, Scale: 2}, Text: "1.20"}},
		{Key: key(tab5a, 3, 41), Market: parser.MarketCONUS, MarketText: "CONUS", ShipmentType: "Tow Away Boat Service", Factor: parser.Factor{Value: parser.Decimal{Unscaled: 125, Scale: 2}, Text: "1.25"}},
		{Key: key(tab5a, 3, 42), Market: parser.MarketOCONUS, MarketText: "OCONUS", ShipmentType: "Tow Away Boat Service", Factor: parser.Factor{Value: parser.Decimal{Unscaled: 130, Scale: 2}, Text: "1.30"}},
	}
	r.PriceEscalationDiscounts = []parser.PriceEscalationDiscount{
		{Key: key(tab5b, 8, 10), ContractYear: years[0], ForecastingAdjustment: "1.0000", PriceEscalation: parser.Factor{Value: parser.Decimal{Unscaled: 1, Scale: 0}, Text: "1"}},
		{Key: key(tab5b, 8, 11), ContractYear: years[1], ForecastingAdjustment: "1.0206", PriceEscalation: parser.Factor{Value: parser.Decimal{Unscaled: 10206, Scale: 4}, Text: "1.0206"}},
	}
	return &parser.Result{File: "small.xlsx", Records: r}
}

// smallRefCSV is the reference CSV of smallRecords.
const smallRefCSV = "zip3,zip5,rate_area_code\n350,,US11\n351,,ZIP\n363,,US68\n357,,US11\n,35101,US11\n,35102,US68\n"

// smallRef parses a reference CSV for tests.
func smallRef(t interface{ Fatal(...any) }, csv string) *zipref.Map {
	m, probs, err := zipref.Read(strings.NewReader(csv), "small.rate-areas.csv")
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	return m
}

// smallCounts are the rows smallRecords yields per contract table.
var smallCounts = map[string]int64{
	"re_contracts": 1, "re_contract_years": 2, "re_rate_areas": 4, "re_domestic_service_areas": 2,
	"re_zip3s": 4, "re_zip5_rate_areas": 2, "re_domestic_linehaul_prices": 120,
	"re_domestic_service_area_prices": 28, "re_domestic_other_prices": 8, "re_intl_prices": 36,
	"re_intl_other_prices": 60, "re_task_order_fees": 4, "re_contract_transition_prices": 1,
	"re_domestic_accessorial_prices": 5, "re_intl_accessorial_prices": 4, "re_shipment_type_prices": 3,
}
