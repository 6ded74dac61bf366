package report

import (
	"regexp"
	"strconv"
	"strings"
)

// Workbook tab names (docs/ghc-pricing-template.md, 1.1).
const (
	sheet2a = "2a) Domestic Linehaul Prices"
	sheet2b = "2b) Dom. Service Area Prices"
	sheet2c = "2c) Other Domestic Prices"
	sheet3a = "3a) OCONUS to OCONUS Prices"
	sheet3b = "3b) CONUS to OCONUS Prices"
	sheet3c = "3c) OCONUS to CONUS Prices"
	sheet3d = "3d) Other International Prices"
	sheet3e = "3e) Non-Standard Loc'n Prices"
	sheet4a = "4a) Mgmt., Coun., Trans. Prices"
	sheet5a = "5a) Access. and Add. Prices"
	sheet5b = "5b) Price Escalation Discount"
)

// Source identifies one workbook table whose rows an import records
// (pricing_import_sources; the staging tables of the latest import).
type Source string

// Workbook tables with staged source rows.
const (
	Src2a         Source = "2a"            // key: service area
	Src2b         Source = "2b"            // key: service area
	Src2cPack     Source = "2c pack"       // key: schedule, service provided
	Src2cSIT      Source = "2c sit"        // key: schedule
	Src3a         Source = "3a"            // key: origin, destination
	Src3b         Source = "3b"            // key: origin, destination
	Src3c         Source = "3c"            // key: origin, destination
	Src3d         Source = "3d"            // key: rate-area code
	Src3e         Source = "3e"            // key: origin, destination
	Src4aMS       Source = "4a ms"         // key: contract year
	Src4aCS       Source = "4a cs"         // key: contract year
	Src4aTrans    Source = "4a transition" // no key
	Src5aDom      Source = "5a domestic"   // key: schedule, service provided
	Src5aIntl     Source = "5a intl"       // key: market (C/O), service provided
	Src5aAddition Source = "5a additional" // key: market (C/O), shipment type
	Src5b         Source = "5b"            // key: contract year
)

// SourceKey is a workbook row's natural key within its table.
type SourceKey struct {
	Source Source
	A, B   string
}

// Sources maps workbook row keys to Excel row numbers.
type Sources map[SourceKey]int

// Location is where a value sits in the workbook.
type Location struct {
	Sheet  string
	Column string // Excel column letters; "" when unknown
	Row    int    // Excel row; 0 when unknown
	Key    string // the row's key, named when Row is unknown
}

// Cell returns the A1 cell, or "" when the row or column is unknown.
func (l Location) Cell() string {
	if l.Row == 0 || l.Column == "" {
		return ""
	}
	return l.Column + strconv.Itoa(l.Row)
}

// Ref returns the location as a reference Excel's Name Box (and its
// formulas) accept: the cell, e.g. '2a) Domestic Linehaul Prices'!AM24, or
// the whole row, e.g. '2a) Domestic Linehaul Prices'!24:24, when only the
// row is known; "" when the row is not known.
func (l Location) Ref() string {
	switch {
	case l.Row <= 0:
		return ""
	case l.Column == "":
		r := strconv.Itoa(l.Row)
		return ExcelRef(l.Sheet, r+":"+r)
	}
	return ExcelRef(l.Sheet, l.Cell())
}

// plainSheetName matches sheet names Excel writes without quotes.
var (
	plainSheetName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
	// looksLikeCell matches names Excel would read as an A1 or R1C1
	// reference, which it quotes although they are plain.
	looksLikeCell = regexp.MustCompile(`^(?i:[a-z]{1,3}[0-9]+|r[0-9]*c?[0-9]*|c[0-9]*)$`)
)

// ExcelRef returns the reference of cell on sheet as Excel writes it: the
// sheet name quoted with ' unless it is a plain name (letters, digits,
// underscores and periods, not starting with a digit, not itself a cell
// reference), embedded quotes doubled.
func ExcelRef(sheet, cell string) string {
	if plainSheetName.MatchString(sheet) && !looksLikeCell.MatchString(sheet) {
		return sheet + "!" + cell
	}
	return "'" + strings.ReplaceAll(sheet, "'", "''") + "'!" + cell
}

// String renders the location as its Excel reference (see Ref), or as
// "sheet, column X, row of KEY" when the row is not known.
func (l Location) String() string {
	if r := l.Ref(); r != "" {
		return r
	}
	s := l.Sheet
	if l.Column != "" {
		s += ", column " + l.Column
	}
	if l.Key != "" {
		s += ", row of " + l.Key
	}
	return s
}

// columnName returns the Excel letters of a 1-based column number.
func columnName(col int) string {
	if col <= 0 {
		return ""
	}
	var b []byte
	for col > 0 {
		col--
		b = append([]byte{byte('A' + col%26)}, b...)
		col /= 26
	}
	return string(b)
}

// Fixed 2a bands (lower bounds) in column order.
var (
	weightLowers = []int32{500, 5000, 10000}
	milesLowers  = []int32{0, 251, 501, 1001, 1501, 2001, 2501, 3001, 3501, 4001}
)

// 2b column offsets within a season group, by service.
var offsets2b = map[string]int{"DSH": 0, "DOP": 1, "DDP": 1, "DOFSIT": 4, "DDFSIT": 4, "DOASIT": 5, "DDASIT": 5}

// 3d column offsets within a season group, by service.
var offsets3d = map[string]int{
	"IHPK": 0, "IHUPK": 1, "IUBPK": 2, "IUBUPK": 3,
	"IOFSIT": 4, "IDFSIT": 4, "IOASIT": 5, "IDASIT": 5, "IOPSIT": 6, "IDDSIT": 7,
}

