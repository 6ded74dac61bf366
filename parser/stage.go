package parser

import (
	"iter"
	"strconv"
)

// StageTable describes one staging table (spec 3.1): its name, its columns in
// order (without the bookkeeping columns stage_row and source_row) and how to
// render its records as staging text.
type StageTable struct {
	Name    string
	Columns []string
	count   func(*Records) int
	rows    func(r *Records, yield func(sourceRow int, fields []string) bool)
}

// Len returns the number of stage rows of t in r.
func (t *StageTable) Len(r *Records) int { return t.count(r) }

// Rows yields each stage row of t in stage_row order: the Excel row it came
// from and its fields, normalized as the CSV export (spec 3.3) defines. The
// fields slice is reused between iterations; copy it to keep it.
func (t *StageTable) Rows(r *Records) iter.Seq2[int, []string] {
	return func(yield func(int, []string) bool) { t.rows(r, yield) }
}

// StageTableByName returns the staging table called name, or nil.
func StageTableByName(name string) *StageTable {
	for i := range StageTables {
		if StageTables[i].Name == name {
			return &StageTables[i]
		}
	}
	return nil
}

// stage builds a StageTable over one record slice with a row renderer.
func stage[T any](name string, cols []string, slice func(*Records) []T, render func(*T, []string) int) StageTable {
	return StageTable{
		Name:    name,
		Columns: cols,
		count:   func(r *Records) int { return len(slice(r)) },
		rows: func(r *Records, yield func(int, []string) bool) {
			fields := make([]string, len(cols))
			s := slice(r)
			for i := range s {
				if !yield(render(&s[i], fields), fields) {
					return
				}
			}
		},
	}
}

// intlLinehaulRender renders a 3a/3b/3c record.
func intlLinehaulRender(p *IntlLinehaulPrice, f []string) int {
	f[0], f[1], f[2], f[3] = p.OriginID, p.OriginName, p.DestinationID, p.DestinationName
	f[4], f[5], f[6] = p.Season.String(), p.HHGPrice.Text, p.UBPrice.Text
	return p.Key.Row
}

// intlLinehaulColumns returns the column list of 3a/3b/3c with its four
// sheet-specific leading names.
func intlLinehaulColumns(c0, c1, c2, c3 string) []string {
	return []string{c0, c1, c2, c3, "season", "hhg_shipping_linehaul_price", "ub_price"}
}

// taskOrderRender renders a 4a management or counseling record.
func taskOrderRender(p *TaskOrderFee, f []string) int {
	f[0], f[1] = p.ContractYear, p.PricePerTaskOrder.Text
	return p.Key.Row
}

// int32Texts caches the decimal text of the 2a bounds.
var boundText = func() map[int32]string {
	m := map[int32]string{}
	for _, b := range WeightBands {
		m[b[0]], m[b[1]] = strconv.Itoa(int(b[0])), strconv.Itoa(int(b[1]))
	}
	for _, b := range MileageRanges {
		m[b[0]], m[b[1]] = strconv.Itoa(int(b[0])), strconv.Itoa(int(b[1]))
	}
	return m
}()

