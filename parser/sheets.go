package parser

import (
	"fmt"
	"strconv"
)

// layout is a sheet handler for fixed layouts: it keeps the header rows it
// needs, feeds the tables and runs the header checks at the end.
type layout struct {
	s      *sheetCtx
	keep   map[int]bool
	kept   map[int]*row
	tables []*table
	checks func(kept func(n int) *row)
}

// newLayout builds a layout keeping the given header rows.
func newLayout(s *sheetCtx, headerRows ...int) *layout {
	l := &layout{s: s, keep: map[int]bool{}, kept: map[int]*row{}}
	for _, n := range headerRows {
		l.keep[n] = true
	}
	return l
}

func (l *layout) row(r *row) {
	if l.keep[r.n] {
		l.kept[r.n] = r.clone()
	}
	for _, t := range l.tables {
		t.feed(l.s, r)
	}
}

func (l *layout) finish() {
	if l.checks != nil {
		l.checks(func(n int) *row { return l.kept[n] })
	}
}

// headerCheck is one expected header text.
type headerCheck struct {
	col  int
	want string
	mode byte
}

// expectRow runs header checks on row n.
func (l *layout) expectRow(kept func(int) *row, n int, checks ...headerCheck) {
	r := kept(n)
	for _, c := range checks {
		l.s.expect(r, n, c.col, c.want, c.mode)
	}
}

// Column numbers used below.
const (
	colC = 3 + iota
	colD
	colE
	colF
	colG
	colH
	colI
	colJ
	colK
	colL
)

// cols returns the column numbers from a to b inclusive.
func cols(a, b int) []int {
	var out []int
	for c := a; c <= b; c++ {
		out = append(out, c)
	}
	return out
}

// newSheetHandler returns the handler of data sheet i.
func newSheetHandler(s *sheetCtx, i int) sheetHandler {
	switch i {
	case sh1b:
		return s.serviceAreas()
	case sh2a:
		return s.linehaul()
	case sh2b:
		return s.serviceAreaPrices()
	case sh2c:
		return s.otherDomestic()
	case sh3a, sh3b, sh3c:
		return s.intlLinehaul(i)
	case sh3d:
		return s.otherIntl()
	case sh3e:
		return newNonStandard(s)
	case sh4a:
		return s.taskOrders()
	case sh5a:
		return s.accessorials()
	default:
		return s.escalations()
	}
}

// serviceAreas handles 1b (spec 1.3).
func (s *sheetCtx) serviceAreas() sheetHandler {
	l := newLayout(s, 9)
	rec := &s.st.res.Records
	type zipSeen struct {
		sa   string
		cell Cell
	}
	zips := map[string]zipSeen{}
	ids := keyed{}
	dom := &table{start: 10, keyCol: colC, cols: cols(colD, colF), single: true, onRow: func(r *row) {
		sa, _ := s.serviceArea(r, colE)
		z, ztext, zok := s.zip3s(r, colF)
		d := DomesticServiceArea{Key: s.cell(r.n, colC), BasePointCity: s.text(r, colC, "base point city"),
			State: s.text(r, colD, "state"), ServiceArea: sa, Zip3s: z, Zip3sText: ztext}
		if zok {
			for _, zip := range z {
				if first, ok := zips[zip]; ok {
					if first.sa != sa {
						s.errorf(KindDuplicateKey, r.n, colF, "zip3 %s is in service areas %s and %s, first at %s", zip, first.sa, sa, first.cell)
					} else {
						s.warnf(KindDuplicateKey, r.n, colF, "zip3 %s listed twice for service area %s, first at %s", zip, sa, first.cell)
					}
					continue
				}
				zips[zip] = zipSeen{sa, s.cell(r.n, colF)}
			}
		}
		rec.DomesticServiceAreas = append(rec.DomesticServiceAreas, d)
		s.records++
	}}
	intl := &table{start: 10, keyCol: colJ, cols: []int{colK}, single: true, onRow: func(r *row) {
		d := InternationalServiceArea{Key: s.cell(r.n, colJ), RateArea: s.text(r, colJ, "international rate area"),
			RateAreaID: s.text(r, colK, "rate area ID")}
		if d.RateAreaID != "" {
			ids.dup(s, d.RateAreaID, "rate area ID "+strconv.Quote(d.RateAreaID), r.n, colK)
		}
		rec.InternationalServiceAreas = append(rec.InternationalServiceAreas, d)
		s.records++
	}}
	l.tables = []*table{dom, intl}
	l.checks = func(kept func(int) *row) {
		l.expectRow(kept, 9, headerCheck{colC, "Base Point City", matchE}, headerCheck{colD, "State", matchE},
			headerCheck{colE, "Service Area Number", matchW}, headerCheck{colF, "Included Zip3's", matchW},
			headerCheck{colJ, "International Rate Area", matchE}, headerCheck{colK, "Rate Area ID", matchE})
		dom.requireRows(s, "domestic service areas")
		intl.requireRows(s, "international rate areas")
	}
	return l
}

