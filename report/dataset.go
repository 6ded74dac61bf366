package report

import (
	"strings"
	"time"
)

// Dataset is everything the report needs to know about one contract, as
// read from the database by Load. Analyze works on Datasets only, so tests
// can build them directly.
type Dataset struct {
	Code      string
	Name      string
	CreatedAt time.Time
	Import    *ImportLog // the contract's latest import log entry; nil when none
	importID  [16]byte   // id of Import as Load read it
	Years     []Year     // in start-date order (the 5b row order)
	// ServiceAreas are the domestic service-area numbers (3 digits).
	ServiceAreas []string
	RateAreas    []RateArea
	Zip3s        []Zip3
	Zip5s        []string // zip5 codes of re_zip5_rate_areas
	// Prices are the prices of a Dataset built by hand. Load leaves them
	// nil: it keeps its prices in compact form (see priceList), since two
	// contracts of over a million prices each would otherwise take most of
	// the report's memory.
	Prices []Price
	packed *priceList // the prices as Load read them, sorted; nil for a hand-built Dataset
	// Sources maps workbook keys to the Excel rows they came from; nil when
	// they are unknown (an import from before imports recorded them, whose
	// staging rows a later import replaced).
	Sources Sources
}

// ImportLog is the part of a pricing_imports row the report shows.
type ImportLog struct {
	WorkbookName   string
	WorkbookSHA256 string
	ToolVersion    string
	Status         string // started, imported, failed or rolled-back
	StartedAt      time.Time
	FinishedAt     *time.Time
	RowCounts      map[string]int64 // table → rows written
}

// Year is one contract year with its escalation factors in 1/100,000.
type Year struct {
	Name       string
	Escalation int64 // 102060 = 1.02060
	Compounded int64
}

// RateArea is one re_rate_areas row.
type RateArea struct {
	Code   string
	Oconus bool
}

// Zip3 is one re_zip3s row with its rate-area code ("" when it has none).
type Zip3 struct {
	Zip3     string
	RateArea string
	Multi    bool // has_multiple_rate_areas
}

// AreaKind classifies a rate area for the international price sheets.
type AreaKind int

// Rate-area kinds.
const (
	KindUnknown  AreaKind = iota
	KindDomestic          // a domestic price area (US11…US88)
	KindOconus            // an OCONUS international rate area
	KindNSRA              // a non-standard rate area (NSRA1…NSRA15)
)

// kindOf classifies a rate area: domestic unless is_oconus; among OCONUS
// areas, the codes starting with "NSRA" are the non-standard rate areas.
func kindOf(a RateArea) AreaKind {
	switch {
	case !a.Oconus:
		return KindDomestic
	case strings.HasPrefix(strings.ToUpper(a.Code), "NSRA"):
		return KindNSRA
	default:
		return KindOconus
	}
}

// priceList returns the contract's prices sorted by key: those Load read,
// else Prices packed.
func (d *Dataset) priceList() priceList {
	if d.packed != nil {
		return *d.packed
	}
	return newPriceList(d.Prices)
}

// areaKinds maps each rate-area code to its kind.
func (d *Dataset) areaKinds() map[string]AreaKind {
	m := make(map[string]AreaKind, len(d.RateAreas))
	for _, a := range d.RateAreas {
		m[a.Code] = kindOf(a)
	}
	return m
}

// areasOf returns the rate-area codes of one kind, in dataset order.
func (d *Dataset) areasOf(k AreaKind) []string {
	var out []string
	for _, a := range d.RateAreas {
		if kindOf(a) == k {
			out = append(out, a.Code)
		}
	}
	return out
}
