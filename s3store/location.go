package s3store

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// LocationSpec is a parsed
// `s3://BUCKET/PREFIX?region=R&endpoint=URL&path_style=true&profile=P&bucket_owner=ID&sse=MODE&allow_unencrypted=true` URL.
type LocationSpec struct {
	Bucket string
	// Prefix is the key prefix, empty or ending in "/".
	Prefix string
	// Config holds the query parameters; empty fields were not given.
	Config Config
	// PathStyleSet reports whether path_style was given explicitly.
	PathStyleSet bool
	// Encryption is what the objects must carry; EncryptionSet reports
	// whether sse or allow_unencrypted was given.
	Encryption    Encryption
	EncryptionSet bool
}

// ParseLocationURL parses an s3:// migration location URL. Only the query
// parameters region, endpoint, path_style, profile, bucket_owner, sse
// (AES256, aws:kms or none) and allow_unencrypted are accepted; sse=none
// needs allow_unencrypted=true.
func ParseLocationURL(u *url.URL) (LocationSpec, error) {
	var spec LocationSpec
	if u.Scheme != "s3" {
		return spec, fmt.Errorf("location %q: scheme must be s3", u.Redacted())
	}
	if u.User != nil {
		return spec, fmt.Errorf("location s3://%s: credentials do not belong in the URL; use the AWS credential chain", u.Host)
	}
	if u.Host == "" {
		return spec, fmt.Errorf("location %q: missing bucket (s3://BUCKET/PREFIX)", u.Redacted())
	}
	spec.Bucket = u.Host
	spec.Prefix = NormalizePrefix(u.Path)
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "region":
			spec.Config.Region = v
		case "endpoint":
			spec.Config.Endpoint = v
		case "profile":
			spec.Config.Profile = v
		case "bucket_owner":
			spec.Config.BucketOwner = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return spec, fmt.Errorf("location s3://%s: path_style=%q is not true or false", spec.Bucket, v)
			}
			spec.Config.PathStyle, spec.PathStyleSet = b, true
		case "sse":
			if v != SSES3 && v != SSEKMS && v != "none" {
				return spec, fmt.Errorf("location s3://%s: sse=%q is not %s, %s or none", spec.Bucket, v, SSES3, SSEKMS)
			}
			spec.Encryption.SSE, spec.EncryptionSet = v, true
		case "allow_unencrypted":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return spec, fmt.Errorf("location s3://%s: allow_unencrypted=%q is not true or false", spec.Bucket, v)
			}
			spec.Encryption.AllowUnencrypted, spec.EncryptionSet = b, true
		default:
			return spec, fmt.Errorf("location s3://%s: unknown parameter %q (want region, endpoint, path_style, profile, bucket_owner, sse, allow_unencrypted)", spec.Bucket, k)
		}
	}
	if spec.Encryption.SSE == "none" {
		if !spec.Encryption.AllowUnencrypted {
			return spec, fmt.Errorf("location s3://%s: sse=none needs allow_unencrypted=true (local test stores only)", spec.Bucket)
		}
		spec.Encryption.SSE = ""
	}
	return spec, nil
}

// NormalizePrefix trims leading slashes and makes a non-empty prefix end in "/".
func NormalizePrefix(p string) string {
	p = strings.TrimLeft(p, "/")
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// LocationDefaults are settings for a bucket that a URL leaves out, for
// example from the environments file.
type LocationDefaults struct {
	Config     Config
	Encryption Encryption
}

// Defaults supplies the defaults of a bucket; ok is false when it knows none.
type Defaults func(bucket string) (d LocationDefaults, ok bool, err error)

// OpenURL opens the location of an s3:// URL (see ParseLocationURL). Query
// parameters win over defaults(bucket), which win over the AWS SDK's own
// defaults; defaults may be nil. Credentials come from the SDK default chain.
// Objects must carry server-side encryption (the required mode when sse or
// the defaults name one) unless allow_unencrypted says otherwise.
func OpenURL(ctx context.Context, u *url.URL, defaults Defaults, opts ...Option) (*Location, error) {
	spec, err := ParseLocationURL(u)
	if err != nil {
		return nil, err
	}
	cfg, enc := spec.Config, spec.Encryption
	if defaults != nil {
		d, ok, err := defaults(spec.Bucket)
		if err != nil {
			return nil, err
		}
		if ok {
			cfg.Region = cmp.Or(cfg.Region, d.Config.Region)
			cfg.Endpoint = cmp.Or(cfg.Endpoint, d.Config.Endpoint)
			cfg.Profile = cmp.Or(cfg.Profile, d.Config.Profile)
			cfg.BucketOwner = cmp.Or(cfg.BucketOwner, d.Config.BucketOwner)
			if !spec.PathStyleSet {
				cfg.PathStyle = d.Config.PathStyle
			}
			if !spec.EncryptionSet {
				enc = d.Encryption
			}
		}
	}
	client, err := New(ctx, cfg, opts...)
	if err != nil {
		return nil, err
	}
	loc := NewLocation(client, spec.Bucket, spec.Prefix)
	loc.Encryption = enc
	return loc, nil
}

// Location is a migration location backed by objects under a bucket prefix.
// It satisfies the migration engine's Location interface.
type Location struct {
	// Encryption is what every opened object must carry; the zero value
	// requires either kind of server-side encryption.
	Encryption Encryption

	client         *Client
	bucket, prefix string
}

// NewLocation returns the location s3://bucket/prefix served by client.
func NewLocation(client *Client, bucket, prefix string) *Location {
	return &Location{client: client, bucket: bucket, prefix: NormalizePrefix(prefix)}
}

// String returns "s3://bucket/prefix".
func (l *Location) String() string {
	return "s3://" + l.bucket + "/" + l.prefix
}

// List returns the sorted base names of the objects directly under the
// prefix (keys in deeper "directories" are ignored), across all pages.
func (l *Location) List(ctx context.Context) ([]string, error) {
	keys, err := l.client.List(ctx, l.bucket, l.prefix)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		name := strings.TrimPrefix(k, l.prefix)
		if name == "" || strings.Contains(name, "/") {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Open streams the object named name under the prefix. The caller closes it.
// An object without the required server-side encryption is refused with an
// error matching ErrNotEncrypted, before any of its bytes are read.
func (l *Location) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("%s: invalid migration name %q", l, name)
	}
	body, obj, err := l.client.Get(ctx, l.bucket, l.prefix+name)
	if err != nil {
		return nil, err
	}
	if err := l.Encryption.Check(obj); err != nil {
		body.Close()
		return nil, fmt.Errorf("s3://%s/%s%s: %w; refusing to use it", l.bucket, l.prefix, name, err)
	}
	return body, nil
}
