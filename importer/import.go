package importer

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/securemig/securemig/parser"
	"github.com/securemig/securemig/zipref"
)

// DefaultStartDate is the contract start date used when none is given.
var DefaultStartDate = time.Date(2021, 2, 1, 0, 0, 0, 0, time.UTC)

// Options configures an import.
type Options struct {
	ContractCode string    // required: letters, digits, '-', '_'
	ContractName string    // default: the code
	StartDate    time.Time // contract start date; default DefaultStartDate
	Replace      bool      // re-import an existing contract code (delete then insert)

	// For the import log.
	WorkbookName    string
	WorkbookSHA256  string // lowercase hex
	RateAreasName   string
	RateAreasSHA256 string // lowercase hex; empty if unknown
	ToolVersion     string
	ParseDuration   time.Duration
	// RunBy is who runs the import (default actor.Current():
	// SECUREMIG_ACTOR, else "user@host").
	RunBy string

	// Now is the created_at / updated_at of every row; default time.Now.
	Now time.Time

	// Progress, when set, is told each step of the transaction as it
	// starts ("staging tables", then each contract table's name), for a
	// progress display.
	Progress func(step string)
}

// Summary describes a successful import.
type Summary struct {
	ImportID   uuid.UUID
	ContractID uuid.UUID
	Replaced   bool             // an existing contract was replaced
	Counts     map[string]int64 // rows written per table (stage_* and re_*)
	Warnings   []Problem        // reference-CSV warnings
	Duration   time.Duration    // import transaction, from begin to commit
}

