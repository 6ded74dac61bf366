package migrations

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/securemig/securemig/internal/pgtest"
)

// Files of the revert tests: a schema file, a data migration and its revert.
const (
	revSchema     = "20261121000000_items.up.sql"
	revData       = "20261122000000_import_items.up.sql"
	revRevert     = "20261123000000_revert_items.up.sql"
	revSchemaSQL  = "CREATE TABLE items (id int PRIMARY KEY);\n"
	revDataSQL    = "INSERT INTO items VALUES (1), (2);\nSELECT pg_sleep(0.02);\n"
	revRevertSQL  = "-- undoes the import\n-- securemig:reverts " + revData + "\nDELETE FROM items WHERE id IN (1, 2);\n"
	revSchemaVers = "20261121000000"
)

func TestRevertIsRecordedAndFinal(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, 1)
	f.add(0, revSchema, revSchemaSQL)
	f.add(0, revData, revDataSQL)
	p := f.provider(dsn, Options{AppliedBy: "tester@host"})
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	before := tableDigest(t, dsn, "items")

	f.add(0, revRevert, revRevertSQL)
	p = f.provider(dsn, Options{AppliedBy: "reverter@host"})
	res, err := p.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Reverts != revData {
		t.Fatalf("results %+v, want the revert of %s", res, revData)
	}
	if got := tableDigest(t, dsn, "items"); got != "0 rows" || before == got {
		t.Fatalf("items after the revert: %s (before: %s)", got, before)
	}
	recs := records(t, dsn)
	orig, rev := recs["20261122000000"], recs["20261123000000"]
	if orig.RevertedBy != "20261123000000" || orig.RevertedAt.IsZero() || orig.Status != "applied" {
		t.Errorf("reverted row %+v", orig)
	}
	if rev.Reverts != "20261122000000" || rev.AppliedBy != "reverter@host" {
		t.Errorf("revert row %+v", rev)
	}
	// The recorded duration covers the statements (pg_sleep(0.02) among them).
	if orig.Duration < 20*time.Millisecond {
		t.Errorf("recorded duration %s of a file that sleeps 20ms", orig.Duration)
	}
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := states(st)
	if got[revData] != Reverted || got[revRevert] != Applied || got[revSchema] != Applied {
		t.Fatalf("status %v", got)
	}
	if _, err := p.Verify(ctx); err != nil {
		t.Fatalf("verify after a revert: %v", err)
	}
	if again, err := p.Up(ctx); err != nil || len(again) != 0 {
		t.Fatalf("a second run applied %v, %v", again, err)
	}

	// The reverted migration never runs again, even when its tracking row
	// is gone: the revert's row still names it.
	execSQL(t, dsn, "DELETE FROM "+TrackingTable+" WHERE version = '20261122000000'")
	_, err = p.Up(ctx)
	if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "was reverted by "+revRevert) ||
		!strings.Contains(err.Error(), "new secure migration") {
		t.Fatalf("re-applying a reverted migration: %v", err)
	}
	if got := tableDigest(t, dsn, "items"); got != "0 rows" {
		t.Fatalf("the refused run changed items: %s", got)
	}
}

func TestRevertRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		files   [][2]string // name, content, applied in one run after the schema
		prepare string      // SQL run after the schema
		want    string
	}{
		{
			name:  "target never applied",
			files: [][2]string{{revRevert, revRevertSQL}},
			want:  "which this database has not applied",
		},
		{
			name: "target already reverted",
			files: [][2]string{
				{revData, revDataSQL}, {revRevert, revRevertSQL},
				{"20261124000000_revert_again.up.sql", "-- securemig:reverts " + revData + "\nSELECT 1;\n"},
			},
			want: "already reverted",
		},
		{
			name:  "no transaction",
			files: [][2]string{{revData, revDataSQL}, {revRevert, "-- securemig:no-transaction\n" + revRevertSQL}},
			want:  "must run in a transaction",
		},
		{
			name:  "malformed target",
			files: [][2]string{{revData, revDataSQL}, {revRevert, "-- securemig:reverts items\nDELETE FROM items;\n"}},
			want:  "invalid migration file name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			f := newFixture(t, 1)
			f.add(0, revSchema, revSchemaSQL)
			for _, file := range tt.files {
				f.add(0, file[0], file[1])
			}
			_, err := f.provider(dsn, Options{}).Up(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Up: %v, want an error containing %q", err, tt.want)
			}
			var ae *ApplyError
			if !errors.As(err, &ae) || !strings.HasSuffix(f.entries[len(f.entries)-1].Name, ae.File) {
				t.Fatalf("error %v does not name the failing file", err)
			}
			// The failing revert changed nothing and left no row.
			recs := records(t, dsn)
			last := f.entries[len(f.entries)-1]
			if recs[last.Version] != nil {
				t.Errorf("the refused revert was recorded: %+v", recs[last.Version])
			}
			if len(tt.files) > 1 {
				if got := tableDigest(t, dsn, "items"); tt.name != "target already reverted" && got == "0 rows" {
					t.Errorf("the refused revert deleted the rows")
				}
			}
		})
	}
}

func TestOldTrackingTableIsUpgraded(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	// The tracking table as engines before revert migrations created it.
	old := strings.NewReplacer(",\n\treverts          text", "", ",\n\treverted_at      timestamptz", "",
		",\n\treverted_by      text", "").Replace(createTracking)
	if old == createTracking {
		t.Fatal("could not derive the old tracking table")
	}
	execSQL(t, dsn, old+";"+revSchemaSQL+`INSERT INTO `+TrackingTable+` (version, name, sha256, location, status, applied_at,
		duration_ms, applied_by, tool_version, bytes, statements, copy_rows, no_transaction)
		VALUES ('`+revSchemaVers+`', '`+revSchema+`', '`+sum(revSchemaSQL)+`', 'file://x', 'applied', now(), 1, 'a@b', 'old', 1, 1, 0, false)`)
	f := newFixture(t, 1)
	f.add(0, revSchema, revSchemaSQL)
	f.add(0, revData, revDataSQL)
	p := f.provider(dsn, Options{})
	// Read-only commands read the old table as it is.
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(st); got[revSchema] != Applied || got[revData] != Pending {
		t.Fatalf("status on an old tracking table: %v", got)
	}
	has, err := hasRevertColumns(ctx, connect(t, dsn))
	if err != nil || has {
		t.Fatalf("status altered the tracking table (%v, %v)", has, err)
	}
	// A run adds the columns and can then revert.
	f.add(0, revRevert, revRevertSQL)
	if _, err := f.provider(dsn, Options{}).Up(ctx); err != nil {
		t.Fatal(err)
	}
	if recs := records(t, dsn); recs["20261122000000"].RevertedBy != "20261123000000" {
		t.Fatalf("records %+v", recs["20261122000000"])
	}
}
