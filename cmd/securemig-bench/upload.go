package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/s3store/s3test"
)

// The benchmark's bucket and environment on the local versitygw gateway
// (whose test credentials work nowhere else).
const (
	s3Bucket = "securemig-bench"
	s3Env    = "bench"
)

// uploadName is the file name of the uploaded benchmark file: a valid
// secure migration name.
const uploadName = "20000101000000_bench_upload.up.sql"

// upload measures 'securemig upload' of a large file to a real S3 server:
// versitygw (the strict tests' pinned gateway, a separate process with a
// POSIX backend on local disk) over plain HTTP on 127.0.0.1.
func (b *bench) upload(ctx context.Context) result {
	size := int64(b.cfg.uploadMiB) << 20
	r := result{stage: "upload", sample: fmt.Sprintf("%d MiB file", b.cfg.uploadMiB),
		what: "`securemig upload` to a local versitygw " + s3test.VersityVersion + " (S3 gateway, POSIX backend, HTTP, 127.0.0.1)"}
	b.logf("upload of a %d MiB file ...", b.cfg.uploadMiB)
	if err := b.available(ctx, "upload"); err != nil {
		r.note = err.Error()
		return r
	}
	work, err := os.MkdirTemp("", "securemig-bench-s3-")
	if err != nil {
		r.note = err.Error()
		return r
	}
	defer os.RemoveAll(work)
	gw, err := s3test.StartGatewayTCP(ctx, work)
	if err != nil {
		r.note = fmt.Sprintf("starting versitygw: %v", err)
		return r
	}
	defer gw.Close()
	srv := &s3test.Server{URL: gw.URL}
	if _, err := s3.New(srv.Options()).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		r.note = fmt.Sprintf("creating the bucket: %v", err)
		return r
	}
	store := srv.Client()

	up := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		proj, err := b.newProject()
		if err != nil {
			return sample{}, err
		}
		defer b.removeProject(proj)
		envFile := filepath.Join(proj, "migrations", "environments.toml")
		// versitygw stores objects unencrypted: a local test store.
		cfg := fmt.Sprintf("[environments.%s]\nbucket = %q\nregion = %q\nendpoint = %q\npath_style = true\nsse = \"none\"\nallow_unencrypted = true\n",
			s3Env, s3Bucket, s3test.Region, gw.URL)
		if err := os.WriteFile(envFile, []byte(cfg), 0o600); err != nil {
			return sample{}, fmt.Errorf("writing the environments file: %w", err)
		}
		file := filepath.Join(proj, "tmp", "secure", uploadName)
		sum, err := writeFiller(file, size)
		if err != nil {
			return sample{}, err
		}
		lock := filepath.Join(proj, "migrations", "secure.lock")
		err = lockfile.Update(lock, func(f *lockfile.File) error {
			f.Migrations[uploadName] = &lockfile.Entry{SHA256: sum, Size: size, ContractCode: contractCode,
				GeneratedAt: time.Now().UTC().Truncate(time.Second)}
			return nil
		})
		if err != nil {
			return sample{}, fmt.Errorf("writing the scratch lock entry: %w", err)
		}
		defer os.Remove(file)
		key := "secure-migrations/" + uploadName
		if _, err := store.Head(ctx, s3Bucket, key); err == nil {
			return sample{}, fmt.Errorf("the bucket already holds %s: the upload would be skipped", key)
		}
		defer store.Delete(context.WithoutCancel(ctx), s3Bucket, key, "")
		s, err := child{name: "securemig upload", dir: proj, timeout: 30 * time.Minute,
			env: []string{"SECUREMIG_ENVIRONMENTS=" + envFile, "AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
				"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=" + s3test.Region, "AWS_PROFILE=",
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"},
			argv: wrapArgv(wrap, []string{b.bin, "upload", "--env", s3Env, "--yes", file})}.run(ctx)
		if err != nil {
			return s, err
		}
		obj, err := store.Head(ctx, s3Bucket, key)
		if err != nil {
			return s, fmt.Errorf("the uploaded object is not in the bucket: %w", err)
		}
		if obj.Size != size || obj.ChecksumSHA256 == "" {
			return s, fmt.Errorf("the uploaded object has %d bytes and checksum %q, want %d bytes and a SHA-256 checksum", obj.Size, obj.ChecksumSHA256, size)
		}
		return s, nil
	}
	ss, err := series(ctx, b.cfg.largeRuns, up)
	b.record("Upload", fmt.Sprintf("%dMiB", b.cfg.uploadMiB), ss)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(ss)
	r.rate = fmt.Sprintf("%.0f MB/s", float64(size)/1e6/r.wall.median)
	if b.cfg.uploadMiB >= 1024 {
		r.checks = []check{below("1 GiB upload peak memory < 100 MB", float64(r.rss), 100e6, false, fmtMB)}
	}
	b.maybeProfile(ctx, &r, up)
	return r
}

// writeFiller writes size bytes of SQL comment lines to path (0600), a file
// shaped like a migration whose content does not matter to the upload, and
// returns its hex SHA-256.
func writeFiller(path string, size int64) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating the upload file: %w", err)
	}
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	line := []byte("-- securemig-bench filler line 0123456789 abcdefghijklmnopqrstuvwxyz\n")
	var n int64
	for n < size {
		k := min(int64(len(line)), size-n)
		if _, err := w.Write(line[:k]); err != nil {
			f.Close()
			return "", fmt.Errorf("writing the upload file: %w", err)
		}
		n += k
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", fmt.Errorf("writing the upload file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing the upload file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
