package report

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFormatValue(t *testing.T) {
	cases := []struct {
		v    int64
		u    Unit
		want string
	}{
		{745600, Millicents, "$7.456"},
		{247700, Millicents, "$2.477"},
		{0, Millicents, "$0.000"},
		{745612, Millicents, "$7.45612"},
		{127, Cents, "$1.27"},
		{5, Cents, "$0.05"},
		{45018, Cents, "$450.18"},
		{-5, Cents, "$-0.05"},
		{120, Hundredths, "1.20"},
	}
	for _, c := range cases {
		if got := FormatValue(c.v, c.u); got != c.want {
			t.Errorf("FormatValue(%d, %s) = %q, want %q", c.v, c.u, got, c.want)
		}
	}
	if got := formatMedian(127.5, Cents); got != "$1.275" {
		t.Errorf("formatMedian(127.5 cents) = %q", got)
	}
	if got := formatMedian(745600.5, Millicents); got != "$7.456005" {
		t.Errorf("formatMedian(745600.5 millicents) = %q", got)
	}
}

func TestRobustStatistics(t *testing.T) {
	cases := []struct {
		name       string
		values     []float64
		med, scale float64
	}{
		{"odd", []float64{5, 1, 3}, 3, madScale * 2},
		{"even", []float64{1, 2, 3, 4}, 2.5, madScale * 1},
		{"mad zero falls back to mean deviation", []float64{7, 7, 7, 7, 17}, 7, meanADScale * 2},
		{"all equal", []float64{4, 4, 4}, 4, 0},
		{"empty", nil, 0, 0},
	}
	for _, c := range cases {
		med, scale := robustScale(c.values)
		if med != c.med || math.Abs(scale-c.scale) > 1e-9 {
			t.Errorf("%s: robustScale = %v, %v; want %v, %v", c.name, med, scale, c.med, c.scale)
		}
	}
	z := robustZ([]float64{10, 11, 9, 10, 10, 12, 8, 100})
	if z[7] < 20 || math.Abs(z[0]) > 1 {
		t.Errorf("robustZ = %v: the outlier should stand out", z)
	}
	if z := robustZ([]float64{3, 3, 3}); !slices.Equal(z, []float64{0, 0, 0}) {
		t.Errorf("robustZ of equal values = %v", z)
	}
	if s := summarize([]float64{4, 1, 3, 2}); s != (summary{4, 1, 2.5, 4}) {
		t.Errorf("summarize = %+v", s)
	}
}

func TestBins(t *testing.T) {
	cases := []struct {
		pct  *float64
		want string
	}{
		{ptr(-50.0), "< −20%"},
		{ptr(-20.0), "−20…−10%"},
		{ptr(-0.01), "−2…0%"},
		{ptr(0.01), "0…2%"},
		{ptr(2.0), "2…5%"},
		{ptr(19.99), "10…20%"},
		{ptr(20.0), "≥ 20%"},
		{nil, "≥ 20%"},
	}
	for _, c := range cases {
		if got := ChangeBins[binIndex(c.pct)].Label; got != c.want {
			t.Errorf("bin of %s = %q, want %q", pctText(c.pct), got, c.want)
		}
	}
	h := histogram([]*float64{ptr(1.0), ptr(1.5), ptr(-30.0)})
	if h[5].Count != 2 || h[0].Count != 1 || ChangeBins[5].Count != 0 {
		t.Errorf("histogram = %+v (ChangeBins must stay untouched)", h)
	}
}

