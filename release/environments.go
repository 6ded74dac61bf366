// Package release is the release engineer's step: it uploads a secure
// migration's production file to every configured environment's bucket
// (preflight everything, never overwrite, verify with HEAD, record in the lock
// file), reports which environments hold which bytes, and downloads a copy
// into a private directory with its digest verified.
//
// Environments are configuration (migrations/environments.toml), not code.
package release

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/securemig/securemig/s3store"
)

// DefaultEnvironmentsPath is where the environments file lives, relative to
// the project root. SECUREMIG_ENVIRONMENTS or --environments override it.
const DefaultEnvironmentsPath = "migrations/environments.toml"

// DefaultPrefix is the key prefix used when an environment does not set one.
const DefaultPrefix = "secure-migrations/"

// Environment is one deployed environment's object store.
type Environment struct {
	// Name is the exact environment name, e.g. "stg".
	Name string
	// Bucket holds the environment's secure migrations under Prefix.
	Bucket string
	// Prefix is the key prefix, ending in "/" (DefaultPrefix when unset).
	Prefix string
	// Region, Endpoint, PathStyle and Profile say how to reach the bucket.
	Region    string
	Endpoint  string
	PathStyle bool
	Profile   string
	// SSE is "AES256" or "aws:kms" (required), or SSENone together with
	// AllowUnencrypted; KMSKeyID is the KMS key.
	SSE      string
	KMSKeyID string
	// AllowUnencrypted permits SSE = SSENone: objects stored without
	// server-side encryption (local test stores only; every command says so).
	AllowUnencrypted bool
	// MaxSize is the largest file accepted, in bytes; 0 means no limit.
	MaxSize int64
	// Protected environments (production) are never chosen by --all: an
	// upload must name them with --env.
	Protected bool
	// BucketOwner is the account id that must own the bucket (sent as
	// x-amz-expected-bucket-owner, so S3 refuses a bucket of another account).
	BucketOwner string
}

// SSENone is the sse value of an environment without server-side
// encryption; it needs allow_unencrypted = true.
const SSENone = "none"

// Key returns the object key of a migration file name.
func (e *Environment) Key(name string) string { return e.Prefix + name }

// S3Config returns how to reach this environment's bucket.
func (e *Environment) S3Config() s3store.Config {
	return s3store.Config{Region: e.Region, Endpoint: e.Endpoint, PathStyle: e.PathStyle, Profile: e.Profile, BucketOwner: e.BucketOwner}
}

// Encryption returns the server-side encryption every object of this
// environment must carry.
func (e *Environment) Encryption() s3store.Encryption {
	if e.SSE == SSENone && e.AllowUnencrypted {
		return s3store.Encryption{AllowUnencrypted: true}
	}
	return s3store.Encryption{SSE: e.SSE, KMSKeyID: e.KMSKeyID}
}

// Unencrypted reports whether the environment stores objects without
// server-side encryption (sse = "none" with allow_unencrypted = true).
func (e *Environment) Unencrypted() bool { return e.SSE == SSENone && e.AllowUnencrypted }

// UnencryptedNotice is the line every command prints for an environment
// without server-side encryption.
func (e *Environment) UnencryptedNotice() string {
	return fmt.Sprintf("environment %s: UNENCRYPTED: sse = %q with allow_unencrypted = true, objects are stored without server-side encryption (local test stores only)", e.Name, SSENone)
}

// Overrides replace environment settings for one run, as the AWS CLI's
// --profile, --region and --endpoint-url do; empty fields change nothing.
type Overrides struct {
	Profile, Region, Endpoint string
}

// Apply sets the overrides on every environment. An endpoint override
// addresses buckets by path, as S3-compatible stores expect.
func (o Overrides) Apply(envs []*Environment) error {
	if o.Endpoint != "" && !strings.HasPrefix(o.Endpoint, "https://") && !strings.HasPrefix(o.Endpoint, "http://") {
		return fmt.Errorf("--endpoint-url %q must be an http:// or https:// URL", o.Endpoint)
	}
	for _, e := range envs {
		if o.Profile != "" {
			e.Profile = o.Profile
		}
		if o.Region != "" {
			e.Region = o.Region
		}
		if o.Endpoint != "" {
			e.Endpoint, e.PathStyle = o.Endpoint, true
		}
	}
	return nil
}

// Environments is the parsed environments file, in file order.
type Environments struct {
	// List holds the environments in the order the file defines them.
	List []*Environment
}

