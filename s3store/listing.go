package s3store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Listed is one object of a listing, as ListObjectsV2 describes it (no
// metadata, no checksum values).
type Listed struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
}

// ListObjects lists the objects under prefix with their size and ETag,
// following continuation tokens. With a delimiter (usually "/"), keys that
// continue past it below prefix are not returned; their common prefixes
// ("directories", ending in the delimiter) are.
func (c *Client) ListObjects(ctx context.Context, bucket, prefix, delimiter string) ([]Listed, []string, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), ExpectedBucketOwner: c.ownerPtr()}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	var (
		objs []Listed
		dirs []string
	)
	p := s3.NewListObjectsV2Paginator(c.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing s3://%s/%s: %w", bucket, prefix, c.explain(err))
		}
		for _, o := range page.Contents {
			objs = append(objs, Listed{
				Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
				ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified),
			})
		}
		for _, cp := range page.CommonPrefixes {
			dirs = append(dirs, aws.ToString(cp.Prefix))
		}
	}
	return objs, dirs, nil
}