func TestLocate(t *testing.T) {
	kinds := map[string]AreaKind{"AR": KindOconus, "GE": KindOconus, "US11": KindDomestic, "NSRA1": KindNSRA}
	src := Sources{
		{Src2a, "452", ""}: 200, {Src2b, "004", ""}: 11, {Src3a, "AR", "GE"}: 12, {Src3b, "US11", "AR"}: 13,
		{Src3c, "AR", "US11"}: 14, {Src3e, "NSRA1", "US11"}: 2000, {Src3d, "AR", ""}: 11,
		{Src4aMS, "Base Period Year 1", ""}: 10, {Src4aCS, "Base Period Year 1", ""}: 23, {Src4aTrans, "", ""}: 35,
		{Src2cPack, "1", "Packing (per cwt)"}: 13, {Src2cSIT, "2", ""}: 26,
		{Src5aDom, "3", "Crating (per cubic ft.)"}: 14, {Src5aIntl, "O", "Shuttle Service (per cwt)"}: 31,
		{Src5aAddition, "C", "Mobile Homes"}: 40,
	}
	cases := []struct {
		k    Key
		want string
	}{
		// Spec 1.4: SA 452, NonPeak, 5000–9999 lbs, 2501–3000 miles is column W.
		{Key{Table: Linehaul, Season: NonPeak, Area: "452", WeightLower: 5000, WeightUpper: 9999, MilesLower: 2501, MilesUpper: 3000}, "'" + sheet2a + "'!W200"},
		{Key{Table: Linehaul, Season: Peak, Area: "452", WeightLower: 10000, WeightUpper: 999999, MilesLower: 4001, MilesUpper: 999999}, "'" + sheet2a + "'!BO200"},
		{Key{Table: Linehaul, Season: Peak, Area: "452", WeightLower: 500, WeightUpper: 4999, MilesLower: 0, MilesUpper: 250}, "'" + sheet2a + "'!AL200"},
		{Key{Table: ServiceAreaPrices, Service: "DSH", Season: NonPeak, Area: "004"}, "'" + sheet2b + "'!G11"},
		{Key{Table: ServiceAreaPrices, Service: "DDASIT", Season: Peak, Area: "004"}, "'" + sheet2b + "'!T11"},
		{Key{Table: ServiceAreaPrices, Service: "DOFSIT", Season: Peak, Area: "008"}, sheet2b + ", column S, row of service area 008"},
		{Key{Table: Intl, Service: "ISLH", Season: NonPeak, Area: "AR", Dest: "GE"}, "'" + sheet3a + "'!G12"},
		{Key{Table: Intl, Service: "UBP", Season: Peak, Area: "US11", Dest: "AR"}, "'" + sheet3b + "'!K13"},
		{Key{Table: Intl, Service: "UBP", Season: NonPeak, Area: "AR", Dest: "US11"}, "'" + sheet3c + "'!H14"},
		{Key{Table: Intl, Service: "ISLH", Season: Peak, Area: "NSRA1", Dest: "US11"}, "'3e) Non-Standard Loc''n Prices'!K2000"},
		{Key{Table: Intl, Service: "UBP", Season: Peak, Area: "NSRA1", Dest: "US11"}, "'3e) Non-Standard Loc''n Prices'!L2000"},
		{Key{Table: IntlOther, Service: "IHPK", Season: NonPeak, Area: "AR"}, "'" + sheet3d + "'!E11"},
		{Key{Table: IntlOther, Service: "IDDSIT", Season: Peak, Area: "AR"}, "'" + sheet3d + "'!U11"},
		{Key{Table: IntlOther, Service: "IDFSIT", Season: NonPeak, Area: "AR"}, "'" + sheet3d + "'!I11"},
		{Key{Table: TaskOrderFees, Service: "MS", Area: "Base Period Year 1"}, "'" + sheet4a + "'!D10"},
		{Key{Table: TaskOrderFees, Service: "CS", Area: "Base Period Year 1"}, "'" + sheet4a + "'!D23"},
		{Key{Table: Transition}, "'" + sheet4a + "'!D35"},
		{Key{Table: OtherDomestic, Service: "DPK", Season: Peak, Area: "1"}, "'" + sheet2c + "'!F13"},
		{Key{Table: OtherDomestic, Service: "DDDSIT", Season: NonPeak, Area: "2"}, "'" + sheet2c + "'!E26"},
		{Key{Table: DomAccessorial, Service: "DCRTSA", Area: "3"}, "'" + sheet5a + "'!E14"},
		{Key{Table: IntlAccessorial, Service: "IOSHUT", Area: "O"}, "'" + sheet5a + "'!E31"},
		{Key{Table: ShipmentType, Service: "DMHF", Area: "C"}, "'" + sheet5a + "'!E40"},
	}
	for _, c := range cases {
		if got := locate(c.k, kinds, src).String(); got != c.want {
			t.Errorf("locate(%s) = %q, want %q", c.k.Label(), got, c.want)
		}
	}
	if got := locateEscalation("Option Period 1", nil).String(); got != sheet5b+", column K, row of Option Period 1" {
		t.Errorf("locateEscalation without staging = %q", got)
	}
}