// rawEnvironment is one [environments.NAME] table as written.
type rawEnvironment struct {
	Bucket    string  `toml:"bucket"`
	Prefix    *string `toml:"prefix"`
	Region    string  `toml:"region"`
	Endpoint  string  `toml:"endpoint"`
	PathStyle bool    `toml:"path_style"`
	Profile   string  `toml:"profile"`
	SSE       string  `toml:"sse"`
	KMSKeyID  string  `toml:"kms_key_id"`
	MaxSize   any     `toml:"max_size"`
	// AllowUnencrypted, Protected and BucketOwner: see Environment.
	AllowUnencrypted bool   `toml:"allow_unencrypted"`
	Protected        bool   `toml:"protected"`
	BucketOwner      string `toml:"bucket_owner"`
}

type rawFile struct {
	Environments map[string]rawEnvironment `toml:"environments"`
}

// EnvironmentsPath returns the environments file to use: flag (when not
// empty), then SECUREMIG_ENVIRONMENTS, then DefaultEnvironmentsPath.
func EnvironmentsPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv("SECUREMIG_ENVIRONMENTS"); p != "" {
		return p
	}
	return DefaultEnvironmentsPath
}

// LoadEnvironments reads and validates the environments file at path.
func LoadEnvironments(path string) (*Environments, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("environments file %s does not exist (see migrations/environments.toml for the format)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading environments file: %w", err)
	}
	return ParseEnvironments(path, data)
}

var (
	envNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	bucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// customRegionRE is the looser rule for S3-compatible endpoints.
	customRegionRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	// accountRE is an AWS account id; S3-compatible stores may use other
	// owner ids, so any token without spaces is accepted with an endpoint.
	accountRE = regexp.MustCompile(`^([0-9]{12}|[A-Za-z0-9_.@-]{1,128})$`)
)

// ParseEnvironments parses and validates an environments file; name is used
// in error messages. Unknown keys, missing buckets or regions and missing
// server-side encryption are errors.
func ParseEnvironments(name string, data []byte) (*Environments, error) {
	var raw rawFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, fmt.Errorf("environments file %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("environments file %s: unknown key %q", name, und[0].String())
	}
	envs := &Environments{}
	for _, k := range md.Keys() {
		if len(k) != 2 || k[0] != "environments" {
			continue
		}
		env, err := validate(k[1], raw.Environments[k[1]])
		if err != nil {
			return nil, fmt.Errorf("environments file %s: environment %q: %w", name, k[1], err)
		}
		envs.List = append(envs.List, env)
	}
	if len(envs.List) == 0 {
		return nil, fmt.Errorf("environments file %s: no [environments.NAME] tables", name)
	}
	return envs, nil
}

