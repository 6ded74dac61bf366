// Package s3store is securemig's small S3 layer: a client with the handful of
// operations the release steps need (check access, HEAD, never-overwrite
// upload, streaming GET, paginated listing) and an `s3://bucket/prefix`
// migration location.
//
// Uploads stream from an io.ReaderAt in bounded parts, so memory stays flat for
// any file size. Multipart uploads that fail are aborted, so a failure never
// leaves a partial object behind.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Default transfer settings.
const (
	// DefaultPartSize is the multipart part size; files up to this size are
	// sent with a single PUT.
	DefaultPartSize int64 = 16 << 20
	// MinPartSize is S3's smallest allowed part (except the last one).
	MinPartSize int64 = 5 << 20
	// DefaultConcurrency is the number of parts sent at the same time.
	DefaultConcurrency = 4
	// maxParts is S3's limit on parts per multipart upload.
	maxParts = 10000
)

// ErrNotFound reports that an object or bucket does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists reports that a conditional (never-overwrite) write found an
// object already stored under the key.
var ErrExists = errors.New("object already exists")

// Config says how to reach S3 or an S3-compatible store. Credentials always
// come from the AWS SDK's default chain (environment, shared profiles, SSO,
// instance or task roles).
type Config struct {
	// Region is the bucket's region, e.g. "us-gov-west-1". Empty uses the
	// SDK default (AWS_REGION, profile).
	Region string
	// Endpoint is an optional endpoint URL for S3-compatible stores.
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT.
	PathStyle bool
	// Profile optionally names a shared-config profile to take credentials from.
	Profile string
}

// Client performs securemig's S3 operations.
type Client struct {
	api         *s3.Client
	creds       aws.CredentialsProvider
	partSize    int64
	concurrency int
}

// Option adjusts a Client.
type Option func(*Client)

// WithPartSize sets the multipart part size (at least MinPartSize) and the
// single-PUT threshold.
func WithPartSize(n int64) Option {
	return func(c *Client) { c.partSize = max(n, MinPartSize) }
}

// WithConcurrency sets how many parts are uploaded at the same time (at least 1).
func WithConcurrency(n int) Option {
	return func(c *Client) { c.concurrency = max(n, 1) }
}

// New builds a client from the SDK's default configuration chain and cfg.
func New(ctx context.Context, cfg Config, opts ...Option) (*Client, error) {
	var loadOpts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	api := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		tune(o)
	})
	return newClient(api, awsCfg.Credentials, opts), nil
}

// NewFromOptions builds a client from explicit SDK options, e.g. static
// credentials and a BaseEndpoint for an S3-compatible server.
func NewFromOptions(o s3.Options, opts ...Option) *Client {
	tune(&o)
	return newClient(s3.New(o), o.Credentials, opts)
}

func newClient(api *s3.Client, creds aws.CredentialsProvider, opts []Option) *Client {
	c := &Client{api: api, creds: creds, partSize: DefaultPartSize, concurrency: DefaultConcurrency}
	for _, o := range opts {
		o(c)
	}
	return c
}

// tune makes the SDK send only the checksums we ask for and leaves response
// verification to us (we hash every byte ourselves).
func tune(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

// CheckCredentials resolves credentials from the configured chain. It never
// returns or prints secret values.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if c.creds == nil {
		return errors.New("no AWS credentials configured")
	}
	if _, err := c.creds.Retrieve(ctx); err != nil {
		return fmt.Errorf("resolving AWS credentials: %w", err)
	}
	return nil
}

// CheckBucket verifies the bucket exists and is reachable with the credentials.
func (c *Client) CheckBucket(ctx context.Context, bucket string) error {
	_, err := c.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, classify(err))
	}
	return nil
}

// classify maps SDK errors to ErrNotFound and ErrExists where they apply,
// keeping the original error in the chain.
func classify(err error) error {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%w (%w)", ErrNotFound, err)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("%w (%w)", ErrExists, err)
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchKey", "NoSuchBucket":
			return fmt.Errorf("%w (%w)", ErrNotFound, err)
		case "PreconditionFailed":
			return fmt.Errorf("%w (%w)", ErrExists, err)
		}
	}
	return err
}

// cleanupContext returns a context for cleanup work (aborting an upload) that
// survives the cancellation of ctx.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
