package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
)

const testPart = s3store.MinPartSize

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func putInput(bucket, key string, body []byte) s3store.PutInput {
	return s3store.PutInput{
		Bucket:   bucket,
		Key:      key,
		Body:     bytes.NewReader(body),
		Size:     int64(len(body)),
		SHA256:   sha256.Sum256(body),
		Metadata: map[string]string{"sha256": fmt.Sprintf("%x", sha256.Sum256(body)), "contract-code": "TEST"},
		SSE:      s3store.SSES3,
	}
}

func readAll(t *testing.T, c *s3store.Client, bucket, key string) []byte {
	t.Helper()
	body, _, err := c.Get(t.Context(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPutHeadGet uploads across the multipart threshold (one byte under, at,
// one byte over) to the real server and checks that the store reports the
// SHA-256 checksum Put computed: the whole-object one for a single PUT, the
// composite one for a multipart upload.
func TestPutHeadGet(t *testing.T) {
	const threshold = testPart + 1000
	tests := []struct {
		name      string
		size      int
		wantParts int
	}{
		{"empty", 0, 0},
		{"small", 1234, 0},
		{"one byte under the threshold", int(threshold) - 1, 0},
		{"at the threshold", int(threshold), 2},
		{"one byte over the threshold", int(threshold) + 1, 2},
		{"three parts", int(2*testPart) + 17, 3},
	}
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "bkt", false)
	var sseSent, writes atomic.Int32
	srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && !r.URL.Query().Has("partNumber") || r.Method == http.MethodPost && r.URL.Query().Has("uploads") {
			writes.Add(1)
			if r.Header.Get("X-Amz-Server-Side-Encryption") == s3store.SSES3 {
				sseSent.Add(1)
			}
		}
		return false
	})
	c := srv.Client(s3store.WithPartSize(testPart), s3store.WithMultipartThreshold(threshold), s3store.WithConcurrency(2))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := randomBytes(tt.size, uint64(i))
			key := "secure-migrations/" + strings.ReplaceAll(tt.name, " ", "_") + ".up.sql"
			in := putInput("bkt", key, body)
			var progress atomic.Int64
			in.Progress = func(done int64) {
				for {
					old := progress.Load()
					if done <= old || progress.CompareAndSwap(old, done) {
						return
					}
				}
			}
			res, err := c.Put(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Parts != tt.wantParts {
				t.Errorf("parts = %d, want %d", res.Parts, tt.wantParts)
			}
			if got := c.Multipart(int64(tt.size)); got != (tt.wantParts > 0) {
				t.Errorf("Multipart(%d) = %v", tt.size, got)
			}
			if got := progress.Load(); got != int64(tt.size) {
				t.Errorf("progress reached %d, want %d", got, tt.size)
			}
			obj, err := c.Head(t.Context(), "bkt", key)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Size != int64(tt.size) {
				t.Errorf("size = %d, want %d", obj.Size, tt.size)
			}
			if obj.Metadata["sha256"] != in.Metadata["sha256"] || obj.Metadata["contract-code"] != "TEST" {
				t.Errorf("metadata = %v", obj.Metadata)
			}
			if obj.ChecksumSHA256 != res.ChecksumSHA256 {
				t.Errorf("stored checksum %q, Put expected %q", obj.ChecksumSHA256, res.ChecksumSHA256)
			}
			if tt.wantParts > 0 && !strings.HasSuffix(res.ChecksumSHA256, fmt.Sprintf("-%d", tt.wantParts)) {
				t.Errorf("multipart checksum %q is not a composite of %d parts", res.ChecksumSHA256, tt.wantParts)
			}
			if got := readAll(t, c, "bkt", key); !bytes.Equal(got, body) {
				t.Errorf("GET returned %d bytes that differ from the %d uploaded", len(got), len(body))
			}
		})
	}
	// versitygw accepts but does not report server-side encryption, so the
	// request is what can be checked here (release verifies the HEAD).
	if sseSent.Load() != writes.Load() || writes.Load() != int32(len(tests)) {
		t.Errorf("%d of %d object writes asked for SSE-S3 (want all %d)", sseSent.Load(), writes.Load(), len(tests))
	}
}

