package sample

import (
	"bufio"
	"fmt"
	"io"
)

// RefCSVHeader is the header line of the zip → rate-area reference CSV.
const RefCSVHeader = "zip3,zip5,rate_area_code"

// WriteRateAreas writes the zip3/zip5 → rate-area reference CSV (Part 4.4):
// the header, one line per zip3, then one line per zip5, LF line endings.
func (m *Model) WriteRateAreas(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, RefCSVHeader)
	for _, z := range m.Zip3Refs {
		fmt.Fprintf(bw, "%03d,,%s\n", z.Zip3, z.Code)
	}
	for _, z := range m.Zip5Refs {
		fmt.Fprintf(bw, ",%05d,%s\n", z.Zip5, z.Code)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing rate-area reference CSV: %w", err)
	}
	return nil
}
