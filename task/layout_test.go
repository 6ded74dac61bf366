package task

import (
	"strings"
	"testing"
)

func TestInbox(t *testing.T) {
	objs := []Listed{
		{Key: "in/TRSS2.xlsx", ETag: `"a"`, Size: 10},
		{Key: "in/TRSS2.rate-areas.csv", ETag: `"b"`, Size: 5},
		{Key: "in/TRSS2.contract.json", ETag: `"c"`, Size: 2},
		{Key: "in/NOCSV.xlsx"},
		{Key: "in/bad name.xlsx"},
		{Key: "in/notes.txt"},
		{Key: "in/sub/DEEP.xlsx"},
		{Key: "in/TRSS2.securemig/x/check.json"},
		{Key: "other/OUT.xlsx"},
	}
	subs, bad := Inbox("in/", objs)
	if len(subs) != 2 || subs[0].Code != "NOCSV" || subs[1].Code != "TRSS2" {
		t.Fatalf("submissions %+v, want NOCSV and TRSS2", subs)
	}
	if subs[0].RateAreas != nil || subs[0].Contract != nil {
		t.Errorf("NOCSV: %+v, want no CSV and no sidecar", subs[0])
	}
	s := subs[1]
	if s.RateAreas == nil || s.RateAreas.Key != "in/TRSS2.rate-areas.csv" || s.Contract == nil || s.Contract.Key != "in/TRSS2.contract.json" {
		t.Errorf("TRSS2: %+v, want its CSV and sidecar", s)
	}
	if len(bad) != 1 || bad[0].Key != "in/bad name.xlsx" || !strings.Contains(bad[0].Reason, "contract code") {
		t.Errorf("bad names %+v", bad)
	}
}

func TestSubmissionID(t *testing.T) {
	a, b, c := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	tests := []struct {
		name       string
		x, y       [3]string
		wantEquals bool
	}{
		{"same files", [3]string{a, b, ""}, [3]string{a, b, ""}, true},
		{"other CSV", [3]string{a, b, ""}, [3]string{a, c, ""}, false},
		{"files swapped", [3]string{a, b, ""}, [3]string{b, a, ""}, false},
		{"sidecar added", [3]string{a, b, ""}, [3]string{a, b, c}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := SubmissionID(tt.x[0], tt.x[1], tt.x[2]), SubmissionID(tt.y[0], tt.y[1], tt.y[2])
			if (x == y) != tt.wantEquals || !ValidID(x) {
				t.Errorf("IDs %s and %s: equal %v, want %v", x, y, x == y, tt.wantEquals)
			}
		})
	}
}

func TestSeenKey(t *testing.T) {
	l := Layout{Prefix: "in/"}
	wb := Listed{ETag: `"9b2cf535f27731c974343645a3985328"`, Size: 100}
	csv := Listed{ETag: `"d41d8cd98f00b204e9800998ecf8427e-2"`, Size: 7}
	got := l.Seen("C1", wb, csv, nil)
	want := "in/.securemig/seen/C1/9b2cf535f27731c974343645a3985328-100.d41d8cd98f00b204e9800998ecf8427e2-7"
	if got != want {
		t.Errorf("Seen = %q, want %q", got, want)
	}
	bigger := wb
	bigger.Size++
	if l.Seen("C1", bigger, csv, nil) == got {
		t.Errorf("a size change does not change the marker")
	}
	if l.Seen("C1", wb, csv, &Listed{ETag: `"x"`, Size: 1}) == got {
		t.Errorf("a sidecar does not change the marker")
	}
	code, last, ok := ParseMarker(l.SeenIndex(), got)
	if !ok || code != "C1" || !strings.HasPrefix(last, "9b2c") {
		t.Errorf("ParseMarker(%q) = %q %q %v", got, code, last, ok)
	}
	for _, k := range []string{"in/.securemig/seen/C1", "in/.securemig/seen/C1/a/b", "elsewhere/C1/x"} {
		if _, _, ok := ParseMarker(l.SeenIndex(), k); ok {
			t.Errorf("ParseMarker accepted %q", k)
		}
	}
}

func TestParseContract(t *testing.T) {
	tests := []struct {
		in       string
		problems int
		start    string
	}{
		{`{"contract_name": "Transport 2", "contract_start_date": "2026-06-01"}`, 0, "2026-06-01"},
		{`{}`, 0, "2021-02-01"},
		{`{"contract_start_date": "06/01/2026"}`, 1, "2021-02-01"},
		{`{"start": "2026-06-01"}`, 1, "2021-02-01"},
		{`not json`, 1, "2021-02-01"},
	}
	for _, tt := range tests {
		m, probs := parseContract([]byte(tt.in))
		if len(probs) != tt.problems || m.startDate().Format("2006-01-02") != tt.start {
			t.Errorf("parseContract(%s) = %+v, %q; want %d problems, start %s", tt.in, m, probs, tt.problems, tt.start)
		}
	}
}
