package release

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
)

// TestUploadRemovesObjectTheStoreDidNotEncrypt: versitygw accepts the SSE
// request but stores the object unencrypted. The upload must notice with
// HEAD, remove the object it created (the exact version in a versioned
// bucket) and fail with ErrNotEncrypted, for single PUTs and multipart
// uploads alike.
func TestUploadRemovesObjectTheStoreDidNotEncrypt(t *testing.T) {
	for name, size := range map[string]int{"single PUT": 3000, "multipart": int(s3store.MinPartSize) + 10} {
		t.Run(name, func(t *testing.T) {
			fx := newFixture(t, size)
			fx.requireSSE()
			res, err := Upload(t.Context(), fx.options(t, "exp,prd"))
			if !errors.Is(err, ErrNotEncrypted) {
				t.Fatalf("err = %v, want ErrNotEncrypted", err)
			}
			const want = "the store did not encrypt the object; it was removed; this endpoint does not support server-side encryption"
			if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "re-run") {
				t.Errorf("error %q: want %q and no advice to re-run", err, want)
			}
			if got := states(res); got != "exp=failed prd=failed" {
				t.Errorf("states = %s", got)
			}
			for _, env := range []string{"exp", "prd"} {
				if _, err := fx.object(t, env); !errors.Is(err, s3store.ErrNotFound) {
					t.Errorf("%s: the unencrypted object is still there (%v)", env, err)
				}
			}
			vs, err := s3.New(fx.srv.Options()).ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String("app-prd")})
			if err != nil {
				t.Fatal(err)
			}
			if len(vs.Versions) != 0 || len(vs.DeleteMarkers) != 0 {
				t.Errorf("versioned prd keeps %d versions and %d delete markers, want none", len(vs.Versions), len(vs.DeleteMarkers))
			}
			if e := fx.lockEntry(t); len(e.Uploads) != 0 {
				t.Errorf("lock records uploads %v", e.Uploads)
			}
		})
	}
}

// TestEncryptionRequiredOfExistingObjects: objects stored unencrypted (here
// by an unencrypted test environment) are not accepted by an environment
// that requires encryption: upload refuses and leaves them alone (it did not
// create them), status reports them unencrypted, download keeps nothing.
func TestEncryptionRequiredOfExistingObjects(t *testing.T) {
	fx := newFixture(t, 4000)
	if _, err := Upload(t.Context(), fx.options(t, "exp")); err != nil {
		t.Fatal(err)
	}
	fx.requireSSE()
	fx.puts.Store(0)
	res, err := Upload(t.Context(), fx.options(t, "exp"))
	if !errors.Is(err, ErrPreflight) || res[0].State != StateRefused || !strings.Contains(res[0].Err.Error(), "without server-side encryption") {
		t.Fatalf("upload over an unencrypted copy: err %v, result %+v", err, res)
	}
	if b, err := fx.object(t, "exp"); err != nil || len(b) != len(fx.body) {
		t.Errorf("the existing object was touched: %v", err)
	}
	if fx.puts.Load() != 0 {
		t.Errorf("%d writes after a refusal", fx.puts.Load())
	}

	rep, err := Status(t.Context(), StatusOptions{LockPath: fx.lock, Name: fileName, Targets: fx.envs.List[:1], Connect: fx.connects})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0]; r.State != StateUnencrypted || r.Encryption != "" || !errors.Is(r.Err, s3store.ErrNotEncrypted) {
		t.Errorf("status = %s (encryption %q, %v), want unencrypted", r.State, r.Encryption, r.Err)
	}
	parent := t.TempDir()
	if _, err := Download(t.Context(), fx.lock, fileName, fx.envs.List[0], fx.connects, parent); !errors.Is(err, s3store.ErrNotEncrypted) {
		t.Errorf("download of an unencrypted object: %v, want ErrNotEncrypted", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("download left %d entries behind", len(ents))
	}
}

