package sample

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// buildT builds a model or fails the test.
func buildT(t testing.TB, opts Options) *Model {
	t.Helper()
	m, err := Build(opts)
	if err != nil {
		t.Fatalf("Build(%+v): %v", opts, err)
	}
	return m
}

// Part 5 of the specification: staging and rate-engine counts of a full-size template.
var (
	part5Stage = map[string]int{
		StageDomesticServiceAreas: 774, StageInternationalServiceAreas: 67,
		StageDomesticLinehaulPrices: 13560, StageDomesticServiceAreaPrices: 452,
		StageDomesticOtherPackPrices: 6, StageDomesticOtherSITPrices: 3,
		StageOconusToOconusPrices: 5408, StageConusToOconusPrices: 5512, StageOconusToConusPrices: 5512,
		StageOtherIntlPrices: 240, StageNonStandardLocnPrices: 6750,
		StageShipmentManagementPrices: 8, StageCounselingServicesPrices: 8, StageTransitionPrices: 1,
		StageDomesticMoveAccessorials: 9, StageIntlMoveAccessorials: 6, StageDomesticIntlAdditional: 7,
		StagePriceEscalationDiscounts: 8,
	}
	part5RateEngine = map[string]int{
		"re_contracts": 1, "re_contract_years": 8, "re_rate_areas": 120, "re_domestic_service_areas": 226,
		"re_zip3s": 908, "re_zip5_rate_areas": 922, "re_domestic_linehaul_prices": 13560,
		"re_domestic_service_area_prices": 3164, "re_domestic_other_prices": 24, "re_intl_prices": 46364,
		"re_intl_other_prices": 2400, "re_task_order_fees": 16, "re_contract_transition_prices": 1,
		"re_domestic_accessorial_prices": 15, "re_intl_accessorial_prices": 8, "re_shipment_type_prices": 7,
	}
)

func TestFullSizeCounts(t *testing.T) {
	m := buildT(t, Options{Seed: 1})
	if got := m.StageCounts(); !reflect.DeepEqual(got, part5Stage) {
		t.Errorf("stage counts:\n got %v\nwant %v", got, part5Stage)
	}
	if got := m.RateEngineCounts(); !reflect.DeepEqual(got, part5RateEngine) {
		t.Errorf("rate-engine counts:\n got %v\nwant %v", got, part5RateEngine)
	}
	if got := Total(m.StageCounts()); got != 38331 {
		t.Errorf("stage total = %d, want 38,331", got)
	}
	if got := Total(m.RateEngineCounts()); got != 67744 {
		t.Errorf("rate-engine total = %d, want 67,744", got)
	}
	if len(m.OconusAreas) != 52 || len(m.NSRAAreas) != 15 || len(m.DomesticAreas) != 53 {
		t.Errorf("rate areas: %d OCONUS, %d NSRA, %d domestic; want 52, 15, 53",
			len(m.OconusAreas), len(m.NSRAAreas), len(m.DomesticAreas))
	}
	var headers []int
	for _, s := range m.NonStandard {
		headers = append(headers, s.HeaderRow)
	}
	if want := []int{8, 241, 1029, 1817, 2620}; !slices.Equal(headers, want) {
		t.Errorf("3e header rows = %v, want %v", headers, want)
	}
	if last := m.NonStandard[4].Rows; last[len(last)-1].Row != 3417 {
		t.Errorf("3e last data row = %d, want 3417", last[len(last)-1].Row)
	}
}

