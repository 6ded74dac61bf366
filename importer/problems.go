package importer

import (
	"fmt"
	"strings"
)

// Problem is one reason an import cannot proceed (or, in Summary.Warnings,
// a note that did not stop it). Location is a workbook cell
// (`2b) Dom. Service Area Prices!C11`), a reference-CSV line (`ref.csv:12`)
// or a table or contract name. Message never quotes a price, factor or
// escalation.
type Problem struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// String renders the problem as `<location>: <message>`.
func (p Problem) String() string {
	if p.Location == "" {
		return p.Message
	}
	return p.Location + ": " + p.Message
}

// ProblemsError is returned by Import when the derivation or the database
// revealed problems; nothing was written.
type ProblemsError struct {
	Problems []Problem
}

// Error summarises the problems; list them with e.Problems.
func (e *ProblemsError) Error() string {
	if len(e.Problems) == 1 {
		return "import: " + e.Problems[0].String() + "; nothing was written"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "import: %d problems; nothing was written", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
