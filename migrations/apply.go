package migrations

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/securemig/securemig/migrations/sqlscan"
)

// Result describes one applied migration file.
type Result struct {
	// Name is the migration's file name.
	Name string
	// SHA256 is the hex SHA-256 of the bytes applied.
	SHA256 string
	// Bytes is the number of bytes applied.
	Bytes int64
	// Statements is the number of SQL statements run (a COPY counts as one).
	Statements int
	// CopyRows is the number of rows loaded by COPY.
	CopyRows int64
	// NoTransaction reports that the file opted out of the per-file transaction.
	NoTransaction bool
	// Reverts is the file name the header's "-- securemig:reverts NAME"
	// directive names: this file is a revert migration that undoes NAME.
	Reverts string
	// Duration is how long applying took.
	Duration time.Duration
}

// Progress reports how far applying a file has got.
type Progress struct {
	// File is the migration being applied.
	File string
	// Bytes is the number of bytes read so far.
	Bytes int64
	// Rows is the number of COPY rows sent so far.
	Rows int64
	// Statements is the number of statements completed.
	Statements int
	// Done is set on the last report for the file, after it was committed.
	Done bool
}

// noTxRE matches the header directive that opts a file out of the
// per-file transaction.
var noTxRE = regexp.MustCompile(`(?m)^[ \t]*--[ \t]*securemig:no-transaction[ \t]*\r?$`)

// revertsRE matches the header directive of a revert migration,
// "-- securemig:reverts <version>_<name>.up.sql", capturing the name.
var revertsRE = regexp.MustCompile(`(?m)^[ \t]*--[ \t]*securemig:reverts[ \t]+(\S+)[ \t]*\r?$`)

// applyConfig controls one application of a file.
type applyConfig struct {
	name     string
	verbose  bool
	progress func(Progress)
	// expected is the required hex SHA-256, "" for none. It is checked
	// before COMMIT (transactional files only).
	expected string
	// locate maps a line of the stream to a file name and line (for split
	// files); nil means the stream is the file itself.
	locate func(line int) (string, int)
	// record runs on conn after the last statement, before COMMIT (inside
	// the transaction for transactional files).
	record func(ctx context.Context, conn *pgx.Conn, res Result) error
}

// ApplyFile applies one migration file read from r to conn as psql would
// (psql -X -v ON_ERROR_STOP=1 -1 -f), in one transaction unless the file's
// header has the "-- securemig:no-transaction" directive. It records nothing
// in the tracking table. Errors are *ApplyError values and never contain
// statement text or row values.
func ApplyFile(ctx context.Context, conn *pgx.Conn, name string, r io.Reader) (Result, error) {
	return applyStream(ctx, conn, r, applyConfig{name: name})
}

// applyStream applies the SQL of r to conn.
func applyStream(ctx context.Context, conn *pgx.Conn, r io.Reader, cfg applyConfig) (Result, error) {
	start := time.Now()
	cr := &countingReader{r: r, h: sha256.New()}
	a := &applier{conn: conn, cfg: cfg, sc: sqlscan.NewScanner(cr), cr: cr, res: Result{Name: cfg.name}, start: start}
	first, err := a.sc.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		return a.res, a.fail(0, 0, err, nil)
	}
	eof := errors.Is(err, io.EOF)
	if !eof {
		header := first.Raw[:headerLen(first)]
		a.res.NoTransaction = noTxRE.Match(header)
		if m := revertsRE.FindSubmatch(header); m != nil {
			a.res.Reverts = string(m[1])
		}
	}
	if a.res.Reverts != "" && a.res.NoTransaction {
		a.res.NoTransaction = false // nothing ran: no failure to record
		return a.res, &ApplyError{File: cfg.name, Message: "a revert migration (securemig:reverts) must run in a transaction: " +
			"remove the securemig:no-transaction directive; nothing applied"}
	}
	if !a.res.NoTransaction {
		if err := a.simple(ctx, "BEGIN"); err != nil {
			return a.res, a.fail(0, 0, err, nil)
		}
	}
	err = a.run(ctx, first, eof)
	if err == nil {
		err = a.finish(ctx)
	}
	a.res.Duration = time.Since(start)
	if err != nil {
		if !a.res.NoTransaction {
			a.rollback(ctx)
		}
		return a.res, err
	}
	a.report(true)
	return a.res, nil
}