func TestServiceAreaGeography(t *testing.T) {
	m := buildT(t, Options{Seed: 7})
	rowsPer := map[int]int{}
	zip3Owner := map[int]int{}
	for i, r := range m.ServiceAreaRows {
		rowsPer[r.ServiceArea]++
		if r.ServiceArea < 1 || r.ServiceArea > 999 {
			t.Errorf("row %d: service area %d out of 1–999", r.Row, r.ServiceArea)
		}
		if len(r.State) != 2 {
			t.Errorf("row %d: state %q", r.Row, r.State)
		}
		if i > 0 && m.ServiceAreaRows[i-1].City >= r.City {
			t.Errorf("rows %d/%d not ordered by unique city: %q, %q", r.Row-1, r.Row, m.ServiceAreaRows[i-1].City, r.City)
		}
		for _, z := range r.Zip3s {
			if owner, ok := zip3Owner[z]; ok {
				t.Errorf("zip3 %03d in service areas %d and %d", z, owner, r.ServiceArea)
			}
			zip3Owner[z] = r.ServiceArea
		}
	}
	lo, hi := 1000, 0
	for _, n := range rowsPer {
		lo, hi = min(lo, n), max(hi, n)
	}
	if lo != 1 || hi != 31 {
		t.Errorf("rows per service area range %d–%d, want 1–31", lo, hi)
	}
	// The specification's examples.
	want := map[string]ServiceAreaRow{
		"Abbottstown": {City: "Abbottstown", State: "PA", ServiceArea: 672, Zip3s: []int{173}},
		"Alhambra":    {City: "Alhambra", State: "CA", ServiceArea: 56, Zip3s: []int{918}},
		"Akron":       {City: "Akron", State: "OH", ServiceArea: 612, Zip3s: []int{442, 443}},
		"Butler":      {City: "Butler", State: "MO", ServiceArea: 452, Zip3s: []int{647}},
		"Springfield": {City: "Springfield", State: "MO", ServiceArea: 452, Zip3s: []int{656, 657, 658}},
	}
	for _, r := range m.ServiceAreaRows {
		if w, ok := want[r.City]; ok {
			r.Row = 0
			if !reflect.DeepEqual(r, w) {
				t.Errorf("1b row %+v, want %+v", r, w)
			}
			delete(want, r.City)
		}
	}
	if len(want) > 0 {
		t.Errorf("example rows missing: %v", want)
	}
	if rowsPer[452] != 3 {
		t.Errorf("service area 452 has %d rows, want 3", rowsPer[452])
	}
}

func TestRateAreaCodes(t *testing.T) {
	m := buildT(t, Options{Seed: 3, Scale: 4})
	domestic := regexp.MustCompile(`^US[1-9][0-9]{1,6}$`)
	seen := map[string]bool{}
	for _, a := range m.DomesticAreas {
		if !domestic.MatchString(a.Code) {
			t.Errorf("domestic code %q does not look domestic", a.Code)
		}
		seen[a.Code] = true
	}
	for _, code := range []string{"US11", "US88", "US4964400", "US4965500"} {
		if !seen[code] {
			t.Errorf("domestic code %s missing", code)
		}
	}
	for _, a := range m.IntlRateAreas {
		if seen[a.Code] {
			t.Errorf("code %s is both domestic and international", a.Code)
		}
		seen[a.Code] = true
	}
	if got := len(m.DomesticAreas); got != 106 {
		t.Errorf("scale 4: %d domestic areas, want 106", got)
	}
	if got := len(m.OconusToOconus); got != 104*104 {
		t.Errorf("scale 4: %d 3a rows, want %d", got, 104*104)
	}
	// Every extra domestic code is in 3b, 3c and the reference CSV.
	in3b, in3c, inRef := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range m.ConusToOconus {
		in3b[r.Origin] = true
	}
	for _, r := range m.OconusToConus {
		in3c[r.Dest] = true
	}
	for _, z := range m.Zip3Refs {
		inRef[z.Code] = true
	}
	for _, a := range m.DomesticAreas[len(domesticAreas):] {
		if !in3b[a.Code] || !in3c[a.Code] || !inRef[a.Code] {
			t.Errorf("extra code %s: in 3b %v, 3c %v, reference CSV %v", a.Code, in3b[a.Code], in3c[a.Code], inRef[a.Code])
		}
	}
}

