// Package s3test gives tests an S3 server over plain HTTP on 127.0.0.1, with a
// hook to inject failures (HTTP 500s, dropped connections) into chosen
// requests. Two servers are offered:
//
//   - StartVersity: a real, strict S3 implementation (versitygw, pinned, built
//     with `go install` on first use). It verifies checksums (BadDigest) and
//     honours If-None-Match (412). Upload, download, status and migrate tests
//     run against it.
//   - Start: gofakes3 on its in-memory backend, in process, for fast unit
//     tests. It does not verify checksums and ignores If-None-Match on
//     CompleteMultipartUpload, so code under test must verify uploads with
//     HEAD, never trust PUT responses. It must be served over plain HTTP: over
//     TLS the SDK sends aws-chunked bodies that gofakes3 stores verbatim.
package s3test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/securemig/securemig/s3store"
)

// Static test credentials; they only work against this server.
const (
	AccessKey = "AKIDTESTSECUREMIG"
	SecretKey = "test-secret-not-real"
	Region    = "us-gov-west-1"
)

// Interceptor may handle a request before gofakes3 does. It returns true when
// it has written a response (or dropped the connection).
type Interceptor func(w http.ResponseWriter, r *http.Request) bool

// Server is a running S3-compatible test server.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:PORT.
	URL string
	// Backend is the in-memory store of a gofakes3 server (Start), for
	// arranging state behind the API; nil for versitygw.
	Backend *s3mem.Backend
	// Gateway is the versitygw process behind a StartVersity server; nil for
	// gofakes3.
	Gateway *Gateway

	fake      http.Handler
	mu        sync.Mutex
	intercept Interceptor
}

// Start runs a server until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := NewServer()
	hs := httptest.NewServer(s)
	s.URL = hs.URL
	tb.Cleanup(hs.Close)
	return s
}

// NewServer returns an unstarted server; serve it with any http.Server and
// set URL. Start is the usual entry point.
func NewServer() *Server {
	b := s3mem.New()
	return &Server{Backend: b, fake: gofakes3.New(b).Server()}
}

// ServeHTTP runs the interceptor, then the server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ic := s.intercept
	s.mu.Unlock()
	if ic != nil && ic(w, r) {
		return
	}
	s.fake.ServeHTTP(w, r)
}

// SetInterceptor installs ic (nil removes it).
func (s *Server) SetInterceptor(ic Interceptor) {
	s.mu.Lock()
	s.intercept = ic
	s.mu.Unlock()
}

// Fail500 answers the request with an S3-style 500 InternalError.
func Fail500(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected failure</Message></Error>`))
}

// DropConnection closes the client's connection without any response.
func DropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		Fail500(w)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		Fail500(w)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// CreateBucket creates a bucket; versioned buckets keep object versions.
func (s *Server) CreateBucket(tb testing.TB, name string, versioned bool) {
	tb.Helper()
	if s.Backend == nil {
		if err := s.createBucketAPI(context.Background(), name, versioned); err != nil {
			tb.Fatalf("creating bucket %s: %v", name, err)
		}
		return
	}
	if err := s.Backend.CreateBucket(name); err != nil {
		tb.Fatalf("creating bucket %s: %v", name, err)
	}
	if versioned {
		err := s.Backend.SetVersioningConfiguration(name, gofakes3.VersioningConfiguration{Status: gofakes3.VersioningEnabled})
		if err != nil {
			tb.Fatalf("enabling versioning on %s: %v", name, err)
		}
	}
}

// Options returns SDK options for this server: static credentials, the
// server as BaseEndpoint, path-style addressing and a two attempts per request.
func (s *Server) Options() s3.Options {
	return s3.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		HTTPClient:   &http.Client{},
		// Two attempts keep injected-failure tests quick while still retrying.
		RetryMaxAttempts: 2,
	}
}

// Client returns an s3store client for this server.
func (s *Server) Client(opts ...s3store.Option) *s3store.Client {
	return s3store.NewFromOptions(s.Options(), opts...)
}

// STSIdentity answers STS GetCallerIdentity requests sent to the server's
// endpoint with the given account and ARN, as AWS STS would; every other
// request goes on. Neither versitygw nor gofakes3 implements STS, so this is
// how tests exercise the identity check's success path (without it the
// identity "could not be checked", which is the S3-compatible store's path).
func STSIdentity(account, arn string) Interceptor {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "" {
			return false
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || !strings.Contains(string(body), "Action=GetCallerIdentity") {
			Fail500(w)
			return true
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDATESTSECUREMIG</UserId><Account>%s</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, arn, account)
		return true
	}
}

// FailS3 answers the request with an S3 error of the given HTTP status and
// code, e.g. 403 RequestTimeTooSkewed.
func FailS3(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, message)
}
