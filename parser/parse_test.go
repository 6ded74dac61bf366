package parser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// csvOf renders one stage table of a result as CSV text.
func csvOf(t *testing.T, res *Result, table string) string {
	t.Helper()
	var buf strings.Builder
	st := StageTableByName(table)
	if st == nil {
		t.Fatalf("no stage table %s", table)
	}
	if err := WriteStageCSV(&buf, st, &res.Records); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestCSVExportNormalization(t *testing.T) {
	res := parseBytes(t, validBook(t, small).bytes())
	tests := []struct {
		table string
		line  int // 0 = header
		want  string
	}{
		{"stage_domestic_service_areas", 0, "base_point_city,state,service_area_number,zip3s"},
		{"stage_domestic_service_areas", 1, "City 0-0,PA,001,000"},
		{"stage_domestic_service_areas", 2, `City 0-1,PA,001,"001,002"`},
		{"stage_domestic_linehaul_prices", 1, "001,Name 0,1,NonPeak,500,4999,0,250,0,$0.477"},
		{"stage_domestic_linehaul_prices", 60, "001,Name 0,1,Peak,10000,999999,4001,999999,0,$11.477"},
		{"stage_domestic_service_area_prices", 2, "001,Name 0,1,2,Peak,$115.15,$116.16,$119.19,$120.20"},
		{"stage_transition_prices", 1, "One-time Amount (applied in Base Period Year 1),$ 450.18"},
		{"stage_shipment_management_services_prices", 1, "Base Period Year 1,108.08"},
		{"stage_domestic_international_additional_prices", 1, "CONUS,Mobile Homes,1.20"},
		{"stage_price_escalation_discounts", 2, "Base Period Year 2,1.0206,,1.0206"},
		{"stage_other_intl_prices", 0, "rate_area_code,rate_area_name,hhg_origin_pack_price,hhg_destination_unpack_price,ub_origin_pack_price,ub_destination_unpack_price,origin_destination_sit_first_day_warehouse,origin_destination_sit_addl_days,sit_lte_50_miles,sit_gt_50_miles,season"},
	}
	for _, tt := range tests {
		lines := strings.Split(csvOf(t, res, tt.table), "\n")
		if tt.line >= len(lines) || lines[tt.line] != tt.want {
			got := ""
			if tt.line < len(lines) {
				got = lines[tt.line]
			}
			t.Errorf("%s line %d = %q, want %q", tt.table, tt.line, got, tt.want)
		}
	}
	if p := res.Records.TransitionPrices[0].PriceTotalCost.Amount; p != 45018 {
		t.Errorf("transition cents = %d, want 45018", p)
	}
	if p := res.Records.DomesticLinehaulPrices[0].Rate.Amount; p != 47700 {
		t.Errorf("2a millicents = %d, want 47700", p)
	}
	if e := res.Records.PriceEscalationDiscounts[1].PriceEscalation.Value.String(); e != "1.02060" {
		t.Errorf("escalation = %s, want 1.02060", e)
	}
}

func TestWriteCSVDirWritesAll18(t *testing.T) {
	dir := t.TempDir()
	res := parseBytes(t, validBook(t, small).bytes())
	if err := WriteCSVDir(context.Background(), dir, &res.Records); err != nil {
		t.Fatal(err)
	}
	for _, st := range StageTables {
		fi, err := os.Stat(filepath.Join(dir, st.Name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", st.Name, fi.Mode().Perm())
		}
	}
	empty := &Records{}
	var buf strings.Builder
	if err := WriteStageCSV(&buf, &StageTables[0], empty); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "base_point_city,state,service_area_number,zip3s\n" {
		t.Errorf("empty table CSV = %q", buf.String())
	}
}
