package s3store

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Object describes a stored object as HEAD or GET reports it.
type Object struct {
	Bucket, Key  string
	Size         int64
	ETag         string
	VersionID    string // empty when the bucket is not versioned
	LastModified time.Time
	// Metadata holds user metadata with lower-case keys, without "x-amz-meta-".
	Metadata map[string]string
	// SSE is the server-side encryption ("AES256", "aws:kms"), KMSKeyID the key.
	SSE, KMSKeyID string
	// ChecksumSHA256 is the stored base64 SHA-256 checksum: of the whole object
	// for a single PUT, a composite "<base64>-N" for multipart uploads, or empty.
	ChecksumSHA256 string
}

// Head returns an object's attributes without its body. A missing object
// gives an error matching ErrNotFound.
func (c *Client) Head(ctx context.Context, bucket, key string) (*Object, error) {
	out, err := c.api.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:              aws.String(bucket),
		Key:                 aws.String(key),
		ChecksumMode:        types.ChecksumModeEnabled,
		ExpectedBucketOwner: c.ownerPtr(),
	})
	if err != nil {
		return nil, fmt.Errorf("HEAD s3://%s/%s: %w", bucket, key, c.explain(err))
	}
	return &Object{
		Bucket:         bucket,
		Key:            key,
		Size:           aws.ToInt64(out.ContentLength),
		ETag:           aws.ToString(out.ETag),
		VersionID:      aws.ToString(out.VersionId),
		LastModified:   aws.ToTime(out.LastModified),
		Metadata:       lowerKeys(out.Metadata),
		SSE:            string(out.ServerSideEncryption),
		KMSKeyID:       aws.ToString(out.SSEKMSKeyId),
		ChecksumSHA256: aws.ToString(out.ChecksumSHA256),
	}, nil
}

// Get opens an object's body for streaming. The caller closes it.
func (c *Client) Get(ctx context.Context, bucket, key string) (io.ReadCloser, *Object, error) {
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: c.ownerPtr()})
	if err != nil {
		return nil, nil, fmt.Errorf("GET s3://%s/%s: %w", bucket, key, c.explain(err))
	}
	return out.Body, &Object{
		Bucket:       bucket,
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         aws.ToString(out.ETag),
		VersionID:    aws.ToString(out.VersionId),
		LastModified: aws.ToTime(out.LastModified),
		Metadata:     lowerKeys(out.Metadata),
		SSE:          string(out.ServerSideEncryption),
		KMSKeyID:     aws.ToString(out.SSEKMSKeyId),
	}, nil
}

// Delete removes one object. With a version id it removes exactly that
// version (in a versioned bucket a plain delete would only hide it behind a
// delete marker); without one it removes the current object.
func (c *Client) Delete(ctx context.Context, bucket, key, versionID string) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: c.ownerPtr()}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	if _, err := c.api.DeleteObject(ctx, in); err != nil {
		return fmt.Errorf("DELETE s3://%s/%s: %w", bucket, key, c.explain(err))
	}
	return nil
}

// List returns the keys under prefix, following ListObjectsV2 continuation
// tokens so that listings beyond 1,000 keys are complete.
func (c *Client) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	objs, _, err := c.ListObjects(ctx, bucket, prefix, "")
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys, nil
}

// lowerKeys returns m with lower-cased keys (S3 user metadata is
// case-insensitive; servers differ in how they echo it).
func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// Server-side encryption modes.
const (
	SSES3  = "AES256"
	SSEKMS = "aws:kms"
)

// Encryption is the server-side encryption a reader or writer requires of
// stored objects.
type Encryption struct {
	// SSE is SSES3 or SSEKMS to require exactly that mode, or empty to
	// accept either.
	SSE string
	// KMSKeyID, with SSEKMS, is the required key when given as a key ARN.
	KMSKeyID string
	// AllowUnencrypted accepts objects stored without server-side encryption
	// (local test stores only).
	AllowUnencrypted bool
}

// Check reports, as an error matching ErrNotEncrypted, how obj falls short
// of the requirement.
func (e Encryption) Check(obj *Object) error {
	if e.AllowUnencrypted {
		return nil
	}
	want := e.SSE
	if want == "" {
		want = SSES3 + " or " + SSEKMS
	}
	switch {
	case obj.SSE == "":
		return &Error{Kind: ErrNotEncrypted, Msg: fmt.Sprintf("stored without server-side encryption (required: %s)", want)}
	case e.SSE != "" && obj.SSE != e.SSE:
		return &Error{Kind: ErrNotEncrypted, Msg: fmt.Sprintf("encrypted with %s, required: %s", obj.SSE, want)}
	case e.SSE == SSEKMS && obj.KMSKeyID != "" && strings.HasPrefix(e.KMSKeyID, "arn:") &&
		strings.Contains(e.KMSKeyID, ":key/") && obj.KMSKeyID != e.KMSKeyID:
		return &Error{Kind: ErrNotEncrypted, Msg: fmt.Sprintf("encrypted with KMS key %s, required: %s", obj.KMSKeyID, e.KMSKeyID)}
	}
	return nil
}
