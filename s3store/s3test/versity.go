package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// VersityModule and VersityVersion pin the real S3 implementation the strict
// tests run against: versitygw, an S3 gateway with a POSIX backend. Unlike the
// in-process gofakes3 server it verifies x-amz-checksum-sha256 (BadDigest) and
// honours If-None-Match on PUT and on CompleteMultipartUpload (412).
const (
	VersityModule  = "github.com/versity/versitygw/cmd/versitygw"
	VersityVersion = "v1.8.0"
)

// VersityEnv names an environment variable holding the path of a versitygw
// binary to use instead of the cached build.
const VersityEnv = "SECUREMIG_VERSITYGW"

// VersityBinary returns the path of the pinned versitygw binary, building it
// with `go install` into the user's cache directory on first use (2 min 16 s
// measured on an otherwise idle 2-core machine; later calls return at once). Concurrent callers,
// including other test processes, wait for one build.
func VersityBinary(ctx context.Context) (string, error) {
	if p := os.Getenv(VersityEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", VersityEnv, err)
		}
		return p, nil
	}
	dir, err := versityDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another process built it while we waited
	}
	return bin, installVersity(ctx, dir, bin)
}

// versityDir is the cache directory of the pinned build.
func versityDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "securemig", "versitygw-"+VersityVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("versitygw cache directory: %w", err)
	}
	return dir, nil
}

// lockDir takes an exclusive flock on dir/.lock until the returned func runs.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("versitygw cache lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("versitygw cache lock: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// installVersity builds the pinned module into a temporary GOBIN inside dir
// and renames the binary into place, so a killed build leaves no half binary.
func installVersity(ctx context.Context, dir, bin string) error {
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return fmt.Errorf("versitygw build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	goTool := "go"
	if p, err := exec.LookPath("go"); err == nil {
		goTool = p
	} else if _, err := os.Stat("/usr/local/go/bin/go"); err == nil {
		goTool = "/usr/local/go/bin/go"
	}
	cmd := exec.CommandContext(ctx, goTool, "install", VersityModule+"@"+VersityVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOFLAGS=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building versitygw %s with go install: %w\n%s", VersityVersion, err, lastLines(out.String(), 20))
	}
	if err := os.Rename(filepath.Join(tmp, "versitygw"), bin); err != nil {
		return fmt.Errorf("installing versitygw: %w", err)
	}
	return nil
}

// Gateway is a running versitygw process serving a POSIX directory on a unix
// socket or a TCP address.
type Gateway struct {
	// Dir is the gateway's root: one subdirectory per bucket.
	Dir string
	// Socket is the unix socket the gateway listens on (StartGateway).
	Socket string
	// URL is the gateway's own HTTP endpoint (StartGatewayTCP).
	URL string

	network, addr string
	cmd           *exec.Cmd
	done          chan error
	log           *bytes.Buffer
}

// StartGateway starts versitygw with the test credentials and region on a
// unix socket in workDir (which must exist) and waits until it answers.
// Close stops it.
func StartGateway(ctx context.Context, workDir string) (*Gateway, error) {
	sock := filepath.Join(workDir, "s3.sock")
	g, err := startGateway(ctx, workDir, "unix", sock)
	if err != nil {
		return nil, err
	}
	g.Socket = sock
	return g, nil
}

// StartGatewayTCP starts versitygw like StartGateway but listening on a
// free TCP port of 127.0.0.1, with no front in between: for measurements
// (the benchmark's upload row) and for anything outside a test. Buckets are
// created through the S3 API (e.g. with Server.CreateBucket on a Server
// whose URL is the gateway's).
func StartGatewayTCP(ctx context.Context, workDir string) (*Gateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	g, err := startGateway(ctx, workDir, "tcp", addr)
	if err != nil {
		return nil, err
	}
	g.URL = "http://" + addr
	return g, nil
}

func startGateway(ctx context.Context, workDir, network, addr string) (*Gateway, error) {
	bin, err := VersityBinary(ctx)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		Dir:     filepath.Join(workDir, "root"),
		network: network,
		addr:    addr,
		done:    make(chan error, 1),
		log:     &bytes.Buffer{},
	}
	versions := filepath.Join(workDir, "versions")
	for _, d := range []string{g.Dir, versions} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("versitygw directories: %w", err)
		}
	}
	g.cmd = exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", addr, "--quiet", "posix", "--versioning-dir", versions, g.Dir)
	g.cmd.Stdout, g.cmd.Stderr = g.log, g.log
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting versitygw: %w", err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	if err := g.waitReady(ctx); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// waitReady polls the address until the gateway accepts connections.
func (g *Gateway) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.Dial(g.network, g.addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case werr := <-g.done:
			g.done <- werr
			return fmt.Errorf("versitygw exited at start (%v):\n%s", werr, lastLines(g.log.String(), 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw did not listen on %s within 30s:\n%s", g.addr, lastLines(g.log.String(), 20))
		}
	}
}

