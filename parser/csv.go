package parser

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteStageCSV writes stage table t of r as CSV (spec 3.3): a header line of
// the column names, then one line per stage row; UTF-8, LF line endings, a
// field quoted only when it holds `,`, `"`, CR or LF.
func WriteStageCSV(w io.Writer, t *StageTable, r *Records) error {
	bw := bufio.NewWriter(w)
	writeCSVLine(bw, t.Columns)
	for _, fields := range t.Rows(r) {
		writeCSVLine(bw, fields)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s.csv: %w", t.Name, err)
	}
	return nil
}

// writeCSVLine writes one CSV record.
func writeCSVLine(w *bufio.Writer, fields []string) {
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		if strings.ContainsAny(f, ",\"\r\n") {
			w.WriteByte('"')
			w.WriteString(strings.ReplaceAll(f, `"`, `""`))
			w.WriteByte('"')
		} else {
			w.WriteString(f)
		}
	}
	w.WriteByte('\n')
}

// WriteCSVDir writes all 18 stage tables as `<stage_table>.csv` into dir
// (created with mode 0700 if missing; files are 0600, as they hold prices).
func WriteCSVDir(ctx context.Context, dir string, r *Records) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for i := range StageTables {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := &StageTables[i]
		path := filepath.Join(dir, t.Name+".csv")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		err = WriteStageCSV(f, t, r)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing %s: %w", path, cerr)
		}
		if err != nil {
			return errors.Join(err, os.Remove(path))
		}
	}
	return nil
}
