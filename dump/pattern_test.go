package dump

import (
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		in               string
		db, schema, name string
		wantErr          bool
		wantQualified    bool
	}{
		{in: "re_*", name: "^(re_.*)$"},
		{in: "re_?ates", name: "^(re_.ates)$"},
		{in: "RE_Upper", name: "^(re_upper)$"},
		{in: `"RE_Upper"`, name: "^(RE_Upper)$"},
		{in: `"re*"`, name: `^(re\*)$`},
		{in: `"re.dot"`, name: `^(re\.dot)$`},
		{in: `"a""b"`, name: `^(a"b)$`},
		{in: "re$x", name: `^(re\$x)$`},
		{in: `"re$x"`, name: `^(re\$x)$`},
		{in: "re_(rates|services)", name: "^(re_(rates|services))$"},
		{in: `"re_(x)"`, name: `^(re_\(x\))$`},
		{in: "int[]", name: `^(int\[])$`},
		{in: "re_[rs]*", name: "^(re_[rs].*)$"},
		{in: "public.re_*", schema: "^(public)$", name: "^(re_.*)$", wantQualified: true},
		{in: "*.re_rates", schema: "^(.*)$", name: "^(re_rates)$", wantQualified: true},
		{in: "Public.RE", schema: "^(public)$", name: "^(re)$", wantQualified: true},
		{in: `"My.Schema"."T"`, schema: `^(My\.Schema)$`, name: "^(T)$", wantQualified: true},
		{in: "public.", schema: "^(public)$", name: "^()$", wantQualified: true},
		{in: ".re", schema: "^()$", name: "^(re)$", wantQualified: true},
		{in: "Db*.public.re", db: "db*", schema: "^(public)$", name: "^(re)$", wantQualified: true},
		{in: `"D""b".s.t`, db: `D"b`, schema: "^(s)$", name: "^(t)$", wantQualified: true},
		{in: "a.b.c.d", wantErr: true},
		{in: `a.b."c.d"`, db: "a", schema: "^(b)$", name: `^(c\.d)$`, wantQualified: true},
		{in: "prix_é", name: "^(prix_é)$"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePattern(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParsePattern(%q) = %+v, want error", tt.in, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePattern(%q): %v", tt.in, err)
			}
			if p.Database != tt.db || p.Schema != tt.schema || p.Name != tt.name {
				t.Errorf("ParsePattern(%q) = db %q schema %q name %q, want %q %q %q",
					tt.in, p.Database, p.Schema, p.Name, tt.db, tt.schema, tt.name)
			}
			if p.Qualified() != tt.wantQualified {
				t.Errorf("Qualified() = %v, want %v", p.Qualified(), tt.wantQualified)
			}
		})
	}
}

func TestQuoteNameRoundTrip(t *testing.T) {
	for _, n := range []string{"re_rates", "RE_Upper", `we"ird`, "re.dot", "re*star", "re$d", "a[]"} {
		p, err := ParsePattern(QuoteName("public", n))
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		if p.Schema != "^(public)$" {
			t.Errorf("%q: schema regex %q", n, p.Schema)
		}
		// The name regex must be the literal name with regex specials escaped.
		var want strings.Builder
		for _, r := range n {
			if strings.ContainsRune(regexSpecial, r) {
				want.WriteByte('\\')
			}
			want.WriteRune(r)
		}
		if p.Name != "^("+want.String()+")$" {
			t.Errorf("%q: name regex %q, want %q", n, p.Name, "^("+want.String()+")$")
		}
	}
}

// FuzzParsePattern checks invariants of the translation: no panic, anchored
// regexes, at most two dots accepted, and quoting any name yields a pattern
// that is exactly qualified.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"re_*", `"A"."b"`, "a.b.c", "a.b.c.d", `""""`, "x$?*", `"unterminated`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			if !strings.Contains(err.Error(), "too many dotted names") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, re := range []string{p.Name, p.Schema} {
			if re == "" {
				continue
			}
			if !strings.HasPrefix(re, "^(") || !strings.HasSuffix(re, ")$") {
				t.Fatalf("regex %q not anchored", re)
			}
		}
		q, err := ParsePattern(QuoteName(s, s))
		if err != nil {
			t.Fatalf("quoted name rejected: %v", err)
		}
		if !q.Qualified() || q.Database != "" {
			t.Fatalf("quoted name parsed as %+v", q)
		}
	})
}