// TestPutNeverOverwrites checks both write paths against the real server:
// a single PUT and a multipart upload over an existing key fail with
// ErrExists and leave the object as it was.
func TestPutNeverOverwrites(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "bkt", false)
	c := srv.Client(s3store.WithPartSize(testPart), s3store.WithMultipartThreshold(testPart))
	first := []byte("first")
	if _, err := c.Put(t.Context(), putInput("bkt", "k.up.sql", first)); err != nil {
		t.Fatal(err)
	}
	for _, second := range [][]byte{[]byte("second"), randomBytes(int(testPart)+1, 9)} {
		_, err := c.Put(t.Context(), putInput("bkt", "k.up.sql", second))
		if !errors.Is(err, s3store.ErrExists) {
			t.Fatalf("second PUT of %d bytes: err = %v, want ErrExists", len(second), err)
		}
	}
	if got := readAll(t, c, "bkt", "k.up.sql"); !bytes.Equal(got, first) {
		t.Errorf("object was overwritten: %q", got)
	}
}

func TestPutRefusesMissingEncryption(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "bkt", false)
	c := srv.Client()
	in := putInput("bkt", "k.up.sql", []byte("x"))
	in.SSE = ""
	if _, err := c.Put(t.Context(), in); err == nil || !strings.Contains(err.Error(), "encryption") {
		t.Fatalf("err = %v, want an encryption error", err)
	}
	in.SSE, in.Unencrypted = s3store.SSES3, true
	if _, err := c.Put(t.Context(), in); err == nil || !strings.Contains(err.Error(), "unencrypted upload") {
		t.Fatalf("err = %v, want a refusal of SSE on an unencrypted upload", err)
	}
	if _, err := c.Head(t.Context(), "bkt", "k.up.sql"); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("object exists after refused PUT: %v", err)
	}
	// Explicitly unencrypted (a local test store): no SSE header is sent.
	in.SSE = ""
	if _, err := c.Put(t.Context(), in); err != nil {
		t.Fatalf("unencrypted PUT: %v", err)
	}
}

// TestMultipartFailureLeavesNothing injects a persistent failure into part 2
// and checks that neither an object nor an open multipart upload remains.
func TestMultipartFailureLeavesNothing(t *testing.T) {
	faults := []struct {
		name   string
		inject func(w http.ResponseWriter)
	}{
		{"http 500", s3test.Fail500},
		{"dropped connection", s3test.DropConnection},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			srv := s3test.StartVersity(t)
			srv.CreateBucket(t, "bkt", false)
			var injected atomic.Int32
			srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2" {
					injected.Add(1)
					f.inject(w)
					return true
				}
				return false
			})
			c := srv.Client(s3store.WithPartSize(testPart), s3store.WithMultipartThreshold(testPart), s3store.WithConcurrency(1))
			body := randomBytes(int(2*testPart)+1, 7)
			_, err := c.Put(t.Context(), putInput("bkt", "big.up.sql", body))
			if err == nil {
				t.Fatal("PUT succeeded despite injected failures")
			}
			if !strings.Contains(err.Error(), "part 2") {
				t.Errorf("error does not name the failing part: %v", err)
			}
			if injected.Load() == 0 {
				t.Fatal("no failure was injected")
			}
			if _, err := c.Head(t.Context(), "bkt", "big.up.sql"); !errors.Is(err, s3store.ErrNotFound) {
				t.Errorf("HEAD after failure: err = %v, want ErrNotFound", err)
			}
			ups, err := s3.New(srv.Options()).ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String("bkt")})
			if err != nil {
				t.Fatal(err)
			}
			if len(ups.Uploads) != 0 {
				t.Errorf("%d multipart uploads left open, want 0 (aborted)", len(ups.Uploads))
			}

			srv.SetInterceptor(nil)
			if _, err := c.Put(t.Context(), putInput("bkt", "big.up.sql", body)); err != nil {
				t.Fatalf("retry after the fault cleared: %v", err)
			}
			if got := readAll(t, c, "bkt", "big.up.sql"); !bytes.Equal(got, body) {
				t.Error("object differs after retry")
			}
		})
	}
}

