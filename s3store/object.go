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
		Bucket:       aws.String(bucket),
		Key:          aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return nil, fmt.Errorf("HEAD s3://%s/%s: %w", bucket, key, classify(err))
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
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, nil, fmt.Errorf("GET s3://%s/%s: %w", bucket, key, classify(err))
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

// List returns the keys under prefix, following ListObjectsV2 continuation
// tokens so that listings beyond 1,000 keys are complete.
func (c *Client) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c.api, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing s3://%s/%s: %w", bucket, prefix, classify(err))
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
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
