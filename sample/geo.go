package sample

// This file holds the fixed, seed-independent vocabulary of a sample
// workbook: tab names, rate areas, contract years and the zip3 → state map.

// Data sheet names, exactly as the template spells them.
const (
	SheetServiceAreas       = "1b) Service Areas"
	SheetDomesticLinehaul   = "2a) Domestic Linehaul Prices"
	SheetServiceAreaPrices  = "2b) Dom. Service Area Prices"
	SheetOtherDomestic      = "2c) Other Domestic Prices"
	SheetOconusToOconus     = "3a) OCONUS to OCONUS Prices"
	SheetConusToOconus      = "3b) CONUS to OCONUS Prices"
	SheetOconusToConus      = "3c) OCONUS to CONUS Prices"
	SheetOtherIntl          = "3d) Other International Prices"
	SheetNonStandard        = "3e) Non-Standard Loc'n Prices"
	SheetManagement         = "4a) Mgmt., Coun., Trans. Prices"
	SheetAccessorials       = "5a) Access. and Add. Prices"
	SheetEscalationDiscount = "5b) Price Escalation Discount"
)

// SheetNames lists the 36 tabs of a template in workbook order.
var SheetNames = [36]string{
	"Guide to Pricing Rate Table",
	"Total Evaluated Price",
	"Submission Checklist",
	"1a) Directions",
	SheetServiceAreas,
	"Domestic Price Tabs >>>",
	SheetDomesticLinehaul,
	SheetServiceAreaPrices,
	SheetOtherDomestic,
	"International Prices Tables >>>",
	SheetOconusToOconus,
	SheetConusToOconus,
	SheetOconusToConus,
	SheetOtherIntl,
	SheetNonStandard,
	"Other Price Tables",
	SheetManagement,
	SheetAccessorials,
	SheetEscalationDiscount,
	"Domestic Linehaul Data",
	"Domestic Move Count",
	"Domestic Avg Weight",
	"Domestic Avg Milage",
	"Domestic Price Calculation >>>",
	"Domestic Linehaul Calculation",
	"Domestic SA Price Calculation",
	"NTS Packing Calculation",
	"Int'l Price Calculation >>>",
	"OCONUS to OCONUS Calculation",
	"CONUS to OCONUS Calculation",
	"OCONUS to CONUS Calculation",
	"Other Int'l Prices Calculation",
	"Non-Standard Loc'n Calculation",
	"Other Calculations >>>",
	"Mgmt., Coun., Trans., Calc",
	"Access. and Add. Calculation",
}

// firstHiddenSheet is the 0-based index from which the calculation tabs are
// hidden (they are counted in positions but not shown, as in real templates).
const firstHiddenSheet = 19

// area is a fixed rate area: code and name.
type area struct{ code, name string }

// domesticAreas are the 53 domestic price areas (PPDRA), in 3b order.
var domesticAreas = []area{
	{"US11", "Maine"}, {"US12", "New Hampshire"}, {"US13", "Vermont"},
	{"US14", "Massachusetts"}, {"US15", "Rhode Island"}, {"US16", "Connecticut"},
	{"US21", "New York"}, {"US22", "New Jersey"}, {"US23", "Pennsylvania"},
	{"US24", "Delaware"}, {"US25", "Maryland"}, {"US26", "District of Columbia"},
	{"US27", "Virginia"}, {"US28", "West Virginia"},
	{"US31", "Ohio"}, {"US32", "Indiana"}, {"US33", "Michigan"}, {"US34", "Illinois"},
	{"US35", "Wisconsin"}, {"US36", "Kentucky"},
	{"US41", "North Carolina"}, {"US42", "South Carolina"}, {"US43", "Georgia"},
	{"US44", "Tennessee"}, {"US45", "Alabama"}, {"US46", "Mississippi"},
	{"US49", "Florida"}, {"US4964400", "Florida-South"}, {"US4965500", "Florida Keys"},
	{"US51", "Minnesota"}, {"US52", "Iowa"}, {"US53", "Missouri"}, {"US54", "North Dakota"},
	{"US55", "South Dakota"}, {"US56", "Nebraska"}, {"US57", "Kansas"},
	{"US61", "Arkansas"}, {"US62", "Louisiana"}, {"US63", "Oklahoma"},
	{"US66", "Texas-South"}, {"US68", "Texas-North"},
	{"US71", "Montana"}, {"US72", "Wyoming"}, {"US73", "Colorado"}, {"US74", "New Mexico"},
	{"US75", "Idaho"}, {"US76", "Utah"}, {"US77", "Arizona"}, {"US78", "Nevada"},
	{"US81", "Washington"}, {"US82", "Oregon"},
	{"US87", "California-North"}, {"US88", "California-South"},
}

