package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
)

const fileName = "20261121120000_import_pricing_data_test.up.sql"

// fixture is a production file with its lock entry and three environments
// on one real S3 server (versitygw). versitygw accepts server-side
// encryption requests but stores objects unencrypted, so the environments
// are unencrypted test stores (sse = "none", allow_unencrypted) unless a
// test asks for encryption with requireSSE.
type fixture struct {
	srv      *s3test.Server
	dir      string
	file     string
	lock     string
	envs     *Environments
	body     []byte
	puts     atomic.Int32 // object-writing requests seen by the server
	connects Connector
}

func newFixture(t *testing.T, size int) *fixture {
	t.Helper()
	fx := &fixture{srv: s3test.StartVersity(t), dir: t.TempDir()}
	fx.srv.CreateBucket(t, "app-exp", false)
	fx.srv.CreateBucket(t, "app-stg", false)
	fx.srv.CreateBucket(t, "app-prd", true)
	fx.srv.SetInterceptor(fx.countPuts)
	conf := ""
	for _, n := range []string{"exp", "stg", "prd"} {
		conf += fmt.Sprintf("[environments.%s]\nbucket = %q\nregion = %q\nendpoint = %q\npath_style = true\nsse = \"none\"\nallow_unencrypted = true\n\n",
			n, "app-"+n, s3test.Region, fx.srv.URL)
	}
	envs, err := ParseEnvironments("test.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	fx.envs = envs
	fx.file = filepath.Join(fx.dir, fileName)
	fx.lock = filepath.Join(fx.dir, "secure.lock")
	fx.writeFile(t, randomSQL(size, 1))
	// Small parts so that a few MiB exercise multipart uploads.
	fx.connects = func(context.Context, *Environment) (Store, error) {
		return fx.srv.Client(s3store.WithPartSize(s3store.MinPartSize), s3store.WithMultipartThreshold(s3store.MinPartSize),
			s3store.WithConcurrency(2)), nil
	}
	return fx
}

// requireSSE makes every environment require SSE-S3, as deployed ones do.
func (fx *fixture) requireSSE() {
	for _, e := range fx.envs.List {
		e.SSE, e.AllowUnencrypted = s3store.SSES3, false
	}
}

func (fx *fixture) countPuts(_ http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPut || (r.Method == http.MethodPost && r.URL.Query().Has("uploadId")) {
		fx.puts.Add(1)
	}
	return false
}

func randomSQL(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghij0123456789\t\n"[r.IntN(22)]
	}
	return b
}

// writeFile writes the production file (0600) and its lock entry.
func (fx *fixture) writeFile(t *testing.T, body []byte) {
	t.Helper()
	fx.body = body
	if err := os.WriteFile(fx.file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(fx.file, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	err := lockfile.Update(fx.lock, func(f *lockfile.File) error {
		f.Migrations[fileName] = &lockfile.Entry{
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)), ContractCode: "TEST",
			GeneratedAt: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), ToolVersion: "test",
			PlaceholderSHA256: strings.Repeat("0", 64),
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (fx *fixture) options(t *testing.T, envList string) UploadOptions {
	t.Helper()
	targets, err := fx.envs.Select(envList, envList == "")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("upload log:\n%s", log.String())
		}
	})
	return UploadOptions{
		File: fx.file, LockPath: fx.lock, Targets: targets, Connect: fx.connects, AssumeYes: true,
		Log: &log, ToolVersion: "v-test", Commit: "abc123", UploadedBy: "uploader@test",
	}
}

func (fx *fixture) lockEntry(t *testing.T) *lockfile.Entry {
	t.Helper()
	f, err := lockfile.Load(fx.lock)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := f.Lookup(fileName)
	if !ok {
		t.Fatal("lock entry missing")
	}
	return e
}

func (fx *fixture) object(t *testing.T, env string) ([]byte, error) {
	t.Helper()
	body, _, err := fx.srv.Client().Get(t.Context(), "app-"+env, DefaultPrefix+fileName)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return io.ReadAll(body)
}

func states(rs []Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Env.Name+"="+string(r.State))
	}
	return strings.Join(s, " ")
}

