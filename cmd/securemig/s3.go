package main

import (
	"cmp"
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
	spec, err := s3store.ParseLocationURL(u)
	if err != nil {
		return nil, err
	}
	cfg := spec.Config
	env, err := environmentForBucket(spec.Bucket)
	if err != nil {
		return nil, err
	}
	if env != nil {
		ec := env.S3Config()
		cfg.Region = cmp.Or(cfg.Region, ec.Region)
		cfg.Endpoint = cmp.Or(cfg.Endpoint, ec.Endpoint)
		cfg.Profile = cmp.Or(cfg.Profile, ec.Profile)
		if !spec.PathStyleSet {
			cfg.PathStyle = ec.PathStyle
		}
	}
	client, err := s3store.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s3store.NewLocation(client, spec.Bucket, spec.Prefix), nil
}

// environmentForBucket finds the configured environment using bucket. A
// missing default environments file is not an error (deploy images may not
// ship it); a file named by SECUREMIG_ENVIRONMENTS must exist and be valid.
func environmentForBucket(bucket string) (*release.Environment, error) {
	path := release.EnvironmentsPath("")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && os.Getenv("SECUREMIG_ENVIRONMENTS") == "" {
		return nil, nil
	}
	envs, err := release.LoadEnvironments(path)
	if err != nil {
		return nil, fmt.Errorf("s3 location settings: %w", err)
	}
	env, _ := envs.ByBucket(bucket)
	return env, nil
}
