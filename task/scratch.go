package task

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/securemig/securemig/migrations/schema"
)

// scratch is a throwaway database with the rate-engine schema, created on
// the scratch server for one submission and dropped afterwards, so that
// concurrent runners never share tables and nothing is left behind.
type scratch struct {
	DSN  string
	Conn *pgx.Conn
	drop func()
}

// newScratch creates a scratch database on the server at serverDSN (which
// needs the CREATEDB privilege) and applies the schema to it.
func newScratch(ctx context.Context, serverDSN string) (*scratch, error) {
	admin, err := pgx.Connect(ctx, serverDSN)
	if err != nil {
		return nil, fmt.Errorf("connecting to the scratch server: %w", err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("naming a scratch database: %w", err)
	}
	name := "securemig_task_" + hex.EncodeToString(rnd[:])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("creating a scratch database: %w", err)
	}
	s := &scratch{drop: func() {
		bg := context.WithoutCancel(ctx)
		admin.Exec(bg, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)") //nolint:errcheck // best effort; the name is unique
		admin.Close(bg)
	}}
	if s.DSN, err = withDatabase(serverDSN, name); err == nil {
		s.Conn, err = pgx.Connect(ctx, s.DSN)
	}
	if err == nil {
		err = schema.Apply(ctx, s.Conn)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("preparing the scratch database: %w", err)
	}
	return s, nil
}

// Close drops the scratch database.
func (s *scratch) Close() {
	if s.Conn != nil {
		s.Conn.Close(context.Background())
	}
	s.drop()
}

// withDatabase returns dsn (URL or keyword/value form) naming database db.
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("the scratch database URL does not parse") // the error may hold the password
		}
		u.Path = "/" + db
		if q := u.Query(); q.Has("dbname") {
			q.Set("dbname", db)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	return dsn + " dbname='" + db + "'", nil
}

// redactDSN names a database without its credentials: host, port and
// database, for records and logs.
func redactDSN(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}