// linehaulLabels are the 2a price labels per season, band and range.
var linehaulLabels = func() (out [2][3][10]string) {
	for si := range 2 {
		for b := range 3 {
			for m := range 10 {
				out[si][b][m] = fmt.Sprintf("%s rate (%d–%d lbs, %d–%d miles)", Season(si), WeightBands[b][0],
					WeightBands[b][1], MileageRanges[m][0], MileageRanges[m][1])
			}
		}
	}
	return out
}()

// linehaul handles 2a (spec 1.4).
func (s *sheetCtx) linehaul() sheetHandler {
	l := newLayout(s, 12, 13, 14)
	rec := &s.st.res.Records
	seen := keyed{}
	t := &table{start: 15, keyCol: colC, cols: append([]int{colD, colE}, cols(colG, linehaulCol(0, 1, 2, 9))...),
		single: true, onRow: func(r *row) {
			sa, saOK := s.serviceArea(r, colC)
			if saOK {
				seen.dup(s, sa, "service area "+sa, r.n, colC)
			}
			name := s.text(r, colD, "origin service area")
			sched, _ := s.integer(r, colE, 1, 3, "services schedule")
			key := s.cell(r.n, colC)
			for si := range 2 {
				for b := range 3 {
					for m := range 10 {
						rate, _ := s.money(r, linehaulCol(0, si, b, m), 3, true, linehaulLabels[si][b][m])
						rec.DomesticLinehaulPrices = append(rec.DomesticLinehaulPrices, DomesticLinehaulPrice{
							Key: key, ServiceArea: sa, OriginServiceArea: name, ServicesSchedule: sched,
							Season: Season(si), Band: uint8(b), Range: uint8(m), Rate: rate})
					}
				}
			}
			s.records += 60
		}}
	l.tables = []*table{t}
	l.checks = func(kept func(int) *row) {
		l.expectRow(kept, 12, headerCheck{colC, "Service Area Number", matchW},
			headerCheck{colD, "Origin Service Area", matchW}, headerCheck{colE, "Services Schedule", matchW})
		l.expectRow(kept, 14, headerCheck{colD, "EXAMPLE", matchW})
		s.mileageHeaders(kept(12), kept(13))
		t.requireRows(s, "linehaul prices")
	}
	return l
}

// mileageHeaders checks the 2a mileage bounds of every year block present.
func (s *sheetCtx) mileageHeaders(lower, upper *row) {
	maxCol := 0
	for _, r := range []*row{lower, upper} {
		if r != nil && len(r.cells) > 0 {
			maxCol = max(maxCol, r.cells[len(r.cells)-1].col)
		}
	}
	blocks := 1
	if maxCol >= 7 {
		blocks = min((maxCol-7)/62+1, maxCols/62)
	}
	for y := range blocks {
		if y > 0 && !blockPresent(lower, upper, 7+62*y, 7+62*y+61) {
			continue
		}
		for si := range 2 {
			for b := range 3 {
				for m := range 9 {
					col := linehaulCol(y, si, b, m)
					s.bound(lower, 12, col, MileageRanges[m][0], "lower")
					s.bound(upper, 13, col, MileageRanges[m][1], "upper")
				}
			}
		}
	}
}

