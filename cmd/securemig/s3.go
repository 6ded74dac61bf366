package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	"github.com/securemig/securemig/migrations"
	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
)

// The s3 scheme lets `securemig migrate --path s3://BUCKET/PREFIX` read
// secure migrations from S3.
func init() {
	migrations.RegisterScheme("s3", openS3Location)
}

// openS3Location opens
// s3://BUCKET/PREFIX[?region=R&endpoint=URL&path_style=BOOL&profile=P&bucket_owner=ID&sse=MODE&allow_unencrypted=BOOL].
//
// Settings come from, in order of precedence: the URL's query parameters; the
// environment in the environments file (SECUREMIG_ENVIRONMENTS or
// migrations/environments.toml, when present) whose bucket is BUCKET; the AWS
// SDK defaults (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL). Credentials always
// come from the SDK's default chain.
//
// Every object read must carry server-side encryption: the environment's
// sse (or the URL's sse=) when known, else either SSE-S3 or SSE-KMS. Only
// allow_unencrypted (the environment's, or the URL's with sse=none) accepts
// unencrypted objects, and then a notice says so.
func openS3Location(ctx context.Context, u *url.URL) (migrations.Location, error) {
	loc, err := s3store.OpenURL(ctx, u, environmentDefaults)
	if err != nil {
		return nil, err
	}
	if loc.Encryption.AllowUnencrypted {
		fmt.Fprintf(os.Stderr, "securemig: %s: UNENCRYPTED objects are accepted (allow_unencrypted; local test stores only)\n", loc)
	}
	return loc, nil
}

// environmentDefaults returns the settings of the configured environment
// using bucket. A missing default environments file is not an error (deploy
// images may not ship it); a file named by SECUREMIG_ENVIRONMENTS must exist
// and be valid.
func environmentDefaults(bucket string) (s3store.LocationDefaults, bool, error) {
	path := release.EnvironmentsPath("")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && os.Getenv("SECUREMIG_ENVIRONMENTS") == "" {
		return s3store.LocationDefaults{}, false, nil
	}
	envs, err := release.LoadEnvironments(path)
	if err != nil {
		return s3store.LocationDefaults{}, false, fmt.Errorf("s3 location settings: %w", err)
	}
	env, ok := envs.ByBucket(bucket)
	if !ok {
		return s3store.LocationDefaults{}, false, nil
	}
	return s3store.LocationDefaults{Config: env.S3Config(), Encryption: env.Encryption()}, true, nil
}