// TestUploadThreeEnvironments uploads through the real AWS SDK default chain
// (credentials from AWS_* variables, endpoint from the environments file).
func TestUploadThreeEnvironments(t *testing.T) {
	fx := newFixture(t, 100_000)
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(fx.dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(fx.dir, "no-aws-credentials"))
	o := fx.options(t, "")
	o.Connect = nil // ConnectS3
	now := time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)
	o.Now = func() time.Time { return now }

	res, err := Upload(t.Context(), o)
	if err != nil {
		t.Fatalf("upload: %v (%s)", err, states(res))
	}
	if got := states(res); got != "exp=uploaded stg=uploaded prd=uploaded" {
		t.Fatalf("states = %s", got)
	}
	e := fx.lockEntry(t)
	for _, env := range fx.envs.List {
		b, err := fx.object(t, env.Name)
		if err != nil || !bytes.Equal(b, fx.body) {
			t.Errorf("%s: object differs from the file (%v)", env.Name, err)
		}
		obj, err := fx.srv.Client().Head(t.Context(), env.Bucket, env.Key(fileName))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{MetaSHA256: e.SHA256, MetaContractCode: "TEST", MetaToolVersion: "v-test", MetaGitCommit: "abc123"}
		for k, v := range want {
			if obj.Metadata[k] != v {
				t.Errorf("%s: metadata %s = %q, want %q", env.Name, k, obj.Metadata[k], v)
			}
		}
		u := e.Uploads[env.Name]
		if u == nil {
			t.Fatalf("%s: no upload recorded", env.Name)
		}
		if u.Bucket != env.Bucket || u.Key != "secure-migrations/"+fileName || u.SHA256 != e.SHA256 ||
			u.Size != int64(len(fx.body)) || !u.UploadedAt.Equal(now) || !strings.HasPrefix(u.UploadedBy, "uploader@test") {
			t.Errorf("%s: recorded %+v", env.Name, u)
		}
		if env.Name == "prd" && u.VersionID == "" {
			t.Errorf("prd: no version id recorded for the versioned bucket")
		}
	}

	// Re-running is a no-op: no writes, the lock file neither changed nor
	// rewritten, no "recorded in" line.
	before, _ := os.ReadFile(fx.lock)
	stBefore, err := os.Stat(fx.lock)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	o.Log = &log
	fx.puts.Store(0)
	res, err = Upload(t.Context(), o)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if got := states(res); got != "exp=present stg=present prd=present" {
		t.Errorf("re-run states = %s", got)
	}
	if n := fx.puts.Load(); n != 0 {
		t.Errorf("re-run sent %d write requests, want 0", n)
	}
	if after, _ := os.ReadFile(fx.lock); !bytes.Equal(before, after) {
		t.Errorf("re-run changed the lock file:\n%s\n---\n%s", before, after)
	}
	stAfter, err := os.Stat(fx.lock)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(stBefore, stAfter) || !stAfter.ModTime().Equal(stBefore.ModTime()) {
		t.Error("re-run rewrote the lock file (new inode or modification time)")
	}
	if strings.Contains(log.String(), "recorded in") {
		t.Errorf("re-run logged a recording:\n%s", log.String())
	}
}

func TestUploadRefusesChangedFileForExistingKey(t *testing.T) {
	fx := newFixture(t, 5000)
	if _, err := Upload(t.Context(), fx.options(t, "exp")); err != nil {
		t.Fatal(err)
	}
	orig := fx.body
	fx.writeFile(t, randomSQL(5000, 2)) // regenerated under the same name
	fx.puts.Store(0)
	res, err := Upload(t.Context(), fx.options(t, ""))
	if !errors.Is(err, ErrPreflight) {
		t.Fatalf("err = %v, want ErrPreflight", err)
	}
	if got := states(res); got != "exp=refused stg=to upload prd=to upload" {
		t.Errorf("states = %s", got)
	}
	if !strings.Contains(res[0].Err.Error(), "already exists with other content") {
		t.Errorf("exp error = %v", res[0].Err)
	}
	if !strings.Contains(err.Error(), "nothing was uploaded") {
		t.Errorf("error %q does not say nothing was uploaded", err)
	}
	if n := fx.puts.Load(); n != 0 {
		t.Errorf("%d write requests after a failed preflight, want 0", n)
	}
	if b, _ := fx.object(t, "exp"); !bytes.Equal(b, orig) {
		t.Error("exp object was overwritten")
	}
	for _, env := range []string{"stg", "prd"} {
		if _, err := fx.object(t, env); !errors.Is(err, s3store.ErrNotFound) {
			t.Errorf("%s got an object although the preflight failed: %v", env, err)
		}
	}
}

