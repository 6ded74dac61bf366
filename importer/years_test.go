package importer

import (
	"testing"
	"time"

	"github.com/securemig/securemig/parser"
)

func dec(u int64, s int) parser.Decimal { return parser.Decimal{Unscaled: u, Scale: s} }

func TestDeriveYearsSample(t *testing.T) {
	names := []string{"Base Period Year 1", "Base Period Year 2", "Base Period Year 3", "Option Period 1",
		"Option Period 2", "Award Term 1", "Award Term 2", "Option Period 3"}
	escs := []parser.Decimal{dec(1, 0), dec(10206, 4), dec(10197, 4), dec(10214, 4), dec(10211, 4),
		dec(10199, 4), dec(10194, 4), dec(10202, 4)}
	var rows []parser.PriceEscalationDiscount
	for i, n := range names {
		rows = append(rows, parser.PriceEscalationDiscount{ContractYear: n, PriceEscalation: parser.Factor{Value: escs[i]}})
	}
	years := deriveYears(rows, time.Date(2021, 2, 1, 0, 0, 0, 0, time.UTC))
	want := []struct{ start, end, esc, comp string }{
		{"2021-02-01", "2022-01-31", "1.00000", "1.00000"},
		{"2022-02-01", "2023-01-31", "1.02060", "1.02060"},
		{"2023-02-01", "2024-01-31", "1.01970", "1.04071"},
		{"2024-02-01", "2025-01-31", "1.02140", "1.06298"},
		{"2025-02-01", "2026-01-31", "1.02110", "1.08541"},
		{"2026-02-01", "2027-01-31", "1.01990", "1.10701"},
		{"2027-02-01", "2028-01-31", "1.01940", "1.12848"},
		{"2028-02-01", "2029-01-31", "1.02020", "1.15128"},
	}
	if len(years) != len(want) {
		t.Fatalf("%d years", len(years))
	}
	for i, w := range want {
		y := years[i]
		got := []string{y.Start.Format(time.DateOnly), y.End.Format(time.DateOnly), y.Escalation.String(), y.Compounded.String()}
		if got[0] != w.start || got[1] != w.end || got[2] != w.esc || got[3] != w.comp || y.Name != names[i] {
			t.Errorf("year %d = %s %v, want %v", i, y.Name, got, w)
		}
	}
}

func TestAddYearsLeapDay(t *testing.T) {
	start := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		n    int
		want string
	}{{0, "2024-02-29"}, {1, "2025-03-01"}, {4, "2028-02-29"}}
	for _, tc := range tests {
		if got := addYears(start, tc.n).Format(time.DateOnly); got != tc.want {
			t.Errorf("addYears(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
	ys := deriveYears([]parser.PriceEscalationDiscount{{PriceEscalation: parser.Factor{Value: dec(1, 0)}},
		{PriceEscalation: parser.Factor{Value: dec(1, 0)}}}, start)
	if e := ys[0].End.Format(time.DateOnly); e != "2025-02-28" {
		t.Errorf("year 0 ends %s, want 2025-02-28", e)
	}
	if s := ys[1].Start.Format(time.DateOnly); s != "2025-03-01" {
		t.Errorf("year 1 starts %s, want 2025-03-01", s)
	}
}

func TestRoundBig(t *testing.T) {
	tests := []struct {
		in   parser.Decimal
		to   int
		want string
	}{
		{dec(1000005, 6), 5, "1.00001"},
		{dec(1000004, 6), 5, "1.00000"},
		{dec(-1000005, 6), 5, "-1.00001"},
		{dec(12, 1), 5, "1.20000"},
		{dec(1, 0), 5, "1.00000"},
	}
	for _, tc := range tests {
		if got := rescale(tc.in, tc.to).String(); got != tc.want {
			t.Errorf("rescale(%v, %d) = %s, want %s", tc.in, tc.to, got, tc.want)
		}
	}
}
