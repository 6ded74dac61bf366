package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// packed is a price in compact form: the texts of its key are ids into
// its priceList's texts, so a price takes 40 bytes instead of 96 (a
// contract has over a million prices at scale).
type packed struct {
	value                                            int64
	weightLower, weightUpper, milesLower, milesUpper int32
	service, area, dest                              uint32 // ids into priceList.texts
	table                                            uint8
	season                                           uint8 // index into seasonCodes
}

// seasonCodes are the seasons in key order (NoSeason, NonPeak, Peak sort as
// their texts do).
var seasonCodes = [...]string{NoSeason, NonPeak, Peak}

// seasonCode returns the index of season s in seasonCodes.
func seasonCode(s string) uint8 {
	switch s {
	case NonPeak:
		return 1
	case Peak:
		return 2
	}
	return 0
}

// priceList is a list of prices in compact form with the texts their keys
// refer to. Lists built by newPriceList or Load are sorted by key.
type priceList struct {
	texts []string // id → text; the same text always has the same id
	p     []packed
}

// interner assigns ids to the texts of a priceList.
type interner struct {
	ids   map[string]uint32
	texts []string
}

// id returns the id of text s, adding it when new.
func (in *interner) id(s string) uint32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	if in.ids == nil {
		in.ids = make(map[string]uint32)
	}
	id := uint32(len(in.texts))
	in.ids[s] = id
	in.texts = append(in.texts, s)
	return id
}

// pack returns the compact form of p, interning its texts.
func (in *interner) pack(p Price) packed {
	return packed{
		value: p.Value, weightLower: p.WeightLower, weightUpper: p.WeightUpper,
		milesLower: p.MilesLower, milesUpper: p.MilesUpper,
		service: in.id(p.Service), area: in.id(p.Area), dest: in.id(p.Dest),
		table: uint8(p.Table), season: seasonCode(p.Season),
	}
}

// newPriceList packs prices into a list sorted by key.
func newPriceList(prices []Price) priceList {
	var in interner
	l := priceList{p: make([]packed, len(prices))}
	for i, p := range prices {
		l.p[i] = in.pack(p)
	}
	l.texts = in.texts
	l.sort()
	return l
}

// sort orders the list by key, as compareKeys does.
func (l priceList) sort() {
	slices.SortFunc(l.p, l.compare)
}

// compare orders two prices of the list as compareKeys orders their keys.
func (l priceList) compare(x, y packed) int {
	if c := cmp.Compare(x.table, y.table); c != 0 {
		return c
	}
	if x.service != y.service {
		if c := strings.Compare(l.texts[x.service], l.texts[y.service]); c != 0 {
			return c
		}
	}
	if x.area != y.area {
		if c := strings.Compare(l.texts[x.area], l.texts[y.area]); c != 0 {
			return c
		}
	}
	if x.dest != y.dest {
		if c := strings.Compare(l.texts[x.dest], l.texts[y.dest]); c != 0 {
			return c
		}
	}
	return cmp.Or(
		cmp.Compare(x.weightLower, y.weightLower), cmp.Compare(x.weightUpper, y.weightUpper),
		cmp.Compare(x.milesLower, y.milesLower), cmp.Compare(x.milesUpper, y.milesUpper),
		cmp.Compare(x.season, y.season))
}

// compareKey orders a price of the list against key k as compareKeys does.
func (l priceList) compareKey(x packed, k Key) int {
	if c := cmp.Compare(Table(x.table), k.Table); c != 0 {
		return c
	}
	if c := strings.Compare(l.texts[x.service], k.Service); c != 0 {
		return c
	}
	if c := strings.Compare(l.texts[x.area], k.Area); c != 0 {
		return c
	}
	if c := strings.Compare(l.texts[x.dest], k.Dest); c != 0 {
		return c
	}
	return cmp.Or(
		cmp.Compare(x.weightLower, k.WeightLower), cmp.Compare(x.weightUpper, k.WeightUpper),
		cmp.Compare(x.milesLower, k.MilesLower), cmp.Compare(x.milesUpper, k.MilesUpper),
		strings.Compare(seasonCodes[x.season], k.Season))
}

// len returns the number of prices.
func (l priceList) len() int { return len(l.p) }

// at returns price i in full form.
func (l priceList) at(i int) Price {
	x := l.p[i]
	return Price{Key: Key{
		Table: Table(x.table), Service: l.texts[x.service], Season: seasonCodes[x.season],
		Area: l.texts[x.area], Dest: l.texts[x.dest],
		WeightLower: x.weightLower, WeightUpper: x.weightUpper, MilesLower: x.milesLower, MilesUpper: x.milesUpper,
	}, Value: x.value}
}

// slice returns prices i to j-1.
func (l priceList) slice(i, j int) priceList { return priceList{texts: l.texts, p: l.p[i:j]} }

// search returns the index of the first price whose key is not below k and
// whether its key is k.
func (l priceList) search(k Key) (int, bool) {
	return slices.BinarySearchFunc(l.p, k, l.compareKey)
}

// keyHash returns the FNV-1a hash of code + "|" + k.String() without
// building the text.
func keyHash(code string, k Key) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
	}
	var num [12]byte
	addInt := func(v int32) {
		for _, c := range strconv.AppendInt(num[:0], int64(v), 10) {
			h = (h ^ uint64(c)) * prime
		}
	}
	for _, s := range [...]string{code, k.Table.String(), k.Service, k.Season, k.Area, k.Dest} {
		add(s)
		add("|")
	}
	addInt(k.WeightLower)
	for _, v := range [...]int32{k.WeightUpper, k.MilesLower, k.MilesUpper} {
		add("|")
		addInt(v)
	}
	return h
}