// Import writes res (a parse without errors) and ref into the database on
// conn: staging tables and every contract table, in one transaction, with
// COPY. It logs the run in pricing_imports in separate short transactions,
// so a failed import is logged too. Problems are returned together in a
// *ProblemsError; any other error is a database or I/O failure. Either way
// nothing of the import is written.
func Import(ctx context.Context, conn *pgx.Conn, res *parser.Result, ref *zipref.Map, opts Options) (*Summary, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	if res == nil || ref == nil {
		return nil, errors.New("import: a parse result and a rate-area reference are required")
	}
	if res.HasErrors() {
		return nil, fmt.Errorf("import: the workbook %s has %d parse errors", res.File, res.ErrorCount())
	}
	logID, err := logStart(ctx, conn, &opts)
	if err != nil {
		return nil, err
	}
	key := runLockKey(logID)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return nil, fmt.Errorf("import: locking the run: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck // released with the session anyway
	start := time.Now()
	sum, err := runImport(ctx, conn, res, ref, &opts, logID)
	elapsed := time.Since(start)
	if err != nil {
		problems := 1
		var pe *ProblemsError
		if errors.As(err, &pe) {
			problems = len(pe.Problems)
		}
		if lerr := logFinish(context.WithoutCancel(ctx), conn, logID, "failed", elapsed, nil, problems, err); lerr != nil {
			return nil, errors.Join(err, lerr)
		}
		return nil, err
	}
	sum.ImportID, sum.Duration = logID, elapsed
	if err := logFinish(ctx, conn, logID, "imported", elapsed, sum.Counts, 0, nil); err != nil {
		return nil, fmt.Errorf("import committed but logging it failed: %w", err)
	}
	return sum, nil
}

// normalize validates opts and fills defaults.
func (o *Options) normalize() error {
	if !ValidContractCode(o.ContractCode) {
		return fmt.Errorf("import: invalid contract code %q: use 1-80 letters, digits, '-' or '_'", o.ContractCode)
	}
	if o.ContractName == "" {
		o.ContractName = o.ContractCode
	}
	if len([]rune(o.ContractName)) > 80 {
		return errors.New("import: contract name longer than 80 characters")
	}
	if o.StartDate.IsZero() {
		o.StartDate = DefaultStartDate
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)
	return nil
}

// runImport does the import transaction of the import logged as logID.
func runImport(ctx context.Context, conn *pgx.Conn, res *parser.Result, ref *zipref.Map, opts *Options, logID uuid.UUID) (*Summary, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	services, err := loadServices(ctx, tx)
	if err != nil {
		return nil, err
	}
	p := newPlan(&res.Records, ref, services, opts)
	sum := &Summary{ContractID: uuid.UUID(p.contractID), Counts: map[string]int64{}, Warnings: p.warnings}
	if err := lockContract(ctx, tx, opts.ContractCode); err != nil {
		return nil, err
	}
	exists, err := contractExists(ctx, tx, opts.ContractCode)
	if err != nil {
		return nil, err
	}
	if exists && !opts.Replace {
		p.problems = append(p.problems, Problem{Location: "contract " + opts.ContractCode,
			Message: "contract code already exists (use --replace to re-import it)"})
	}
	p.validate()
	if len(p.problems) > 0 {
		return nil, &ProblemsError{Problems: p.problems}
	}
	if exists {
		if _, err := deleteContract(ctx, tx, opts.ContractCode); err != nil {
			return nil, err
		}
		if err := deleteSources(ctx, tx, opts.ContractCode); err != nil {
			return nil, err
		}
		if err := markReplaced(ctx, tx, opts.ContractCode, opts.RunBy); err != nil {
			return nil, err
		}
		sum.Replaced = true
	}
	fast, err := skipRowFKChecks(ctx, tx)
	if err != nil {
		return nil, err
	}
	step := func(s string) {
		if opts.Progress != nil {
			opts.Progress(s)
		}
	}
	step("staging tables")
	var sources sourceTables
	if err := copyStaging(ctx, tx, &res.Records, sum.Counts, &sources); err != nil {
		return nil, err
	}
	if err := sources.copy(ctx, tx, logID); err != nil {
		return nil, err
	}
	for _, t := range ContractTables {
		step(t)
		n, err := p.copyTable(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		sum.Counts[t] = n
	}
	if fast {
		problems, err := verifyForeignKeys(ctx, tx, p.contractID)
		if err != nil {
			return nil, err
		}
		if len(problems) > 0 {
			return nil, &ProblemsError{Problems: problems}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("import: commit: %w", err)
	}
	return sum, nil
}

// validate runs every table generator once, collecting lookup problems and
// duplicate natural keys (equal ids).
func (p *plan) validate() {
	for _, t := range ContractTables {
		seen := map[[16]byte]int32{} // id → 1-based row number
		n := int32(0)
		gens[t](p, func(src source, row []any) bool {
			n++
			id := row[0].([16]byte)
			if first, dup := seen[id]; dup {
				firstSrc, _ := p.rowSource(t, int(first))
				p.problem(src, "duplicate %s row: same natural key as %s", t, firstSrc)
				return true
			}
			seen[id] = n
			return true
		})
	}
}

// loadServices returns the re_services code → id lookup.
func loadServices(ctx context.Context, tx pgx.Tx) (map[string][16]byte, error) {
	// FOR KEY SHARE keeps the services from being deleted until commit.
	rows, err := tx.Query(ctx, `SELECT code, id FROM re_services FOR KEY SHARE`)
	if err != nil {
		return nil, fmt.Errorf("import: reading re_services: %w", err)
	}
	m := map[string][16]byte{}
	var code string
	var id [16]byte
	_, err = pgx.ForEachRow(rows, []any{&code, &id}, func() error {
		m[code] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import: reading re_services: %w", err)
	}
	return m, nil
}

// lockContract serialises the imports of one contract code until the end of
// the transaction: a concurrent import of the same code waits, then sees the
// contract and reports it like a sequential re-import would.
func lockContract(ctx context.Context, tx pgx.Tx, code string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('securemig.contract:' || $1, 0))`, code); err != nil {
		return fmt.Errorf("import: locking contract code %s: %w", code, err)
	}
	return nil
}

// contractExists reports whether a contract with code exists.
func contractExists(ctx context.Context, q pgx.Tx, code string) (bool, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM re_contracts WHERE code = $1)`, code).Scan(&exists); err != nil {
		return false, fmt.Errorf("import: looking up contract %s: %w", code, err)
	}
	return exists, nil
}

// copyStaging clears the staging tables and loads every stage row with COPY,
// collecting the source rows of the price sheets' row keys in src.
func copyStaging(ctx context.Context, tx pgx.Tx, rec *parser.Records, counts map[string]int64, src *sourceTables) error {
	for i := range parser.StageTables {
		t := &parser.StageTables[i]
		collect, err := src.tableCollector(t, rec)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+pgx.Identifier{t.Name}.Sanitize()); err != nil {
			return fmt.Errorf("import: clearing %s: %w", t.Name, err)
		}
		cols := append(append([]string{}, t.Columns...), "stage_row", "source_row")
		next, stop := iter.Pull2(t.Rows(rec))
		row := make([]any, len(cols))
		stageRow := int32(0)
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			source, fields, ok := next()
			if !ok {
				return nil, nil
			}
			if collect != nil {
				collect(fields, source)
			}
			stageRow++
			for j, f := range fields {
				row[j] = f
			}
			row[len(fields)], row[len(fields)+1] = stageRow, int32(source)
			return row, nil
		}))
		stop()
		if err != nil {
			return fmt.Errorf("import: loading %s: %w", t.Name, redact(err))
		}
		counts[t.Name] = n
	}
	return nil
}

