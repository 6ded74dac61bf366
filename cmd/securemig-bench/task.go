package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/securemig/securemig/s3store"
	"github.com/securemig/securemig/s3store/s3test"
	"github.com/securemig/securemig/task"
)

// taskInbox is the number of already-checked workbooks in the idle-tick
// benchmark's inbox, each with the result objects a check leaves.
const taskInbox = 25

// taskCheck measures 'securemig task check' when there is nothing new: the
// idle cost of every scheduler tick. The inbox (on an in-process
// S3-compatible server) holds taskInbox checked workbooks with their CSVs,
// results and index markers; a run must skip them all with listings only.
func (b *bench) taskCheck(ctx context.Context) result {
	r := result{stage: "task check (nothing new)", sample: fmt.Sprintf("%d checked workbooks", taskInbox),
		what: "`securemig task check` with nothing new, against an in-process S3-compatible server (gofakes3, HTTP, 127.0.0.1)"}
	b.logf("task check with nothing new ...")
	if err := b.available(ctx, "task", "check"); err != nil {
		r.note = err.Error()
		return r
	}
	backend := s3mem.New()
	if err := backend.CreateBucket(s3Bucket); err != nil {
		r.note = fmt.Sprintf("creating the bucket: %v", err)
		return r
	}
	var lists, reads atomic.Int32
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodGet && req.URL.Query().Has("list-type"):
			lists.Add(1)
		case req.Method == http.MethodGet || req.Method == http.MethodHead:
			reads.Add(1)
		}
		fake.ServeHTTP(w, req)
	}))
	defer hs.Close()
	if err := arrangeInbox(ctx, backend, hs.URL); err != nil {
		r.note = err.Error()
		return r
	}
	source := fmt.Sprintf("s3://%s/incoming/?endpoint=%s&path_style=true&region=%s", s3Bucket, url.QueryEscape(hs.URL), s3test.Region)
	run := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		lists.Store(0)
		reads.Store(0)
		s, err := child{name: "securemig task check", dir: b.root, timeout: time.Minute,
			env: []string{"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=" + s3test.Region,
				"AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
				"SECUREMIG_SCRATCH_DATABASE_URL=postgres://nobody@127.0.0.1:1/none"},
			argv: wrapArgv(wrap, []string{b.bin, "task", "check", "--source", source})}.run(ctx)
		if err != nil {
			return s, err
		}
		if l, g := lists.Load(), reads.Load(); l != 2 || g != 0 {
			return s, fmt.Errorf("an idle run made %d LIST and %d GET/HEAD requests, want 2 and 0", l, g)
		}
		return s, nil
	}
	runs := max(b.cfg.runs, 10)
	ss, err := series(ctx, runs, run)
	b.record("TaskCheckIdle", fmt.Sprintf("%dchecked", taskInbox), ss)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(ss)
	r.checks = []check{below("idle task check < 1 s", r.wall.median, 1, false, fmtSeconds)}
	return r
}

// arrangeInbox stores taskInbox workbooks with their CSVs, the objects a
// check writes beside them, and the index markers of their ETags.
func arrangeInbox(ctx context.Context, backend *s3mem.Backend, endpoint string) error {
	put := func(key string, data []byte) error {
		_, err := backend.PutObject(s3Bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			return fmt.Errorf("arranging the inbox: %w", err)
		}
		return nil
	}
	for i := range taskInbox {
		code := fmt.Sprintf("C%03d", i)
		if err := put("incoming/"+code+task.WorkbookSuffix, []byte("workbook "+code)); err != nil {
			return err
		}
		if err := put("incoming/"+code+task.RateAreasSuffix, []byte("csv "+code)); err != nil {
			return err
		}
		for _, name := range []string{"input/a.xlsx", "input/a.csv", "check-000001/report.html", "check-000001/report.md",
			"check-000001/report.json", "check-000001/problems.json", "claims/check/000001.json", "check.json", "approval.json"} {
			if err := put("incoming/"+code+task.ResultsSuffix+"0123/"+name, []byte("{}")); err != nil {
				return err
			}
		}
	}
	client := s3store.NewFromOptions(s3.Options{Region: s3test.Region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")})
	src := task.NewSource(client, s3Bucket, "incoming/")
	objs, _, err := client.ListObjects(ctx, s3Bucket, src.Prefix, "/")
	if err != nil {
		return err
	}
	listed := make([]task.Listed, len(objs))
	for i, o := range objs {
		listed[i] = task.Listed{Key: o.Key, Size: o.Size, ETag: o.ETag}
	}
	subs, _ := task.Inbox(src.Prefix, listed)
	if len(subs) != taskInbox {
		return fmt.Errorf("arranging the inbox: %d submissions listed, want %d", len(subs), taskInbox)
	}
	for _, s := range subs {
		if err := put(src.Seen(s.Code, *s.Workbook, *s.RateAreas, nil), []byte("0123\n")); err != nil {
			return err
		}
	}
	return nil
}