func TestCheckBucketAndHeadMissing(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "present", false)
	c := srv.Client()
	if err := c.CheckCredentials(t.Context()); err != nil {
		t.Fatal(err)
	}
	endpoint, err := c.CheckBucket(t.Context(), "present")
	if err != nil {
		t.Fatal(err)
	}
	if endpoint != srv.URL+"/present" {
		t.Errorf("endpoint = %q, want %q (path style)", endpoint, srv.URL+"/present")
	}
	if _, err := c.CheckBucket(t.Context(), "absent"); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("CheckBucket(absent) = %v, want ErrNotFound", err)
	}
	if _, err := c.Head(t.Context(), "present", "nope"); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Head(missing) = %v, want ErrNotFound", err)
	}
}

func TestCheckCredentialsFails(t *testing.T) {
	srv := s3test.StartVersity(t)
	o := srv.Options()
	o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials in chain")
	})
	err := s3store.NewFromOptions(o).CheckCredentials(t.Context())
	if err == nil || !strings.Contains(err.Error(), "resolving AWS credentials") {
		t.Errorf("err = %v, want a credential error", err)
	}
	o.Credentials = nil
	if err := s3store.NewFromOptions(o).CheckCredentials(t.Context()); err == nil {
		t.Error("no error without a credentials provider")
	}
}

func TestLocationListsBeyondOneThousand(t *testing.T) {
	srv := s3test.StartVersity(t)
	srv.CreateBucket(t, "many", false)
	c := srv.Client()
	const n = 1203
	for i := range n {
		srv.PutObject(t, "many", fmt.Sprintf("secure-migrations/%014d_m.up.sql", 20260101000000+i), []byte("x"))
	}
	// Noise that must not be listed: another prefix and a nested "directory".
	for _, key := range []string{"other/x.up.sql", "secure-migrations/nested/y.up.sql"} {
		srv.PutObject(t, "many", key, []byte("y"))
	}
	var lists atomic.Int32
	srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
			lists.Add(1)
		}
		return false
	})
	loc := s3store.NewLocation(c, "many", "/secure-migrations")
	if got, want := loc.String(), "s3://many/secure-migrations/"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	names, err := loc.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != n {
		t.Fatalf("listed %d names, want %d", len(names), n)
	}
	if lists.Load() < 2 {
		t.Errorf("listing used %d requests; want pagination (>= 2)", lists.Load())
	}
	if names[0] != "20260101000000_m.up.sql" || names[n-1] != fmt.Sprintf("%014d_m.up.sql", 20260101000000+n-1) {
		t.Errorf("unexpected names %q … %q", names[0], names[n-1])
	}
	loc.Encryption.AllowUnencrypted = true // versitygw stores no encryption
	rc, err := loc.Open(t.Context(), names[n-1])
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "x" {
		t.Errorf("Open: %q, %v", b, err)
	}
	if _, err := loc.Open(t.Context(), "../other/x.up.sql"); err == nil {
		t.Error("Open accepted a name with a slash")
	}
	if _, err := loc.Open(t.Context(), "absent.up.sql"); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Open(absent) = %v, want ErrNotFound", err)
	}
}

func TestParseLocationURL(t *testing.T) {
	tests := []struct {
		in      string
		want    s3store.LocationSpec
		wantErr string
	}{
		{in: "s3://bucket", want: s3store.LocationSpec{Bucket: "bucket"}},
		{in: "s3://bucket/secure-migrations", want: s3store.LocationSpec{Bucket: "bucket", Prefix: "secure-migrations/"}},
		{in: "s3://bucket/a/b/?region=us-gov-west-1&endpoint=http://127.0.0.1:9000&path_style=true&profile=p",
			want: s3store.LocationSpec{Bucket: "bucket", Prefix: "a/b/", PathStyleSet: true,
				Config: s3store.Config{Region: "us-gov-west-1", Endpoint: "http://127.0.0.1:9000", PathStyle: true, Profile: "p"}}},
		{in: "s3:///prefix", wantErr: "missing bucket"},
		{in: "s3://b/p?path_style=maybe", wantErr: "path_style"},
		{in: "s3://b/p?secret=x", wantErr: "unknown parameter"},
		{in: "s3://user:pw@b/p", wantErr: "credentials do not belong"},
		{in: "file://dir", wantErr: "scheme must be s3"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s3store.ParseLocationURL(u)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