// TestUploadPartialFailureResumes fails every part upload to stg (HTTP 500,
// then dropped connections): exp and prd complete, stg keeps no partial
// object, and a re-run completes stg only.
func TestUploadPartialFailureResumes(t *testing.T) {
	faults := map[string]func(http.ResponseWriter){"500": s3test.Fail500, "drop": s3test.DropConnection}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			fx := newFixture(t, int(2*s3store.MinPartSize)+1000)
			var injected atomic.Int32
			fx.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
				fx.countPuts(w, r)
				if strings.HasPrefix(r.URL.Path, "/app-stg/") && r.URL.Query().Get("partNumber") == "2" {
					injected.Add(1)
					fault(w)
					return true
				}
				return false
			})
			res, err := Upload(t.Context(), fx.options(t, ""))
			if err == nil || !strings.Contains(err.Error(), "stg do not hold the file") {
				t.Fatalf("err = %v", err)
			}
			if got := states(res); got != "exp=uploaded stg=failed prd=uploaded" {
				t.Fatalf("states = %s", got)
			}
			if injected.Load() == 0 {
				t.Fatal("no failure injected")
			}
			if _, err := fx.object(t, "stg"); !errors.Is(err, s3store.ErrNotFound) {
				t.Errorf("stg holds an object after a failed upload: %v", err)
			}
			ups, err := s3.New(fx.srv.Options()).ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String("app-stg")})
			if err != nil {
				t.Fatal(err)
			}
			if len(ups.Uploads) != 0 {
				t.Errorf("%d multipart uploads left open in stg", len(ups.Uploads))
			}
			if e := fx.lockEntry(t); e.Uploads["stg"] != nil || e.Uploads["exp"] == nil || e.Uploads["prd"] == nil {
				t.Errorf("lock uploads = %v, want exp and prd only", e.Uploads)
			}

			fx.srv.SetInterceptor(fx.countPuts)
			res, err = Upload(t.Context(), fx.options(t, ""))
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			if got := states(res); got != "exp=present stg=uploaded prd=present" {
				t.Errorf("re-run states = %s", got)
			}
			if b, err := fx.object(t, "stg"); err != nil || !bytes.Equal(b, fx.body) {
				t.Errorf("stg object after re-run differs (%v)", err)
			}
			if e := fx.lockEntry(t); e.Uploads["stg"] == nil {
				t.Error("stg upload not recorded after re-run")
			}
		})
	}
}