// serviceProvided is the 2c and 5a "service provided" text of a service.
var serviceProvided = map[string]string{
	"DPK": "Packing (per cwt)", "DUPK": "Unpack (per cwt)",
	"DCRT": "Crating (per cubic ft.)", "DCRTSA": "Crating (per cubic ft.)", "ICRT": "Crating (per cubic ft.)",
	"DUCRT": "Uncrating (per cubic ft.)", "IUCRT": "Uncrating (per cubic ft.)",
	"DDSHUT": "Shuttle Service (per cwt)", "DOSHUT": "Shuttle Service (per cwt)",
	"IDSHUT": "Shuttle Service (per cwt)", "IOSHUT": "Shuttle Service (per cwt)",
	"DMHF": "Mobile Homes", "DBTF": "Tow Away Boat Service", "IBTF": "Tow Away Boat Service",
	"DBHF": "Haul Away Boat Service", "IBHF": "Haul Away Boat Service",
	"DNPK": "NTS Packing Factor", "INPK": "NTS Packing Factor",
}

// intlSource returns the sheet of an international price by the kinds of
// its origin and destination (3a–3c), 3e when an NSRA is involved.
func intlSource(o, d AreaKind) (Source, string) {
	switch {
	case o == KindNSRA || d == KindNSRA:
		return Src3e, sheet3e
	case o == KindOconus && d == KindOconus:
		return Src3a, sheet3a
	case o == KindDomestic && d == KindOconus:
		return Src3b, sheet3b
	case o == KindOconus && d == KindDomestic:
		return Src3c, sheet3c
	}
	return "", ""
}

// locate maps a price to its workbook cell, using the fixed column layout
// of the format spec and the recorded source row of its key. Without a
// recorded row it returns the sheet, column and key.
func locate(k Key, kinds map[string]AreaKind, src Sources) Location {
	l, sk := place(k, kinds)
	l.Row = src[sk]
	return l
}

// place returns the sheet, column and key of a price's workbook location
// and the key of its workbook row.
func place(k Key, kinds map[string]AreaKind) (Location, SourceKey) {
	peak := k.Season == Peak
	seasonCol := func(nonPeak, peakCol int) int {
		if peak {
			return peakCol
		}
		return nonPeak
	}
	var (
		sk    SourceKey
		sheet string
		col   int
		key   string
	)
	switch k.Table {
	case Linehaul:
		sheet, sk, key = sheet2a, SourceKey{Src2a, k.Area, ""}, "service area "+k.Area
		b, m := indexOf(weightLowers, k.WeightLower), indexOf(milesLowers, k.MilesLower)
		if b >= 0 && m >= 0 {
			col = 7 + 31*boolInt(peak) + 10*b + m
		}
	case ServiceAreaPrices:
		sheet, sk, key = sheet2b, SourceKey{Src2b, k.Area, ""}, "service area "+k.Area
		if off, ok := offsets2b[k.Service]; ok {
			col = seasonCol(7, 15) + off
		}
	case OtherDomestic:
		sheet, col, key = sheet2c, seasonCol(5, 6), "schedule "+k.Area
		if k.Service == "DPK" || k.Service == "DUPK" {
			sk = SourceKey{Src2cPack, k.Area, serviceProvided[k.Service]}
			key += " " + serviceProvided[k.Service]
		} else {
			sk = SourceKey{Src2cSIT, k.Area, ""}
			key = "SIT " + key
		}
	case Intl:
		var s Source
		s, sheet = intlSource(kinds[k.Area], kinds[k.Dest])
		sk, key = SourceKey{s, k.Area, k.Dest}, k.Area+" → "+k.Dest
		first := 7 // G
		if s == Src3e {
			first = 8 // H
		}
		if k.Service == "UBP" {
			first++
		}
		col = first + 3*boolInt(peak)
	case IntlOther:
		sheet, sk, key = sheet3d, SourceKey{Src3d, k.Area, ""}, k.Area
		if off, ok := offsets3d[k.Service]; ok {
			col = seasonCol(5, 14) + off
		}
	case TaskOrderFees:
		sheet, col, key = sheet4a, 4, k.Service+" "+k.Area
		sk = SourceKey{Src4aMS, k.Area, ""}
		if k.Service == "CS" {
			sk.Source = Src4aCS
		}
	case Transition:
		sheet, col, sk, key = sheet4a, 4, SourceKey{Src4aTrans, "", ""}, "the transition price"
	case DomAccessorial:
		sheet, col = sheet5a, 5
		sk = SourceKey{Src5aDom, k.Area, serviceProvided[k.Service]}
		key = "schedule " + k.Area + " " + serviceProvided[k.Service]
	case IntlAccessorial:
		sheet, col = sheet5a, 5
		sk = SourceKey{Src5aIntl, k.Area, serviceProvided[k.Service]}
		key = marketName(k.Area) + " " + serviceProvided[k.Service]
	case ShipmentType:
		sheet, col = sheet5a, 5
		sk = SourceKey{Src5aAddition, k.Area, serviceProvided[k.Service]}
		key = marketName(k.Area) + " " + serviceProvided[k.Service]
	}
	return Location{Sheet: sheet, Column: columnName(col), Key: key}, sk
}

// locateEscalation maps a contract year's escalation to 5b column K.
func locateEscalation(year string, src Sources) Location {
	return Location{Sheet: sheet5b, Column: "K", Row: src[SourceKey{Src5b, year, ""}], Key: year}
}

func indexOf(list []int32, v int32) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