// TestMultipartChecksumVerifiedAndRecorded uploads across the multipart
// threshold; the composite checksum the server reports is verified against
// the parts sent and recorded, so that status can prove the bytes by HEAD. An
// object replaced behind the tool's back (here: the same bytes, by a plain
// PUT that stores no SHA-256 checksum) is unverified until --deep reads it.
func TestMultipartChecksumVerifiedAndRecorded(t *testing.T) {
	fx := newFixture(t, int(2*s3store.MinPartSize)+5)
	if _, err := Upload(t.Context(), fx.options(t, "exp")); err != nil {
		t.Fatal(err)
	}
	exp := fx.envs.List[0]
	obj, err := fx.srv.Client().Head(t.Context(), exp.Bucket, exp.Key(fileName))
	if err != nil {
		t.Fatal(err)
	}
	u := fx.lockEntry(t).Uploads["exp"]
	if u == nil || !strings.HasSuffix(u.Checksums[fileName], "-3") || u.Checksums[fileName] != obj.ChecksumSHA256 {
		t.Fatalf("recorded checksums %v, store reports %q; want the 3-part composite", u, obj.ChecksumSHA256)
	}
	status := func(deep bool) Result {
		t.Helper()
		rep, err := Status(t.Context(), StatusOptions{LockPath: fx.lock, Name: fileName, Targets: []*Environment{exp}, Connect: fx.connects, Deep: deep})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Results[0]
	}
	if r := status(false); r.State != StatePresent || r.VerifiedBy != "checksum" || r.Checksum != obj.ChecksumSHA256 {
		t.Errorf("status = %s by %q (%v)", r.State, r.VerifiedBy, r.Err)
	}
	fx.srv.DeleteObject(t, exp.Bucket, exp.Key(fileName))
	fx.srv.PutObjectMeta(t, exp.Bucket, exp.Key(fileName), fx.body, obj.Metadata)
	if r := status(false); r.State != StateUnverified {
		t.Errorf("status of a replaced object = %s (%v), want unverified", r.State, r.Err)
	}
	if r := status(true); r.State != StatePresent || r.VerifiedBy != "download" {
		t.Errorf("deep status = %s by %q (%v), want present by download", r.State, r.VerifiedBy, r.Err)
	}
	// The upload's own preflight reads an unproven object back before it
	// calls it present.
	res, err := Upload(t.Context(), fx.options(t, "exp"))
	if err != nil || res[0].State != StatePresent {
		t.Errorf("re-run over the replaced copy: %v (%s)", err, states(res))
	}
}

// TestUploadInterrupted cancels the run (as Ctrl-C does) while stg's second
// part is on its way: exp keeps its verified upload, stg keeps no object and
// no open multipart upload, prd is not attempted, and the error says so.
func TestUploadInterrupted(t *testing.T) {
	fx := newFixture(t, int(2*s3store.MinPartSize)+1000)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fx.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/app-stg/") && r.URL.Query().Get("partNumber") == "2" {
			cancel()
			// The client gives up mid-body: reading the rest fails.
			_, _ = io.Copy(io.Discard, r.Body)
			s3test.DropConnection(w)
			return true
		}
		return false
	})
	res, err := Upload(ctx, fx.options(t, ""))
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v, want ErrIncomplete saying interrupted", err)
	}
	if got := states(res); got != "exp=uploaded stg=failed prd=not attempted" {
		t.Errorf("states = %s", got)
	}
	fx.srv.SetInterceptor(nil)
	if _, err := fx.object(t, "stg"); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("stg holds an object after the interruption: %v", err)
	}
	ups, err := s3.New(fx.srv.Options()).ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String("app-stg")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d multipart uploads left open in stg", len(ups.Uploads))
	}
	if e := fx.lockEntry(t); e.Uploads["exp"] == nil || len(e.Uploads) != 1 {
		t.Errorf("lock uploads = %v, want exp only", e.Uploads)
	}
}

