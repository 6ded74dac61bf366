package zipref

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadValid(t *testing.T) {
	in := "\uFEFFzip3,zip5,rate_area_code\r\n" +
		"350,,US68\r\n" +
		"\r\n" +
		" 36 , , US11 \r\n" +
		"321,,ZIP\n" +
		",32102,US4964400\n" +
		",3601,US11\n"
	m, probs, err := Read(strings.NewReader(in), "ref.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	want3 := []Zip3{{"350", "US68", 2}, {"036", "US11", 4}, {"321", "ZIP", 5}}
	want5 := []Zip5{{"32102", "US4964400", 6}, {"03601", "US11", 7}}
	if !reflect.DeepEqual(m.Zip3s, want3) {
		t.Errorf("zip3s = %v, want %v", m.Zip3s, want3)
	}
	if !reflect.DeepEqual(m.Zip5s, want5) {
		t.Errorf("zip5s = %v, want %v", m.Zip5s, want5)
	}
	if z, ok := m.Zip3("036"); !ok || z.Code != "US11" {
		t.Errorf("Zip3(036) = %v, %v", z, ok)
	}
	if _, ok := m.Zip3("999"); ok {
		t.Error("Zip3(999) found")
	}
}

func TestReadLineProblems(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"neither", ",,US11", "ref.csv:2: neither zip3 nor zip5 is filled"},
		{"both", "350,35001,US11", "ref.csv:2: both zip3 and zip5 are filled; a line maps exactly one"},
		{"no code", "350,,", "ref.csv:2: rate_area_code is empty"},
		{"bad zip3", "35a,,US11", `ref.csv:2: malformed zip3 "35a": 1 to 3 digits expected`},
		{"long zip3", "3501,,US11", `ref.csv:2: malformed zip3 "3501": 1 to 3 digits expected`},
		{"bad zip5", ",350011,US11", `ref.csv:2: malformed zip5 "350011": 1 to 5 digits expected`},
		{"zip5 ZIP", ",35001,ZIP", "ref.csv:2: zip5 35001: code ZIP is only allowed on zip3 lines"},
		{"fields", "350,,US11,x", "ref.csv:2: expected 3 fields, found 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, probs, err := Read(strings.NewReader("zip3,zip5,rate_area_code\n"+tc.line+"\n351,,US11\n"), "ref.csv")
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != 1 || probs[0].String() != tc.want || probs[0].Severity != Error {
				t.Fatalf("problems = %v, want [%s]", probs, tc.want)
			}
			if len(m.Zip3s) != 1 || m.Zip3s[0].Zip3 != "351" {
				t.Errorf("good line not kept: %v", m.Zip3s)
			}
		})
	}
}

func TestReadDuplicates(t *testing.T) {
	in := "zip3,zip5,rate_area_code\n350,,US11\n,35001,US11\n350,,US12\n,35001,US12\n"
	_, probs, err := Read(strings.NewReader(in), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"r.csv:4: zip3 350 listed twice, first on line 2", "r.csv:5: zip5 35001 listed twice, first on line 3"}
	if got := texts(probs); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestReadFileErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "r.csv: empty file"},
		{"header", "zip,zip5,code\n", `r.csv:1: header must be "zip3,zip5,rate_area_code"`},
		{"quote", "zip3,zip5,rate_area_code\n\"350,,US11\n", "r.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(strings.NewReader(tc.in), "r.csv")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
		})
	}
	if _, _, err := ReadFile("/nonexistent/ref.csv"); err == nil || !strings.Contains(err.Error(), "/nonexistent/ref.csv") {
		t.Errorf("ReadFile err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	in := "zip3,zip5,rate_area_code\n" +
		"350,,US11\n" + // ok
		"321,,ZIP\n" + // ok: refined below
		"327,,ZIP\n" + // no zip5 line
		"400,,US99\n" + // unknown code
		"999,,US11\n" + // not in workbook: warning
		",32101,US11\n" + // ok
		",50001,US77\n" // unknown code
	m, probs, err := Read(strings.NewReader(in), "r.csv")
	if err != nil || len(probs) != 0 {
		t.Fatal(err, probs)
	}
	wb := []WorkbookZip3{{"350", "1b!F10"}, {"321", "1b!F11"}, {"327", "1b!F12"}, {"400", "1b!F13"}, {"401", "1b!F14"}}
	dom := map[string]bool{"US11": true, "US12": true}
	got := m.Check(wb, func(c string) bool { return dom[c] })
	want := []string{
		"r.csv: zip3 401 (1b!F14) has no zip3 line",
		"r.csv:4: zip3 327 is ZIP but has no zip5 line",
		`r.csv:5: zip3 400: unknown domestic rate-area code "US99"`,
		"r.csv:6: zip3 999 is not in the workbook; line ignored",
		`r.csv:8: zip5 50001: unknown domestic rate-area code "US77"`,
	}
	if s := texts(got); !reflect.DeepEqual(s, want) {
		t.Errorf("problems =\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range got {
		if wantSev := strings.Contains(p.Message, "ignored"); (p.Severity == Warning) != wantSev {
			t.Errorf("%s: severity %v", p, p.Severity)
		}
	}
}

func texts(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func FuzzRead(f *testing.F) {
	f.Add("zip3,zip5,rate_area_code\n350,,US68\n,32102,US4964400\n")
	f.Add("\uFEFFzip3,zip5,rate_area_code\r\n\"3\"\"5\",,x\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, probs, err := Read(strings.NewReader(in), "f.csv")
		if err != nil {
			return
		}
		for _, z := range m.Zip3s {
			if len(z.Zip3) != 3 || z.Code == "" {
				t.Fatalf("bad zip3 entry %v", z)
			}
		}
		for _, z := range m.Zip5s {
			if len(z.Zip5) != 5 || z.Code == "" || z.Code == Multiple {
				t.Fatalf("bad zip5 entry %v", z)
			}
		}
		for _, p := range probs {
			if p.Line < 1 {
				t.Fatalf("problem without line: %v", p)
			}
		}
	})
}
