package securegen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// File kinds named in headers.
const (
	// KindProduction is the real file, never in git.
	KindProduction = "production"
	// KindPlaceholder is the scrubbed copy committed in git.
	KindPlaceholder = "placeholder"
)

// TableCount is one table's row count in a migration.
type TableCount struct {
	// Table is the qualified table name.
	Table string
	// Rows is the number of rows the migration loads into it.
	Rows int64
}

// Header is the comment block that starts every generated file. It holds
// no prices.
type Header struct {
	// Kind is KindProduction or KindPlaceholder.
	Kind string
	// Version and Name make the file name <version>_<name>.up.sql.
	Version, Name string
	// ContractCode is the contract shipped ("" in --name mode).
	ContractCode string
	// ContractID is the contract's id in re_contracts ("" in --name mode).
	ContractID string
	// WorkbookSHA256 is the workbook's digest from the import log, if known.
	WorkbookSHA256 string
	// Source is the wrapped file's base name in --name mode.
	Source string
	// ToolVersion is the securemig version.
	ToolVersion string
	// GeneratedAt is the generation time: the version's timestamp, so that
	// identical inputs give identical bytes.
	GeneratedAt time.Time
	// Tables lists the row counts in load order.
	Tables []TableCount
}

const (
	headerStart = "-- securemig secure migration"
	headerEnd   = "-- end of securemig header"
)

// Format renders the header as SQL comment lines ending with a newline.
func (h Header) Format() string {
	var b strings.Builder
	switch h.Kind {
	case KindPlaceholder:
		b.WriteString(headerStart + ": PLACEHOLDER with synthetic prices, factors and escalations.\n")
		b.WriteString("-- Development and CI databases run this file; deployed environments run the\n")
		b.WriteString("-- production file of the same name (see migrations/secure.lock).\n")
	default:
		b.WriteString(headerStart + ": PRODUCTION file. Never commit it; upload it with securemig upload.\n")
	}
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "-- %s: %s\n", k, v)
		}
	}
	field("kind", h.Kind)
	field("version", h.Version)
	field("name", h.Name)
	field("contract-code", h.ContractCode)
	field("contract-id", h.ContractID)
	field("workbook-sha256", h.WorkbookSHA256)
	field("source", h.Source)
	field("tool-version", h.ToolVersion)
	field("generated-at", h.GeneratedAt.UTC().Format(time.RFC3339))
	for _, t := range h.Tables {
		fmt.Fprintf(&b, "-- rows: %s %d\n", t.Table, t.Rows)
	}
	b.WriteString(headerEnd + "\n")
	return b.String()
}

// ParseHeader reads the header at the start of a generated file.
func ParseHeader(r io.Reader) (Header, error) {
	var h Header
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), headerStart) {
		if err := sc.Err(); err != nil {
			return h, fmt.Errorf("reading the header: %w", err)
		}
		return h, errors.New("not a securemig secure migration (no header on line 1)")
	}
	for line := 2; sc.Scan(); line++ {
		text := sc.Text()
		if text == headerEnd {
			if h.Kind != KindProduction && h.Kind != KindPlaceholder {
				return h, fmt.Errorf("header: unknown kind %q", h.Kind)
			}
			return h, nil
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(text, "-- "), ": ")
		if !ok || !strings.HasPrefix(text, "-- ") {
			continue
		}
		if err := h.set(k, v); err != nil {
			return h, fmt.Errorf("header line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return h, fmt.Errorf("reading the header: %w", err)
	}
	return h, errors.New("header: no end line")
}

func (h *Header) set(k, v string) error {
	switch k {
	case "kind":
		h.Kind = v
	case "version":
		h.Version = v
	case "name":
		h.Name = v
	case "contract-code":
		h.ContractCode = v
	case "contract-id":
		h.ContractID = v
	case "workbook-sha256":
		h.WorkbookSHA256 = v
	case "source":
		h.Source = v
	case "tool-version":
		h.ToolVersion = v
	case "generated-at":
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("generated-at: %w", err)
		}
		h.GeneratedAt = t
	case "rows":
		i := strings.LastIndexByte(v, ' ')
		if i < 0 {
			return errors.New("rows: want TABLE COUNT")
		}
		n, err := strconv.ParseInt(v[i+1:], 10, 64)
		if err != nil {
			return fmt.Errorf("rows: %w", err)
		}
		h.Tables = append(h.Tables, TableCount{Table: v[:i], Rows: n})
	}
	return nil
}

// FileName returns "<version>_<name>.up.sql".
func (h Header) FileName() string { return h.Version + "_" + h.Name + ".up.sql" }
