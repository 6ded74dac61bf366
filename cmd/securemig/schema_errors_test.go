package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestSchemaErrors: errors that mean "run migrate" are told apart from
// other database errors, for securemig's own tables only.
func TestSchemaErrors(t *testing.T) {
	pg := func(code, msg string) error {
		return fmt.Errorf("listing: %w", &pgconn.PgError{Code: code, Message: msg})
	}
	tests := []struct {
		name            string
		err             error
		missing, behind bool
	}{
		{"missing rate-engine table", pg("42P01", `relation "re_contracts" does not exist`), true, false},
		{"missing newer log table", pg("42P01", `relation "pricing_events" does not exist`), true, false},
		{"missing foreign table", pg("42P01", `relation "orders" does not exist`), false, false},
		{"column added by a newer schema", pg("42703", `column "run_by" of relation "pricing_imports" does not exist`), false, true},
		{"missing column of a foreign table", pg("42703", `column "x" of relation "orders" does not exist`), false, false},
		{"column without a relation", pg("42703", `column "x" does not exist`), false, false},
		{"other error", errors.New("boom"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isMissingSchema(tt.err); got != tt.missing {
				t.Errorf("isMissingSchema = %v, want %v", got, tt.missing)
			}
			if got := isSchemaBehind(tt.err); got != tt.behind {
				t.Errorf("isSchemaBehind = %v, want %v", got, tt.behind)
			}
		})
	}
}