// blockPresent reports whether rows a or b have a non-blank cell in [from, to].
func blockPresent(a, b *row, from, to int) bool {
	for _, r := range []*row{a, b} {
		if r == nil {
			continue
		}
		for _, c := range r.cells {
			if c.col >= from && c.col <= to && !isBlank(c) {
				return true
			}
		}
	}
	return false
}

// bound checks one mileage header cell.
func (s *sheetCtx) bound(r *row, rowNum, col int, want int32, which string) {
	c := r.get(col)
	var (
		v   int64
		msg = "empty"
	)
	switch {
	case isBlank(c):
	case c.typ == cellText:
		v, msg = integerText(c.val, true)
	case s.invalidType(c) != "":
		msg = "invalid"
	default:
		n, _ := parseNumber(c.val)
		v, msg = integerNumber(n)
	}
	if msg != "" || v != int64(want) {
		found := ""
		if !isBlank(c) {
			found = s.display(c)
		}
		s.errorf(KindHeaderMismatch, rowNum, col, "expected %s bound %d, found %q", which, want, found)
	}
}

// serviceAreaPriceHeaders are the 2b price-group headers (offsets 0–6).
var serviceAreaPriceHeaders = [7]string{
	"Shorthaul Price (per cwt per mile)",
	"Origin / Destination Price (per cwt)",
	"Origin Pack Price (per cwt)",
	"Destination Unpack Price (per cwt)",
	"Origin / Destination SIT First Day & Warehouse Handling (per cwt)",
	"Origin / Destination SIT Add'l Days (per cwt)",
	"SIT Pickup / Delivery ≤50 miles (per cwt)",
}

// serviceAreaPrices handles 2b (spec 1.5).
func (s *sheetCtx) serviceAreaPrices() sheetHandler {
	l := newLayout(s, 9, 10)
	rec := &s.st.res.Records
	seen := keyed{}
	t := &table{start: 11, keyCol: colC, cols: cols(colD, 22), single: true, onRow: func(r *row) {
		sa, saOK := s.serviceArea(r, colC)
		if saOK {
			seen.dup(s, sa, "service area "+sa, r.n, colC)
		}
		name := s.text(r, colD, "service area name")
		sched, _ := s.integer(r, colE, 1, 3, "services schedule")
		sit, _ := s.integer(r, colF, 1, 3, "SIT pickup / delivery schedule")
		for si := range 2 {
			base := 7 + 8*si
			p := DomesticServiceAreaPrice{Key: s.cell(r.n, colC), ServiceArea: sa, ServiceAreaName: name,
				ServicesSchedule: sched, SITPickupDeliverySchedule: sit, Season: Season(si)}
			ss := Season(si).String() + " "
			p.ShorthaulPrice, _ = s.money(r, base, 2, false, ss+"shorthaul price")
			p.OriginDestinationPrice, _ = s.money(r, base+1, 2, false, ss+"origin / destination price")
			p.SITFirstDayWarehouse, _ = s.money(r, base+4, 2, false, ss+"SIT first day & warehouse price")
			p.SITAddlDays, _ = s.money(r, base+5, 2, false, ss+"SIT add'l days price")
			rec.DomesticServiceAreaPrices = append(rec.DomesticServiceAreaPrices, p)
		}
		s.records += 2
	}}
	l.tables = []*table{t}
	l.checks = func(kept func(int) *row) {
		h := kept(9)
		l.expectRow(kept, 9, headerCheck{colC, "Service Area Number", matchW}, headerCheck{colD, "Service Area Name", matchW},
			headerCheck{colE, "Services Schedule", matchW}, headerCheck{colF, "SIT Pickup / Delivery Schedule", matchW})
		for y := range 4 {
			if y > 0 && !blockPresent(h, nil, 7+16*y, 7+16*y+15) {
				continue
			}
			for si := range 2 {
				for off, want := range serviceAreaPriceHeaders {
					s.expect(h, 9, 7+16*y+8*si+off, want, matchW)
				}
			}
		}
		l.expectRow(kept, 10, headerCheck{colD, "EXAMPLE", matchW})
		t.requireRows(s, "service area prices")
	}
	return l
}