// stateArea maps a state to the code of its domestic price area. Florida,
// Texas and California have several areas; zip3Area refines them.
var stateArea = map[string]string{
	"ME": "US11", "NH": "US12", "VT": "US13", "MA": "US14", "RI": "US15", "CT": "US16",
	"NY": "US21", "NJ": "US22", "PA": "US23", "DE": "US24", "MD": "US25", "DC": "US26",
	"VA": "US27", "WV": "US28", "OH": "US31", "IN": "US32", "MI": "US33", "IL": "US34",
	"WI": "US35", "KY": "US36", "NC": "US41", "SC": "US42", "GA": "US43", "TN": "US44",
	"AL": "US45", "MS": "US46", "FL": "US49", "MN": "US51", "IA": "US52", "MO": "US53",
	"ND": "US54", "SD": "US55", "NE": "US56", "KS": "US57", "AR": "US61", "LA": "US62",
	"OK": "US63", "TX": "US68", "MT": "US71", "WY": "US72", "CO": "US73", "NM": "US74",
	"ID": "US75", "UT": "US76", "AZ": "US77", "NV": "US78", "WA": "US81", "OR": "US82",
	"CA": "US88",
}

// oconusAreas are the 52 OCONUS rate areas (PPIRA) of the 1b international list.
var oconusAreas = []area{
	{"US8101000", "Alaska (Zone) I"}, {"US8102000", "Alaska (Zone) II"},
	{"US8103000", "Alaska (Zone) III"}, {"US8104000", "Alaska (Zone) IV"},
	{"US8105000", "Alaska (Zone) V"}, {"US8106000", "Alaska (Zone) VI"},
	{"US8107000", "Alaska (Zone) VII"}, {"US8301000", "Hawaii"},
	{"AR", "Argentina"}, {"AS", "Australia"}, {"AU", "Austria"}, {"BA", "Bahrain"},
	{"BE", "Belgium"}, {"BR", "Brazil"}, {"CE", "Sri Lanka"}, {"CH", "China"},
	{"CO", "Colombia"}, {"DA", "Denmark"}, {"EG", "Egypt"}, {"FR", "France"},
	{"GE", "Germany"}, {"GR", "Greece"}, {"GU", "Guam"}, {"HO", "Honduras"},
	{"HU", "Hungary"}, {"IC", "Iceland"}, {"IN", "India"}, {"IT", "Italy"},
	{"JA", "Japan"}, {"KS", "Korea, South"}, {"KU", "Kuwait"}, {"NL", "Netherlands"},
	{"NO", "Norway"}, {"NZ", "New Zealand"}, {"PE", "Peru"}, {"PL", "Poland"},
	{"PO", "Portugal"}, {"PR", "Puerto Rico"}, {"QA", "Qatar"}, {"RO", "Romania"},
	{"SA", "Saudi Arabia"}, {"SN", "Singapore"}, {"SP", "Spain"}, {"SW", "Sweden"},
	{"SZ", "Switzerland"}, {"TH", "Thailand"}, {"TU", "Turkey"}, {"UK", "United Kingdom"},
	{"VM", "Vietnam"}, {"CS", "Costa Rica"}, {"EZ", "Czech Republic"}, {"BU", "Bulgaria"},
}

// nsraAreas are the 15 non-standard rate areas.
var nsraAreas = []area{
	{"NSRA1", "Canada West"}, {"NSRA2", "Canada Central"}, {"NSRA3", "Canada East"},
	{"NSRA4", "Mexico North"}, {"NSRA5", "Mexico South"}, {"NSRA6", "Greenland"},
	{"NSRA7", "Caribbean Islands"}, {"NSRA8", "Central America"},
	{"NSRA9", "South Pacific Islands"}, {"NSRA10", "Micronesia"},
	{"NSRA11", "Africa - Remote Areas"}, {"NSRA12", "Middle East - Remote Areas"},
	{"NSRA13", "Central Asia"}, {"NSRA14", "Antarctica Stations"}, {"NSRA15", "Alaska"},
}

