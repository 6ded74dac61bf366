package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	getenvRE   = regexp.MustCompile(`os\.(?:Getenv|LookupEnv)\("([A-Z][A-Z0-9_]+)"\)`)
	envVarsRE  = regexp.MustCompile(`EnvVars:\s*\[\]string\{([^}]*)\}`)
	envConstRE = regexp.MustCompile(`(?m)^\s*(?:const\s+)?\w*[Ee]nv(?:Var)?\w*\s*=\s*"([A-Z][A-Z0-9_]+)"`)
	constIdRE  = regexp.MustCompile(`(?m)^\s*(?:const\s+)?(\w*[Ee]nv\w*)\s*=\s*"([A-Z][A-Z0-9_]+)"`)
	envPrefRE  = regexp.MustCompile(`"((?:SECUREMIG|AWS)_[A-Z0-9_]*_)"\s*\+`)
	quotedRE   = regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`)
	scriptRE   = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*):-`)
	testSetRE  = regexp.MustCompile(`"([A-Z][A-Z0-9_]+)="`)
)

// envVarsRead lists the environment variables the repository's code and
// scripts read (Go sources, tests included, and scripts/). A variable that
// only tests read and that a test sets itself (for a child process it
// starts) is internal to the test and left out.
func envVarsRead(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	inCode := map[string]bool{}
	setByTests := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "tmp" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		isScript := strings.HasPrefix(rel, "scripts"+string(filepath.Separator)) && !d.IsDir()
		if !strings.HasSuffix(path, ".go") && !isScript {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		if isScript {
			for _, m := range scriptRE.FindAllStringSubmatch(src, -1) {
				seen[m[1]], inCode[m[1]] = true, true
			}
			return nil
		}
		test := strings.HasSuffix(path, "_test.go")
		if test {
			for _, m := range testSetRE.FindAllStringSubmatch(src, -1) {
				setByTests[m[1]] = true
			}
			for _, m := range constIdRE.FindAllStringSubmatch(src, -1) {
				if strings.Contains(src, m[1]+`+"=`) {
					setByTests[m[2]] = true
				}
			}
		}
		for _, re := range []*regexp.Regexp{getenvRE, envConstRE, envPrefRE} {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				seen[m[1]] = true
				inCode[m[1]] = inCode[m[1]] || !test
			}
		}
		for _, m := range envVarsRE.FindAllStringSubmatch(src, -1) {
			for _, q := range quotedRE.FindAllStringSubmatch(m[1], -1) {
				seen[q[1]] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Read by the AWS SDK on securemig's behalf; the issue names it.
	seen["AWS_ENDPOINT_URL"] = true
	var out []string
	for v := range seen {
		if !inCode[v] && setByTests[v] {
			continue
		}
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// TestEveryEnvironmentVariableIsDocumented: README.md and .env.example name
// every variable the tools read.
func TestEveryEnvironmentVariableIsDocumented(t *testing.T) {
	root := repoRoot(t)
	vars := envVarsRead(t, root)
	for _, must := range []string{"DATABASE_URL", "SECUREMIG_PGDIR", "SECUREMIG_MIGRATION_PATH", "XLSX"} {
		found := false
		for _, v := range vars {
			found = found || v == must
		}
		if !found {
			t.Fatalf("the scan missed %s (found %v); the scan is broken", must, vars)
		}
	}
	for _, doc := range []string{"README.md", ".env.example"} {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vars {
			if !strings.Contains(string(b), v) {
				t.Errorf("%s does not document %s", doc, v)
			}
		}
	}
}

// TestDocsStandAlone: the documentation never points outside the
// repository, and the workbook format and reference CSV are described in
// it.
func TestDocsStandAlone(t *testing.T) {
	root := repoRoot(t)
	outside := regexp.MustCompile(`\]\(\.\./|\.\./shared|/work/shared`)
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, f := range append(docs, filepath.Join(root, "README.md")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if loc := outside.FindIndex(b); loc != nil {
			t.Errorf("%s points outside the repository: %q", f, b[loc[0]:min(len(b), loc[1]+40)])
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "workbook-format.md"))
	if err != nil {
		t.Fatalf("the workbook format is not documented in the repository: %v", err)
	}
	for _, want := range []string{"zip3,zip5,rate_area_code", "ZIP", "Where a real one comes from", "How the sample generates one",
		"1b) Service Areas", "5b) Price Escalation Discount"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("docs/workbook-format.md lacks %q", want)
		}
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"docs/workbook-format.md", "?endpoint=", "Machine-readable output"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}