func TestUploadPreflightRefusals(t *testing.T) {
	tests := []struct {
		name    string
		arrange func(t *testing.T, fx *fixture, o *UploadOptions)
		want    string
	}{
		{"world-readable file", func(t *testing.T, fx *fixture, o *UploadOptions) {
			if err := os.Chmod(fx.file, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "chmod 600"},
		{"digest differs from lock", func(t *testing.T, fx *fixture, o *UploadOptions) {
			if err := os.WriteFile(fx.file, []byte("tampered"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "does not match its lock entry"},
		{"placeholder", func(t *testing.T, fx *fixture, o *UploadOptions) {
			err := lockfile.Update(fx.lock, func(f *lockfile.File) error {
				f.Migrations[fileName].PlaceholderSHA256 = f.Migrations[fileName].SHA256
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}, "placeholder"},
		{"no lock entry", func(t *testing.T, fx *fixture, o *UploadOptions) {
			o.LockPath = filepath.Join(fx.dir, "other.lock")
		}, "no entry for"},
		{"bad name", func(t *testing.T, fx *fixture, o *UploadOptions) {
			o.File = filepath.Join(fx.dir, "notes.sql")
		}, "not a secure migration file name"},
		{"over size limit", func(t *testing.T, fx *fixture, o *UploadOptions) {
			o.Targets[1].MaxSize = 10
		}, "too large: "},
		{"encryption missing", func(t *testing.T, fx *fixture, o *UploadOptions) {
			o.Targets[2].SSE = ""
		}, "no server-side encryption"},
		{"bucket missing", func(t *testing.T, fx *fixture, o *UploadOptions) {
			o.Targets[1].Bucket = "app-absent"
		}, "app-absent"},
		{"connect fails", func(t *testing.T, fx *fixture, o *UploadOptions) {
			o.Connect = func(context.Context, *Environment) (Store, error) { return nil, errors.New("no route") }
		}, "no route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, 3000)
			o := fx.options(t, "")
			tt.arrange(t, fx, &o)
			_, err := Upload(t.Context(), o)
			if !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), "nothing was uploaded") {
				t.Fatalf("err = %v, want a preflight refusal saying nothing was uploaded", err)
			}
			msg := err.Error()
			if errors.Is(err, ErrPreflight) {
				res, _ := Upload(t.Context(), o)
				for _, r := range res {
					if r.Err != nil {
						msg += "; " + r.Err.Error()
					}
				}
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not mention %q", msg, tt.want)
			}
			if n := fx.puts.Load(); n != 0 {
				t.Errorf("%d write requests despite a refusal", n)
			}
		})
	}
}

func TestUploadDryRunAndDecline(t *testing.T) {
	fx := newFixture(t, 3000)
	o := fx.options(t, "exp,prd")
	o.DryRun = true
	res, err := Upload(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(res); got != "exp=to upload prd=to upload" {
		t.Errorf("dry-run states = %s", got)
	}
	o.DryRun = false
	o.AssumeYes = false
	if _, err := Upload(t.Context(), o); !errors.Is(err, ErrAborted) {
		t.Errorf("neither AssumeYes nor Confirm: err = %v, want ErrAborted", err)
	}
	var asked int
	o.Confirm = func(rs []Result) (bool, error) { asked++; return false, nil }
	if _, err := Upload(t.Context(), o); !errors.Is(err, ErrAborted) {
		t.Errorf("declined: err = %v, want ErrAborted", err)
	}
	if asked != 1 {
		t.Errorf("asked %d times, want once", asked)
	}
	if n := fx.puts.Load(); n != 0 {
		t.Errorf("%d write requests in dry-run/declined runs", n)
	}
}

func TestStatus(t *testing.T) {
	fx := newFixture(t, 4000)
	if _, err := Upload(t.Context(), fx.options(t, "exp")); err != nil {
		t.Fatal(err)
	}
	// prd holds other bytes under the name (e.g. an old hand upload).
	fx.srv.PutObject(t, "app-prd", DefaultPrefix+fileName, []byte("other bytes"))
	fx.puts.Store(0)
	var gets atomic.Int32
	fx.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet {
			gets.Add(1)
		}
		return false
	})
	rep, err := Status(t.Context(), StatusOptions{LockPath: fx.lock, Name: fx.file, Targets: fx.envs.List, Connect: fx.connects})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results
	if got := states(res); got != "exp=present stg=missing prd=different" {
		t.Errorf("status = %s", got)
	}
	if res[0].VerifiedBy != "checksum" {
		t.Errorf("exp verified by %q, want the store's checksum", res[0].VerifiedBy)
	}
	if gets.Load() != 0 {
		t.Errorf("status downloaded objects (%d GETs)", gets.Load())
	}
	if !res[0].Recorded || res[1].Recorded {
		t.Error("Recorded disagrees with the lock")
	}
	if rep.AllPresent() {
		t.Error("AllPresent with stg missing")
	}
	if _, err := Status(t.Context(), StatusOptions{LockPath: fx.lock, Name: "20990101000000_absent.up.sql", Targets: fx.envs.List, Connect: fx.connects}); err == nil {
		t.Error("status of an unknown migration succeeded")
	}
}

func TestDownload(t *testing.T) {
	fx := newFixture(t, int(s3store.MinPartSize)+10)
	if _, err := Upload(t.Context(), fx.options(t, "exp,stg")); err != nil {
		t.Fatal(err)
	}
	exp, stg := fx.envs.List[0], fx.envs.List[1]
	parent := t.TempDir()
	path, err := Download(t.Context(), fx.lock, fileName, exp, fx.connects, parent)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(b, fx.body) {
		t.Fatalf("downloaded file differs (%v)", err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %04o, want %04o", p, st.Mode().Perm(), want)
		}
	}

	// Tamper with stg: same size and metadata, other bytes (a plain PUT by
	// someone else, so the store keeps no SHA-256 checksum for it).
	tampered := bytes.Clone(fx.body)
	tampered[len(tampered)/2] ^= 1
	obj, err := fx.srv.Client().Head(t.Context(), stg.Bucket, stg.Key(fileName))
	if err != nil {
		t.Fatal(err)
	}
	fx.srv.DeleteObject(t, stg.Bucket, stg.Key(fileName))
	fx.srv.PutObjectMeta(t, stg.Bucket, stg.Key(fileName), tampered, map[string]string{MetaSHA256: obj.Metadata[MetaSHA256]})
	parent2 := t.TempDir()
	_, err = Download(t.Context(), fx.lock, fileName, stg, fx.connects, parent2)
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "stg") {
		t.Fatalf("tampered download: err = %v", err)
	}
	if ents, _ := os.ReadDir(parent2); len(ents) != 0 {
		t.Errorf("tampered download left %d entries behind", len(ents))
	}
	// Status by HEAD cannot prove stg's bytes (metadata and size agree, no
	// checksum): unverified, never present; --deep reads them: different.
	for deep, want := range map[bool]string{false: "exp=present stg=unverified", true: "exp=present stg=different"} {
		rep, err := Status(t.Context(), StatusOptions{LockPath: fx.lock, Name: fileName, Targets: []*Environment{exp, stg}, Connect: fx.connects, Deep: deep})
		if err != nil {
			t.Fatal(err)
		}
		if got := states(rep.Results); got != want {
			t.Errorf("status (deep %v) = %s, want %s", deep, got, want)
		}
		if deep && rep.Results[0].VerifiedBy != "download" {
			t.Errorf("deep status verified exp by %q, want download", rep.Results[0].VerifiedBy)
		}
	}
	if _, err := Download(t.Context(), fx.lock, fileName, fx.envs.List[2], fx.connects, parent2); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("download from an environment without the object: %v", err)
	}
}

// writeSplit replaces the fixture's file by a migration split in parts of
// partSize bytes (as securemig gen writes them) and returns the part paths.
func (fx *fixture) writeSplit(t *testing.T, body []byte, partSize int) []string {
	t.Helper()
	os.Remove(fx.file)
	fx.body = body
	var parts []lockfile.Part
	var paths []string
	for i := 0; i*partSize < len(body); i++ {
		chunk := body[i*partSize : min((i+1)*partSize, len(body))]
		name := strings.TrimSuffix(fileName, ".up.sql") + fmt.Sprintf(".part-%03d.up.sql", i+1)
		p := filepath.Join(fx.dir, name)
		if err := os.WriteFile(p, chunk, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(chunk)
		parts = append(parts, lockfile.Part{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(chunk))})
		paths = append(paths, p)
	}
	sum := sha256.Sum256(body)
	err := lockfile.Update(fx.lock, func(f *lockfile.File) error {
		f.Migrations[fileName] = &lockfile.Entry{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)), Parts: parts}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestUploadSplitMigration(t *testing.T) {
	fx := newFixture(t, 10)
	paths := fx.writeSplit(t, randomSQL(25_000, 3), 10_000)
	for _, e := range fx.envs.List {
		e.MaxSize = 10_000 // each part fits, the whole would not
	}
	o := fx.options(t, "exp,stg")
	o.File = paths[1] // any part names the migration
	res, err := Upload(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(res); got != "exp=uploaded stg=uploaded" || res[0].Parts != 3 {
		t.Fatalf("states = %s, parts %d", got, res[0].Parts)
	}
	for i, p := range paths {
		want, _ := os.ReadFile(p)
		body, _, err := fx.srv.Client().Get(t.Context(), "app-exp", DefaultPrefix+filepath.Base(p))
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		got, _ := io.ReadAll(body)
		body.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("part %d differs", i+1)
		}
	}
	if u := fx.lockEntry(t).Uploads["exp"]; u == nil || u.Key != DefaultPrefix+fileName || u.Size != 25_000 {
		t.Errorf("exp upload record = %+v", u)
	}

	// The whole name works too, and a re-run skips the done environments.
	o.File = filepath.Join(fx.dir, fileName)
	o.Targets = fx.envs.List
	fx.puts.Store(0)
	res, err = Upload(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(res); got != "exp=present stg=present prd=uploaded" {
		t.Errorf("re-run states = %s", got)
	}
	if n := fx.puts.Load(); n != 3 {
		t.Errorf("re-run wrote %d objects, want the 3 parts for prd", n)
	}

	path, err := Download(t.Context(), fx.lock, fileName, fx.envs.List[1], fx.connects, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, fx.body) {
		t.Error("downloaded split migration differs from the parts joined")
	}

	// A lost part shows in status and fails the download.
	fx.srv.DeleteObject(t, "app-stg", DefaultPrefix+filepath.Base(paths[2]))
	st, err := Status(t.Context(), StatusOptions{LockPath: fx.lock, Name: fileName, Targets: fx.envs.List, Connect: fx.connects})
	if err != nil {
		t.Fatal(err)
	}
	if got := states(st.Results); got != "exp=present stg=missing prd=present" {
		t.Errorf("status = %s", got)
	}
	if _, err := Download(t.Context(), fx.lock, fileName, fx.envs.List[1], fx.connects, t.TempDir()); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("download with a lost part: %v", err)
	}

	// A tampered part on disk is refused before anything is sent.
	if err := os.WriteFile(paths[0], []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Upload(t.Context(), o); err == nil || !strings.Contains(err.Error(), "does not match its lock entry") {
		t.Errorf("tampered part: %v", err)
	}
}
