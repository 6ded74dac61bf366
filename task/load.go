package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/importer"
	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/zipref"
)

// contractMeta is the optional sidecar <CODE>.contract.json: what the
// workbook itself does not say about the contract.
type contractMeta struct {
	// Name is the contract's name (default: the code).
	Name string `json:"contract_name"`
	// StartDate is the first day of the first contract year, YYYY-MM-DD
	// (default: importer.DefaultStartDate).
	StartDate string `json:"contract_start_date"`
}

// parseContract reads a sidecar; problems are returned, not errors.
func parseContract(data []byte) (contractMeta, []string) {
	var m contractMeta
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, []string{fmt.Sprintf("not a contract sidecar (want {\"contract_name\": ..., \"contract_start_date\": \"YYYY-MM-DD\"}): %v", err)}
	}
	var probs []string
	if m.StartDate != "" {
		if _, err := time.Parse(time.DateOnly, m.StartDate); err != nil {
			probs = append(probs, fmt.Sprintf("contract_start_date %q is not a date YYYY-MM-DD", m.StartDate))
		}
	}
	if len([]rune(m.Name)) > 80 {
		probs = append(probs, "contract_name is longer than 80 characters")
	}
	return m, probs
}

// startDate returns the sidecar's start date or the importer's default.
func (m contractMeta) startDate() time.Time {
	if t, err := time.Parse(time.DateOnly, m.StartDate); err == nil {
		return t
	}
	return importer.DefaultStartDate
}

// localInput is an input file on local disk with its identity.
type localInput struct {
	Path, Name, SHA256 string
}

// loadInputs is what an import needs.
type loadInputs struct {
	Code               string
	Meta               contractMeta
	Workbook, RateArea localInput
	ToolVersion        string
}

// importInputs parses the workbook and the CSV and imports them into the
// database on conn in one transaction (package importer). Problems with the
// inputs are collected into probs (nothing is imported then); the error is
// for everything else.
func importInputs(ctx context.Context, conn *pgx.Conn, in loadInputs, probs *Problems) (*importer.Summary, error) {
	t0 := time.Now()
	res, err := parseWorkbook(ctx, in.Workbook)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		probs.Workbook = append(probs.Workbook, parser.Problem{Severity: parser.Error, Message: err.Error()})
		return nil, nil
	}
	parseTime := time.Since(t0)
	probs.Workbook = append(probs.Workbook, res.Problems...)
	ref, err := readRateAreas(in.RateArea, probs)
	if err != nil || res.HasErrors() || ref == nil {
		return nil, err
	}
	sum, err := importer.Import(ctx, conn, res, ref, importer.Options{
		ContractCode: in.Code, ContractName: in.Meta.Name, StartDate: in.Meta.startDate(),
		WorkbookName: in.Workbook.Name, WorkbookSHA256: in.Workbook.SHA256,
		RateAreasName: in.RateArea.Name, RateAreasSHA256: in.RateArea.SHA256,
		ToolVersion: in.ToolVersion, ParseDuration: parseTime,
	})
	var pe *importer.ProblemsError
	if errors.As(err, &pe) {
		probs.Import = append(probs.Import, pe.Problems...)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, w := range sum.Warnings {
		probs.Import = append(probs.Import, w)
	}
	return sum, nil
}

// parseWorkbook parses a local workbook, naming it by its object name.
func parseWorkbook(ctx context.Context, in localInput) (*parser.Result, error) {
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return parser.Parse(ctx, f, st.Size(), in.Name)
}

// readRateAreas reads the CSV; its problems go to probs, and ref is nil
// when any of them is an error.
func readRateAreas(in localInput, probs *Problems) (*zipref.Map, error) {
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ref, refProbs, err := zipref.Read(f, in.Name)
	if err != nil {
		probs.RateAreas = append(probs.RateAreas, CSVProblem{Severity: "error", File: in.Name, Message: err.Error()})
		return nil, nil
	}
	bad := false
	for _, p := range refProbs {
		probs.RateAreas = append(probs.RateAreas, CSVProblem{Severity: p.Severity.String(), File: in.Name, Line: p.Line, Message: p.Message})
		bad = bad || p.Severity == zipref.Error
	}
	if bad {
		return nil, nil
	}
	return ref, nil
}

// loadChecked downloads the kept inputs of a checked submission into dir,
// verifies each against the SHA-256 its check record names, and imports
// them into conn. Any problem is an error here: the submission imported
// cleanly when it was checked.
func (c *Config) loadChecked(ctx context.Context, conn *pgx.Conn, rec *CheckRecord, dir string) (*importer.Summary, error) {
	in := loadInputs{Code: rec.ContractCode, ToolVersion: c.ToolVersion,
		Meta: contractMeta{Name: rec.ContractName, StartDate: rec.ContractStartDate}}
	for _, role := range []string{"workbook", "rate-areas"} {
		ri := rec.input(role)
		if ri == nil {
			return nil, fmt.Errorf("submission %s: the check record names no %s", rec.Submission, role)
		}
		sub := filepath.Join(dir, role)
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return nil, err
		}
		f, err := c.Source.download(ctx, ri.Key, sub)
		if err != nil {
			return nil, err
		}
		if f.SHA256 != ri.SHA256 {
			return nil, fmt.Errorf("%s has SHA-256 %s, but %s was checked: the kept input changed; nothing imported",
				c.Source.url(ri.Key), f.SHA256, ri.SHA256)
		}
		li := localInput{Path: f.Path, Name: filepath.Base(ri.InboxKey), SHA256: f.SHA256}
		if role == "workbook" {
			in.Workbook = li
		} else {
			in.RateArea = li
		}
	}
	var probs Problems
	sum, err := importInputs(ctx, conn, in, &probs)
	if err != nil {
		return nil, err
	}
	if sum == nil {
		return nil, fmt.Errorf("submission %s no longer imports cleanly (%d problems)", rec.Submission, probs.count())
	}
	return sum, nil
}