// otherDomestic handles 2c (spec 1.6).
func (s *sheetCtx) otherDomestic() sheetHandler {
	l := newLayout(s, 11, 12, 22, 23, 24)
	rec := &s.st.res.Records
	packSeen, sitSeen := keyed{}, keyed{}
	pack := &table{start: 13, limit: 21, keyCol: colC, cols: cols(colD, colF), onRow: func(r *row) {
		p := DomesticOtherPackPrice{Key: s.cell(r.n, colC)}
		var ok1, ok2 bool
		p.ServicesSchedule, ok1 = s.integer(r, colC, 1, 3, "services schedule")
		p.ServiceProvided, ok2 = s.label(r, colD, "service provided", "Packing (per cwt)", "Unpack (per cwt)")
		if ok1 && ok2 {
			packSeen.dup(s, p.ServicesSchedule.Text+"\x00"+p.ServiceProvided,
				fmt.Sprintf("schedule %d service %q", p.ServicesSchedule.Value, p.ServiceProvided), r.n, colC)
		}
		p.NonPeakPrice, _ = s.money(r, colE, 2, false, "non-peak price")
		p.PeakPrice, _ = s.money(r, colF, 2, false, "peak price")
		rec.DomesticOtherPackPrices = append(rec.DomesticOtherPackPrices, p)
		s.records++
	}}
	sit := &table{start: 25, keyCol: colC, cols: cols(colD, colF), onRow: func(r *row) {
		p := DomesticOtherSITPrice{Key: s.cell(r.n, colC)}
		var ok bool
		p.SITPickupDeliverySchedule, ok = s.integer(r, colC, 1, 3, "SIT pickup / delivery schedule")
		if ok {
			sitSeen.dup(s, strconv.Itoa(p.SITPickupDeliverySchedule.Value),
				"schedule "+strconv.Itoa(p.SITPickupDeliverySchedule.Value), r.n, colC)
		}
		p.ServiceProvided = s.text(r, colD, "service provided")
		if p.ServiceProvided != "" && p.ServiceProvided != "SIT Pickup / Delivery ≤50 miles (per cwt)" {
			s.warnf(KindUnknownLabel, r.n, colD, "service provided: unexpected text %q", p.ServiceProvided)
		}
		p.NonPeakPrice, _ = s.money(r, colE, 2, false, "non-peak price")
		p.PeakPrice, _ = s.money(r, colF, 2, false, "peak price")
		rec.DomesticOtherSITPrices = append(rec.DomesticOtherSITPrices, p)
		s.records++
	}}
	l.tables = []*table{pack, sit}
	example := []headerCheck{{colC, "X", matchE}, {colD, "EXAMPLE (per cwt)", matchE}, {colE, "$X.XX", matchE}, {colF, "$X.XX", matchE}}
	l.checks = func(kept func(int) *row) {
		l.expectRow(kept, 11, headerCheck{colC, "Services Schedule", matchW}, headerCheck{colD, "Service Provided", matchW},
			headerCheck{colE, "Non-Peak (per cwt)", matchW}, headerCheck{colF, "Peak (per cwt)", matchW})
		l.expectRow(kept, 12, example...)
		l.expectRow(kept, 22, headerCheck{colC, "SIT Pickup / Delivery Schedule", matchW})
		l.expectRow(kept, 23, headerCheck{colD, "Service Provided", matchE},
			headerCheck{colE, "Non-Peak (per cwt)", matchW}, headerCheck{colF, "Peak (per cwt)", matchW})
		l.expectRow(kept, 24, example...)
		pack.requireRows(s, "pack/unpack prices")
		sit.requireRows(s, "SIT pickup/delivery prices")
	}
	return l
}

