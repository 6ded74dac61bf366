package securegen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/dump"
)

func TestNameModeWrapsADump(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	major, err := dump.ServerMajor(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := dump.FindPgDump(ctx, "", major)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "both.sql")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	err = dump.Run(ctx, dsn, dump.Options{PgDump: prog, Include: []string{"public.re_shipment_type_prices", "public.re_contracts"}}, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t)
	o := ws.options("", "")
	o.Name, o.Source = "ship_factors", src
	res, err := Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.FileName != "20261121120000_ship_factors.up.sql" || res.Down != "" {
		t.Errorf("result %+v", res)
	}
	want := map[string]int64{"public.re_contracts": 2, "public.re_shipment_type_prices": 14}
	for _, tc := range res.Tables {
		if want[tc.Table] != tc.Rows {
			t.Errorf("%s: %d rows", tc.Table, tc.Rows)
		}
	}
	prod, _ := os.ReadFile(res.Production)
	if bytes.Contains(prod, []byte(`\restrict`)) {
		t.Error("\\restrict kept")
	}
	for _, file := range []string{res.Production, res.Placeholder} {
		rep, err := Verify(ctx, VerifyOptions{DSN: dsn, File: file, LockPath: ws.lock})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || len(rep.Rows) != 2 {
			var buf bytes.Buffer
			rep.WriteTable(&buf)
			t.Errorf("verify:\n%s", buf.String())
		}
	}
	ph, _ := os.ReadFile(res.Placeholder)
	if !strings.Contains(string(ph), "kind: placeholder") {
		t.Error("placeholder header missing")
	}
}

func TestGenerateRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	dsn := contractDB(t)
	ws := newWorkspace(t)
	tests := []struct {
		name    string
		mod     func(o *Options)
		wantErr string
	}{
		{"unknown contract", func(o *Options) { o.ContractCode = "NOPE" }, "not in the database"},
		{"bad code", func(o *Options) { o.ContractCode = "a b" }, "invalid contract code"},
		{"pattern matching nothing", func(o *Options) { o.Include = []string{"public.zz_*"} }, "no matching tables"},
		{"non-contract table", func(o *Options) { o.Include = []string{"public.re_*"} }, "hold no contract data"},
		{"without re_contracts", func(o *Options) { o.Include = []string{"public.re_intl_prices"} }, "must select public.re_contracts"},
		{"both modes", func(o *Options) { o.Name = "x" }, "not both"},
		{"taken version", func(o *Options) { o.Version = "20261121000000" }, "already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ws.options(dsn, "SAMPLE")
			tt.mod(&o)
			_, err := Generate(ctx, o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
			if ents, _ := os.ReadDir(ws.phDir); len(ents) != 0 {
				t.Errorf("placeholder dir has %d files", len(ents))
			}
		})
	}
}
