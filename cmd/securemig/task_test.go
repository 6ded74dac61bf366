package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/securemig/securemig/history"
	"github.com/securemig/securemig/internal/pgtest"
	"github.com/securemig/securemig/s3store/s3test"
	"github.com/securemig/securemig/task"
)

// TestTaskCommands runs the task commands' wiring against a real S3 server:
// JSON events on stderr and the documented exit codes.
func TestTaskCommands(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "inbox", false)
	source := "s3://inbox/drop/?path_style=true&region=" + s3test.Region + "&endpoint=" + url.QueryEscape(srv.URL)
	env := []string{"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		"AWS_REGION=" + s3test.Region, "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"SECUREMIG_TASK_SOURCE=" + source, "SECUREMIG_SCRATCH_DATABASE_URL=postgres://nobody@127.0.0.1:1/none"}

	events := func(t *testing.T, stderr string) []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("stderr line is not a JSON event: %q", line)
			}
			out = append(out, ev)
		}
		return out
	}

	stdout, stderr, code := run(t, env, "task", "check")
	if code != 0 || stdout != "" {
		t.Fatalf("empty inbox: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if evs := events(t, stderr); len(evs) != 1 || evs[0]["msg"] != "check_done" || evs[0]["workbooks"] != 0.0 {
		t.Errorf("empty inbox: events %v, want one check_done with 0 workbooks", evs)
	}

	srv.PutObject(t, "inbox", "drop/bad name.xlsx", []byte("x"))
	_, stderr, code = run(t, env, "task", "check")
	if code != taskExitFailed {
		t.Errorf("misnamed workbook: exit %d, want %d; stderr %s", code, taskExitFailed, stderr)
	}
	found := false
	for _, ev := range events(t, stderr) {
		found = found || (ev["msg"] == "bad_name" && ev["workbook"] == "drop/bad name.xlsx" && ev["level"] == "ERROR")
	}
	if !found {
		t.Errorf("misnamed workbook: no bad_name event in %s", stderr)
	}

	_, stderr, code = run(t, []string{"SECUREMIG_TASK_SOURCE="}, "task", "check")
	if code != taskExitIncomplete || !strings.Contains(stderr, "--source") {
		t.Errorf("no source: exit %d, stderr %q", code, stderr)
	}

	_, stderr, code = run(t, env, "task", "approve", "--contract-code", "C1", "--sha256", strings.Repeat("a", 64))
	if code != 1 || !strings.Contains(stderr, "--yes") {
		t.Errorf("approve without a terminal: exit %d, stderr %q; want a refusal naming --yes", code, stderr)
	}
	_, stderr, code = run(t, env, "task", "approve", "--yes", "--contract-code", "C1", "--sha256", strings.Repeat("a", 64))
	if code != 1 || !strings.Contains(stderr, "no checked submission") {
		t.Errorf("approve of an unknown submission: exit %d, stderr %q", code, stderr)
	}

	// versitygw does not encrypt: the first object the task writes (the
	// claim) is read back, and the run refuses to go on.
	srv.DeleteObject(t, "inbox", "drop/bad name.xlsx")
	srv.PutObject(t, "inbox", "drop/C2.xlsx", []byte("not a workbook"))
	srv.PutObject(t, "inbox", "drop/C2.rate-areas.csv", []byte("zip,rate_area\n"))
	_, stderr, code = run(t, env, "task", "check")
	if code != taskExitIncomplete || !strings.Contains(stderr, "does not encrypt what the task writes") {
		t.Errorf("a store that does not encrypt: exit %d, stderr %s", code, stderr)
	}
	_, stderr, code = run(t, append(env, "SECUREMIG_TASK_SSE=none"), "task", "check")
	if code != taskExitIncomplete || !strings.Contains(stderr, "--allow-unencrypted") {
		t.Errorf("--sse none without --allow-unencrypted: exit %d, stderr %s", code, stderr)
	}
}

