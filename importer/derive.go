package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/zipref"
)

// source is where a row came from: a workbook cell, or a line of the
// reference CSV when cell.Sheet is empty.
type source struct {
	cell parser.Cell
	file string
	line int
}

// String renders the location for problems.
func (s source) String() string {
	if s.cell.Sheet != "" {
		return s.cell.String()
	}
	if s.file == "" {
		return ""
	}
	return s.file + ":" + strconv.Itoa(s.line)
}

// cellAt returns the cell in key's sheet and row at column col.
func cellAt(key parser.Cell, col int) parser.Cell {
	return parser.Cell{Sheet: key.Sheet, Col: col, Row: key.Row}
}

// rateArea is one derived re_rate_areas row.
type rateArea struct {
	ID       [16]byte
	IsOconus bool
	Code     string
	Name     string
}

// serviceArea is one derived re_domestic_service_areas row.
type serviceArea struct {
	ID                   [16]byte
	Number               string
	Schedule, SITPDSched int32
}

// zip3 is one derived re_zip3s row.
type zip3 struct {
	ID          [16]byte
	Zip3        string
	City, State string
	ServiceArea [16]byte
	RateArea    *[16]byte // nil: has multiple rate areas
	Src         source
}

// plan holds everything derived before writing: the contract, the lookups
// and the problems found. Price rows are produced on demand by the table
// generators (gens), never held in memory all at once.
type plan struct {
	rec  *parser.Records
	ref  *zipref.Map
	ids  idMaker
	now  time.Time
	code string
	name string

	contractID   [16]byte
	services     map[string][16]byte
	years        []contractYear
	yearIDs      map[string][16]byte
	rateAreas    []rateArea
	domestic     map[string][16]byte
	intl         map[string][16]byte
	serviceAreas []serviceArea
	saIDs        map[string][16]byte
	zip3s        []zip3

	problems []Problem
	warnings []Problem
	reported map[string]bool
}

// problem records a problem once per (sheet or file, message).
func (p *plan) problem(at source, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := at.cell.Sheet + at.file + "\x00" + msg
	if p.reported[key] {
		return
	}
	p.reported[key] = true
	p.problems = append(p.problems, Problem{Location: at.String(), Message: msg})
}

// newPlan derives the contract, its years, the geography and the lookups,
// collecting every problem. services maps re_services codes to ids.
func newPlan(rec *parser.Records, ref *zipref.Map, services map[string][16]byte, opts *Options) *plan {
	cid := ContractID(opts.ContractCode)
	p := &plan{
		rec: rec, ref: ref, now: opts.Now, code: opts.ContractCode, name: opts.ContractName,
		ids: idMaker{contract: cid}, contractID: cid, services: services,
		reported: map[string]bool{},
	}
	p.deriveYears(opts.StartDate)
	p.deriveRateAreas()
	p.deriveServiceAreas()
	p.deriveZip3s()
	return p
}

// deriveYears derives re_contract_years and the name lookup.
func (p *plan) deriveYears(start time.Time) {
	p.years = deriveYears(p.rec.PriceEscalationDiscounts, start)
	p.yearIDs = make(map[string][16]byte, len(p.years))
	maxEsc := int64(10 * 100000)
	for _, y := range p.years {
		at := source{cell: y.Src}
		if _, dup := p.yearIDs[y.Name]; dup {
			p.problem(at, "duplicate contract year %q", y.Name)
			continue
		}
		if y.Escalation.Unscaled <= 0 || y.Escalation.Unscaled >= maxEsc {
			p.problem(at, "escalation out of range (must be > 0 and < 10)")
		}
		if y.Compounded.Unscaled <= 0 || y.Compounded.Unscaled >= maxEsc {
			p.problem(at, "compounded escalation out of range (must be > 0 and < 10)")
		}
		p.yearIDs[y.Name] = p.ids.id("re_contract_years", y.Name)
	}
}

// deriveRateAreas derives re_rate_areas: domestic codes from 3b origins then
// 3c destinations, international codes from 1b.
func (p *plan) deriveRateAreas() {
	p.domestic, p.intl = map[string][16]byte{}, map[string][16]byte{}
	add := func(m map[string][16]byte, oconus bool, code, name string) {
		if _, ok := m[code]; ok {
			return
		}
		id := p.ids.id("re_rate_areas", code)
		m[code] = id
		p.rateAreas = append(p.rateAreas, rateArea{ID: id, IsOconus: oconus, Code: code, Name: name})
	}
	for _, r := range p.rec.ConusToOconusPrices {
		add(p.domestic, false, r.OriginID, r.OriginName)
	}
	for _, r := range p.rec.OconusToConusPrices {
		add(p.domestic, false, r.DestinationID, r.DestinationName)
	}
	for _, r := range p.rec.InternationalServiceAreas {
		if _, ok := p.domestic[r.RateAreaID]; ok {
			p.problem(source{cell: r.Key}, "rate area %q is both international (1b) and domestic (3b/3c)", r.RateAreaID)
			continue
		}
		add(p.intl, true, r.RateAreaID, r.RateArea)
	}
}