// intlHeaders are the C8–F8 headers of 3a, 3b and 3c.
var intlHeaders = map[int][4]string{
	sh3a: {"Origin Intl Price Area ID", "Origin Intl Price Area (PPIRA)", "Destination Intl Price Area ID", "Destination Intl Price Area (PPIRA)"},
	sh3b: {"Origin Domestic Price Area Code", "Origin Domestic Price Area (PPDRA)", "Destination Intl Price Area ID", "Destination Intl Price Area (PPIRA)"},
	sh3c: {"Origin Intl Price Area ID", "Origin International Price Area (PPIRA)", "Destination Domestic Price Area Code", "Destination Domestic Price Area (PPDRA)"},
}

// intlLinehaul handles 3a, 3b and 3c (spec 1.7).
func (s *sheetCtx) intlLinehaul(i int) sheetHandler {
	l := newLayout(s, 8, 9, 10)
	rec := &s.st.res.Records
	dst := &rec.OconusToOconusPrices
	switch i {
	case sh3b:
		dst = &rec.ConusToOconusPrices
	case sh3c:
		dst = &rec.OconusToConusPrices
	}
	seen := keyed{}
	t := &table{start: 11, keyCol: colC, cols: cols(colD, colK), single: true, onRow: func(r *row) {
		base := IntlLinehaulPrice{Key: s.cell(r.n, colC), OriginID: s.text(r, colC, "origin ID"),
			OriginName: s.text(r, colD, "origin name"), DestinationID: s.text(r, colE, "destination ID"),
			DestinationName: s.text(r, colF, "destination name")}
		if base.OriginID != "" && base.DestinationID != "" {
			seen.dup(s, base.OriginID+"\x00"+base.DestinationID,
				fmt.Sprintf("origin %q destination %q", base.OriginID, base.DestinationID), r.n, colC)
		}
		for si := range 2 {
			p := base
			p.Season = Season(si)
			ss := p.Season.String()
			p.HHGPrice, _ = s.money(r, colG+3*si, 2, true, ss+" HHG price")
			p.UBPrice, _ = s.money(r, colH+3*si, 2, true, ss+" UB price")
			*dst = append(*dst, p)
		}
		s.records += 2
	}}
	l.tables = []*table{t}
	l.checks = func(kept func(int) *row) {
		h := intlHeaders[i]
		l.expectRow(kept, 8, headerCheck{colC, h[0], matchW}, headerCheck{colD, h[1], matchW},
			headerCheck{colE, h[2], matchW}, headerCheck{colF, h[3], matchW})
		hhg, ub := "HHG Shipping / Linehaul Price (except SIT) (per cwt)", "UB Price (except SIT) (per cwt)"
		l.expectRow(kept, 9, headerCheck{colG, hhg, matchW}, headerCheck{colH, ub, matchW},
			headerCheck{colJ, hhg, matchW}, headerCheck{colK, ub, matchW})
		l.expectRow(kept, 10, headerCheck{colD, "EXAMPLE", matchW})
		t.requireRows(s, "prices")
	}
	return l
}

// otherIntlHeaders are the 3d price headers, in column order.
var otherIntlHeaders = [8]string{
	"HHG Origin Pack Price (per cwt)",
	"HHG Destination Unpack Price (per cwt)",
	"UB Origin Pack Price (per cwt)",
	"UB Destination Unpack Price (per cwt)",
	"Origin/Destination SIT First Day & Warehouse Handling (per cwt)",
	"Origin/Destination SIT Add'l Days (per cwt)",
	"SIT Pickup/Delivery ≤50 Miles (per cwt)",
	"SIT Pickup/Delivery >50 Miles (per cwt per mile)",
}

