package report

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPriceListSortsAsCompareKeys(t *testing.T) {
	prices := slices.Clone(fixture("A").Prices)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(prices), func(i, j int) { prices[i], prices[j] = prices[j], prices[i] })
	l := newPriceList(prices)
	want := slices.Clone(prices)
	slices.SortFunc(want, func(x, y Price) int { return compareKeys(x.Key, y.Key) })
	if l.len() != len(want) {
		t.Fatalf("len = %d, want %d", l.len(), len(want))
	}
	for i, w := range want {
		if got := l.at(i); got != w {
			t.Fatalf("price %d = %+v, want %+v", i, got, w)
		}
	}
	for _, k := range []Key{want[0].Key, want[len(want)/2].Key, want[len(want)-1].Key, {Table: Intl, Service: "ZZZ"}} {
		i, ok := l.search(k)
		wi, wok := slices.BinarySearchFunc(want, k, func(p Price, k Key) int { return compareKeys(p.Key, k) })
		if i != wi || ok != wok {
			t.Errorf("search(%v) = %d, %v; want %d, %v", k, i, ok, wi, wok)
		}
	}
}

func TestKeyHashIsFNVOfKeyText(t *testing.T) {
	keys := []Key{
		{Table: Linehaul, Season: NonPeak, Area: "452", WeightLower: 5000, WeightUpper: 9999, MilesLower: 2501, MilesUpper: 3000},
		{Table: Intl, Service: "UBP", Season: Peak, Area: "NSRA1", Dest: "US12"},
		{Table: Transition},
		{Table: Linehaul, WeightLower: -1, MilesUpper: 999999},
	}
	for _, k := range keys {
		for _, code := range []string{"", "A", "CONTRACT-2026"} {
			f := fnv.New64a()
			f.Write([]byte(code + "|" + k.String()))
			if got, want := keyHash(code, k), f.Sum64(); got != want {
				t.Errorf("keyHash(%q, %v) = %x, want %x", code, k, got, want)
			}
		}
	}
}

func BenchmarkKeyHash(b *testing.B) {
	k := Key{Table: Intl, Service: "UBP", Season: Peak, Area: "NSRA1", Dest: "US12"}
	for b.Loop() {
		keyHash("A", k)
	}
}