// TestPreflightIdentityAndEndpoint: the preflight names the endpoint each
// bucket is reached at and whose credentials are used. versitygw has no STS:
// the identity could not be checked and the run goes on. With an STS answer
// on the endpoint the account is shown.
func TestPreflightIdentityAndEndpoint(t *testing.T) {
	fx := newFixture(t, 1000)
	o := fx.options(t, "exp")
	o.DryRun = true
	res, err := Upload(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Endpoint != fx.srv.URL+"/app-exp" || !strings.Contains(r.Identity, "could not be checked") {
		t.Errorf("endpoint %q, identity %q", r.Endpoint, r.Identity)
	}
	fx.srv.SetInterceptor(s3test.STSIdentity("123456789012", "arn:aws:iam::123456789012:user/release"))
	res, err = Upload(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res[0].Identity, "account 123456789012 (arn:aws:iam::123456789012:user/release)"; got != want {
		t.Errorf("identity = %q, want %q", got, want)
	}
}

// TestPreflightExplainsStoreErrors checks the messages a release engineer
// gets for the usual mistakes, each refused before anything is written.
func TestPreflightExplainsStoreErrors(t *testing.T) {
	tests := []struct {
		name    string
		arrange func(fx *fixture, o *UploadOptions)
		kind    error
		want    string
	}{
		{"wrong region", func(fx *fixture, o *UploadOptions) { o.Targets[0].Region = "us-east-1" },
			s3store.ErrWrongRegion, "not in region us-east-1; it is in " + s3test.Region},
		{"bucket of another account", func(fx *fixture, o *UploadOptions) { o.Targets[0].BucketOwner = "999999999999" },
			s3store.ErrAccessDenied, "not owned by account 999999999999"},
		{"missing bucket", func(fx *fixture, o *UploadOptions) { o.Targets[0].Bucket = "app-absent" },
			s3store.ErrNotFound, "bucket app-absent: not found"},
		{"unknown access key", func(fx *fixture, o *UploadOptions) { os.Setenv("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN") },
			s3store.ErrBadCredentials, "does not accept these credentials"},
		{"wrong secret", func(fx *fixture, o *UploadOptions) { os.Setenv("AWS_SECRET_ACCESS_KEY", "wrong") },
			s3store.ErrBadCredentials, "does not accept these credentials"},
		{"clock skew", func(fx *fixture, o *UploadOptions) {
			fx.srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
				s3test.FailS3(w, http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
				return true
			})
		}, s3store.ErrClockSkew, "clock differs from the server's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, 1000)
			o := fx.sdkChain(t, "exp")
			tt.arrange(fx, &o)
			res, err := Upload(t.Context(), o)
			if !errors.Is(err, ErrPreflight) || len(res) != 1 {
				t.Fatalf("err = %v, want a preflight refusal", err)
			}
			if !errors.Is(res[0].Err, tt.kind) || !strings.Contains(res[0].Err.Error(), tt.want) {
				t.Errorf("refusal %q: want %v saying %q", res[0].Err, tt.kind, tt.want)
			}
		})
	}
}

// sdkChain returns options that connect as the command does: the AWS SDK's
// default chain with the test credentials in AWS_* variables, region,
// endpoint and bucket owner from the environments.
func (fx *fixture) sdkChain(t *testing.T, envList string) UploadOptions {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": s3test.AccessKey, "AWS_SECRET_ACCESS_KEY": s3test.SecretKey, "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	} {
		t.Setenv(k, v)
	}
	o := fx.options(t, envList)
	o.Connect = nil
	return o
}

// TestUploadWithoutCredentials: with no credentials anywhere in the chain
// every environment is refused, and the error carries the AWS CLI's hint
// exactly once.
func TestUploadWithoutCredentials(t *testing.T) {
	fx := newFixture(t, 1000)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		// A closed port: the instance-role lookup fails at once.
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1",
	} {
		t.Setenv(k, v)
	}
	o := fx.options(t, "")
	o.Connect = nil // the SDK's default chain
	res, err := Upload(t.Context(), o)
	if !errors.Is(err, ErrPreflight) {
		t.Fatalf("err = %v, want a preflight refusal", err)
	}
	if got := states(res); got != "exp=refused stg=refused prd=refused" {
		t.Errorf("states = %s", got)
	}
	for _, r := range res {
		if !errors.Is(r.Err, s3store.ErrNoCredentials) {
			t.Errorf("%s: %v, want ErrNoCredentials", r.Env.Name, r.Err)
		}
	}
	const hint = "no AWS credentials found (checked the environment, shared config profile default, SSO, instance role); run `aws configure` or `aws sso login --profile default`"
	if n := strings.Count(err.Error(), hint); n != 1 {
		t.Errorf("error carries the hint %d times, want once:\n%v", n, err)
	}
}
