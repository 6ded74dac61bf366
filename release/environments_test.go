package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validConfig = `
# three environments
[environments.exp]
bucket = "example-app-exp-us-gov-west-1"
region = "us-gov-west-1"
sse = "AES256"
max_size = "250MiB"

[environments.stg]
bucket = "example-app-stg-us-gov-west-1"
region = "us-gov-west-1"
prefix = "/custom/prefix"
sse = "aws:kms"
kms_key_id = "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
max_size = 1048576

[environments.prd]
bucket = "example-app-prd-us-gov-west-1"
region = "us-gov-west-1"
endpoint = "http://127.0.0.1:9000"
path_style = true
profile = "example-prd"
sse = "AES256"
`

func TestParseEnvironments(t *testing.T) {
	envs, err := ParseEnvironments("test.toml", []byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(envs.Names(), ","); got != "exp,stg,prd" {
		t.Fatalf("names = %s, want file order exp,stg,prd", got)
	}
	exp, stg, prd := envs.List[0], envs.List[1], envs.List[2]
	if exp.Prefix != DefaultPrefix || exp.MaxSize != 250<<20 || exp.SSE != "AES256" {
		t.Errorf("exp = %+v", exp)
	}
	if stg.Prefix != "custom/prefix/" || stg.MaxSize != 1<<20 || stg.SSE != "aws:kms" || stg.KMSKeyID == "" {
		t.Errorf("stg = %+v", stg)
	}
	if got := stg.Key("20260101000000_x.up.sql"); got != "custom/prefix/20260101000000_x.up.sql" {
		t.Errorf("key = %s", got)
	}
	if !prd.PathStyle || prd.Endpoint != "http://127.0.0.1:9000" || prd.Profile != "example-prd" || prd.MaxSize != 0 {
		t.Errorf("prd = %+v", prd)
	}
	if e, ok := envs.ByBucket("example-app-stg-us-gov-west-1"); !ok || e != stg {
		t.Errorf("ByBucket(stg bucket) = %v, %v", e, ok)
	}
}

func TestParseEnvironmentsErrors(t *testing.T) {
	base := "[environments.exp]\nbucket = \"example-app-exp\"\nregion = \"us-gov-west-1\"\n"
	tests := []struct {
		name, toml, want string
	}{
		{"no encryption", base, "server-side encryption is required"},
		{"unknown sse", base + `sse = "plain"`, `sse "plain" is not`},
		{"none without allow_unencrypted", base + `sse = "none"`, "needs allow_unencrypted = true"},
		{"allow_unencrypted with encryption", base + "sse = \"AES256\"\nallow_unencrypted = true", `only goes with sse = "none"`},
		{"protected unencrypted", base + "sse = \"none\"\nallow_unencrypted = true\nprotected = true", "protected environment cannot be unencrypted"},
		{"bad bucket owner", base + "sse = \"AES256\"\nbucket_owner = \"not an id\"", "bucket_owner"},
		{"kms without key", base + `sse = "aws:kms"`, "needs kms_key_id"},
		{"key without kms", base + "sse = \"AES256\"\nkms_key_id = \"k\"", "kms_key_id is set"},
		{"unknown key", base + "sse = \"AES256\"\nencrypt = true", `unknown key "environments.exp.encrypt"`},
		{"bad bucket", "[environments.exp]\nbucket = \"Bad_Bucket\"\nregion = \"us-gov-west-1\"\nsse = \"AES256\"", "not a valid S3 bucket name"},
		{"missing region", "[environments.exp]\nbucket = \"bucket-a\"\nsse = \"AES256\"", "region"},
		{"bad name", "[environments.Prod]\nbucket = \"bucket-a\"\nregion = \"us-east-1\"\nsse = \"AES256\"", "name must be"},
		{"bad size", base + "sse = \"AES256\"\nmax_size = \"big\"", "max_size"},
		{"bad unit", base + "sse = \"AES256\"\nmax_size = \"3parsecs\"", "unknown unit"},
		{"negative size", base + "sse = \"AES256\"\nmax_size = -1", "negative"},
		{"bad endpoint", base + "sse = \"AES256\"\nendpoint = \"ftp://x\"", "endpoint"},
		{"empty", "# nothing\n", "no [environments.NAME] tables"},
		{"syntax", "[environments.exp\n", "test.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnvironments("test.toml", []byte(tt.toml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	envs, err := ParseEnvironments("test.toml", []byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		list    string
		all     bool
		want    string
		wantErr string
	}{
		{list: "prd,exp", want: "prd,exp"},
		{list: " stg , stg ", want: "stg"},
		{all: true, want: "exp,stg,prd"},
		{list: "pr", wantErr: `unknown environment "pr"`}, // no substring matching
		{list: "st", wantErr: "configured: exp, stg, prd"},
		{list: "", wantErr: "no environment chosen"},
		{list: "exp", all: true, wantErr: "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			got, err := envs.Select(tt.list, tt.all)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				names = append(names, e.Name)
			}
			if strings.Join(names, ",") != tt.want {
				t.Errorf("got %v, want %s", names, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   any
		want int64
	}{
		{nil, 0}, {int64(42), 42}, {"42", 42}, {"1KiB", 1024}, {"250MiB", 250 << 20},
		{"250 MB", 250e6}, {"1gib", 1 << 30}, {"2TB", 2e12},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%v) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	if _, err := parseSize("99999999999999999999TiB"); err == nil {
		t.Error("overflow accepted")
	}
}

// TestCommittedExample checks the committed example configuration parses,
// encrypts everything and protects prd.
func TestCommittedExample(t *testing.T) {
	path := filepath.Join("..", DefaultEnvironmentsPath)
	envs, err := LoadEnvironments(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"exp", "stg", "prd"} {
		got, err := envs.Select(n, false)
		if err != nil {
			t.Errorf("example lacks %s: %v", n, err)
			continue
		}
		if e := got[0]; e.Unencrypted() || e.Protected != (n == "prd") {
			t.Errorf("example %s: unencrypted %v, protected %v", n, e.Unencrypted(), e.Protected)
		}
	}
	if _, err := LoadEnvironments(filepath.Join(t.TempDir(), "absent.toml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestEnvironmentsPath(t *testing.T) {
	t.Setenv("SECUREMIG_ENVIRONMENTS", "")
	os.Unsetenv("SECUREMIG_ENVIRONMENTS")
	if got := EnvironmentsPath(""); got != DefaultEnvironmentsPath {
		t.Errorf("default = %s", got)
	}
	t.Setenv("SECUREMIG_ENVIRONMENTS", "/etc/envs.toml")
	if got := EnvironmentsPath(""); got != "/etc/envs.toml" {
		t.Errorf("env = %s", got)
	}
	if got := EnvironmentsPath("flag.toml"); got != "flag.toml" {
		t.Errorf("flag = %s", got)
	}
}

func TestUnencryptedEnvironment(t *testing.T) {
	envs, err := ParseEnvironments("test.toml", []byte("[environments.local]\nbucket = \"local-test\"\nregion = \"us-east-1\"\nsse = \"none\"\nallow_unencrypted = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := envs.List[0]
	if !e.Unencrypted() || !e.Encryption().AllowUnencrypted {
		t.Errorf("local = %+v, want unencrypted", e)
	}
	if n := e.UnencryptedNotice(); !strings.Contains(n, "UNENCRYPTED") || !strings.Contains(n, "local") {
		t.Errorf("notice = %q", n)
	}
}

// TestSelectUpload checks that --all never reaches a protected environment.
func TestSelectUpload(t *testing.T) {
	conf := validConfig + "protected = true\n" // prd is the last table
	envs, err := ParseEnvironments("test.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	names := func(es []*Environment) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Name)
		}
		return strings.Join(s, ",")
	}
	targets, skipped, err := envs.SelectUpload("", true)
	if err != nil || names(targets) != "exp,stg" || names(skipped) != "prd" {
		t.Errorf("--all: targets %s, skipped %s, err %v; want exp,stg and prd skipped", names(targets), names(skipped), err)
	}
	targets, skipped, err = envs.SelectUpload("prd,exp", false)
	if err != nil || names(targets) != "prd,exp" || len(skipped) != 0 {
		t.Errorf("--env prd,exp: targets %s, skipped %s, err %v", names(targets), names(skipped), err)
	}
	only, err := ParseEnvironments("test.toml", []byte("[environments.prd]\nbucket = \"bucket-prd\"\nregion = \"us-east-1\"\nsse = \"AES256\"\nprotected = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := only.SelectUpload("", true); err == nil || !strings.Contains(err.Error(), "--env") {
		t.Errorf("--all with only protected environments: err = %v", err)
	}
}

func TestOverrides(t *testing.T) {
	envs, err := ParseEnvironments("test.toml", []byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := (Overrides{Endpoint: "ftp://x"}).Apply(envs.List); err == nil {
		t.Error("ftp endpoint accepted")
	}
	if err := (Overrides{}).Apply(envs.List); err != nil || envs.List[2].Profile != "example-prd" || envs.List[0].Endpoint != "" {
		t.Fatalf("empty overrides changed something: %v %+v", err, envs.List[2])
	}
	err = Overrides{Profile: "ops", Region: "us-east-1", Endpoint: "http://127.0.0.1:7070"}.Apply(envs.List)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs.List {
		c := e.S3Config()
		if c.Profile != "ops" || c.Region != "us-east-1" || c.Endpoint != "http://127.0.0.1:7070" || !c.PathStyle {
			t.Errorf("%s after overrides: %+v", e.Name, c)
		}
	}
}
