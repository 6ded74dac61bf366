package task

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/securemig/securemig/s3store"
)

// Store is the object-store access the task needs; *s3store.Client
// implements it.
type Store interface {
	ListObjects(ctx context.Context, bucket, prefix, delimiter string) ([]s3store.Listed, []string, error)
	Head(ctx context.Context, bucket, key string) (*s3store.Object, error)
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, *s3store.Object, error)
	Put(ctx context.Context, in s3store.PutInput) (*s3store.PutResult, error)
}

// Source is the bucket prefix the task watches for workbooks and writes its
// results under.
type Source struct {
	// Store serves the bucket.
	Store Store
	// Bucket holds the inbox under Layout.Prefix.
	Bucket string
	Layout
	// SSE is the server-side encryption requested for every object the
	// task writes (s3store.SSES3 when empty); KMSKeyID names the KMS key
	// for s3store.SSEKMS. Results hold prices, like the workbooks.
	SSE, KMSKeyID string
}

// NewSource returns the source s3://bucket/prefix served by store.
func NewSource(store Store, bucket, prefix string) *Source {
	return &Source{Store: store, Bucket: bucket, Layout: Layout{Prefix: s3store.NormalizePrefix(prefix)}}
}

// String returns "s3://BUCKET/PREFIX".
func (s *Source) String() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// url returns the s3:// URL of key.
func (s *Source) url(key string) string { return "s3://" + s.Bucket + "/" + key }

// list lists the objects under prefix (directly under it with delimiter "/").
func (s *Source) list(ctx context.Context, prefix, delimiter string) ([]Listed, error) {
	objs, _, err := s.Store.ListObjects(ctx, s.Bucket, prefix, delimiter)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, len(objs))
	for i, o := range objs {
		out[i] = Listed{Key: o.Key, Size: o.Size, ETag: o.ETag}
	}
	return out, nil
}

// create stores data under key unless an object is there already, in which
// case the error matches s3store.ErrExists: a conditional write
// (If-None-Match), so of two writers exactly one succeeds.
func (s *Source) create(ctx context.Context, key string, data []byte, contentType string) error {
	sum := sha256.Sum256(data)
	_, err := s.Store.Put(ctx, s3store.PutInput{
		Bucket: s.Bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), SHA256: sum,
		Metadata: map[string]string{"sha256": hex.EncodeToString(sum[:])}, ContentType: contentType,
		SSE: s.sse(), KMSKeyID: s.KMSKeyID,
	})
	return err
}

func (s *Source) sse() string {
	if s.SSE == "" {
		return s3store.SSES3
	}
	return s.SSE
}

// createJSON stores v as indented JSON under key (see create) and returns
// the SHA-256 of the bytes written.
func (s *Source) createJSON(ctx context.Context, key string, v any) (string, error) {
	data, err := marshal(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.url(key), err)
	}
	if err := s.create(ctx, key, data, "application/json"); err != nil {
		return "", err
	}
	return sha256Hex(data), nil
}

// marshal is the JSON form of every record: indented, newline-terminated.
func marshal(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// maxRecord bounds the records the task reads back (they are small).
const maxRecord = 16 << 20

// getJSON reads the JSON object under key into v. found is false (and err
// nil) when there is no such object; sum is the SHA-256 of the bytes read.
func (s *Source) getJSON(ctx context.Context, key string, v any) (found bool, sum string, err error) {
	data, err := s.getSmall(ctx, key)
	if errors.Is(err, s3store.ErrNotFound) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, "", fmt.Errorf("%s: not a valid record: %w", s.url(key), err)
	}
	return true, sha256Hex(data), nil
}

// getSmall reads a small object whole.
func (s *Source) getSmall(ctx context.Context, key string) ([]byte, error) {
	body, _, err := s.Store.Get(ctx, s.Bucket, key)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxRecord+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.url(key), err)
	}
	if len(data) > maxRecord {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a task record", s.url(key), maxRecord)
	}
	return data, nil
}

// exists reports whether an object is stored under key.
func (s *Source) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.Store.Head(ctx, s.Bucket, key)
	if errors.Is(err, s3store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// fetched is an object streamed into a private local file.
type fetched struct {
	Path   string
	SHA256 string
	Size   int64
	ETag   string
}

// download streams the object under key into a new file in dir (mode
// 0600), hashing it on the way.
func (s *Source) download(ctx context.Context, key, dir string) (*fetched, error) {
	body, obj, err := s.Store.Get(ctx, s.Bucket, key)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	f, err := os.OpenFile(filepath.Join(dir, filepath.Base(key)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", s.url(key), err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("downloading %s: %w", s.url(key), err)
	}
	return &fetched{Path: f.Name(), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, ETag: obj.ETag}, nil
}

// createFile stores the local file path under key (see create) and returns
// its SHA-256 and size. Large files go as multipart uploads read straight
// from the file.
func (s *Source) createFile(ctx context.Context, key, path, contentType string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	_, err = s.Store.Put(ctx, s3store.PutInput{
		Bucket: s.Bucket, Key: key, Body: f, Size: size, SHA256: sum,
		Metadata: map[string]string{"sha256": hex.EncodeToString(sum[:])}, ContentType: contentType,
		SSE: s.sse(), KMSKeyID: s.KMSKeyID,
	})
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(sum[:]), size, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