// TestTaskShipsAndHistoryShows runs the scheduled pipeline through the
// binary, as a scheduler and the make targets do, against the real S3
// server and PostgreSQL: check, approve, import into an environment whose
// database got its schema from `migrate`. Then `pricing history --source`
// shows every step in order with who ran it, without a local database.
func TestTaskShipsAndHistoryShows(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "inbox", false)
	srv.CreateBucket(t, "app-stg", true)
	const code = "TASKC1"
	xlsx := sampleWorkbook(t)
	for suffix, path := range map[string]string{task.WorkbookSuffix: xlsx,
		task.RateAreasSuffix: strings.TrimSuffix(xlsx, ".xlsx") + ".rate-areas.csv"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		srv.PutObject(t, "inbox", "drop/"+code+suffix, data)
	}
	envFile := filepath.Join(t.TempDir(), "environments.toml")
	conf := fmt.Sprintf("[environments.stg]\nbucket = \"app-stg\"\nregion = %q\nendpoint = %q\npath_style = true\n"+
		"sse = \"none\"\nallow_unencrypted = true\n", s3test.Region, srv.URL)
	if err := os.WriteFile(envFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	target := pgtest.NewDatabase(t)
	source := "s3://inbox/drop/?path_style=true&region=" + s3test.Region + "&endpoint=" + url.QueryEscape(srv.URL)
	env := []string{"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		"AWS_REGION=" + s3test.Region, "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"SECUREMIG_TASK_SOURCE=" + source, "SECUREMIG_SCRATCH_DATABASE_URL=" + pgtest.ServerURL(t),
		"SECUREMIG_ENVIRONMENTS=" + envFile, "DATABASE_URL=" + target,
		"SECUREMIG_TASK_SSE=none", "SECUREMIG_TASK_ALLOW_UNENCRYPTED=true"} // versitygw does not encrypt
	root := repoRoot(t)
	if _, stderr, code := run(t, env, "migrate", "--manifest", filepath.Join(root, "migrations", "manifest.txt"),
		"--path", "file://"+filepath.Join(root, "migrations", "schema"), "--progress", "never"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}

	_, stderr, exit := run(t, append(env, "SECUREMIG_ACTOR=task:check"), "task", "check")
	if exit != 0 {
		t.Fatalf("task check: exit %d: %s", exit, stderr)
	}
	var wbSHA string
	for _, line := range lines(stderr) {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) == nil && ev["msg"] == "checked" {
			wbSHA, _ = ev["workbook_sha256"].(string)
		}
	}
	if wbSHA == "" {
		t.Fatalf("task check: no checked event: %s", stderr)
	}
	// The approver's AWS identity comes from STS, answered here as AWS would.
	srv.SetInterceptor(s3test.STSIdentity("123456789012", "arn:aws:iam::123456789012:user/reviewer"))
	out, stderr, exit := run(t, append(env, "AWS_ENDPOINT_URL_STS="+srv.URL), "task", "approve", "--yes",
		"--contract-code", code, "--sha256", wbSHA)
	srv.SetInterceptor(nil)
	if exit != 0 || !strings.Contains(out, "arn:aws:iam::123456789012:user/reviewer") {
		t.Fatalf("task approve: exit %d, stdout %q, stderr %s", exit, out, stderr)
	}
	// The environment's own database URL wins over DATABASE_URL.
	if _, stderr, exit := run(t, append(env, "SECUREMIG_ACTOR=task:import", "SECUREMIG_DATABASE_URL_STG="+target,
		"DATABASE_URL=postgres://nobody@127.0.0.1:1/none"), "task", "import", "--env", "stg"); exit != 0 {
		t.Fatalf("task import: exit %d: %s", exit, stderr)
	}

	// No local database: outside a project, with DATABASE_URL unset.
	out, stderr, exit = run(t, append(env, "DATABASE_URL="), "pricing", "history", "--contract-code", code,
		"--database-url", target, "--json")
	if exit != 0 || !strings.Contains(stderr, "local import log and events log were not read") {
		t.Fatalf("pricing history: exit %d, stderr %s", exit, stderr)
	}
	var hist struct{ Events []history.Event }
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatalf("pricing history --json: %v\n%s", err, out)
	}
	var got []string
	for _, e := range hist.Events {
		actor, _, _ := strings.Cut(e.Actor, " pid ") // the runner: ACTOR pid N
		actor, _, _ = strings.Cut(actor, " (")       // the approver: ARN (user@host)
		got = append(got, e.Step+" by "+actor)
	}
	want := []string{"task-check by task:check", "task-approve by arn:aws:iam::123456789012:user/reviewer",
		"generate by task:import", "upload by task:import", "apply by task:import", "task-import by task:import"}
	if !slices.Equal(got, want) {
		t.Errorf("pricing history:\n got %q\nwant %q", got, want)
	}
	table, _, exit := run(t, append(env, "DATABASE_URL="), "pricing", "history", "--contract-code", code, "--database-url", target)
	t.Logf("pricing history:\n%s", table)
	if exit != 0 || !strings.Contains(table, "task-approve") || !strings.Contains(table, "drop/"+code+".xlsx") {
		t.Errorf("pricing history table: exit %d\n%s", exit, table)
	}
}