// StageTables lists the 18 staging tables in spec order (3.1).
var StageTables = []StageTable{
	stage("stage_domestic_service_areas",
		[]string{"base_point_city", "state", "service_area_number", "zip3s"},
		func(r *Records) []DomesticServiceArea { return r.DomesticServiceAreas },
		func(p *DomesticServiceArea, f []string) int {
			f[0], f[1], f[2], f[3] = p.BasePointCity, p.State, p.ServiceArea, p.Zip3sText
			return p.Key.Row
		}),
	stage("stage_international_service_areas",
		[]string{"rate_area", "rate_area_id"},
		func(r *Records) []InternationalServiceArea { return r.InternationalServiceAreas },
		func(p *InternationalServiceArea, f []string) int {
			f[0], f[1] = p.RateArea, p.RateAreaID
			return p.Key.Row
		}),
	stage("stage_domestic_linehaul_prices",
		[]string{"service_area_number", "origin_service_area", "services_schedule", "season",
			"weight_lower", "weight_upper", "miles_lower", "miles_upper", "escalation_number", "rate"},
		func(r *Records) []DomesticLinehaulPrice { return r.DomesticLinehaulPrices },
		func(p *DomesticLinehaulPrice, f []string) int {
			f[0], f[1], f[2], f[3] = p.ServiceArea, p.OriginServiceArea, p.ServicesSchedule.Text, p.Season.String()
			f[4], f[5] = boundText[p.WeightLower()], boundText[p.WeightUpper()]
			f[6], f[7] = boundText[p.MilesLower()], boundText[p.MilesUpper()]
			f[8], f[9] = "0", p.Rate.Text
			return p.Key.Row
		}),
	stage("stage_domestic_service_area_prices",
		[]string{"service_area_number", "service_area_name", "services_schedule", "sit_pickup_delivery_schedule",
			"season", "shorthaul_price", "origin_destination_price",
			"origin_destination_sit_first_day_warehouse", "origin_destination_sit_addl_days"},
		func(r *Records) []DomesticServiceAreaPrice { return r.DomesticServiceAreaPrices },
		func(p *DomesticServiceAreaPrice, f []string) int {
			f[0], f[1], f[2], f[3] = p.ServiceArea, p.ServiceAreaName, p.ServicesSchedule.Text, p.SITPickupDeliverySchedule.Text
			f[4], f[5], f[6] = p.Season.String(), p.ShorthaulPrice.Text, p.OriginDestinationPrice.Text
			f[7], f[8] = p.SITFirstDayWarehouse.Text, p.SITAddlDays.Text
			return p.Key.Row
		}),
	stage("stage_domestic_other_pack_prices",
		[]string{"services_schedule", "service_provided", "non_peak_price_per_cwt", "peak_price_per_cwt"},
		func(r *Records) []DomesticOtherPackPrice { return r.DomesticOtherPackPrices },
		func(p *DomesticOtherPackPrice, f []string) int {
			f[0], f[1], f[2], f[3] = p.ServicesSchedule.Text, p.ServiceProvided, p.NonPeakPrice.Text, p.PeakPrice.Text
			return p.Key.Row
		}),
	stage("stage_domestic_other_sit_prices",
		[]string{"sit_pickup_delivery_schedule", "service_provided", "non_peak_price_per_cwt", "peak_price_per_cwt"},
		func(r *Records) []DomesticOtherSITPrice { return r.DomesticOtherSITPrices },
		func(p *DomesticOtherSITPrice, f []string) int {
			f[0], f[1], f[2], f[3] = p.SITPickupDeliverySchedule.Text, p.ServiceProvided, p.NonPeakPrice.Text, p.PeakPrice.Text
			return p.Key.Row
		}),
	stage("stage_oconus_to_oconus_prices",
		intlLinehaulColumns("origin_intl_price_area_id", "origin_intl_price_area",
			"destination_intl_price_area_id", "destination_intl_price_area"),
		func(r *Records) []IntlLinehaulPrice { return r.OconusToOconusPrices }, intlLinehaulRender),
	stage("stage_conus_to_oconus_prices",
		intlLinehaulColumns("origin_domestic_price_area_code", "origin_domestic_price_area",
			"destination_intl_price_area_id", "destination_intl_price_area"),
		func(r *Records) []IntlLinehaulPrice { return r.ConusToOconusPrices }, intlLinehaulRender),
	stage("stage_oconus_to_conus_prices",
		intlLinehaulColumns("origin_intl_price_area_id", "origin_intl_price_area",
			"destination_domestic_price_area_area", "destination_domestic_price_area"),
		func(r *Records) []IntlLinehaulPrice { return r.OconusToConusPrices }, intlLinehaulRender),
	stage("stage_other_intl_prices",
		[]string{"rate_area_code", "rate_area_name", "hhg_origin_pack_price", "hhg_destination_unpack_price",
			"ub_origin_pack_price", "ub_destination_unpack_price", "origin_destination_sit_first_day_warehouse",
			"origin_destination_sit_addl_days", "sit_lte_50_miles", "sit_gt_50_miles", "season"},
		func(r *Records) []OtherIntlPrice { return r.OtherIntlPrices },
		func(p *OtherIntlPrice, f []string) int {
			f[0], f[1] = p.RateAreaCode, p.RateAreaName
			f[2], f[3], f[4], f[5] = p.HHGOriginPack.Text, p.HHGDestinationUnpack.Text, p.UBOriginPack.Text, p.UBDestinationUnpack.Text
			f[6], f[7], f[8], f[9] = p.SITFirstDayWarehouse.Text, p.SITAddlDays.Text, p.SITLTE50Miles.Text, p.SITGT50Miles.Text
			f[10] = p.Season.String()
			return p.Key.Row
		}),
	stage("stage_non_standard_locn_prices",
		[]string{"origin_id", "origin_area", "destination_id", "destination_area", "move_type", "season",
			"hhg_price", "ub_price"},
		func(r *Records) []NonStandardLocnPrice { return r.NonStandardLocnPrices },
		func(p *NonStandardLocnPrice, f []string) int {
			f[0], f[1], f[2], f[3] = p.OriginID, p.OriginArea, p.DestinationID, p.DestinationArea
			f[4], f[5], f[6], f[7] = p.MoveType, p.Season.String(), p.HHGPrice.Text, p.UBPrice.Text
			return p.Key.Row
		}),
	stage("stage_shipment_management_services_prices",
		[]string{"contract_year", "price_per_task_order"},
		func(r *Records) []TaskOrderFee { return r.ShipmentManagementServicesPrices }, taskOrderRender),
	stage("stage_counseling_services_prices",
		[]string{"contract_year", "price_per_task_order"},
		func(r *Records) []TaskOrderFee { return r.CounselingServicesPrices }, taskOrderRender),
	stage("stage_transition_prices",
		[]string{"contract_year", "price_total_cost"},
		func(r *Records) []TransitionPrice { return r.TransitionPrices },
		func(p *TransitionPrice, f []string) int {
			f[0], f[1] = p.ContractYear, p.PriceTotalCost.Text
			return p.Key.Row
		}),
	stage("stage_domestic_move_accessorial_prices",
		[]string{"services_schedule", "service_provided", "price_per_unit"},
		func(r *Records) []DomesticAccessorialPrice { return r.DomesticMoveAccessorialPrices },
		func(p *DomesticAccessorialPrice, f []string) int {
			f[0], f[1], f[2] = p.ServicesSchedule.Text, p.ServiceProvided, p.PricePerUnit.Text
			return p.Key.Row
		}),
	stage("stage_international_move_accessorial_prices",
		[]string{"market", "service_provided", "price_per_unit"},
		func(r *Records) []IntlAccessorialPrice { return r.InternationalMoveAccessorialPrices },
		func(p *IntlAccessorialPrice, f []string) int {
			f[0], f[1], f[2] = p.MarketText, p.ServiceProvided, p.PricePerUnit.Text
			return p.Key.Row
		}),
	stage("stage_domestic_international_additional_prices",
		[]string{"market", "shipment_type", "factor"},
		func(r *Records) []ShipmentTypePrice { return r.DomesticInternationalAdditionalPrices },
		func(p *ShipmentTypePrice, f []string) int {
			f[0], f[1], f[2] = p.MarketText, p.ShipmentType, p.Factor.Text
			return p.Key.Row
		}),
	stage("stage_price_escalation_discounts",
		[]string{"contract_year", "forecasting_adjustment", "discount", "price_escalation"},
		func(r *Records) []PriceEscalationDiscount { return r.PriceEscalationDiscounts },
		func(p *PriceEscalationDiscount, f []string) int {
			f[0], f[1], f[2], f[3] = p.ContractYear, p.ForecastingAdjustment, p.Discount, p.PriceEscalation.Text
			return p.Key.Row
		}),
}