// copyTable loads one contract table with COPY from its generator. A row
// the database rejects is reported at its workbook cell.
func (p *plan) copyTable(ctx context.Context, tx pgx.Tx, table string) (int64, error) {
	next, stop := iter.Pull2(iter.Seq2[source, []any](func(yield func(source, []any) bool) {
		gens[table](p, yield)
	}))
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns[table], pgx.CopyFromFunc(func() ([]any, error) {
		_, row, ok := next()
		if !ok {
			return nil, nil
		}
		return row, nil
	}))
	stop()
	if err != nil {
		return 0, p.copyError(table, err)
	}
	return n, nil
}

// copyLineRE extracts the line number from a COPY error context.
var copyLineRE = regexp.MustCompile(`^COPY \S+, line (\d+)`)

// copyError turns a COPY failure into a problem at the rejected row's
// source when the database names the line, and redacts values.
func (p *plan) copyError(table string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || sessionEnded(pgErr) {
		return fmt.Errorf("import: loading %s: %w", table, err)
	}
	if table == "re_contracts" && pgErr.Code == "23505" {
		return &ProblemsError{Problems: []Problem{{Location: "contract " + p.code,
			Message: "contract code already exists (use --replace to re-import it)"}}}
	}
	msg := fmt.Sprintf("rejected by the database (SQLSTATE %s", pgErr.Code)
	if pgErr.ConstraintName != "" {
		msg += ", constraint " + pgErr.ConstraintName
	}
	if pgErr.ColumnName != "" {
		msg += ", column " + pgErr.ColumnName
	}
	msg += ")"
	loc := table
	if m := copyLineRE.FindStringSubmatch(pgErr.Where); m != nil {
		line, _ := strconv.Atoi(m[1])
		if src, ok := p.rowSource(table, line); ok && src.String() != "" {
			loc, msg = src.String(), table+": "+msg
		}
	}
	return &ProblemsError{Problems: []Problem{{Location: loc, Message: msg}}}
}

// sessionEnded reports whether the server ended the session (shutdown,
// crash, terminated backend, connection failure): not a problem with the
// data, so it stays an error the caller can recognise.
func sessionEnded(e *pgconn.PgError) bool {
	return e.Severity == "FATAL" || e.Severity == "PANIC" || strings.HasPrefix(e.Code, "57P") || strings.HasPrefix(e.Code, "08")
}

// rowSource returns the source of the line-th (1-based) row of table.
func (p *plan) rowSource(table string, line int) (source, bool) {
	var found source
	ok := false
	i := 0
	gens[table](p, func(src source, _ []any) bool {
		i++
		if i == line {
			found, ok = src, true
			return false
		}
		return true
	})
	return found, ok
}

// redact returns err without the row values a PostgreSQL error may carry
// (its Detail, its Where, and the Message of data exceptions, class 22),
// keeping the code, constraint and column.
func redact(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	msg := "SQLSTATE " + pgErr.Code
	if !strings.HasPrefix(pgErr.Code, "22") { // only data exceptions quote values
		msg = pgErr.Message + ", " + msg
	}
	if pgErr.ConstraintName != "" {
		msg += ", constraint " + pgErr.ConstraintName
	}
	if pgErr.ColumnName != "" {
		msg += ", column " + pgErr.ColumnName
	}
	if m := copyLineRE.FindStringSubmatch(pgErr.Where); m != nil {
		msg += ", line " + m[1]
	}
	return errors.New("rejected by the database (" + msg + ")")
}