func validate(name string, r rawEnvironment) (*Environment, error) {
	if !envNameRE.MatchString(name) {
		return nil, errors.New("name must be lower-case letters, digits and '-', starting with a letter")
	}
	if !bucketRE.MatchString(r.Bucket) || strings.Contains(r.Bucket, "..") {
		return nil, fmt.Errorf("bucket %q is not a valid S3 bucket name", r.Bucket)
	}
	if !regionRE.MatchString(r.Region) && (r.Endpoint == "" || !customRegionRE.MatchString(r.Region)) {
		return nil, fmt.Errorf("region %q is not a region name like us-gov-west-1", r.Region)
	}
	prefix := DefaultPrefix
	if r.Prefix != nil {
		prefix = s3store.NormalizePrefix(*r.Prefix)
	}
	switch r.SSE {
	case s3store.SSES3:
		if r.KMSKeyID != "" {
			return nil, fmt.Errorf("kms_key_id is set but sse is %q; use sse = %q", r.SSE, s3store.SSEKMS)
		}
	case s3store.SSEKMS:
		if r.KMSKeyID == "" {
			return nil, fmt.Errorf("sse = %q needs kms_key_id", r.SSE)
		}
	case SSENone:
		if !r.AllowUnencrypted {
			return nil, fmt.Errorf("sse = %q stores objects unencrypted: it needs allow_unencrypted = true, for local test stores only", SSENone)
		}
		if r.KMSKeyID != "" {
			return nil, fmt.Errorf("kms_key_id is set but sse is %q", r.SSE)
		}
		if r.Protected {
			return nil, errors.New(`a protected environment cannot be unencrypted (sse = "none")`)
		}
	case "":
		return nil, fmt.Errorf("server-side encryption is required: set sse = %q or sse = %q with kms_key_id", s3store.SSES3, s3store.SSEKMS)
	default:
		return nil, fmt.Errorf("sse %q is not %q or %q", r.SSE, s3store.SSES3, s3store.SSEKMS)
	}
	if r.AllowUnencrypted && r.SSE != SSENone {
		return nil, fmt.Errorf("allow_unencrypted = true only goes with sse = %q (sse is %q)", SSENone, r.SSE)
	}
	if r.BucketOwner != "" && !accountRE.MatchString(r.BucketOwner) {
		return nil, fmt.Errorf("bucket_owner %q is not an account id (12 digits on AWS)", r.BucketOwner)
	}
	if r.Endpoint != "" && !strings.HasPrefix(r.Endpoint, "https://") && !strings.HasPrefix(r.Endpoint, "http://") {
		return nil, fmt.Errorf("endpoint %q must be an http:// or https:// URL", r.Endpoint)
	}
	maxSize, err := parseSize(r.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("max_size: %w", err)
	}
	return &Environment{
		Name: name, Bucket: r.Bucket, Prefix: prefix, Region: r.Region,
		Endpoint: r.Endpoint, PathStyle: r.PathStyle, Profile: r.Profile,
		SSE: r.SSE, KMSKeyID: r.KMSKeyID, AllowUnencrypted: r.AllowUnencrypted, MaxSize: maxSize,
		Protected: r.Protected, BucketOwner: r.BucketOwner,
	}, nil
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

var sizeRE = regexp.MustCompile(`^([0-9]+)\s*([a-zA-Z]*)$`)

// ParseSize parses a size such as "16MiB", "250MB" or "1048576" (bytes).
func ParseSize(s string) (int64, error) { return parseSize(s) }

// parseSize accepts a TOML integer (bytes) or a string such as "250MiB".
func parseSize(v any) (int64, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("%d is negative", v)
		}
		return v, nil
	case string:
		m := sizeRE.FindStringSubmatch(strings.TrimSpace(v))
		if m == nil {
			return 0, fmt.Errorf("%q is not a size like 250MiB", v)
		}
		unit, ok := sizeUnits[strings.ToLower(m[2])]
		if !ok {
			return 0, fmt.Errorf("%q: unknown unit %q", v, m[2])
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > (1<<62)/unit {
			return 0, fmt.Errorf("%q is too large", v)
		}
		return n * unit, nil
	default:
		return 0, fmt.Errorf("%v is not a size like 250MiB", v)
	}
}

// Names returns the environment names in file order.
func (es *Environments) Names() []string {
	names := make([]string, len(es.List))
	for i, e := range es.List {
		names[i] = e.Name
	}
	return names
}

// Select returns the environments named in a comma-separated list (exact
// names, file order kept as given, duplicates removed) or, with all, every
// environment. Unknown names are an error that lists the valid ones.
func (es *Environments) Select(list string, all bool) ([]*Environment, error) {
	if all {
		if strings.TrimSpace(list) != "" {
			return nil, errors.New("give either --env or --all, not both")
		}
		return es.List, nil
	}
	var out []*Environment
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		i := slices.IndexFunc(es.List, func(e *Environment) bool { return e.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown environment %q (configured: %s)", n, strings.Join(es.Names(), ", "))
		}
		if !slices.Contains(out, es.List[i]) {
			out = append(out, es.List[i])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no environment chosen: give --env NAME[,NAME...] or --all (configured: %s)", strings.Join(es.Names(), ", "))
	}
	return out, nil
}

// SelectUpload is Select for uploads: --all leaves out protected
// environments, which an upload must name with --env; they are returned in
// skipped so that the caller can say so.
func (es *Environments) SelectUpload(list string, all bool) (targets, skipped []*Environment, err error) {
	chosen, err := es.Select(list, all)
	if err != nil || !all {
		return chosen, nil, err
	}
	for _, e := range chosen {
		if e.Protected {
			skipped = append(skipped, e)
		} else {
			targets = append(targets, e)
		}
	}
	if len(targets) == 0 {
		return nil, skipped, fmt.Errorf("every environment is protected: name the ones to upload to with --env (configured: %s)", strings.Join(es.Names(), ", "))
	}
	return targets, skipped, nil
}

// ByBucket returns the environment whose bucket is bucket.
func (es *Environments) ByBucket(bucket string) (*Environment, bool) {
	i := slices.IndexFunc(es.List, func(e *Environment) bool { return e.Bucket == bucket })
	if i < 0 {
		return nil, false
	}
	return es.List[i], true
}
