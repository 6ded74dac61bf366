package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// errNoWriter is a spreadsheet writer that is not installed.
var errNoWriter = errors.New("not installed")

// writer re-saves the workbook src as dst the way one spreadsheet program
// does.
type writer struct {
	name string
	save func(ctx context.Context, src, dst string) error
	// uncached: the program keeps formulas but drops their results, so the
	// parse must give the one workbook-level problem instead of records.
	uncached bool
}

// command runs a writer's command line; a missing program is errNoWriter.
func command(ctx context.Context, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s: %w (%v)", name, errNoWriter, err)
	}
	if out, err := exec.CommandContext(ctx, path, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// libreOffice converts with LibreOffice headless, in a private profile.
func libreOffice(ctx context.Context, src, dst string) error {
	office := "soffice"
	if _, err := exec.LookPath(office); err != nil {
		office = "libreoffice"
	}
	out, err := os.MkdirTemp(filepath.Dir(dst), "lo")
	if err != nil {
		return err
	}
	profile := "file://" + filepath.Join(out, "profile")
	if err := command(ctx, office, "-env:UserInstallation="+profile, "--headless",
		"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, src); err != nil {
		return err
	}
	// LibreOffice may exit 0 without converting; a missing file says so.
	return os.Rename(filepath.Join(out, filepath.Base(src)), dst)
}

// gnumeric converts with gnumeric's ssconvert to the given exporter.
func gnumeric(exporter string) func(ctx context.Context, src, dst string) error {
	return func(ctx context.Context, src, dst string) error {
		return command(ctx, "ssconvert", "--export-type=Gnumeric_Excel:"+exporter, src, dst)
	}
}

// openpyxlScript loads and saves a workbook with openpyxl; argv[3] "values"
// loads the cached results instead of the formulas.
const openpyxlScript = `import sys, openpyxl
openpyxl.load_workbook(sys.argv[1], data_only=sys.argv[3] == "values").save(sys.argv[2])
`

// openpyxl re-saves with Python's openpyxl: with values, the formulas'
// cached results replace the formulas; without, the formulas stay and their
// results are lost (openpyxl never calculates).
func openpyxl(values bool) func(ctx context.Context, src, dst string) error {
	return func(ctx context.Context, src, dst string) error {
		py, err := pythonWithOpenpyxl(ctx)
		if err != nil {
			return err
		}
		mode := "formulas"
		if values {
			mode = "values"
		}
		return command(ctx, py, "-c", openpyxlScript, src, dst, mode)
	}
}

// pythonWithOpenpyxl finds a Python that can import openpyxl (the Debian
// package python3-openpyxl installs it for /usr/bin/python3, which a
// python3 earlier on PATH may not be).
func pythonWithOpenpyxl(ctx context.Context) (string, error) {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.CommandContext(ctx, path, "-c", "import openpyxl").Run() == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("python3 with openpyxl: %w", errNoWriter)
}

// excelizeResave opens and saves the workbook with excelize.
func excelizeResave(_ context.Context, src, dst string) error {
	f, err := excelize.OpenFile(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.SaveAs(dst)
}

// writers are the spreadsheet writers the round trip goes through. .ci/run
// installs the programs (Debian packages libreoffice-calc-nogui, gnumeric,
// python3-openpyxl).
var writers = []writer{
	{name: "excelize", save: excelizeResave},
	{name: "LibreOffice", save: libreOffice},
	{name: "gnumeric xlsx", save: gnumeric("xlsx")},
	{name: "gnumeric xlsx2", save: gnumeric("xlsx2")},
	{name: "openpyxl values", save: openpyxl(true)},
	{name: "openpyxl formulas", save: openpyxl(false), uncached: true},
}

// TestWritersRoundTrip re-saves the full-size sample workbook with every
// spreadsheet writer and parses the result: the records must equal the
// original's, field for field (cells, codes, amounts and displayed texts);
// a writer that drops the formulas' results must give exactly the one
// workbook-level problem that says so. A writer that is not installed fails
// the test under CI and skips it elsewhere.
func TestWritersRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "sample.xlsx")
	if err := os.WriteFile(src, sampleBook(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
			defer cancel()
			dst := filepath.Join(t.TempDir(), "resaved.xlsx")
			err := w.save(ctx, src, dst)
			switch {
			case errors.Is(err, errNoWriter) && os.Getenv("CI") == "":
				t.Skipf("%v; install it to run this round trip", err)
			case err != nil:
				t.Fatalf("re-saving with %s: %v", w.name, err)
			}
			data, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(data, sampleBook(t)) {
				t.Fatalf("%s wrote the original bytes", w.name)
			}
			res := parseSample(t, data)
			if !w.uncached {
				sameRecords(t, res)
				return
			}
			if len(res.Problems) != 1 || res.Problems[0].Kind != KindUncachedFormulas ||
				!strings.Contains(res.Problems[0].Message, "3c) OCONUS to CONUS Prices!G11") ||
				!strings.Contains(res.Problems[0].Message, "openpyxl") {
				t.Errorf("problems %v, want only the workbook-level %s problem naming 3c's G11 and openpyxl",
					res.Problems[:min(5, len(res.Problems))], KindUncachedFormulas)
			}
		})
	}
}