// headerLen is the length of the comment lines before an item's SQL.
func headerLen(it sqlscan.Item) int {
	n, line := 0, 1
	for n < len(it.Raw) && line < it.Line {
		if it.Raw[n] == '\n' {
			line++
		}
		n++
	}
	if !it.SQL && it.Kind == sqlscan.Statement {
		return len(it.Raw)
	}
	return n
}

// applier holds the state of one application.
type applier struct {
	conn *pgx.Conn
	cfg  applyConfig
	sc   *sqlscan.Scanner
	cr   *countingReader
	res  Result
	rows int64 // COPY data lines sent, for progress
	// start is when applying began: the recorded duration runs from it to
	// the recording, just before COMMIT.
	start time.Time
}

// run executes the items of the stream, starting with first.
func (a *applier) run(ctx context.Context, it sqlscan.Item, eof bool) error {
	for !eof {
		if err := a.item(ctx, it); err != nil {
			return err
		}
		var err error
		it, err = a.sc.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return a.fail(a.res.Statements, 0, err, nil)
		}
	}
	return nil
}

// item executes one scanned item.
func (a *applier) item(ctx context.Context, it sqlscan.Item) error {
	switch it.Kind {
	case sqlscan.Statement:
		if !it.SQL {
			return nil
		}
		a.res.Statements++
		if err := a.simple(ctx, string(it.Text)); err != nil {
			return a.fail(a.res.Statements, it.Line, err, it.Text)
		}
		if !a.res.NoTransaction && a.conn.PgConn().TxStatus() != 'T' {
			return a.fail(a.res.Statements, it.Line, errors.New(
				"the statement ended the file's transaction (remove BEGIN/COMMIT/ROLLBACK, or add the header "+
					"directive '-- securemig:no-transaction' for a file that manages its own transactions)"), nil)
		}
	case sqlscan.Copy:
		a.res.Statements++
		if err := a.copy(ctx, it); err != nil {
			return err
		}
	case sqlscan.Meta:
		if it.SQL {
			return a.fail(a.res.Statements+1, it.Line, fmt.Errorf("psql meta-command \\%s inside an SQL statement is not supported", it.Command), nil)
		}
		if it.Command != "restrict" && it.Command != "unrestrict" {
			return a.fail(a.res.Statements, it.Line, fmt.Errorf("psql meta-command \\%s is not supported (only \\restrict and \\unrestrict are)", it.Command), nil)
		}
	}
	a.report(false)
	return nil
}

// simple runs one SQL statement with the simple query protocol, as psql
// does, discarding any rows it returns.
func (a *applier) simple(ctx context.Context, sql string) error {
	mrr := a.conn.PgConn().Exec(ctx, sql)
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		for rr.NextRow() {
		}
		if _, err := rr.Close(); err != nil {
			mrr.Close() //nolint:errcheck // the first error is returned
			return err
		}
	}
	return mrr.Close()
}

// copy streams the data of a COPY ... FROM STDIN item to the server.
func (a *applier) copy(ctx context.Context, it sqlscan.Item) error {
	dr := &dataReader{r: a.sc.Data(), onLines: func(n int) {
		a.rows += int64(n)
		a.report(false)
	}}
	tag, err := a.conn.PgConn().CopyFrom(ctx, dr, string(it.Text))
	if dr.err != nil {
		// Our read failed (input error or missing \.); the server's reply
		// only echoes it.
		return a.fail(a.res.Statements, it.Line, dr.err, nil)
	}
	if err != nil {
		return a.fail(a.res.Statements, it.Line, err, it.Text, it.DataLine)
	}
	a.res.CopyRows += tag.RowsAffected()
	a.rows = a.res.CopyRows
	return nil
}

