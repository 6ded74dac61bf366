package parser

import (
	"testing"
)

func TestParseValidWorkbook(t *testing.T) {
	res := parseBytes(t, validBook(t, small).bytes())
	for _, p := range res.Problems {
		t.Errorf("unexpected problem: %s %s %s", p.Severity, p.Kind, p)
	}
	rec := &res.Records
	counts := map[string]int{}
	for i := range StageTables {
		counts[StageTables[i].Name] = StageTables[i].Len(rec)
	}
	want := map[string]int{
		"stage_domestic_service_areas":                   6,
		"stage_international_service_areas":              5,
		"stage_domestic_linehaul_prices":                 180,
		"stage_domestic_service_area_prices":             6,
		"stage_domestic_other_pack_prices":               6,
		"stage_domestic_other_sit_prices":                3,
		"stage_oconus_to_oconus_prices":                  18,
		"stage_conus_to_oconus_prices":                   12,
		"stage_oconus_to_conus_prices":                   12,
		"stage_other_intl_prices":                        14,
		"stage_non_standard_locn_prices":                 2 * (4 + 6 + 6 + 4 + 4),
		"stage_shipment_management_services_prices":      3,
		"stage_counseling_services_prices":               3,
		"stage_transition_prices":                        1,
		"stage_domestic_move_accessorial_prices":         9,
		"stage_international_move_accessorial_prices":    6,
		"stage_domestic_international_additional_prices": 7,
		"stage_price_escalation_discounts":               3,
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d rows, want %d", k, counts[k], v)
		}
	}
}