func TestScaleSizes(t *testing.T) {
	tests := []struct {
		scale                    int
		areaMul                  int
		wantSAs, wantZip3s       int
		wantIntlPrices, wantRows int
	}{
		{scale: 2, areaMul: 1, wantSAs: 452, wantZip3s: 967, wantIntlPrices: 46364},
		{scale: 4, areaMul: 2, wantSAs: 904, wantZip3s: 967, wantIntlPrices: 4 * 46364},
		{scale: 25, areaMul: 5, wantSAs: 960, wantZip3s: 967, wantIntlPrices: 25 * 46364},
	}
	for _, tt := range tests {
		m := buildT(t, Options{Seed: 1, Scale: tt.scale})
		re := m.RateEngineCounts()
		if re["re_domestic_service_areas"] != tt.wantSAs || re["re_zip3s"] != tt.wantZip3s {
			t.Errorf("scale %d: %d service areas, %d zip3s; want %d, %d", tt.scale,
				re["re_domestic_service_areas"], re["re_zip3s"], tt.wantSAs, tt.wantZip3s)
		}
		if re["re_intl_prices"] != tt.wantIntlPrices {
			t.Errorf("scale %d: re_intl_prices %d, want %d", tt.scale, re["re_intl_prices"], tt.wantIntlPrices)
		}
		if got := len(m.NSRAAreas); got != 15*tt.areaMul {
			t.Errorf("scale %d: %d NSRAs, want %d", tt.scale, got, 15*tt.areaMul)
		}
		if len(m.Zip3Refs) != re["re_zip3s"] {
			t.Errorf("scale %d: %d zip3 lines for %d zip3s", tt.scale, len(m.Zip3Refs), re["re_zip3s"])
		}
	}
}