func TestExcelRef(t *testing.T) {
	for _, c := range []struct{ sheet, want string }{
		{"2a) Domestic Linehaul Prices", "'2a) Domestic Linehaul Prices'!AM24"},
		{"3e) Non-Standard Loc'n Prices", "'3e) Non-Standard Loc''n Prices'!AM24"},
		{"Sheet1", "Sheet1!AM24"},
		{"_data.v2", "_data.v2!AM24"},
		{"2024", "'2024'!AM24"},
		{"AB12", "'AB12'!AM24"},
		{"R1C1", "'R1C1'!AM24"},
		{"rc", "'rc'!AM24"},
		{"Prices-2", "'Prices-2'!AM24"},
		{"Zürich", "'Zürich'!AM24"},
	} {
		if got := ExcelRef(c.sheet, "AM24"); got != c.want {
			t.Errorf("ExcelRef(%q) = %s, want %s", c.sheet, got, c.want)
		}
	}
	if got := (Location{Sheet: sheet2a, Column: "G"}).Ref(); got != "" {
		t.Errorf("Ref without a row = %q", got)
	}
	if got := (Location{Sheet: sheet2a, Row: 24, Key: "service area 452"}).String(); got != "'2a) Domestic Linehaul Prices'!24:24" {
		t.Errorf("a location without a column = %q, want the whole row", got)
	}
}

func TestColumnName(t *testing.T) {
	for col, want := range map[int]string{1: "A", 7: "G", 26: "Z", 27: "AA", 67: "BO", 702: "ZZ", 703: "AAA", 0: ""} {
		if got := columnName(col); got != want {
			t.Errorf("columnName(%d) = %q, want %q", col, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"html": FormatHTML, "MD": FormatMarkdown, "markdown": FormatMarkdown, "json": FormatJSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("pdf"); err == nil {
		t.Error("ParseFormat(pdf) succeeded")
	}
}

func TestPreviousContract(t *testing.T) {
	day := func(y int) *time.Time { d := time.Date(y, 2, 1, 0, 0, 0, 0, time.UTC); return &d }
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	list := []contractOrder{
		{code: "X", imported: at(3)}, // no contract years: after every dated contract
		{code: "C", start: day(2022), imported: at(4)},
		{code: "A", start: day(2021), imported: at(2)},
		{code: "B", start: day(2022), imported: at(1)},
		{code: "Y", imported: at(5)},
	}
	for code, want := range map[string]string{"A": "", "B": "A", "C": "B", "X": "C", "Y": "X"} {
		got, c := previousOf(list, code)
		rule := ComparePrevious
		if want == "" {
			rule = CompareEarliest
		}
		if got != want || c.rule != rule || c.reason == "" {
			t.Errorf("previous of %s = %q (%s: %s), want %q (%s)", code, got, c.rule, c.reason, want, rule)
		}
	}
	if c := requestedComparison(list, "A", "C"); c.rule != CompareRequested || !strings.Contains(c.reason, "newer than A") {
		t.Errorf("requesting a newer contract: %+v", c)
	}
	if c := requestedComparison(list, "C", "A"); strings.Contains(c.reason, "newer") {
		t.Errorf("requesting an older contract: %+v", c)
	}
}
