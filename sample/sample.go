// Package sample generates a full-size synthetic GHC pricing workbook and the
// zip3/zip5 → rate-area reference CSV that goes with it.
//
// The workbook follows the template's exact layout (36 tabs, header texts,
// example rows, spacer columns, year blocks, 3e's stacked sections) and the
// row counts of a real template at scale 1. Values are synthetic but
// plausible, deterministic for a seed, and stored the way real templates
// store them: numbers with various formats, some numbers as text.
//
// Build computes the Model (pure); Model.WriteWorkbook and
// Model.WriteRateAreas render it; Generate and GenerateFiles do both.
package sample

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Stats describes a generated workbook.
type Stats struct {
	// Stage maps each staging table to the records the workbook yields.
	Stage map[string]int
	// RateEngine maps each re_* table to the rows an import produces.
	RateEngine map[string]int
	// ServiceAreas, Zip3s, DomesticAreas and IntlAreas are geography sizes.
	ServiceAreas, Zip3s, DomesticAreas, IntlAreas int
	// Zip3Lines and Zip5Lines count the reference CSV's data lines.
	Zip3Lines, Zip5Lines int
}

// Stats returns the sizes of the model.
func (m *Model) Stats() *Stats {
	re := m.RateEngineCounts()
	return &Stats{
		Stage:         m.StageCounts(),
		RateEngine:    re,
		ServiceAreas:  re["re_domestic_service_areas"],
		Zip3s:         re["re_zip3s"],
		DomesticAreas: len(m.DomesticAreas),
		IntlAreas:     len(m.IntlRateAreas),
		Zip3Lines:     len(m.Zip3Refs),
		Zip5Lines:     len(m.Zip5Refs),
	}
}

// Generate builds the model for opts and writes the workbook to w and the
// reference CSV to refCSV.
func Generate(ctx context.Context, w, refCSV io.Writer, opts Options) (*Stats, error) {
	m, err := Build(opts)
	if err != nil {
		return nil, err
	}
	if err := m.WriteWorkbook(ctx, w); err != nil {
		return nil, err
	}
	if err := m.WriteRateAreas(refCSV); err != nil {
		return nil, err
	}
	return m.Stats(), nil
}

// DefaultRateAreasPath returns the reference CSV path that goes with a
// workbook path: the path without .xlsx plus ".rate-areas.csv".
func DefaultRateAreasPath(workbook string) string {
	base := workbook
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".xlsx") {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".rate-areas.csv"
}

// GenerateFiles writes the workbook and the reference CSV to the given paths.
// Each file is written to a temporary file in its directory and renamed into
// place, so a failure never leaves a partial file behind.
func GenerateFiles(ctx context.Context, workbook, refCSV string, opts Options) (*Stats, error) {
	m, err := Build(opts)
	if err != nil {
		return nil, err
	}
	if err := writeFile(workbook, func(w io.Writer) error { return m.WriteWorkbook(ctx, w) }); err != nil {
		return nil, err
	}
	if err := writeFile(refCSV, m.WriteRateAreas); err != nil {
		return nil, err
	}
	return m.Stats(), nil
}

// writeFile writes path atomically through a temporary file.
func writeFile(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeIfExists(tmp.Name()))
		}
	}()
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
