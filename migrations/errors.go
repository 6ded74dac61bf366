package migrations

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ApplyError is a failure while applying a migration file. Its message names
// the file, line, statement number and SQLSTATE, with the server's message
// redacted: it never contains statement text or row values, which may come
// from a secure migration.
type ApplyError struct {
	// File is the file that failed (a part's name for split migrations).
	File string
	// Line is the line of File where the failing statement (or COPY data
	// line) is; 0 when unknown.
	Line int
	// Statement is the 1-based number of the failing SQL statement in the
	// migration (a COPY with its data counts as one); 0 when none.
	Statement int
	// SQLState is the server's error code, when the server reported one.
	SQLState string
	// Message is the redacted description.
	Message string

	verbose string // unredacted details, shown only with VerboseErrors
	err     error  // cause, when it is not a server error
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Statement > 0 {
		fmt.Fprintf(&b, " (statement %d)", e.Statement)
	}
	b.WriteString(": ")
	if e.SQLState != "" {
		fmt.Fprintf(&b, "SQLSTATE %s: ", e.SQLState)
	}
	b.WriteString(e.Message)
	if e.verbose != "" {
		b.WriteString("\n--verbose-errors (may contain sensitive data):\n")
		b.WriteString(e.verbose)
	}
	return b.String()
}

// Unwrap returns the cause of a failure that did not come from the server
// (an I/O or context error). Server errors are not exposed, because their
// fields hold values.
func (e *ApplyError) Unwrap() error { return e.err }

var (
	quotedRE  = regexp.MustCompile(`"(?:[^"]|"")*"?`)
	copyWhere = regexp.MustCompile(`^COPY ([^,]+), line ([0-9]+)(?:, column ([^:]+))?`)
)

// namesInMessage lists SQLSTATEs whose messages quote only object names
// (never values), so their quotes are kept.
var namesInMessage = map[string]bool{
	"42P01": true, // undefined_table
	"42703": true, // undefined_column
	"42704": true, // undefined_object
	"42883": true, // undefined_function
	"3F000": true, // invalid_schema_name
	"42P07": true, // duplicate_table
	"42710": true, // duplicate_object
	"42501": true, // insufficient_privilege
	"55P03": true, // lock_not_available
}

// serverError describes a server error without values: quoted parts of the
// message are replaced (except for codes whose quotes are names), DETAIL,
// HINT and WHERE are dropped, and the error's object names are added.
func serverError(pe *pgconn.PgError) (msg string, copyLine int) {
	msg = pe.Message
	if !namesInMessage[pe.Code] {
		msg = quotedRE.ReplaceAllString(msg, `"…"`)
	}
	var names []string
	add := func(kind, v string) {
		if v != "" {
			names = append(names, kind+" "+v)
		}
	}
	table := pe.TableName
	if pe.SchemaName != "" && table != "" {
		table = pe.SchemaName + "." + table
	}
	column := pe.ColumnName
	if m := copyWhere.FindStringSubmatch(pe.Where); m != nil {
		if table == "" {
			table = m[1]
		}
		if column == "" {
			column = m[3]
		}
		fmt.Sscan(m[2], &copyLine) //nolint:errcheck // digits by the regexp
	}
	add("table", table)
	add("column", column)
	add("constraint", pe.ConstraintName)
	add("type", pe.DataTypeName)
	if len(names) > 0 {
		msg += " (" + strings.Join(names, ", ") + ")"
	}
	return msg, copyLine
}

// verboseDetail is the unredacted detail of err for --verbose-errors.
func verboseDetail(err error, stmt []byte) string {
	var b strings.Builder
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		fmt.Fprintf(&b, "message: %s\n", pe.Message)
		for _, f := range [][2]string{{"detail", pe.Detail}, {"hint", pe.Hint}, {"where", pe.Where}} {
			if f[1] != "" {
				fmt.Fprintf(&b, "%s: %s\n", f[0], f[1])
			}
		}
	}
	if len(stmt) > 0 {
		const max = 300
		s := strings.TrimSpace(string(stmt))
		if len(s) > max {
			s = s[:max] + "…"
		}
		fmt.Fprintf(&b, "statement: %s\n", s)
	}
	return strings.TrimRight(b.String(), "\n")
}
