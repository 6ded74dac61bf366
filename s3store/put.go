package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// PutInput describes one never-overwrite upload.
type PutInput struct {
	Bucket, Key string
	// Body is read in sections, never held in memory; Size is its length.
	Body io.ReaderAt
	Size int64
	// SHA256 is the digest of the whole body, stored as the object checksum
	// (single PUT) and always in the "sha256" metadata entry by the caller.
	SHA256 [sha256.Size]byte
	// Metadata is stored as user metadata (x-amz-meta-*).
	Metadata map[string]string
	// ContentType is the object's media type ("application/sql" when empty).
	ContentType string
	// SSE is SSES3 or SSEKMS (required unless Unencrypted); KMSKeyID names
	// the key for SSEKMS.
	SSE, KMSKeyID string
	// Unencrypted sends no server-side encryption request at all: only for
	// stores the caller has been told are unencrypted test stores. SSE must
	// then be empty.
	Unencrypted bool
	// Progress, when set, is called with the number of bytes stored so far
	// after each part completes. It may be called from several goroutines.
	Progress func(done int64)
}

// PutResult is what the server answered. Callers must not trust it for
// verification: HEAD the object instead and compare its checksum with
// ChecksumSHA256.
type PutResult struct {
	VersionID string
	Parts     int // 0 for a single PUT
	// ChecksumSHA256 is the SHA-256 checksum the store must report for the
	// object: base64 of the body's digest for a single PUT; for a multipart
	// upload the composite "<base64 of the digest of the parts' digests>-N".
	ChecksumSHA256 string
}

// Put uploads in.Body to in.Key with If-None-Match: * so that an existing
// object is never overwritten (an error matching ErrExists). Bodies from the
// multipart threshold up go as a multipart upload whose parts are read
// straight from in.Body; on any failure the multipart upload is aborted, so
// no partial object remains.
func (c *Client) Put(ctx context.Context, in PutInput) (*PutResult, error) {
	switch {
	case in.Unencrypted && in.SSE != "":
		return nil, fmt.Errorf("s3://%s/%s: server-side encryption %q requested for an unencrypted upload", in.Bucket, in.Key, in.SSE)
	case !in.Unencrypted && in.SSE != SSES3 && in.SSE != SSEKMS:
		return nil, fmt.Errorf("s3://%s/%s: server-side encryption %q is not %s or %s", in.Bucket, in.Key, in.SSE, SSES3, SSEKMS)
	}
	var (
		res *PutResult
		err error
	)
	if c.Multipart(in.Size) {
		res, err = c.putMultipart(ctx, in)
	} else {
		res, err = c.putSingle(ctx, in)
	}
	if err != nil {
		return nil, fmt.Errorf("PUT s3://%s/%s: %w", in.Bucket, in.Key, err)
	}
	return res, nil
}

// Multipart reports whether a body of size bytes is sent as a multipart
// upload: from the multipart threshold up (empty bodies never are).
func (c *Client) Multipart(size int64) bool {
	return size > 0 && (size >= c.threshold || size > MaxPartSize)
}

// contentType is the media type to store the object with.
func (in *PutInput) contentType() string {
	if in.ContentType == "" {
		return "application/sql"
	}
	return in.ContentType
}

func (c *Client) putSingle(ctx context.Context, in PutInput) (*PutResult, error) {
	input := &s3.PutObjectInput{
		Bucket:               aws.String(in.Bucket),
		Key:                  aws.String(in.Key),
		Body:                 io.NewSectionReader(in.Body, 0, in.Size),
		ContentLength:        aws.Int64(in.Size),
		ContentType:          aws.String(in.contentType()),
		ChecksumSHA256:       aws.String(base64.StdEncoding.EncodeToString(in.SHA256[:])),
		Metadata:             in.Metadata,
		ServerSideEncryption: types.ServerSideEncryption(in.SSE),
		IfNoneMatch:          aws.String("*"),
		ExpectedBucketOwner:  c.ownerPtr(),
	}
	if in.SSE == SSEKMS && in.KMSKeyID != "" {
		input.SSEKMSKeyId = aws.String(in.KMSKeyID)
	}
	out, err := c.api.PutObject(ctx, input)
	if err != nil {
		return nil, c.explain(err)
	}
	if in.Progress != nil {
		in.Progress(in.Size)
	}
	return &PutResult{VersionID: aws.ToString(out.VersionId), ChecksumSHA256: *input.ChecksumSHA256}, nil
}

