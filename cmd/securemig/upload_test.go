package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
)

const uploadName = "20261121120000_import_pricing_data_cli.up.sql"

// cliFixture is a project directory with a production file, its lock entry
// and an environments file for exp and stg (unencrypted test stores) and prd
// (protected, SSE-S3) on one real S3 server.
type cliFixture struct {
	srv  *s3test.Server
	dir  string
	file string // relative to dir
	body []byte
	env  []string
}

func newCLIFixture(t *testing.T, size int) *cliFixture {
	t.Helper()
	fx := &cliFixture{srv: s3test.StartVersity(t), dir: t.TempDir(), file: filepath.Join("tmp", "secure", uploadName)}
	for _, b := range []string{"app-exp", "app-stg", "app-prd"} {
		fx.srv.CreateBucket(t, b, b == "app-prd")
	}
	for _, d := range []string{"tmp/secure", "migrations"} {
		if err := os.MkdirAll(filepath.Join(fx.dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := ""
	for _, n := range []string{"exp", "stg"} {
		conf += fmt.Sprintf("[environments.%s]\nbucket = \"app-%s\"\nregion = %q\nendpoint = %q\npath_style = true\nsse = \"none\"\nallow_unencrypted = true\n\n",
			n, n, s3test.Region, fx.srv.URL)
	}
	conf += fmt.Sprintf("[environments.prd]\nbucket = \"app-prd\"\nregion = %q\nendpoint = %q\npath_style = true\nsse = \"AES256\"\nprotected = true\n",
		s3test.Region, fx.srv.URL)
	fx.write(t, "migrations/environments.toml", conf)
	line := []byte("-- a line of the production file\n")
	fx.setBody(t, bytes.Repeat(line, size/len(line)+1)[:size])
	none := filepath.Join(fx.dir, "no-aws-config")
	fx.env = []string{
		"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_REGION=", "AWS_ENDPOINT_URL=", "AWS_CONFIG_FILE=" + none, "AWS_SHARED_CREDENTIALS_FILE=" + none,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1", "SECUREMIG_ENVIRONMENTS=",
		"SECUREMIG_MULTIPART_THRESHOLD=", "SECUREMIG_PART_SIZE=",
	}
	return fx
}

func (fx *cliFixture) write(t *testing.T, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(fx.dir, rel), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// setBody writes the production file and its lock entry.
func (fx *cliFixture) setBody(t *testing.T, body []byte) {
	t.Helper()
	fx.body = body
	fx.write(t, fx.file, string(body))
	sum := sha256.Sum256(body)
	err := lockfile.Update(filepath.Join(fx.dir, lockfile.DefaultPath), func(f *lockfile.File) error {
		f.Migrations[uploadName] = &lockfile.Entry{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)),
			ContractCode: "CLI", GeneratedAt: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// run executes securemig in the project directory with stdin not a
// terminal and returns stdout, stderr and the exit code.
func (fx *cliFixture) run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ(append(fx.env, env...))
	cmd.Dir = fx.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	default:
		t.Fatalf("running securemig %v: %v", args, err)
		return "", "", -1
	}
}

func (fx *cliFixture) has(t *testing.T, env string) bool {
	t.Helper()
	_, err := fx.srv.Client().Head(t.Context(), "app-"+env, release.DefaultPrefix+uploadName)
	if err != nil && !errors.Is(err, s3store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func (fx *cliFixture) lockBytes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fx.dir, lockfile.DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUploadNeedsYesWithoutTerminal: without a terminal nothing is uploaded
// unless --yes says so; a re-run that finds everything present exits 0 and
// leaves the lock file alone.
func TestUploadNeedsYesWithoutTerminal(t *testing.T) {
	fx := newCLIFixture(t, 3000)
	_, stderr, code := fx.run(t, nil, "upload", "--env", "exp", fx.file)
	if code != 1 || !strings.Contains(stderr, "pass --yes") || !strings.Contains(stderr, "nothing was uploaded") {
		t.Fatalf("upload without a terminal or --yes: exit %d, stderr:\n%s", code, stderr)
	}
	if fx.has(t, "exp") {
		t.Fatal("uploaded without confirmation")
	}
	stdout, stderr, code := fx.run(t, nil, "upload", "--env", "exp", "--yes", fx.file)
	if code != 0 || !fx.has(t, "exp") || !regexpMatch(`(?m)^exp\s+uploaded\s+yes`, stdout) {
		t.Fatalf("upload --yes: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "UNENCRYPTED") {
		t.Errorf("no notice that exp is unencrypted:\n%s", stderr)
	}
	before := fx.lockBytes(t)
	stdout, stderr, code = fx.run(t, nil, "upload", "--env", "exp", fx.file) // nothing to upload: no question
	if code != 0 || !regexpMatch(`(?m)^exp\s+present\s+yes`, stdout) || strings.Contains(stderr, "recorded in") {
		t.Errorf("re-run: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !bytes.Equal(before, fx.lockBytes(t)) {
		t.Error("re-run changed the lock file")
	}
}

// TestUploadProtectedEnvironment: --all leaves prd out and says so; naming
// it works, and since the real server does not encrypt, the object is
// removed again with exit 4 and the documented message.
func TestUploadProtectedEnvironment(t *testing.T) {
	fx := newCLIFixture(t, 2000)
	stdout, stderr, code := fx.run(t, nil, "upload", "--all", "--yes", fx.file)
	if code != 0 || !strings.Contains(stderr, "prd is protected: --all leaves it out; name it with --env prd") || strings.Contains(stdout, "app-prd") {
		t.Fatalf("upload --all: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !fx.has(t, "exp") || !fx.has(t, "stg") || fx.has(t, "prd") {
		t.Fatal("--all did not upload to exactly exp and stg")
	}
	stdout, _, code = fx.run(t, nil, "upload", "--env", "prd", "--dry-run", fx.file)
	if code != 0 || !regexpMatch(`(?m)^prd\s+to upload\s+no \(dry run\)`, stdout) {
		t.Fatalf("dry run to prd: exit %d, stdout:\n%s", code, stdout)
	}
	stdout, stderr, code = fx.run(t, nil, "upload", "--env", "prd", "--yes", fx.file)
	const msg = "the store did not encrypt the object; it was removed; this endpoint does not support server-side encryption"
	if code != 4 || !strings.Contains(stderr, msg) || !regexpMatch(`(?m)^prd\s+failed\s+no\s.*`+msg, stdout) {
		t.Fatalf("upload to an endpoint without encryption: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if fx.has(t, "prd") {
		t.Error("the unencrypted prd object is still there")
	}
}

// TestUploadRefusalsExitTwo: a local file that does not match its lock entry
// is a refusal (exit 2) that says nothing was uploaded; a refused row says
// why on its own line.
func TestUploadRefusalsExitTwo(t *testing.T) {
	fx := newCLIFixture(t, 2000)
	fx.write(t, fx.file, "tampered")
	_, stderr, code := fx.run(t, nil, "upload", "--env", "exp", "--yes", fx.file)
	if code != 2 || !strings.Contains(stderr, "does not match its lock entry") || !strings.Contains(stderr, "nothing was uploaded") {
		t.Fatalf("tampered file: exit %d, stderr:\n%s", code, stderr)
	}
	fx.setBody(t, fx.body)
	fx.srv.PutObject(t, "app-stg", release.DefaultPrefix+uploadName, []byte("other bytes"))
	stdout, stderr, code := fx.run(t, nil, "upload", "--env", "exp,stg", "--yes", fx.file)
	if code != 2 || !regexpMatch(`(?m)^stg\s+refused\s+no\s+\S+\s+-\s+s3://app-stg/\S+ already exists with other content`, stdout) {
		t.Fatalf("existing other object: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if fx.has(t, "exp") {
		t.Error("exp was uploaded although stg refused")
	}
}

// TestNoCredentialsOneLine: without credentials the run prints the AWS CLI's
// hint once, not once per environment, and none of the SDK's own log lines
// (here its IMDSv1 fallback warning, provoked by an instance-metadata
// endpoint that refuses tokens, as some networks do).
func TestNoCredentialsOneLine(t *testing.T) {
	fx := newCLIFixture(t, 1000)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	env := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL}
	const hint = "no AWS credentials found (checked the environment, shared config profile default, SSO, instance role); run `aws configure` or `aws sso login --profile default`"
	for _, args := range [][]string{
		{"upload", "--env", "exp,stg,prd", "--yes", fx.file},
		{"upload", "status", uploadName},
	} {
		stdout, stderr, code := fx.run(t, env, args...)
		if code != 2 || strings.Count(stderr, hint) != 1 {
			t.Errorf("%v: exit %d, want 2 and the hint once; stderr:\n%s", args, code, stderr)
		}
		if strings.Contains(stderr, "SDK ") || strings.Contains(stderr, "WARN") || strings.Contains(stderr, "IMDS") {
			t.Errorf("%v: SDK log lines reached the terminal:\n%s", args, stderr)
		}
		if n := strings.Count(stdout, "no AWS credentials found (profile default)"); n != 3 {
			t.Errorf("%v: %d rows say why, want 3:\n%s", args, n, stdout)
		}
	}
}

// TestAWSCLIFlagsAndVariables: --endpoint-url, --region and --profile
// override the environments file for one run; AWS_PROFILE and
// AWS_ENDPOINT_URL still apply where the file is silent.
func TestAWSCLIFlagsAndVariables(t *testing.T) {
	fx := newCLIFixture(t, 1000)
	dead := "[environments.exp]\nbucket = \"app-exp\"\nregion = %q\nendpoint = \"http://127.0.0.1:1\"\npath_style = true\nsse = \"none\"\nallow_unencrypted = true\n"
	fx.write(t, "dead.toml", fmt.Sprintf(dead, s3test.Region))
	silent := "[environments.stg]\nbucket = \"app-stg\"\nregion = %q\nsse = \"none\"\nallow_unencrypted = true\n"
	fx.write(t, "silent.toml", fmt.Sprintf(silent, s3test.Region))
	creds := filepath.Join(fx.dir, "credentials")
	fx.write(t, "credentials", fmt.Sprintf("[release]\naws_access_key_id = %s\naws_secret_access_key = %s\n", s3test.AccessKey, s3test.SecretKey))
	noKeys := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SHARED_CREDENTIALS_FILE=" + creds}

	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"--region overrides", nil, []string{"--environments", "dead.toml", "--endpoint-url", fx.srv.URL, "--region", "us-east-1"},
			2, "not in region us-east-1; it is in " + s3test.Region},
		{"--profile overrides", nil, []string{"--environments", "dead.toml", "--endpoint-url", fx.srv.URL, "--profile", "nosuch"},
			2, `AWS profile "nosuch" is not defined`},
		{"--profile from the credentials file", noKeys, []string{"--environments", "dead.toml", "--endpoint-url", fx.srv.URL, "--profile", "release"},
			0, "exp  "},
		{"--endpoint-url overrides", nil, []string{"--environments", "dead.toml", "--endpoint-url", fx.srv.URL},
			0, "exp  "},
		{"AWS_PROFILE and AWS_ENDPOINT_URL", append(noKeys, "AWS_PROFILE=release", "AWS_ENDPOINT_URL="+fx.srv.URL),
			[]string{"--environments", "silent.toml"}, 0, "stg  "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"upload", "--all", "--dry-run"}, tt.args...), fx.file)
			stdout, stderr, code := fx.run(t, tt.env, args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d (want %d), want %q in output; stdout:\n%s\nstderr:\n%s", code, tt.code, tt.want, stdout, stderr)
			}
			if tt.code == 0 && !strings.Contains(stderr, "endpoint "+fx.srv.URL+"/app-") {
				t.Errorf("the preflight does not name the endpoint:\n%s", stderr)
			}
		})
	}
}

// TestMultipartFlags: --multipart-threshold and --part-size (and their
// variables) decide the multipart layout, whose composite checksum is
// verified and recorded; a part size under S3's minimum is refused.
func TestMultipartFlags(t *testing.T) {
	fx := newCLIFixture(t, int(s3store.MinPartSize)+1)
	_, stderr, code := fx.run(t, []string{"SECUREMIG_PART_SIZE=1MiB"}, "upload", "--env", "exp", "--yes", fx.file)
	if code != 1 || !strings.Contains(stderr, "--part-size") {
		t.Fatalf("part size under 5MiB: exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, code = fx.run(t, []string{"SECUREMIG_PART_SIZE=5MiB"}, "upload", "--env", "exp", "--yes", "--multipart-threshold", "5MiB", fx.file)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lock, err := lockfile.Load(filepath.Join(fx.dir, lockfile.DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	cs := lock.Migrations[uploadName].Uploads["exp"].Checksums[uploadName]
	if !strings.HasSuffix(cs, "-2") {
		t.Errorf("recorded checksum %q, want a composite of 2 parts", cs)
	}
}

// TestUploadStatusJSON parses the documented --json shape.
func TestUploadStatusJSON(t *testing.T) {
	fx := newCLIFixture(t, 1500)
	if _, stderr, code := fx.run(t, nil, "upload", "--env", "exp", "--yes", fx.file); code != 0 {
		t.Fatalf("upload: %s", stderr)
	}
	stdout, stderr, code := fx.run(t, nil, "upload", "status", "--json", fx.file)
	if code != 2 {
		t.Errorf("exit %d, want 2 (stg and prd lack the file); stderr:\n%s", code, stderr)
	}
	var doc struct {
		Migration    string `json:"migration"`
		SHA256       string `json:"sha256"`
		Size         int64  `json:"size"`
		Deep         bool   `json:"deep"`
		AllPresent   bool   `json:"all_present"`
		Environments []struct {
			Name, State, Bucket, Key, Note string
			Recorded                       bool
			Parts                          int
			VersionID                      string `json:"version_id"`
			Encryption                     string `json:"encryption"`
			RequiredEncryption             string `json:"required_encryption"`
			ChecksumSHA256                 string `json:"checksum_sha256"`
			VerifiedBy                     string `json:"verified_by"`
		} `json:"environments"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not the documented JSON: %v\n%s", err, stdout)
	}
	sum := sha256.Sum256(fx.body)
	if doc.Migration != uploadName || doc.SHA256 != hex.EncodeToString(sum[:]) || doc.Size != int64(len(fx.body)) || doc.Deep || doc.AllPresent {
		t.Errorf("header = %+v", doc)
	}
	if len(doc.Environments) != 3 {
		t.Fatalf("%d environments", len(doc.Environments))
	}
	exp, prd := doc.Environments[0], doc.Environments[2]
	if exp.Name != "exp" || exp.State != "present" || !exp.Recorded || exp.VerifiedBy != "checksum" || exp.ChecksumSHA256 == "" ||
		exp.RequiredEncryption != "none" || exp.Bucket != "app-exp" || exp.Key != release.DefaultPrefix+uploadName {
		t.Errorf("exp = %+v", exp)
	}
	if prd.State != "missing" || prd.Recorded || prd.RequiredEncryption != "AES256" || prd.Note == "" {
		t.Errorf("prd = %+v", prd)
	}
	if !strings.Contains(stderr, "environment exp: UNENCRYPTED") {
		t.Errorf("no unencrypted notice on stderr:\n%s", stderr)
	}
}

// TestUploadInterruptedByCtrlC sends SIGINT while a multipart upload is
// under way: the upload is aborted (no object, no open multipart upload),
// the exit code is 3 and the message says it was interrupted.
func TestUploadInterruptedByCtrlC(t *testing.T) {
	fx := newCLIFixture(t, int(2*s3store.MinPartSize)+100)
	arrived := make(chan struct{}, 1)
	fx.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("partNumber") == "2" {
			select {
			case arrived <- struct{}{}:
			default:
			}
			_, _ = io.Copy(io.Discard, r.Body) // until the client goes away
			s3test.DropConnection(w)
			return true
		}
		return false
	})
	cmd := exec.Command(binary, "upload", "--env", "exp", "--yes", "--multipart-threshold", "5MiB", "--part-size", "5MiB", fx.file)
	cmd.Env = environ(fx.env)
	cmd.Dir = fx.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("part 2 never arrived; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("after Ctrl-C: %v, stderr:\n%s", err, stderr.String())
	}
	fx.srv.SetInterceptor(nil)
	if fx.has(t, "exp") {
		t.Error("an object exists after the interrupted upload")
	}
	ups, err := s3.New(fx.srv.Options()).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String("app-exp")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups.Uploads))
	}
}

// TestConfirm checks the terminal question: y/yes for ordinary
// environments, the typed name for a protected one, and Ctrl-C while it
// waits.
func TestConfirm(t *testing.T) {
	exp := &release.Environment{Name: "exp", Bucket: "b-exp"}
	prd := &release.Environment{Name: "prd", Bucket: "b-prd", Protected: true}
	rs := func(envs ...*release.Environment) []release.Result {
		var out []release.Result
		for _, e := range envs {
			out = append(out, release.Result{Env: e, State: release.StateUpload, Key: "k", Identity: "account 123456789012 (arn:x)", Endpoint: "https://e"})
		}
		return out
	}
	tests := []struct {
		answer string
		envs   []*release.Environment
		want   bool
	}{
		{"y\n", []*release.Environment{exp}, true},
		{"YES\n", []*release.Environment{exp}, true},
		{"\n", []*release.Environment{exp}, false},
		{"y\n", []*release.Environment{exp, prd}, false},
		{"prd\n", []*release.Environment{exp, prd}, true},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		got, err := confirm(context.Background(), &out, strings.NewReader(tt.answer), "f.up.sql", rs(tt.envs...))
		if err != nil || got != tt.want {
			t.Errorf("answer %q to %d envs: %v, %v; want %v", tt.answer, len(tt.envs), got, err, tt.want)
		}
		if !strings.Contains(out.String(), "account 123456789012") || !strings.Contains(out.String(), "https://e") {
			t.Errorf("the question does not show identity and endpoint:\n%s", out.String())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	if ok, err := confirm(ctx, io.Discard, pr, "f.up.sql", rs(exp)); ok || err == nil {
		t.Errorf("cancelled while waiting: %v, %v", ok, err)
	}
}

// TestS3LocationEncryptionFromEnvironments: migrate's s3:// locations take
// the environment's encryption requirement from the environments file.
func TestS3LocationEncryptionFromEnvironments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "envs.toml")
	conf := "[environments.prd]\nbucket = \"app-prd\"\nregion = \"us-gov-west-1\"\nsse = \"aws:kms\"\nkms_key_id = \"alias/app\"\n\n" +
		"[environments.local]\nbucket = \"app-local\"\nregion = \"us-east-1\"\nsse = \"none\"\nallow_unencrypted = true\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SECUREMIG_ENVIRONMENTS", path)
	for bucket, want := range map[string]s3store.Encryption{
		"app-prd":   {SSE: s3store.SSEKMS, KMSKeyID: "alias/app"},
		"app-local": {AllowUnencrypted: true},
	} {
		d, ok, err := environmentDefaults(bucket)
		if err != nil || !ok || d.Encryption != want {
			t.Errorf("%s: %+v, %v, %v; want %+v", bucket, d.Encryption, ok, err, want)
		}
	}
	if _, ok, err := environmentDefaults("elsewhere"); ok || err != nil {
		t.Errorf("unknown bucket: %v, %v", ok, err)
	}
}

// environ is this process's environment with vars applied: "K=V" sets K,
// "K=" removes it (an empty variable is not the same as an unset one for
// flags that read the environment).
func environ(vars []string) []string {
	set := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" {
			delete(set, k)
		} else {
			set[k] = v
		}
	}
	out := make([]string, 0, len(set))
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}
