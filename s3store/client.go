// Package s3store is securemig's small S3 layer: a client with the handful of
// operations the release steps need (check credentials, identity and bucket,
// HEAD, never-overwrite upload, streaming GET, delete of a version,
// paginated listing) and an `s3://bucket/prefix` migration location.
//
// Uploads stream from an io.ReaderAt in bounded parts, so memory stays flat for
// any file size. Multipart uploads that fail are aborted, so a failure never
// leaves a partial object behind. Errors from the store are explained in the
// release engineer's terms (wrong region, clock skew, access denied, no
// credentials) and match the sentinel errors below; the SDK's own log lines
// are discarded.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// Default transfer settings.
const (
	// DefaultPartSize is the multipart part size.
	DefaultPartSize int64 = 16 << 20
	// DefaultMultipartThreshold is the size from which a file is sent as a
	// multipart upload; smaller files go in a single PUT.
	DefaultMultipartThreshold int64 = 16 << 20
	// MinPartSize is S3's smallest allowed part (except the last one).
	MinPartSize int64 = 5 << 20
	// MaxPartSize is S3's largest allowed part, and the largest single PUT.
	MaxPartSize int64 = 5 << 30
	// DefaultConcurrency is the number of parts sent at the same time.
	DefaultConcurrency = 4
	// maxParts is S3's limit on parts per multipart upload.
	maxParts = 10000
)

// Config says how to reach S3 or an S3-compatible store. Credentials always
// come from the AWS SDK's default chain (environment, shared profiles, SSO,
// instance or task roles).
type Config struct {
	// Region is the bucket's region, e.g. "us-gov-west-1". Empty uses the
	// SDK default (AWS_REGION, profile).
	Region string
	// Endpoint is an optional endpoint URL for S3-compatible stores. Empty
	// uses AWS_ENDPOINT_URL when set, else AWS.
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT.
	// A custom endpoint taken from AWS_ENDPOINT_URL always uses path style.
	PathStyle bool
	// Profile optionally names a shared-config profile to take credentials
	// from; empty uses AWS_PROFILE, else "default".
	Profile string
	// BucketOwner is the account id that must own the bucket; when set every
	// request carries x-amz-expected-bucket-owner and S3 refuses a bucket of
	// any other account.
	BucketOwner string
}

// Client performs securemig's S3 operations.
type Client struct {
	api         *s3.Client
	sts         *sts.Client
	creds       aws.CredentialsProvider
	region      string
	profile     string // effective shared-config profile, for messages
	owner       string
	partSize    int64
	threshold   int64
	concurrency int
}

// Option adjusts a Client.
type Option func(*Client)

// WithPartSize sets the multipart part size, kept between MinPartSize and
// MaxPartSize.
func WithPartSize(n int64) Option {
	return func(c *Client) { c.partSize = min(max(n, MinPartSize), MaxPartSize) }
}

// WithMultipartThreshold sets the size from which uploads are multipart
// (at least 1 byte, at most MaxPartSize: a single PUT cannot be larger).
func WithMultipartThreshold(n int64) Option {
	return func(c *Client) { c.threshold = min(max(n, 1), MaxPartSize) }
}

// WithConcurrency sets how many parts are uploaded at the same time (at least 1).
func WithConcurrency(n int) Option {
	return func(c *Client) { c.concurrency = max(n, 1) }
}

// New builds a client from the SDK's default configuration chain and cfg.
// The SDK's own log output (for example its IMDS fallback warnings) is
// discarded; every problem is returned as an error instead.
func New(ctx context.Context, cfg Config, opts ...Option) (*Client, error) {
	loadOpts := []func(*config.LoadOptions) error{
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	}
	if cfg.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("AWS profile %q is not defined in ~/.aws/config or ~/.aws/credentials (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE); run `aws configure --profile %s` or `aws configure sso --profile %s`",
				pe.Profile, pe.Profile, pe.Profile)
		}
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	endpoint := cfg.Endpoint
	pathStyle := cfg.PathStyle
	if endpoint == "" && awsCfg.BaseEndpoint != nil {
		// AWS_ENDPOINT_URL: an S3-compatible store, addressed by path.
		endpoint, pathStyle = *awsCfg.BaseEndpoint, true
	}
	api := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
		tune(o)
	})
	stsAPI := sts.NewFromConfig(awsCfg, func(o *sts.Options) {
		if endpoint != "" && os.Getenv("AWS_ENDPOINT_URL_STS") == "" {
			// S3-compatible stores that answer STS do so on their endpoint.
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.RetryMaxAttempts = 1
	})
	c := newClient(api, stsAPI, awsCfg.Credentials, awsCfg.Region, cfg, opts)
	return c, nil
}

