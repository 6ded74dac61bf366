package s3test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestVersityIsStrict proves the properties the strict tests rely on: a wrong
// SHA-256 checksum is refused, and If-None-Match refuses a second write both
// on PUT and on CompleteMultipartUpload.
func TestVersityIsStrict(t *testing.T) {
	srv := StartVersity(t)
	srv.CreateBucket(t, "strict", false)
	api := s3.New(srv.Options())
	ctx := context.Background()
	body := []byte("select 1;\n")
	wrong := sha256.Sum256([]byte("something else"))

	_, err := api.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("strict"), Key: aws.String("bad-digest"), Body: bytes.NewReader(body),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(wrong[:])),
	})
	if code := apiCode(err); code != "BadDigest" {
		t.Errorf("PUT with a wrong x-amz-checksum-sha256: got %v (code %q), want BadDigest", err, code)
	}

	put := func() error {
		_, err := api.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("strict"), Key: aws.String("once"), Body: bytes.NewReader(body),
			IfNoneMatch: aws.String("*"),
		})
		return err
	}
	if err := put(); err != nil {
		t.Fatalf("first conditional PUT: %v", err)
	}
	if code := apiCode(put()); code != "PreconditionFailed" {
		t.Errorf("second conditional PUT: code %q, want PreconditionFailed", code)
	}
	if got := srv.GetObject(t, "strict", "once"); !bytes.Equal(got, body) {
		t.Errorf("object changed by the refused PUT: %q", got)
	}

	mp, err := api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("strict"), Key: aws.String("once")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	part, err := api.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String("strict"), Key: aws.String("once"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("other")),
	})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	_, err = api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("strict"), Key: aws.String("once"), UploadId: mp.UploadId, IfNoneMatch: aws.String("*"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}},
	})
	if code := apiCode(err); code != "PreconditionFailed" {
		t.Errorf("conditional CompleteMultipartUpload over an existing key: %v (code %q), want PreconditionFailed", err, code)
	}
}

// TestVersityInterceptor checks that failures can be injected in front of the
// real server, as with the in-process one.
func TestVersityInterceptor(t *testing.T) {
	srv := StartVersity(t)
	srv.CreateBucket(t, "inject", false)
	var hits atomic.Int32
	srv.SetInterceptor(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/fail") {
			hits.Add(1)
			Fail500(w)
			return true
		}
		return false
	})
	api := s3.New(srv.Options())
	_, err := api.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("inject"), Key: aws.String("fail"), Body: bytes.NewReader([]byte("x")),
	})
	if err == nil || hits.Load() == 0 {
		t.Fatalf("injected 500: err %v after %d hits", err, hits.Load())
	}
	srv.PutObject(t, "inject", "ok", []byte("y"))
	if got := srv.GetObject(t, "inject", "ok"); string(got) != "y" {
		t.Fatalf("object through the front: %q", got)
	}
	srv.DeleteObject(t, "inject", "ok")
	_, err = api.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("inject"), Key: aws.String("ok")})
	if !IsNotFound(err) {
		t.Fatalf("HEAD after delete: %v, want not found", err)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
