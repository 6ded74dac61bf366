package report

import (
	"fmt"
	"strconv"
	"strings"
)

// Table identifies one rate-engine price table.
type Table int

// The rate-engine price tables, in report order.
const (
	Linehaul          Table = iota // re_domestic_linehaul_prices (2a)
	ServiceAreaPrices              // re_domestic_service_area_prices (2b)
	OtherDomestic                  // re_domestic_other_prices (2c)
	Intl                           // re_intl_prices (3a, 3b, 3c, 3e)
	IntlOther                      // re_intl_other_prices (3d)
	TaskOrderFees                  // re_task_order_fees (4a)
	Transition                     // re_contract_transition_prices (4a)
	DomAccessorial                 // re_domestic_accessorial_prices (5a)
	IntlAccessorial                // re_intl_accessorial_prices (5a)
	ShipmentType                   // re_shipment_type_prices (5a)
	numTables
)

// Unit is the minor unit a table stores its values in.
type Unit string

// Units of stored values.
const (
	Millicents Unit = "millicents" // 1/100,000 dollar (2a)
	Cents      Unit = "cents"      // 1/100 dollar
	Hundredths Unit = "hundredths" // a factor times 100 (5a shipment types)
)

type tableInfo struct {
	name     string
	unit     Unit
	seasonal bool
}

var tables = [numTables]tableInfo{
	Linehaul:          {"re_domestic_linehaul_prices", Millicents, true},
	ServiceAreaPrices: {"re_domestic_service_area_prices", Cents, true},
	OtherDomestic:     {"re_domestic_other_prices", Cents, true},
	Intl:              {"re_intl_prices", Cents, true},
	IntlOther:         {"re_intl_other_prices", Cents, true},
	TaskOrderFees:     {"re_task_order_fees", Cents, false},
	Transition:        {"re_contract_transition_prices", Cents, false},
	DomAccessorial:    {"re_domestic_accessorial_prices", Cents, false},
	IntlAccessorial:   {"re_intl_accessorial_prices", Cents, false},
	ShipmentType:      {"re_shipment_type_prices", Hundredths, false},
}

// String returns the table's name in the database.
func (t Table) String() string {
	if t < 0 || t >= numTables {
		return "table(" + strconv.Itoa(int(t)) + ")"
	}
	return tables[t].name
}

// Unit returns the minor unit of the table's values.
func (t Table) Unit() Unit { return tables[t].unit }

// Season values of a price; prices of tables without seasons have NoSeason.
const (
	NoSeason = ""
	NonPeak  = "NonPeak"
	Peak     = "Peak"
)

// Key identifies a price within a contract by its natural key, independent
// of database ids, so prices of two contracts can be matched.
type Key struct {
	Table   Table
	Service string // service code; "" for linehaul and transition
	Season  string // NonPeak, Peak or NoSeason
	// Area is the service area (2a, 2b), schedule (2c, 5a domestic), origin
	// rate-area code (3a–3e), rate-area code (3d), contract-year name (4a) or
	// market C/O (5a international and shipment types).
	Area string
	Dest string // destination rate-area code (3a–3e)
	// Linehaul bounds (2a only).
	WeightLower, WeightUpper, MilesLower, MilesUpper int32
}

// Price is one stored price (or factor) with its natural key.
type Price struct {
	Key
	Value int64 // in Key.Table.Unit()
}

// Group returns the key's service group: the table and service, the unit
// for statistics and diff distributions.
func (k Key) Group() string {
	if k.Service == "" {
		return k.Table.String()
	}
	return k.Table.String() + " " + k.Service
}

// Label renders the key for people, e.g.
// "SA 452 · 5000–9999 lb · 2501–3000 mi · NonPeak".
func (k Key) Label() string {
	var parts []string
	if k.Service != "" {
		parts = append(parts, k.Service)
	}
	switch k.Table {
	case Linehaul:
		parts = append(parts, "SA "+k.Area,
			fmt.Sprintf("%d–%d lb", k.WeightLower, k.WeightUpper),
			fmt.Sprintf("%d–%d mi", k.MilesLower, k.MilesUpper))
	case ServiceAreaPrices:
		parts = append(parts, "SA "+k.Area)
	case OtherDomestic, DomAccessorial:
		parts = append(parts, "schedule "+k.Area)
	case Intl:
		parts = append(parts, k.Area+" → "+k.Dest)
	case IntlOther, TaskOrderFees:
		parts = append(parts, k.Area)
	case Transition:
		parts = append(parts, "transition")
	case IntlAccessorial, ShipmentType:
		parts = append(parts, marketName(k.Area))
	}
	if k.Season != NoSeason {
		parts = append(parts, k.Season)
	}
	return strings.Join(parts, " · ")
}