// NewFromOptions builds a client from explicit SDK options, e.g. static
// credentials and a BaseEndpoint for an S3-compatible server.
func NewFromOptions(o s3.Options, opts ...Option) *Client {
	tune(&o)
	stsAPI := sts.New(sts.Options{
		Region: o.Region, Credentials: o.Credentials, BaseEndpoint: o.BaseEndpoint,
		HTTPClient: o.HTTPClient, RetryMaxAttempts: 1, Logger: logging.Nop{},
	})
	return newClient(s3.New(o), stsAPI, o.Credentials, o.Region, Config{}, opts)
}

func newClient(api *s3.Client, stsAPI *sts.Client, creds aws.CredentialsProvider, region string, cfg Config, opts []Option) *Client {
	profile := cfg.Profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	c := &Client{
		api: api, sts: stsAPI, creds: creds, region: region, profile: profile, owner: cfg.BucketOwner,
		partSize: DefaultPartSize, threshold: DefaultMultipartThreshold, concurrency: DefaultConcurrency,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// tune makes the SDK send only the checksums we ask for, leaves response
// verification to us (we hash every byte ourselves) and silences its logger.
func tune(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	o.Logger = logging.Nop{}
	o.ClientLogMode = 0
}

// Profile returns the shared-config profile the client takes credentials
// from ("default" when neither the configuration nor AWS_PROFILE names one).
func (c *Client) Profile() string { return c.profile }

// CheckCredentials resolves credentials from the configured chain. It never
// returns or prints secret values. When the chain finds nothing the error is
// a *NoCredentialsError.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if c.creds == nil {
		return &NoCredentialsError{Profile: c.profile}
	}
	if _, err := c.creds.Retrieve(ctx); err != nil {
		return explainCredentials(err, c.profile)
	}
	return nil
}

// Identity is who the credentials belong to, as STS GetCallerIdentity says.
type Identity struct {
	Account, ARN string
}

// String returns "account ACCOUNT (ARN)".
func (id Identity) String() string {
	return fmt.Sprintf("account %s (%s)", id.Account, id.ARN)
}

// Identity asks STS whose credentials these are. S3-compatible stores
// usually do not implement STS; the error then says so, and callers go on.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		var known *Error
		if errors.As(c.explain(err), &known) && known.Kind != ErrNotFound && known.Kind != ErrAccessDenied {
			return Identity{}, fmt.Errorf("STS GetCallerIdentity: %w", known)
		}
		if status, _, _, _ := apiDetails(err); status != 0 {
			return Identity{}, fmt.Errorf("the endpoint does not answer STS GetCallerIdentity (HTTP %d)", status)
		}
		return Identity{}, fmt.Errorf("STS GetCallerIdentity: %w", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}, nil
}

// CheckBucket verifies the bucket exists, is reachable with the credentials
// and (when a bucket owner is configured) belongs to that account. It returns
// the URL the client sends the bucket's requests to.
func (c *Client) CheckBucket(ctx context.Context, bucket string) (endpoint string, err error) {
	rec := &recordingClient{}
	_, err = c.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket), ExpectedBucketOwner: c.ownerPtr()},
		func(o *s3.Options) { rec.next = o.HTTPClient; o.HTTPClient = rec })
	if status, _, _, _ := apiDetails(err); status != 0 {
		// HEAD responses carry no error body, only a status; a listing
		// (same permission) explains it: a region that is not the bucket's,
		// a skewed clock, unknown credentials, another account's bucket.
		_, lerr := c.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1), ExpectedBucketOwner: c.ownerPtr()})
		if lerr != nil {
			err = lerr
		}
	}
	if err != nil {
		return rec.url, fmt.Errorf("bucket %s: %w", bucket, c.explain(err))
	}
	return rec.url, nil
}

func (c *Client) ownerPtr() *string {
	if c.owner == "" {
		return nil
	}
	return aws.String(c.owner)
}

// recordingClient remembers the scheme, host and path of the last request.
type recordingClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	url string
}

func (r *recordingClient) Do(req *http.Request) (*http.Response, error) {
	r.url = req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()
	return r.next.Do(req)
}

// cleanupContext returns a context for cleanup work (aborting an upload,
// removing an object) that survives the cancellation of ctx.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
