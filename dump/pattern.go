// Package dump runs the system's pg_dump and resolves its -t/-T relation
// patterns exactly as pg_dump does, so that the tables a dump will contain
// can be listed, checked and pinned before anything is dumped.
//
// Patterns follow psql's \d grammar (not SQL LIKE): '*' and '?' are
// wildcards, '_' and '%' are literal, unquoted letters fold to lower case,
// double quotes keep case and make wildcards and dots literal, and an
// unquoted dot separates database, schema and relation name. An unqualified
// pattern only matches relations visible on the default search_path.
package dump

import (
	"fmt"
	"strings"
)

// Pattern is a pg_dump relation pattern translated into the anchored
// PostgreSQL regular expressions that pg_dump matches against the catalog.
type Pattern struct {
	// Text is the pattern as given.
	Text string
	// Database is the literal database part of a three-part pattern
	// (db.schema.name), or "" when the pattern has fewer parts. pg_dump only
	// accepts the current database there.
	Database string
	// Schema is the regular expression for pg_namespace.nspname, or "" when
	// the pattern is unqualified (then only relations visible on the search
	// path match).
	Schema string
	// Name is the regular expression for pg_class.relname.
	Name string
}

// Qualified reports whether the pattern names a schema; an unqualified
// pattern matches only relations visible on the default search_path.
func (p Pattern) Qualified() bool { return p.Schema != "" }

// regexSpecial lists the characters escaped inside double quotes.
const regexSpecial = "|*+?()[]{}.^$\\"

// ParsePattern translates a pg_dump -t/-T pattern the way PostgreSQL 15's
// psql/pg_dump (processSQLNamePattern) does. More than two unquoted dots is
// an error, as in pg_dump.
func ParsePattern(text string) (Pattern, error) {
	var (
		parts    []string // regexes, one per dot-separated part
		cur      strings.Builder
		literal  strings.Builder // the first part, unregexed (database name)
		first    = true
		inQuotes bool
		dots     int
	)
	cur.WriteString("^(")
	b := []byte(text)
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch == '"':
			if inQuotes && i+1 < len(b) && b[i+1] == '"' {
				cur.WriteByte('"')
				if first {
					literal.WriteByte('"')
				}
				i++
				continue
			}
			inQuotes = !inQuotes
		case !inQuotes && ch >= 'A' && ch <= 'Z':
			cur.WriteByte(ch + 'a' - 'A')
			if first {
				literal.WriteByte(ch + 'a' - 'A')
			}
		case !inQuotes && ch == '*':
			cur.WriteString(".*")
			if first {
				literal.WriteByte('*')
			}
		case !inQuotes && ch == '?':
			cur.WriteByte('.')
			if first {
				literal.WriteByte('?')
			}
		case !inQuotes && ch == '.':
			first = false
			dots++
			if len(parts) < 2 {
				cur.WriteString(")$")
				parts = append(parts, cur.String())
				cur.Reset()
				cur.WriteString("^(")
			} else {
				cur.WriteByte(ch)
			}
		case ch == '$':
			cur.WriteString(`\$`)
			if first {
				literal.WriteByte('$')
			}
		default:
			if inQuotes && strings.IndexByte(regexSpecial, ch) >= 0 {
				cur.WriteByte('\\')
			} else if ch == '[' && i+1 < len(b) && b[i+1] == ']' {
				cur.WriteByte('\\')
			}
			cur.WriteByte(ch)
			if first {
				literal.WriteByte(ch)
			}
		}
	}
	cur.WriteString(")$")
	parts = append(parts, cur.String())
	if dots > 2 {
		return Pattern{}, fmt.Errorf("pattern %q: improper relation name (too many dotted names)", text)
	}
	p := Pattern{Text: text, Name: parts[len(parts)-1]}
	if len(parts) >= 2 {
		p.Schema = parts[len(parts)-2]
	}
	if len(parts) == 3 {
		p.Database = literal.String()
	}
	return p, nil
}

// QuoteName returns the pattern that matches exactly the relation
// schema.name (every part double-quoted), for pinning a resolved list.
func QuoteName(schema, name string) string {
	return quoteIdent(schema) + "." + quoteIdent(name)
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
