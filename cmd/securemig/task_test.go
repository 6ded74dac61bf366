package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/securemig/securemig/s3store/s3test"
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
}