// deriveServiceAreas derives re_domestic_service_areas from the distinct 1b
// numbers, schedules from 2b.
func (p *plan) deriveServiceAreas() {
	sched := map[string]*parser.DomesticServiceAreaPrice{}
	for i := range p.rec.DomesticServiceAreaPrices {
		r := &p.rec.DomesticServiceAreaPrices[i]
		if _, ok := sched[r.ServiceArea]; !ok {
			sched[r.ServiceArea] = r
		}
	}
	p.saIDs = map[string][16]byte{}
	for _, r := range p.rec.DomesticServiceAreas {
		if _, ok := p.saIDs[r.ServiceArea]; ok {
			continue
		}
		s, ok := sched[r.ServiceArea]
		if !ok {
			p.problem(source{cell: cellAt(r.Key, 5)}, "service area %s has no row in 2b (its schedules come from 2b)", r.ServiceArea)
			continue
		}
		id := p.ids.id("re_domestic_service_areas", r.ServiceArea)
		p.saIDs[r.ServiceArea] = id
		p.serviceAreas = append(p.serviceAreas, serviceArea{ID: id, Number: r.ServiceArea,
			Schedule: int32(s.ServicesSchedule.Value), SITPDSched: int32(s.SITPickupDeliverySchedule.Value)})
	}
}

// deriveZip3s derives re_zip3s from the distinct 1b zip3s (first row wins)
// and the reference CSV, and checks the reference against the workbook.
func (p *plan) deriveZip3s() {
	var wb []zipref.WorkbookZip3
	seen := map[string]bool{}
	for _, r := range p.rec.DomesticServiceAreas {
		sa, saOK := p.saIDs[r.ServiceArea]
		for _, z := range r.Zip3s {
			if seen[z] {
				continue
			}
			seen[z] = true
			cell := cellAt(r.Key, 6)
			wb = append(wb, zipref.WorkbookZip3{Zip3: z, Cell: cell.String()})
			if !saOK {
				continue
			}
			row := zip3{ID: p.ids.id("re_zip3s", z), Zip3: z, City: r.BasePointCity, State: r.State,
				ServiceArea: sa, Src: source{cell: cell}}
			if line, ok := p.ref.Zip3(z); ok && line.Code != zipref.Multiple {
				if id, ok := p.domestic[line.Code]; ok {
					row.RateArea = &id
				}
			}
			p.zip3s = append(p.zip3s, row)
		}
	}
	for _, pr := range p.ref.Check(wb, func(code string) bool { _, ok := p.domestic[code]; return ok }) {
		at := Problem{Location: pr.File, Message: pr.Message}
		if pr.Line > 0 {
			at.Location = pr.File + ":" + strconv.Itoa(pr.Line)
		}
		if pr.Severity == zipref.Warning {
			p.warnings = append(p.warnings, at)
		} else {
			p.problems = append(p.problems, at)
		}
	}
}

// service returns the id of a re_services code, reporting a missing one.
func (p *plan) service(code string, at source) ([16]byte, bool) {
	id, ok := p.services[code]
	if !ok {
		p.problem(at, "missing service %q in re_services", code)
	}
	return id, ok
}

// serviceArea returns the id of a service area, reporting a missing one.
func (p *plan) serviceArea(num string, at source) ([16]byte, bool) {
	id, ok := p.saIDs[num]
	if !ok {
		p.problem(at, "service area %s is not in 1b) Service Areas", num)
	}
	return id, ok
}

// rateArea returns the id of a rate-area code in the domestic or the
// international lookup, reporting a missing one.
func (p *plan) rateArea(code string, domestic bool, at source) ([16]byte, bool) {
	m, kind := p.intl, "international"
	if domestic {
		m, kind = p.domestic, "domestic"
	}
	id, ok := m[code]
	if !ok {
		p.problem(at, "unknown %s rate area %q", kind, code)
	}
	return id, ok
}

// moveTypeKinds splits a 3e move type such as "NSRA to CONUS" into whether
// its origin and destination are domestic (CONUS).
func moveTypeKinds(moveType string) (originDomestic, destDomestic, ok bool) {
	parts := strings.Split(moveType, " to ")
	if len(parts) != 2 {
		return false, false, false
	}
	kind := func(s string) (bool, bool) {
		switch s {
		case "NSRA", "OCONUS":
			return false, true
		case "CONUS":
			return true, true
		}
		return false, false
	}
	o, ok1 := kind(parts[0])
	d, ok2 := kind(parts[1])
	return o, d, ok1 && ok2
}