// nsraOtherNames are the names 3d uses where they differ from 1b's.
var nsraOtherNames = map[string]string{"NSRA15": "Alaska - All other areas"}

// ContractYears are the contract-year names of 4a and 5b, in 5b order.
var ContractYears = [8]string{
	"Base Period Year 1", "Base Period Year 2", "Base Period Year 3",
	"Option Period 1", "Option Period 2", "Award Term 1", "Award Term 2", "Option Period 3",
}

// escalations are the 5b escalation factors in units of 1/100,000 (1.0206 → 102060).
var escalations = [8]int64{100000, 102060, 101970, 102140, 102110, 101990, 101940, 102020}

// TransitionYear is the "year" text of the 4a transition row.
const TransitionYear = "One-time Amount (applied in Base Period Year 1)"

// zip3State gives, for each zip3 range start, its state; "" marks zip3s that
// are never domestic service-area zip3s (unused, military or OCONUS). A range
// runs to the next start.
var zip3State = []struct {
	from  int
	state string
}{
	{0, ""}, {5, "NY"}, {6, ""}, {10, "MA"}, {28, "RI"}, {30, "NH"}, {39, "ME"},
	{50, "VT"}, {55, "MA"}, {56, "VT"}, {60, "CT"}, {70, "NJ"}, {90, ""},
	{100, "NY"}, {150, "PA"}, {197, "DE"}, {200, "DC"}, {206, "MD"}, {220, "VA"},
	{247, "WV"}, {270, "NC"}, {290, "SC"}, {300, "GA"}, {320, "FL"}, {340, ""},
	{341, "FL"}, {350, "AL"}, {370, "TN"}, {386, "MS"}, {398, "GA"}, {400, "KY"},
	{430, "OH"}, {460, "IN"}, {480, "MI"}, {500, "IA"}, {530, "WI"}, {550, "MN"},
	{569, "DC"}, {570, "SD"}, {580, "ND"}, {590, "MT"}, {600, "IL"}, {630, "MO"},
	{660, "KS"}, {680, "NE"}, {700, "LA"}, {716, "AR"}, {730, "OK"}, {750, "TX"},
	{800, "CO"}, {820, "WY"}, {832, "ID"}, {840, "UT"}, {850, "AZ"}, {870, "NM"},
	{885, "TX"}, {889, "NV"}, {900, "CA"}, {962, ""}, {970, "OR"}, {980, "WA"},
	{995, ""},
}

// stateOf returns the state of a zip3, or "" when it is not a domestic zip3.
func stateOf(zip3 int) string {
	s := ""
	for _, r := range zip3State {
		if r.from > zip3 {
			break
		}
		s = r.state
	}
	return s
}

// zip3Area returns the domestic price-area code a zip3 maps to by geography.
func zip3Area(zip3 int) string {
	switch {
	case zip3 == 330:
		return "US4965500"
	case zip3 == 331 || zip3 == 332:
		return "US4964400"
	case zip3 >= 770 && zip3 <= 799, zip3 == 885:
		return "US66"
	case zip3 >= 936 && zip3 <= 961:
		return "US87"
	}
	return stateArea[stateOf(zip3)]
}

// multiAreaZip3s are the zip3s that span several rate areas (code ZIP in the
// reference CSV), with the two codes their zip5 lines use.
var multiAreaZip3s = []struct {
	zip3  int
	codes [2]string
}{
	{321, [2]string{"US49", "US4964400"}}, {327, [2]string{"US49", "US4964400"}},
	{344, [2]string{"US49", "US4964400"}},
	{757, [2]string{"US68", "US66"}}, {758, [2]string{"US68", "US66"}},
	{759, [2]string{"US68", "US66"}}, {765, [2]string{"US68", "US66"}},
	{766, [2]string{"US68", "US66"}}, {768, [2]string{"US68", "US66"}},
	{769, [2]string{"US68", "US66"}}, {786, [2]string{"US66", "US68"}},
	{788, [2]string{"US66", "US68"}},
	{923, [2]string{"US88", "US87"}}, {932, [2]string{"US87", "US88"}},
	{935, [2]string{"US88", "US87"}},
}