// String is a compact, unique rendering of the key; the sample picks the
// prices with the smallest FNV-1a hash of contract code, "|" and this text
// (computed without building it, see keyHash).
func (k Key) String() string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d|%d|%d|%d", k.Table, k.Service, k.Season, k.Area, k.Dest,
		k.WeightLower, k.WeightUpper, k.MilesLower, k.MilesUpper)
}

func marketName(m string) string {
	switch m {
	case "C":
		return "CONUS"
	case "O":
		return "OCONUS"
	}
	return "market " + m
}

// FormatValue renders a stored value as the workbook shows it: dollars with
// three decimals for millicents, two for cents, a plain two-decimal number
// for factors.
func FormatValue(v int64, u Unit) string {
	switch u {
	case Millicents:
		return "$" + decimal(v, 5, 3)
	case Cents:
		return "$" + decimal(v, 2, 2)
	default:
		return decimal(v, 2, 2)
	}
}

// decimal renders v / 10^scale with shown decimals (shown <= scale),
// truncating digits that are always zero in stored data.
func decimal(v int64, scale, shown int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for len(s) <= scale {
		s = "0" + s
	}
	out := s[:len(s)-scale] + "." + s[len(s)-scale:len(s)-scale+shown]
	if rest := strings.TrimRight(s[len(s)-scale+shown:], "0"); rest != "" {
		out = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// serviceNames describes the service codes the price tables use.
var serviceNames = map[string]string{
	"":       "domestic linehaul",
	"DSH":    "domestic shorthaul",
	"DOP":    "domestic origin price",
	"DDP":    "domestic destination price",
	"DOFSIT": "domestic origin 1st day SIT",
	"DDFSIT": "domestic destination 1st day SIT",
	"DOASIT": "domestic origin add'l days SIT",
	"DDASIT": "domestic destination add'l days SIT",
	"DPK":    "domestic packing",
	"DUPK":   "domestic unpacking",
	"DOPSIT": "domestic origin SIT pickup",
	"DDDSIT": "domestic destination SIT delivery",
	"DCRT":   "domestic crating",
	"DCRTSA": "domestic crating – standalone",
	"DUCRT":  "domestic uncrating",
	"DDSHUT": "domestic destination shuttle",
	"DOSHUT": "domestic origin shuttle",
	"ISLH":   "international shipping & linehaul",
	"UBP":    "international UB price",
	"IHPK":   "international HHG pack",
	"IHUPK":  "international HHG unpack",
	"IUBPK":  "international UB pack",
	"IUBUPK": "international UB unpack",
	"IOFSIT": "international origin 1st day SIT",
	"IDFSIT": "international destination 1st day SIT",
	"IOASIT": "international origin add'l days SIT",
	"IDASIT": "international destination add'l days SIT",
	"IOPSIT": "international origin SIT pickup (≤50 mi)",
	"IDDSIT": "international destination SIT delivery (>50 mi)",
	"ICRT":   "international crating",
	"IUCRT":  "international uncrating",
	"IDSHUT": "international destination shuttle",
	"IOSHUT": "international origin shuttle",
	"MS":     "shipment management services",
	"CS":     "counseling services",
	"DMHF":   "domestic mobile home factor",
	"DBTF":   "domestic tow away boat factor",
	"IBTF":   "international tow away boat factor",
	"DBHF":   "domestic haul away boat factor",
	"IBHF":   "international haul away boat factor",
	"DNPK":   "domestic NTS packing factor",
	"INPK":   "international NTS packing factor",
}

// serviceName describes a price's service; the transition price has none.
func serviceName(t Table, code string) string {
	if t == Transition {
		return "transition price"
	}
	if n, ok := serviceNames[code]; ok {
		return n
	}
	return code
}