// otherIntlLabels label the 3d prices in messages.
var otherIntlLabels = [8]string{"HHG origin pack price", "HHG destination unpack price", "UB origin pack price",
	"UB destination unpack price", "SIT first day & warehouse price", "SIT add'l days price",
	"SIT pickup/delivery ≤50 miles price", "SIT pickup/delivery >50 miles price"}

// otherIntl handles 3d (spec 1.8).
func (s *sheetCtx) otherIntl() sheetHandler {
	l := newLayout(s, 8, 9)
	rec := &s.st.res.Records
	seen := keyed{}
	t := &table{start: 11, keyCol: colC, cols: cols(colD, 21), single: true, onRow: func(r *row) {
		code := s.text(r, colC, "price area code")
		if code != "" {
			seen.dup(s, code, "price area code "+strconv.Quote(code), r.n, colC)
		}
		name := s.text(r, colD, "price area name")
		for si := range 2 {
			p := OtherIntlPrice{Key: s.cell(r.n, colC), RateAreaCode: code, RateAreaName: name, Season: Season(si)}
			prices := [8]*Money{&p.HHGOriginPack, &p.HHGDestinationUnpack, &p.UBOriginPack, &p.UBDestinationUnpack,
				&p.SITFirstDayWarehouse, &p.SITAddlDays, &p.SITLTE50Miles, &p.SITGT50Miles}
			for k, m := range prices {
				*m, _ = s.money(r, colE+9*si+k, 2, true, p.Season.String()+" "+otherIntlLabels[k])
			}
			rec.OtherIntlPrices = append(rec.OtherIntlPrices, p)
		}
		s.records += 2
	}}
	l.tables = []*table{t}
	l.checks = func(kept func(int) *row) {
		l.expectRow(kept, 8, headerCheck{colC, "Price Area Code / ID", matchW},
			headerCheck{colD, "International Price Area (PPIRA) / Domestic Price Area (PPDRA) / Non-Standard Rate Area", matchW})
		h := kept(9)
		for si := range 2 {
			for k, want := range otherIntlHeaders {
				s.expect(h, 9, colE+9*si+k, want, matchW)
			}
		}
		t.requireRows(s, "prices")
	}
	return l
}

// taskOrders handles 4a (spec 1.10).
func (s *sheetCtx) taskOrders() sheetHandler {
	l := newLayout(s, 8, 9, 21, 22, 34)
	rec := &s.st.res.Records
	fees := func(dst *[]TaskOrderFee, what string) func(r *row) {
		seen := keyed{}
		return func(r *row) {
			p := TaskOrderFee{Key: s.cell(r.n, colC), ContractYear: s.text(r, colC, "contract year")}
			if p.ContractYear != "" {
				seen.dup(s, p.ContractYear, what+" contract year "+strconv.Quote(p.ContractYear), r.n, colC)
			}
			p.PricePerTaskOrder, _ = s.money(r, colD, 2, false, what+" price")
			*dst = append(*dst, p)
			s.records++
		}
	}
	mgmt := &table{start: 10, limit: 20, keyCol: colC, cols: []int{colD},
		onRow: fees(&rec.ShipmentManagementServicesPrices, "shipment management")}
	coun := &table{start: 23, limit: 33, keyCol: colC, cols: []int{colD},
		onRow: fees(&rec.CounselingServicesPrices, "counseling")}
	trans := &table{start: 35, limit: 35, keyCol: colC, cols: []int{colD}, onRow: func(r *row) {
		p := TransitionPrice{Key: s.cell(r.n, colC), ContractYear: s.text(r, colC, "transition description")}
		p.PriceTotalCost, _ = s.money(r, colD, 2, false, "transition price")
		rec.TransitionPrices = append(rec.TransitionPrices, p)
		s.records++
	}}
	l.tables = []*table{mgmt, coun, trans}
	l.checks = func(kept func(int) *row) {
		l.expectRow(kept, 8, headerCheck{colC, "Contract Year", matchE},
			headerCheck{colD, "Shipment Management Services Price ($ per task order)", matchW})
		l.expectRow(kept, 9, headerCheck{colC, "EXAMPLE", matchE}, headerCheck{colD, "$X.XX", matchW})
		l.expectRow(kept, 21, headerCheck{colC, "Contract Year", matchE},
			headerCheck{colD, "Counseling Services Price ($ per task order)", matchW})
		l.expectRow(kept, 22, headerCheck{colC, "EXAMPLE", matchE}, headerCheck{colD, "$X.XX", matchW})
		l.expectRow(kept, 34, headerCheck{colC, "Contract Year", matchE},
			headerCheck{colD, "Transition Price ($ total cost)", matchW})
		mgmt.requireRows(s, "shipment management prices")
		coun.requireRows(s, "counseling prices")
		trans.requireRows(s, "transition price")
	}
	return l
}

