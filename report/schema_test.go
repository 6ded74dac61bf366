package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// validator checks a decoded JSON document against the subset of JSON
// Schema (2020-12) that schema.json uses: type, enum, required, properties,
// additionalProperties false, items, $ref to #/$defs, oneOf, minimum,
// pattern and format date-time.
type validator struct {
	defs map[string]any
}

func (v *validator) validate(path string, schema map[string]any, doc any) []string {
	var errs []string
	if ref, ok := schema["$ref"].(string); ok {
		def, ok := v.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			return []string{path + ": unresolvable $ref " + ref}
		}
		return v.validate(path, def, doc)
	}
	if one, ok := schema["oneOf"].([]any); ok {
		matched := 0
		for _, s := range one {
			if len(v.validate(path, s.(map[string]any), doc)) == 0 {
				matched++
			}
		}
		if matched != 1 {
			errs = append(errs, fmt.Sprintf("%s: matches %d of oneOf, want 1", path, matched))
		}
	}
	if t, ok := schema["type"]; ok && !typeMatches(t, doc) {
		return append(errs, fmt.Sprintf("%s: %T does not match type %v", path, doc, t))
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return e == doc }) {
		errs = append(errs, fmt.Sprintf("%s: %v not in enum %v", path, doc, enum))
	}
	switch d := doc.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asSlice(schema["required"]) {
			if _, ok := d[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: missing required %q", path, r))
			}
		}
		for k, val := range d {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					errs = append(errs, fmt.Sprintf("%s: unexpected property %q", path, k))
				}
				continue
			}
			errs = append(errs, v.validate(path+"."+k, ps, val)...)
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range d {
				errs = append(errs, v.validate(fmt.Sprintf("%s[%d]", path, i), items, it)...)
			}
		}
	case float64:
		if m, ok := schema["minimum"].(float64); ok && d < m {
			errs = append(errs, fmt.Sprintf("%s: %v below minimum %v", path, d, m))
		}
	case string:
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(d) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, d, p))
		}
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, d); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", path, d))
			}
		}
	}
	return errs
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func typeMatches(t any, doc any) bool {
	if list, ok := t.([]any); ok {
		return slices.ContainsFunc(list, func(x any) bool { return typeMatches(x, doc) })
	}
	switch t {
	case "null":
		return doc == nil
	case "boolean":
		_, ok := doc.(bool)
		return ok
	case "string":
		_, ok := doc.(string)
		return ok
	case "number":
		_, ok := doc.(float64)
		return ok
	case "integer":
		f, ok := doc.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := doc.(map[string]any)
		return ok
	case "array":
		_, ok := doc.([]any)
		return ok
	}
	return false
}

// validateJSON validates raw JSON against schema.json.
func validateJSON(t *testing.T, raw []byte) []string {
	t.Helper()
	sb, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(sb, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	v := &validator{defs: schema["$defs"].(map[string]any)}
	return v.validate("$", schema, doc)
}

func reportJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONValidatesAgainstSchema(t *testing.T) {
	failing := fixture("B")
	mustRemove(t, failing, lhKey)
	failing.Import = nil
	cases := map[string]*Report{
		"clean, no diff":     Analyze(fixture("A"), nil, Options{}),
		"clean, with diff":   Analyze(fixture("B"), fixture("A"), Options{}),
		"failing, with diff": Analyze(failing, fixture("A"), Options{}),
		"empty contract":     Analyze(&Dataset{Code: "E"}, &Dataset{Code: "F"}, Options{}),
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			if errs := validateJSON(t, reportJSON(t, r)); len(errs) > 0 {
				t.Fatalf("schema violations:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

func TestSchemaValidatorRejects(t *testing.T) {
	good := reportJSON(t, Analyze(fixture("B"), fixture("A"), Options{}))
	cases := map[string]func(m map[string]any){
		"missing field":    func(m map[string]any) { delete(m, "summary") },
		"wrong type":       func(m map[string]any) { m["counts"] = "many" },
		"unknown verdict":  func(m map[string]any) { m["summary"].(map[string]any)["verdict"] = "maybe" },
		"extra property":   func(m map[string]any) { m["surprise"] = 1 },
		"fractional count": func(m map[string]any) { m["checks"].([]any)[0].(map[string]any)["count"] = 1.5 },
		"bad cell":         func(m map[string]any) { m["sample"].([]any)[0].(map[string]any)["cell"] = "row 5" },
		"unquoted sheet ref": func(m map[string]any) {
			m["sample"].([]any)[0].(map[string]any)["ref"] = "2a) Domestic Linehaul Prices!G5"
		},
		"group without count": func(m map[string]any) {
			c := m["checks"].([]any)[0].(map[string]any)
			c["groups"] = []any{map[string]any{"severity": "fail", "summary": "x", "findings": []any{}, "truncated": false}}
		},
		"diff not an object": func(m map[string]any) { m["diff"] = []any{} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if errs := validateJSON(t, raw); len(errs) == 0 {
				t.Fatal("validator accepted a broken report")
			}
		})
	}
}
