package dump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// debianBinDir is where Debian installs each major's client programs.
const debianBinDir = "/usr/lib/postgresql/%d/bin"

// ServerMajor returns the major version of the server conn is connected to.
func ServerMajor(ctx context.Context, conn *pgx.Conn) (int, error) {
	var num int
	if err := conn.QueryRow(ctx, "SELECT pg_catalog.current_setting('server_version_num')::int").Scan(&num); err != nil {
		return 0, fmt.Errorf("reading the server version: %w", err)
	}
	return num / 10000, nil
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) ([0-9]+)(?:\.[0-9]+)?`)

// ToolMajor runs `PROGRAM --version` and returns its major version.
func ToolMajor(ctx context.Context, program string) (int, error) {
	out, err := exec.CommandContext(ctx, program, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("running %s --version: %w", program, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version: unrecognised output %q", program, strings.TrimSpace(string(out)))
	}
	return strconv.Atoi(string(m[1]))
}

// FindPgDump returns a pg_dump whose major version equals serverMajor. When
// explicit is not empty only that program is considered; otherwise
// /usr/lib/postgresql/<major>/bin/pg_dump (whose path names its major
// version, so it is taken without running it), then pg_dump on PATH. The
// error says what was found and how to fix a mismatch.
func FindPgDump(ctx context.Context, explicit string, serverMajor int) (string, error) {
	var candidates []string
	debian := filepath.Join(fmt.Sprintf(debianBinDir, serverMajor), "pg_dump")
	if explicit != "" {
		candidates = []string{explicit}
	} else {
		candidates = append(candidates, debian)
		if p, err := exec.LookPath("pg_dump"); err == nil {
			candidates = append(candidates, p)
		}
	}
	var found []string
	for _, c := range candidates {
		fi, err := os.Stat(c)
		if err != nil {
			continue
		}
		if c == debian && explicit == "" && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return c, nil
		}
		major, err := ToolMajor(ctx, c)
		if err != nil {
			found = append(found, fmt.Sprintf("%s (%v)", c, err))
			continue
		}
		if major == serverMajor {
			return c, nil
		}
		found = append(found, fmt.Sprintf("%s is version %d", c, major))
	}
	if len(found) == 0 {
		return "", fmt.Errorf("pg_dump not found (looked for %s): install the PostgreSQL %d client (apt-get install postgresql-client-%d)",
			strings.Join(candidates, ", "), serverMajor, serverMajor)
	}
	return "", fmt.Errorf("no pg_dump matches the server's major version %d: %s; install postgresql-client-%d or pass its path",
		serverMajor, strings.Join(found, "; "), serverMajor)
}

// Options configures a pg_dump run.
type Options struct {
	// PgDump is the pg_dump program to run (required; see FindPgDump).
	PgDump string
	// Include and Exclude are the -t and -T patterns. Pass the output of
	// Resolve through QuoteName to pin the exact tables.
	Include, Exclude []string
	// RowSecurity adds --enable-row-security, so row-level security
	// policies filter the dumped rows.
	RowSecurity bool
	// Role makes pg_dump SET ROLE to this role after connecting (--role).
	Role string
	// Env holds extra environment variables for pg_dump (NAME=value).
	Env []string
}

// Args returns pg_dump's arguments for a data-only, strict-names, plain
// format dump with one argument per pattern (no shell is involved). The
// connection is given separately, through the environment.
func (o Options) Args() []string {
	args := []string{"--data-only", "--strict-names", "--format=plain", "--no-password"}
	if o.RowSecurity {
		args = append(args, "--enable-row-security")
	}
	if o.Role != "" {
		args = append(args, "--role="+o.Role)
	}
	for _, p := range o.Include {
		args = append(args, "--table="+p)
	}
	for _, p := range o.Exclude {
		args = append(args, "--exclude-table="+p)
	}
	return args
}

// maxStderr bounds the pg_dump diagnostics kept for an error message.
const maxStderr = 8 << 10

// Run runs pg_dump against dsn and streams its output to w; nothing is held
// in memory. The password never appears on pg_dump's command line (it goes
// through PGPASSWORD) nor in errors.
func Run(ctx context.Context, dsn string, opts Options, w io.Writer) error {
	if len(opts.Include) == 0 {
		return errors.New("pg_dump: at least one include (-t) pattern is required")
	}
	connArg, password, err := splitPassword(dsn)
	if err != nil {
		return err
	}
	prog := opts.PgDump
	if prog == "" {
		return errors.New("pg_dump: no program given (use FindPgDump)")
	}
	args := append(opts.Args(), "--dbname="+connArg)
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	stderr := &limitedBuffer{max: maxStderr}
	cmd.Stderr = stderr
	dieWithParent(cmd)
	if err := runPiped(cmd, w); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "***")
		}
		if ctx.Err() != nil {
			return fmt.Errorf("pg_dump: %w", ctx.Err())
		}
		if msg == "" {
			return fmt.Errorf("pg_dump: %w", err)
		}
		return fmt.Errorf("pg_dump: %w: %s", err, msg)
	}
	return nil
}

// pipeBuffer is the size of the pipe from pg_dump and of the reads from
// it: few large reads instead of many 64 KiB ones.
const pipeBuffer = 1 << 20

// runPiped runs cmd with its standard output copied to w through a pipe of
// pipeBuffer bytes (where the system allows it) in reads of up to
// pipeBuffer bytes. A failing w stops the copy; cmd then fails writing.
func runPiped(cmd *exec.Cmd, w io.Writer) error {
	if f, ok := w.(*os.File); ok {
		cmd.Stdout = f
		return cmd.Run()
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	growPipe(pw, pipeBuffer)
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return err
	}
	buf := make([]byte, pipeBuffer)
	var copyErr error
	for {
		n, err := pr.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				copyErr = werr
				break
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			copyErr = err
			break
		}
	}
	pr.Close()
	waitErr := cmd.Wait()
	if copyErr != nil {
		return copyErr
	}
	return waitErr
}

// splitPassword removes the password from a connection string (URL or
// key=value form) and returns it separately.
func splitPassword(dsn string) (conn, password string, err error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", "", errors.New("pg_dump: the database URL does not parse")
		}
		if u.User != nil {
			password, _ = u.User.Password()
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if p := q.Get("password"); p != "" {
			password = p
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String(), password, nil
	}
	kv, err := parseKeyValues(dsn)
	if err != nil {
		return "", "", err
	}
	var parts []string
	for _, p := range kv {
		if p[0] == "password" {
			password = p[1]
			continue
		}
		parts = append(parts, p[0]+"='"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(p[1])+"'")
	}
	return strings.Join(parts, " "), password, nil
}

// parseKeyValues parses a libpq key=value connection string.
func parseKeyValues(s string) ([][2]string, error) {
	var out [][2]string
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return out, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' {
			i++
		}
		key := s[start:i]
		skip()
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("pg_dump: connection string: missing '=' after %q", key)
		}
		i++
		skip()
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("pg_dump: connection string: unterminated quoted value")
				}
				if s[i] == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '\'' {
					i++
					break
				}
				val.WriteByte(s[i])
				i++
			}
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		out = append(out, [2]string{key, val.String()})
	}
}

// limitedBuffer keeps the first max bytes written to it; pg_dump reports one error and stops.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (t *limitedBuffer) Write(p []byte) (int, error) {
	if room := t.max - t.buf.Len(); room > 0 {
		if len(p) > room {
			t.buf.Write(p[:room])
		} else {
			t.buf.Write(p)
		}
	}
	return len(p), nil
}

func (t *limitedBuffer) String() string { return t.buf.String() }