// partSizeFor grows the part size when the file would need more than S3's
// 10,000 parts.
func (c *Client) partSizeFor(size int64) int64 {
	ps := c.partSize
	if need := (size + maxParts - 1) / maxParts; need > ps {
		const mib = 1 << 20
		ps = (need + mib - 1) / mib * mib
	}
	return ps
}

func (c *Client) putMultipart(ctx context.Context, in PutInput) (res *PutResult, err error) {
	create := &s3.CreateMultipartUploadInput{
		Bucket:               aws.String(in.Bucket),
		Key:                  aws.String(in.Key),
		ContentType:          aws.String(in.contentType()),
		ChecksumAlgorithm:    types.ChecksumAlgorithmSha256,
		Metadata:             in.Metadata,
		ServerSideEncryption: types.ServerSideEncryption(in.SSE),
		ExpectedBucketOwner:  c.ownerPtr(),
	}
	if in.SSE == SSEKMS && in.KMSKeyID != "" {
		create.SSEKMSKeyId = aws.String(in.KMSKeyID)
	}
	mpu, err := c.api.CreateMultipartUpload(ctx, create)
	if err != nil {
		return nil, fmt.Errorf("starting multipart upload: %w", c.explain(err))
	}
	uploadID := mpu.UploadId
	defer func() {
		if err == nil {
			return
		}
		actx, cancel := cleanupContext(ctx)
		defer cancel()
		_, aerr := c.api.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(in.Bucket), Key: aws.String(in.Key), UploadId: uploadID, ExpectedBucketOwner: c.ownerPtr(),
		})
		if aerr != nil {
			err = errors.Join(err, fmt.Errorf("aborting multipart upload (the bucket's lifecycle rule must clean it up): %w", aerr))
		}
	}()

	parts, err := c.uploadParts(ctx, in, uploadID)
	if err != nil {
		return nil, err
	}
	out, err := c.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:              aws.String(in.Bucket),
		Key:                 aws.String(in.Key),
		UploadId:            uploadID,
		MultipartUpload:     &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:         aws.String("*"),
		ExpectedBucketOwner: c.ownerPtr(),
	})
	if err != nil {
		return nil, fmt.Errorf("completing multipart upload: %w", c.explain(err))
	}
	composite, err := compositeSHA256(parts)
	if err != nil {
		return nil, err
	}
	return &PutResult{VersionID: aws.ToString(out.VersionId), Parts: len(parts), ChecksumSHA256: composite}, nil
}

// uploadParts sends every part, at most c.concurrency at a time, each read
// directly from in.Body through a section reader (no part buffers).
func (c *Client) uploadParts(ctx context.Context, in PutInput, uploadID *string) ([]types.CompletedPart, error) {
	ps := c.partSizeFor(in.Size)
	n := int((in.Size + ps - 1) / ps)
	parts := make([]types.CompletedPart, n)
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.concurrency)
	for i := range n {
		off := int64(i) * ps
		size := min(ps, in.Size-off)
		g.Go(func() error {
			sum, err := sectionSHA256(in.Body, off, size)
			if err != nil {
				return fmt.Errorf("reading part %d: %w", i+1, err)
			}
			out, err := c.api.UploadPart(gctx, &s3.UploadPartInput{
				Bucket:              aws.String(in.Bucket),
				Key:                 aws.String(in.Key),
				UploadId:            uploadID,
				PartNumber:          aws.Int32(int32(i + 1)),
				Body:                io.NewSectionReader(in.Body, off, size),
				ContentLength:       aws.Int64(size),
				ChecksumSHA256:      aws.String(sum),
				ExpectedBucketOwner: c.ownerPtr(),
			})
			if err != nil {
				return fmt.Errorf("part %d of %d: %w", i+1, n, c.explain(err))
			}
			parts[i] = types.CompletedPart{
				ETag:           out.ETag,
				PartNumber:     aws.Int32(int32(i + 1)),
				ChecksumSHA256: aws.String(sum),
			}
			if in.Progress != nil {
				in.Progress(done.Add(size))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return parts, nil
}

// sectionSHA256 returns the base64 SHA-256 of r[off:off+n].
func sectionSHA256(r io.ReaderAt, off, n int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, off, n)); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// compositeSHA256 is the checksum S3 stores for a multipart upload with
// SHA-256 part checksums: base64(SHA-256(part digest 1 || ... || part digest
// N)) + "-N".
func compositeSHA256(parts []types.CompletedPart) (string, error) {
	h := sha256.New()
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(aws.ToString(p.ChecksumSHA256))
		if err != nil {
			return "", fmt.Errorf("part %d checksum: %w", aws.ToInt32(p.PartNumber), err)
		}
		h.Write(raw)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts)), nil
}
