package parser

import (
	"fmt"
	"strings"
)

// moveTypes are the five 3e move types, in sample order.
var moveTypes = []string{"NSRA to NSRA", "NSRA to OCONUS", "OCONUS to NSRA", "NSRA to CONUS", "CONUS to NSRA"}

// nonStandard handles 3e (spec 1.9, 2.5): sections are found by scanning
// column C for "Origin ID" header rows.
type nonStandard struct {
	s        *sheetCtx
	sections []*nsSection
	seen     keyed
}

// nsSection is one 3e section.
type nsSection struct {
	header   int    // header row R
	pending  bool   // row R+1 not yet checked
	t        *table // data from R+3
	moveType string // move type of the first data row
	first    int    // first data row
}

// newNonStandard returns the 3e handler.
func newNonStandard(s *sheetCtx) *nonStandard {
	return &nonStandard{s: s, seen: keyed{}}
}

func (h *nonStandard) row(r *row) {
	s := h.s
	var cur *nsSection
	if len(h.sections) > 0 {
		cur = h.sections[len(h.sections)-1]
	}
	if c := r.get(colC); c.typ == cellText && equalWS(c.val, "OriginID") {
		h.checkPending(cur, nil)
		s.expect(r, r.n, colD, "Origin Area", matchW)
		s.expect(r, r.n, colE, "Destination ID", matchW)
		s.expect(r, r.n, colF, "Destination Area", matchW)
		sec := &nsSection{header: r.n, pending: true}
		sec.t = &table{start: r.n + 3, keyCol: colC, cols: cols(colD, colL), onRow: func(r *row) { h.data(sec, r) }}
		h.sections = append(h.sections, sec)
		return
	}
	if cur == nil {
		return
	}
	if cur.pending && r.n >= cur.header+1 {
		if r.n == cur.header+1 {
			h.checkPending(cur, r)
		} else {
			h.checkPending(cur, nil)
		}
	}
	cur.t.feed(s, r)
}

// checkPending checks row R+1 of a section (r nil when the row is absent).
func (h *nonStandard) checkPending(sec *nsSection, r *row) {
	if sec == nil || !sec.pending {
		return
	}
	sec.pending = false
	n := sec.header + 1
	hhg, ub := "HHG Price (except SIT) (per cwt)", "UB Price (except SIT) (per cwt)"
	h.s.expect(r, n, colG, "Move Type", matchW)
	h.s.expect(r, n, colH, hhg, matchW)
	h.s.expect(r, n, colI, ub, matchW)
	h.s.expect(r, n, colK, hhg, matchW)
	h.s.expect(r, n, colL, ub, matchW)
}

// data reads one data row of a section.
func (h *nonStandard) data(sec *nsSection, r *row) {
	s := h.s
	base := NonStandardLocnPrice{Key: s.cell(r.n, colC), OriginID: s.text(r, colC, "origin ID"),
		OriginArea: s.text(r, colD, "origin area"), DestinationID: s.text(r, colE, "destination ID"),
		DestinationArea: s.text(r, colF, "destination area")}
	mt, ok := s.label(r, colG, "move type", moveTypes...)
	base.MoveType = mt
	if ok {
		switch {
		case sec.moveType == "":
			sec.moveType, sec.first = mt, r.n
		case mt != sec.moveType:
			s.errorf(KindSectionLayout, r.n, colG, "move type %q differs from the section's %q (first data row %d)", mt, sec.moveType, sec.first)
		}
	}
	if base.OriginID != "" && base.DestinationID != "" {
		h.seen.dup(s, base.OriginID+"\x00"+base.DestinationID,
			fmt.Sprintf("origin %q destination %q", base.OriginID, base.DestinationID), r.n, colC)
	}
	for si := range 2 {
		p := base
		p.Season = Season(si)
		p.HHGPrice, _ = s.money(r, colH+3*si, 2, true, p.Season.String()+" HHG price")
		p.UBPrice, _ = s.money(r, colI+3*si, 2, true, p.Season.String()+" UB price")
		s.st.res.Records.NonStandardLocnPrices = append(s.st.res.Records.NonStandardLocnPrices, p)
	}
	s.records += 2
}

func (h *nonStandard) finish() {
	s := h.s
	if len(h.sections) > 0 {
		h.checkPending(h.sections[len(h.sections)-1], nil)
	}
	if len(h.sections) != len(moveTypes) {
		s.errorf(KindSectionLayout, 0, 0, "expected %d sections (header rows with \"Origin ID\" in column C), found %d",
			len(moveTypes), len(h.sections))
	}
	heads := map[string]int{}
	for _, sec := range h.sections {
		if sec.t.rows == 0 {
			s.errorf(KindSectionLayout, sec.header, colC, "section has no data rows")
			continue
		}
		if sec.moveType == "" {
			continue
		}
		if first, ok := heads[sec.moveType]; ok {
			s.errorf(KindSectionLayout, sec.first, colG, "move type %q heads two sections, first at row %d", sec.moveType, first)
			continue
		}
		heads[sec.moveType] = sec.first
	}
	var missing []string
	for _, mt := range moveTypes {
		if _, ok := heads[mt]; !ok {
			missing = append(missing, fmt.Sprintf("%q", mt))
		}
	}
	if len(missing) > 0 && len(h.sections) > 0 {
		s.errorf(KindSectionLayout, 0, 0, "no section for move type %s", strings.Join(missing, ", "))
	}
}
