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

// openS3Location opens s3://BUCKET/PREFIX[?region=R&endpoint=URL&path_style=BOOL&profile=P].
//
// Settings come from, in order of precedence: the URL's query parameters; the
// environment in the environments file (SECUREMIG_ENVIRONMENTS or
// migrations/environments.toml, when present) whose bucket is BUCKET; the AWS
// SDK defaults (AWS_REGION, profiles). Credentials always come from the SDK's
// default chain.
func openS3Location(ctx context.Context, u *url.URL) (migrations.Location, error) {
	return s3store.OpenURL(ctx, u, environmentDefaults)
}

// environmentDefaults returns the settings of the configured environment
// using bucket. A missing default environments file is not an error (deploy
// images may not ship it); a file named by SECUREMIG_ENVIRONMENTS must exist
// and be valid.
func environmentDefaults(bucket string) (s3store.Config, bool, error) {
	path := release.EnvironmentsPath("")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && os.Getenv("SECUREMIG_ENVIRONMENTS") == "" {
		return s3store.Config{}, false, nil
	}
	envs, err := release.LoadEnvironments(path)
	if err != nil {
		return s3store.Config{}, false, fmt.Errorf("s3 location settings: %w", err)
	}
	env, ok := envs.ByBucket(bucket)
	if !ok {
		return s3store.Config{}, false, nil
	}
	return env.S3Config(), true, nil
}