// Texts of 5a.
var (
	accessorialServices = []string{"Crating (per cubic ft.)", "Uncrating (per cubic ft.)", "Shuttle Service (per cwt)"}
	shipmentTypes       = []string{"Mobile Homes", "Tow Away Boat Service", "Haul Away Boat Service", "NTS Packing Factor"}
)

// accessorials handles 5a (spec 1.11).
func (s *sheetCtx) accessorials() sheetHandler {
	l := newLayout(s, 10, 11, 24, 25, 38, 39)
	rec := &s.st.res.Records
	domSeen, intlSeen, addSeen := keyed{}, keyed{}, keyed{}
	dom := &table{start: 12, limit: 23, keyCol: colC, cols: []int{colD, colE}, onRow: func(r *row) {
		p := DomesticAccessorialPrice{Key: s.cell(r.n, colC)}
		var ok1, ok2 bool
		p.ServicesSchedule, ok1 = s.integer(r, colC, 1, 3, "services schedule")
		p.ServiceProvided, ok2 = s.label(r, colD, "service provided", accessorialServices...)
		if ok1 && ok2 {
			domSeen.dup(s, strconv.Itoa(p.ServicesSchedule.Value)+"\x00"+p.ServiceProvided,
				fmt.Sprintf("schedule %d service %q", p.ServicesSchedule.Value, p.ServiceProvided), r.n, colC)
		}
		p.PricePerUnit, _ = s.money(r, colE, 2, false, "price per unit")
		rec.DomesticMoveAccessorialPrices = append(rec.DomesticMoveAccessorialPrices, p)
		s.records++
	}}
	intl := &table{start: 26, limit: 37, keyCol: colC, cols: []int{colD, colE}, onRow: func(r *row) {
		p := IntlAccessorialPrice{Key: s.cell(r.n, colC)}
		var ok1, ok2 bool
		p.Market, p.MarketText, ok1 = s.market(r, colC)
		p.ServiceProvided, ok2 = s.label(r, colD, "service provided", accessorialServices...)
		if ok1 && ok2 {
			intlSeen.dup(s, string(p.Market)+"\x00"+p.ServiceProvided,
				fmt.Sprintf("market %s service %q", p.MarketText, p.ServiceProvided), r.n, colC)
		}
		p.PricePerUnit, _ = s.money(r, colE, 2, true, "price per unit")
		rec.InternationalMoveAccessorialPrices = append(rec.InternationalMoveAccessorialPrices, p)
		s.records++
	}}
	add := &table{start: 40, keyCol: colC, cols: []int{colD, colE}, onRow: func(r *row) {
		p := ShipmentTypePrice{Key: s.cell(r.n, colC)}
		var ok1, ok2 bool
		p.Market, p.MarketText, ok1 = s.market(r, colC)
		p.ShipmentType, ok2 = s.label(r, colD, "shipment type", shipmentTypes...)
		if ok1 && ok2 {
			if p.ShipmentType == "Mobile Homes" && p.Market == MarketOCONUS {
				s.errorf(KindUnknownLabel, r.n, colD, "shipment type %q is CONUS only", p.ShipmentType)
			}
			addSeen.dup(s, string(p.Market)+"\x00"+p.ShipmentType,
				fmt.Sprintf("market %s shipment type %q", p.MarketText, p.ShipmentType), r.n, colC)
		}
		p.Factor, _ = s.decimal(r, colE, 2, 100, "factor")
		rec.DomesticInternationalAdditionalPrices = append(rec.DomesticInternationalAdditionalPrices, p)
		s.records++
	}}
	l.tables = []*table{dom, intl, add}
	l.checks = func(kept func(int) *row) {
		unit := headerCheck{colE, "Price Per Unit of Measure", matchW}
		exampleUnit := []headerCheck{{colD, "EXAMPLE (per unit of measure)", matchE}, {colE, "$X.XX", matchW}}
		l.expectRow(kept, 10, headerCheck{colC, "Services Schedule", matchE}, headerCheck{colD, "Service Provided", matchE}, unit)
		l.expectRow(kept, 11, append([]headerCheck{{colC, "X", matchE}}, exampleUnit...)...)
		l.expectRow(kept, 24, headerCheck{colC, "Market", matchE}, headerCheck{colD, "Service Provided", matchE}, unit)
		l.expectRow(kept, 25, append([]headerCheck{{colC, "X", matchE}}, exampleUnit...)...)
		l.expectRow(kept, 38, headerCheck{colC, "Market", matchE}, headerCheck{colD, "Shipment Type", matchE},
			headerCheck{colE, "Factor", matchW})
		l.expectRow(kept, 39, headerCheck{colC, "CONUS / OCONUS", matchE}, headerCheck{colD, "EXAMPLE", matchE},
			headerCheck{colE, "X.XX", matchW})
		dom.requireRows(s, "domestic accessorial prices")
		intl.requireRows(s, "international accessorial prices")
		add.requireRows(s, "additional prices")
	}
	return l
}

