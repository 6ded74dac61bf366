package parser

import "testing"

func TestNumberScaled(t *testing.T) {
	tests := []struct {
		in   string
		dec  int
		want int64
		ok   bool
	}{
		{"2.477", 3, 2477, true},
		{"2.4769999999999999", 3, 2477, true}, // 15 significant digits first
		{"1.005", 2, 101, true},               // half away from zero
		{"1.0049999", 2, 100, true},
		{"1E-3", 3, 1, true},
		{"1.5E2", 0, 150, true},
		{"-2.5", 0, -3, true},
		{"0.0004", 3, 0, true},
		{"0.9995", 3, 1000, true},
		{"123456789012345678901", 0, 0, false},
		{"1E300", 2, 0, false},
	}
	for _, tt := range tests {
		n, ok := parseNumber(tt.in)
		if !ok {
			t.Fatalf("parseNumber(%q) failed", tt.in)
		}
		got, ok := n.scaled(tt.dec)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q scaled(%d) = %d, %v; want %d, %v", tt.in, tt.dec, got, ok, tt.want, tt.ok)
		}
	}
	for _, bad := range []string{"", "-", "1e", "1.2.3", "abc", "1E+", "."} {
		if _, ok := parseNumber(bad); ok {
			t.Errorf("parseNumber(%q) accepted", bad)
		}
	}
}

func TestDisplayNumber(t *testing.T) {
	tests := []struct {
		value, format, want string
	}{
		{"2.4769999999999999", `"$"0.000`, "$2.477"},
		{"0", `"$"0.000`, "$0.000"},
		{"450.18", `_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)`, " $ 450.18 "},
		{"1234.5", `"$"#,##0.00`, "$1,234.50"},
		{"-1.5", `"$"#,##0.00_);("$"#,##0.00)`, "($1.50)"},
		{"-1.5", `0.00`, "-1.50"},
		{"8", "General", "8"},
		{"1.0206", "General", "1.0206"},
		{"1.2", "0.00", "1.20"},
		{"1.0206", "0.0000", "1.0206"},
		{"0.05", "0%", "5%"},
		{"1.5", `[$€-407]0.00`, "€1.50"},
		{"1.5", `[Red]0.0`, "1.5"},
		{"12", "0.##", "12."},
		{"1E+20", "General", "1E+20"},
		{"0.000000001", "General", "1E-09"},
	}
	for _, tt := range tests {
		n, ok := parseNumber(tt.value)
		if !ok {
			t.Fatalf("parseNumber(%q)", tt.value)
		}
		if got := parseFormat(tt.format).display(n); got != tt.want {
			t.Errorf("display(%s, %s) = %q, want %q", tt.value, tt.format, got, tt.want)
		}
	}
	for _, f := range []string{"m/d/yy", "yyyy-mm-dd", "[h]:mm", "h:mm AM/PM"} {
		if !parseFormat(f).date {
			t.Errorf("parseFormat(%q).date = false", f)
		}
	}
	for _, f := range []string{"General", `"$"0.000`, `_("$"* #,##0.00_)`, `[Red]0.00`} {
		if parseFormat(f).date {
			t.Errorf("parseFormat(%q).date = true", f)
		}
	}
}

func TestMoneyText(t *testing.T) {
	tests := []struct {
		in   string
		dec  int
		want int64
		msg  string
	}{
		{"$1.27", 2, 127, ""},
		{"$ 450.18", 2, 45018, ""},
		{"1,234.56", 2, 123456, ""},
		{"$2.477", 3, 2477, ""},
		{"1,234.5", 2, 0, "money amount needs exactly 2 decimals, has 1"},
		{"12", 2, 0, "money amount needs exactly 2 decimals, has 0"},
		{"12,34.00", 2, 0, "not a money amount"},
		{"(1.00)", 2, 0, "negative"},
		{"5%", 2, 0, "percent sign not allowed"},
		{"1.2e3", 2, 0, "contains a letter"},
	}
	for _, tt := range tests {
		got, msg := moneyText(tt.in, tt.dec)
		if got != tt.want || msg != tt.msg {
			t.Errorf("moneyText(%q, %d) = %d, %q; want %d, %q", tt.in, tt.dec, got, msg, tt.want, tt.msg)
		}
	}
}

func TestCellAndDecimalStrings(t *testing.T) {
	if got := (Cell{Sheet: "2b) Dom. Service Area Prices", Col: 7, Row: 9}).String(); got != "2b) Dom. Service Area Prices!G9" {
		t.Errorf("Cell.String = %q", got)
	}
	for col, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 62: "BJ", 16384: "XFD", 0: "?"} {
		if got := ColumnName(col); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", col, got, want)
		}
	}
	for d, want := range map[Decimal]string{{102060, 5}: "1.02060", {120, 2}: "1.20", {5, 3}: "0.005", {-15, 1}: "-1.5", {7, 0}: "7"} {
		if got := d.String(); got != want {
			t.Errorf("%v.String() = %q, want %q", d, got, want)
		}
	}
}