func TestBadScale(t *testing.T) {
	for _, scale := range []int{-1, MaxScale + 1} {
		if _, err := Build(Options{Scale: scale}); err == nil {
			t.Errorf("Build(scale %d) succeeded", scale)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := buildT(t, Options{Seed: 42}), buildT(t, Options{Seed: 42})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("equal seeds gave different models")
	}
	c := buildT(t, Options{Seed: 43})
	if reflect.DeepEqual(a.Linehaul, c.Linehaul) || reflect.DeepEqual(a.ServiceAreaRows, c.ServiceAreaRows) {
		t.Error("different seeds gave equal 1b or 2a data")
	}
	var ca, cb bytes.Buffer
	if err := a.WriteRateAreas(&ca); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteRateAreas(&cb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.Bytes(), cb.Bytes()) {
		t.Error("equal seeds gave different reference CSVs")
	}
}

func TestPlausiblePrices(t *testing.T) {
	m := buildT(t, Options{Seed: 5, Scale: 4})
	positive := func(what string, row int, v int64) {
		if v <= 0 {
			t.Errorf("%s row %d: price %d not > 0", what, row, v)
		}
	}
	zeros := 0
	for _, r := range m.Linehaul {
		if r.Prices[NonPeak][0][0] == 0 {
			zeros++
		}
		for b := range 3 {
			for mi := range 10 {
				np, pk := r.Prices[NonPeak][b][mi], r.Prices[Peak][b][mi]
				if pk < np || np < 0 {
					t.Errorf("2a row %d band %d range %d: peak below non-peak or negative", r.Row, b, mi)
				}
				if mi > 0 && np < r.Prices[NonPeak][b][mi-1] {
					t.Errorf("2a row %d band %d: price falls with distance at range %d", r.Row, b, mi)
				}
			}
		}
	}
	if zeros == 0 {
		t.Error("2a has no $0.000 price")
	}
	for _, r := range m.ServiceAreaPrices {
		for k := range 7 {
			positive("2b", r.Row, r.Cents[NonPeak][k])
			if r.Cents[Peak][k] < r.Cents[NonPeak][k] {
				t.Errorf("2b row %d: peak below non-peak", r.Row)
			}
		}
	}
	for _, r := range append(slices.Clone(m.PackPrices), m.SITPrices...) {
		positive("2c", r.Row, r.Cents[NonPeak])
		if r.Cents[Peak] < r.Cents[NonPeak] {
			t.Errorf("2c row %d: peak below non-peak", r.Row)
		}
	}
	intl := slices.Concat(m.OconusToOconus, m.ConusToOconus, m.OconusToConus)
	for _, s := range m.NonStandard {
		intl = append(intl, s.Rows...)
	}
	for _, r := range intl {
		for k := range 2 {
			positive("intl", r.Row, r.Cents[NonPeak][k])
			if r.Cents[Peak][k] < r.Cents[NonPeak][k] {
				t.Errorf("intl %s→%s: peak below non-peak", r.Origin, r.Dest)
			}
		}
	}
	for _, r := range m.OtherIntl {
		for k := range 8 {
			positive("3d", r.Row, r.Cents[NonPeak][k])
			if r.Cents[Peak][k] < r.Cents[NonPeak][k] {
				t.Errorf("3d %s: peak below non-peak", r.Code)
			}
		}
	}
	for _, f := range slices.Concat(m.Management, m.Counseling, []FeeRow{m.Transition}) {
		positive("4a", f.Row, f.Cents)
	}
	for _, a := range m.DomesticAccessorials {
		positive("5a", a.Row, a.Cents)
	}
	for _, s := range m.ShipmentTypes {
		positive("5a factor", s.Row, s.Factor)
	}
}

func TestSpecExamples(t *testing.T) {
	m := buildT(t, Options{Seed: 99})
	byArea := map[int]LinehaulRow{}
	for _, r := range m.Linehaul {
		byArea[r.ServiceArea] = r
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"2a 452 NonPeak 5000–9999 lbs 2501–3000 mi", byArea[452].Prices[NonPeak][1][6], 7456},
		{"2a 004 NonPeak 500–4999 lbs 0–250 mi", byArea[4].Prices[NonPeak][0][0], 2477},
		{"2a 004 NonPeak 500–4999 lbs 251–500 mi", byArea[4].Prices[NonPeak][0][1], 2727},
		{"2b 004 NonPeak shorthaul", m.ServiceAreaPrices[indexOfArea(m, 4)].Cents[NonPeak][SAShorthaul], 127},
		{"2c schedule 1 packing peak", m.PackPrices[0].Cents[Peak], 6544},
		{"2c SIT schedule 1 non-peak", m.SITPrices[0].Cents[NonPeak], 21796},
		{"4a management year 1", m.Management[0].Cents, 45115},
		{"4a counseling year 1", m.Counseling[0].Cents, 22263},
		{"4a transition", m.Transition.Cents, 45018},
		{"5a crating schedule 1", m.DomesticAccessorials[0].Cents, 2369},
		{"5a mobile homes", m.ShipmentTypes[0].Factor, 120},
		{"5b Option Period 1", m.Escalations[3].Escalation, 102140},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if got := m.ServiceAreaPrices[indexOfArea(m, 4)].Name; got != "Birmingham, AL" {
		t.Errorf("2b 004 name %q", got)
	}
	if r := m.OconusToOconus[indexOfPair(m.OconusToOconus, "AR", "AR")]; r.Cents != [2][2]int64{{1035, 1689}, {1221, 1993}} {
		t.Errorf("3a AR→AR prices %v", r.Cents)
	}
	if r := m.OconusToConus[indexOfPair(m.OconusToConus, "AR", "US11")]; r.Cents[NonPeak] != [2]int64{1528, 4394} {
		t.Errorf("3c AR→US11 prices %v", r.Cents)
	}
	for _, r := range m.OconusToConus {
		if mirror := m.ConusToOconus[indexOfPair(m.ConusToOconus, r.Dest, r.Origin)]; mirror.Cents != r.Cents {
			t.Fatalf("3c %s→%s does not mirror 3b", r.Origin, r.Dest)
		}
	}
}

func indexOfArea(m *Model, n int) int {
	return slices.IndexFunc(m.ServiceAreaPrices, func(r ServiceAreaPriceRow) bool { return r.ServiceArea == n })
}

func indexOfPair(rows []IntlPriceRow, o, d string) int {
	return slices.IndexFunc(rows, func(r IntlPriceRow) bool { return r.Origin == o && r.Dest == d })
}

func TestReferenceCSV(t *testing.T) {
	m := buildT(t, Options{Seed: 11})
	var buf bytes.Buffer
	if err := m.WriteRateAreas(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\n") || strings.Contains(buf.String(), "\r") {
		t.Error("reference CSV must use LF line endings and end with a newline")
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != RefCSVHeader {
		t.Fatalf("header %q", got)
	}
	workbookZips := map[string]bool{}
	for _, r := range m.ServiceAreaRows {
		for _, z := range r.Zip3s {
			workbookZips[pad3(z)] = true
		}
	}
	zip5Codes := map[string]bool{"US49": true, "US4964400": true, "US66": true, "US68": true, "US87": true, "US88": true}
	var zipZip3s []string
	zip3Lines, zip5Lines := 0, 0
	seen := map[string]bool{}
	zip5Of := map[string]int{}
	for i, r := range recs[1:] {
		line := i + 2
		if (r[0] == "") == (r[1] == "") {
			t.Fatalf("line %d: exactly one of zip3/zip5 must be set: %q", line, r)
		}
		key := r[0] + "/" + r[1]
		if seen[key] {
			t.Errorf("line %d: %s listed twice", line, key)
		}
		seen[key] = true
		if r[0] != "" {
			zip3Lines++
			if !workbookZips[r[0]] {
				t.Errorf("line %d: zip3 %s not in the workbook", line, r[0])
			}
			if r[2] == "ZIP" {
				zipZip3s = append(zipZip3s, r[0])
			}
			continue
		}
		zip5Lines++
		if len(r[1]) != 5 || !zip5Codes[r[2]] {
			t.Errorf("line %d: zip5 %q code %q", line, r[1], r[2])
		}
		zip5Of[r[1][:3]]++
	}
	if zip3Lines != 908 || zip5Lines != 922 {
		t.Errorf("%d zip3 lines and %d zip5 lines, want 908 and 922", zip3Lines, zip5Lines)
	}
	wantZIP := []string{"321", "327", "344", "757", "758", "759", "765", "766", "768", "769", "786", "788", "923", "932", "935"}
	if !slices.Equal(zipZip3s, wantZIP) {
		t.Errorf("ZIP zip3s %v, want %v", zipZip3s, wantZIP)
	}
	for _, z := range append(wantZIP, "331", "332") {
		if zip5Of[z] == 0 {
			t.Errorf("zip3 %s has no zip5 lines", z)
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Money3(2477), "$2.477"},
		{Money3(0), "$0.000"},
		{Money3(10527), "$10.527"},
		{Money2(127), "$1.27"},
		{Money2(5), "$0.05"},
		{Plain2(45115), "451.15"},
		{Accounting(45018), "$ 450.18"},
		{Accounting(123456789), "$ 1,234,567.89"},
		{Factor(120), "1.20"},
		{Forecast(100000), "1.0000"},
		{Forecast(102060), "1.0206"},
		{General(100000), "1"},
		{General(102060), "1.0206"},
		{General(101000), "1.01"},
		{Zip3s([]int{36, 444}), "036,444"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestDefaultRateAreasPath(t *testing.T) {
	tests := map[string]string{
		"tmp/sample.xlsx": "tmp/sample.rate-areas.csv",
		"a/b.XLSX":        "a/b.rate-areas.csv",
		"book":            "book.rate-areas.csv",
	}
	for in, want := range tests {
		if got := DefaultRateAreasPath(in); got != want {
			t.Errorf("DefaultRateAreasPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var w, ref bytes.Buffer
	if _, err := Generate(ctx, &w, &ref, Options{Seed: 1}); err == nil {
		t.Fatal("Generate with a canceled context succeeded")
	}
}