// Handler returns an HTTP handler that forwards every request to the
// gateway unchanged (the Host header included, so signatures still verify).
func (g *Gateway) Handler() http.Handler {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, g.network, g.addr)
		},
		MaxIdleConnsPerHost: 32,
	}
	return &httputil.ReverseProxy{
		Director: func(r *http.Request) {
			r.URL.Scheme = "http"
			r.URL.Host = "versitygw"
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorLog:      nil,
	}
}

// Close stops the gateway and waits for it to exit.
func (g *Gateway) Close() error {
	if g.cmd.Process == nil {
		return nil
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
	return nil
}

// StartVersity starts a real versitygw server for the test, behind an HTTP
// front on 127.0.0.1 that supports the same interceptors as Start. It is
// stopped and its files removed when the test ends. When versitygw cannot be
// built or started the test fails: it never skips.
//
// The returned Server has no Backend; arrange state through the S3 API with
// PutObject and DeleteObject.
func StartVersity(tb testing.TB) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	work, err := os.MkdirTemp("", "smvgw")
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	g, err := StartGateway(ctx, work)
	if err != nil {
		os.RemoveAll(work)
		tb.Fatalf("s3test: a real S3 server (versitygw %s) is required: %v", VersityVersion, err)
	}
	s := &Server{fake: g.Handler(), Gateway: g}
	hs := httptest.NewServer(s)
	s.URL = hs.URL
	tb.Cleanup(func() {
		hs.Close()
		g.Close()
		os.RemoveAll(work)
	})
	return s
}

// api returns a plain SDK client for arranging state in tests.
func (s *Server) api() *s3.Client {
	return s3.New(s.Options())
}

// createBucketAPI creates a bucket through the S3 API.
func (s *Server) createBucketAPI(ctx context.Context, name string, versioned bool) error {
	if _, err := s.api().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return err
	}
	if !versioned {
		return nil
	}
	_, err := s.api().PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	return err
}

// PutObject stores data under bucket/key as another writer would: a plain
// PUT, without conditions, checksums or encryption. Tests use it to arrange
// foreign or tampered objects.
func (s *Server) PutObject(tb testing.TB, bucket, key string, data []byte) {
	tb.Helper()
	s.PutObjectMeta(tb, bucket, key, data, nil)
}

// PutObjectMeta is PutObject with user metadata (keys without
// "x-amz-meta-"), e.g. to forge an object whose sha256 metadata claims other
// bytes.
func (s *Server) PutObjectMeta(tb testing.TB, bucket, key string, data []byte, meta map[string]string) {
	tb.Helper()
	if s.Backend != nil {
		m := map[string]string{}
		for k, v := range meta {
			m["X-Amz-Meta-"+k] = v
		}
		if _, err := s.Backend.PutObject(bucket, key, m, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			tb.Fatalf("s3test: putting %s/%s: %v", bucket, key, err)
		}
		return
	}
	_, err := s.api().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data), Metadata: meta,
	})
	if err != nil {
		tb.Fatalf("s3test: putting %s/%s: %v", bucket, key, err)
	}
}

// DeleteObject removes bucket/key behind the code under test.
func (s *Server) DeleteObject(tb testing.TB, bucket, key string) {
	tb.Helper()
	if s.Backend != nil {
		if _, err := s.Backend.DeleteObject(bucket, key); err != nil {
			tb.Fatalf("s3test: deleting %s/%s: %v", bucket, key, err)
		}
		return
	}
	if _, err := s.api().DeleteObject(context.Background(), &s3.DeleteObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
	}); err != nil {
		tb.Fatalf("s3test: deleting %s/%s: %v", bucket, key, err)
	}
}

// GetObject returns the bytes stored under bucket/key.
func (s *Server) GetObject(tb testing.TB, bucket, key string) []byte {
	tb.Helper()
	out, err := s.api().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		tb.Fatalf("s3test: getting %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		tb.Fatalf("s3test: reading %s/%s: %v", bucket, key, err)
	}
	return b
}

// IsNotFound reports whether err is an S3 "no such key/bucket" error.
func IsNotFound(err error) bool {
	var nk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