// finish checks the digest, records the migration and commits.
func (a *applier) finish(ctx context.Context) error {
	a.res.Bytes = a.cr.n
	a.res.SHA256 = hex.EncodeToString(a.cr.h.Sum(nil))
	a.res.Duration = time.Since(a.start)
	if a.cfg.expected != "" && !a.res.NoTransaction && a.cfg.expected != a.res.SHA256 {
		return &ApplyError{File: a.cfg.name, Message: fmt.Sprintf(
			"SHA-256 of the applied bytes is %s, the lock file expects %s: the object is not the reviewed file; rolled back",
			a.res.SHA256, a.cfg.expected)}
	}
	if a.cfg.record != nil {
		if err := a.cfg.record(ctx, a.conn, a.res); err != nil {
			var ae *ApplyError
			if errors.As(err, &ae) {
				return err
			}
			return &ApplyError{File: a.cfg.name, Message: "recording the migration", err: err}
		}
	}
	if a.res.NoTransaction {
		return nil
	}
	if a.conn.PgConn().TxStatus() != 'T' {
		return &ApplyError{File: a.cfg.name, Message: "transaction is not open before COMMIT"}
	}
	if err := a.simple(ctx, "COMMIT"); err != nil {
		return a.fail(0, 0, err, nil)
	}
	return nil
}

// rollback ends a failed transaction. On a broken connection there is
// nothing to roll back: the server aborts the transaction itself.
func (a *applier) rollback(ctx context.Context) {
	if a.conn.PgConn().IsClosed() {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	a.simple(rctx, "ROLLBACK") //nolint:errcheck // best effort; the connection is discarded after a failure
}

// fail builds the redacted *ApplyError for err at statement stmt, line
// line of the stream. dataLine is the first COPY data line for COPY errors.
func (a *applier) fail(stmt, line int, err error, text []byte, dataLine ...int) error {
	var ae *ApplyError
	if errors.As(err, &ae) {
		return err
	}
	e := &ApplyError{File: a.cfg.name, Line: line, Statement: stmt}
	var pe *pgconn.PgError
	var se *sqlscan.Error
	switch {
	case errors.As(err, &pe):
		e.SQLState = pe.Code
		var copyLine int
		e.Message, copyLine = serverError(pe)
		if copyLine > 0 && len(dataLine) > 0 {
			e.Line = dataLine[0] + copyLine - 1
			e.Message += fmt.Sprintf(" in COPY data line %d", copyLine)
		}
	case errors.As(err, &se):
		e.Line, e.Message = se.Line, se.Msg
	default:
		e.Message, e.err = err.Error(), err
	}
	if a.cfg.locate != nil && e.Line > 0 {
		e.File, e.Line = a.cfg.locate(e.Line)
	}
	if a.cfg.verbose {
		e.verbose = verboseDetail(err, text)
	}
	return e
}

// report sends a progress report.
func (a *applier) report(done bool) {
	if a.cfg.progress == nil {
		return
	}
	a.cfg.progress(Progress{File: a.cfg.name, Bytes: a.cr.n, Rows: a.rows, Statements: a.res.Statements, Done: done})
}

// countingReader hashes and counts the bytes read through it.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// dataReader passes COPY data through, counting lines and keeping its own
// read error (which pgx reports to the server as a COPY failure).
type dataReader struct {
	r       io.Reader
	err     error
	onLines func(int)
	pending int
}

// reportEvery is how many COPY lines pass between progress reports.
const reportEvery = 50000

func (d *dataReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if n > 0 {
		d.pending += bytes.Count(p[:n], []byte{'\n'})
		if d.pending >= reportEvery {
			d.onLines(d.pending)
			d.pending = 0
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		d.err = err
	}
	return n, err
}

// sniffNoTransaction reports whether the file read from r has the
// no-transaction header directive.
func sniffNoTransaction(r io.Reader) (bool, error) {
	it, err := sqlscan.NewScanner(r).Next()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return noTxRE.Match(it.Raw[:headerLen(it)]), nil
}