// escalations handles 5b (spec 1.12).
func (s *sheetCtx) escalations() sheetHandler {
	l := newLayout(s, 8, 9)
	rec := &s.st.res.Records
	seen := keyed{}
	t := &table{start: 10, keyCol: colH, cols: []int{colI, colJ, colK}, single: true, onRow: func(r *row) {
		p := PriceEscalationDiscount{Key: s.cell(r.n, colH), ContractYear: s.text(r, colH, "contract year"),
			ForecastingAdjustment: s.display(r.get(colI)), Discount: s.display(r.get(colJ))}
		if p.ContractYear != "" {
			seen.dup(s, p.ContractYear, "contract year "+strconv.Quote(p.ContractYear), r.n, colH)
		}
		p.PriceEscalation, _ = s.decimal(r, colK, 5, 10, "price escalation")
		rec.PriceEscalationDiscounts = append(rec.PriceEscalationDiscounts, p)
		s.records++
	}}
	l.tables = []*table{t}
	l.checks = func(kept func(int) *row) {
		l.expectRow(kept, 8, headerCheck{colH, "Contract Year", matchW},
			headerCheck{colI, "Government-set IHS Markit Pricing and Purchasing Industry Forecasting Adjustment", matchW},
			headerCheck{colJ, "Discount", matchW}, headerCheck{colK, "Resulting Price Escalation", matchW})
		l.expectRow(kept, 9, headerCheck{colH, "EXAMPLE", matchW})
		t.requireRows(s, "price escalations")
	}
	return l
}