// refinedZip3s are zip3s with a single rate area whose zip5 lines still
// refine some of their zip5s.
var refinedZip3s = []struct {
	zip3  int
	codes [2]string
}{
	{331, [2]string{"US4964400", "US49"}}, {332, [2]string{"US4964400", "US49"}},
}

// pinnedServiceArea is a service area whose rows and schedules are fixed
// (the examples of the format specification).
type pinnedServiceArea struct {
	number              int
	name                string
	schedule, sitSched  int
	rows                []pinnedRow
	linehaulPins        map[[2]int]int64 // NonPeak (band, range) → thousandths of a dollar
	linehaulBase        int64            // thousandths of a dollar at 0–250 miles, lightest band
	servicePricesCents  *[2][7]int64     // 2b NonPeak/Peak groups, when pinned
	serviceNonPeakCents *[7]int64        // 2b NonPeak only, when pinned
}

// pinnedRow is one fixed 1b domestic row.
type pinnedRow struct {
	city, state string
	zip3s       []int
}

// pinnedServiceAreas are the service areas the specification quotes.
var pinnedServiceAreas = []pinnedServiceArea{
	{
		number: 4, name: "Birmingham, AL", schedule: 2, sitSched: 2,
		rows:         []pinnedRow{{"Birmingham", "AL", []int{350, 351, 352}}},
		linehaulBase: 2477,
		linehaulPins: map[[2]int]int64{{0, 0}: 2477, {0, 1}: 2727},
		servicePricesCents: &[2][7]int64{
			{127, 689, 6112, 633, 1931, 68, 19877},
			{146, 792, 7029, 728, 2221, 78, 22859},
		},
	},
	{
		number: 8, name: "Dothan, AL", schedule: 1, sitSched: 2,
		rows:                []pinnedRow{{"Dothan", "AL", []int{363}}},
		linehaulBase:        1850,
		serviceNonPeakCents: &[7]int64{12, 473, 5890, 571, 1482, 46, 20105},
	},
	{
		number: 56, name: "Alhambra, CA", schedule: 3, sitSched: 3,
		rows:         []pinnedRow{{"Alhambra", "CA", []int{918}}},
		linehaulBase: 3120,
	},
	{
		number: 452, name: "Springfield, MO", schedule: 2, sitSched: 1,
		rows: []pinnedRow{
			{"Butler", "MO", []int{647}}, {"Neosho", "MO", []int{648}},
			{"Springfield", "MO", []int{656, 657, 658}},
		},
		linehaulBase: 2546,
		linehaulPins: map[[2]int]int64{{1, 6}: 7456},
	},
	{
		number: 612, name: "Akron, OH", schedule: 1, sitSched: 1,
		rows:         []pinnedRow{{"Akron", "OH", []int{442, 443}}},
		linehaulBase: 2210,
	},
	{
		number: 672, name: "Abbottstown, PA", schedule: 2, sitSched: 3,
		rows:         []pinnedRow{{"Abbottstown", "PA", []int{173}}},
		linehaulBase: 2380,
	},
}

// citySyllables build synthetic base-point city names.
var (
	cityPrefixes = []string{
		"Ash", "Bell", "Cedar", "Clear", "Deer", "Eagle", "Elm", "Fair", "Fox", "Glen",
		"Green", "Hazel", "High", "Lake", "Lin", "Maple", "Mill", "North", "Oak", "Pine",
		"Red", "River", "Rock", "Rose", "Salt", "Silver", "South", "Spring", "Stone", "Sun",
		"West", "White", "Wild", "Wood", "Brook", "Cole", "Dun", "Har", "Mar", "Wel",
	}
	citySuffixes = []string{
		"field", "ford", "ton", "ville", "burg", "wood", "dale", "port", "view", "mont",
		"haven", "brook", "crest", "ridge", "land", "side", "stead", "worth", "bury", "chester",
	}
	cityQualifiers = []string{"New ", "East ", "Port ", "Mount ", "Fort "}
)
