package s3store

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Errors the store's answers are sorted into; match them with errors.Is.
var (
	// ErrNotFound reports that an object or bucket does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists reports that a conditional (never-overwrite) write found an
	// object already stored under the key.
	ErrExists = errors.New("object already exists")
	// ErrNoCredentials reports that the credential chain found nothing.
	ErrNoCredentials = errors.New("no AWS credentials found")
	// ErrBadCredentials reports credentials the endpoint does not accept
	// (unknown key, wrong signature, expired session).
	ErrBadCredentials = errors.New("credentials not accepted")
	// ErrAccessDenied reports an HTTP 403 for valid credentials.
	ErrAccessDenied = errors.New("access denied")
	// ErrWrongRegion reports a bucket that lives in another region.
	ErrWrongRegion = errors.New("wrong region")
	// ErrClockSkew reports that this machine's clock is too far off.
	ErrClockSkew = errors.New("clock skew")
	// ErrNotEncrypted reports an object stored without the server-side
	// encryption the reader requires.
	ErrNotEncrypted = errors.New("not encrypted as required")
)

// Error is a store error explained in the release engineer's terms. Its
// message is the explanation; it matches its Kind (one of the sentinel
// errors) and the SDK's error with errors.Is and errors.As.
type Error struct {
	Kind error
	Msg  string
	Err  error
}

func (e *Error) Error() string   { return e.Msg }
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// NoCredentialsError reports that the AWS credential chain found no
// credentials for a profile. It matches ErrNoCredentials.
type NoCredentialsError struct {
	// Profile is the shared-config profile that was checked.
	Profile string
}

func (e *NoCredentialsError) Error() string {
	return fmt.Sprintf("no AWS credentials found (profile %s)", e.Profile)
}

// Is makes the error match ErrNoCredentials.
func (e *NoCredentialsError) Is(target error) bool { return target == ErrNoCredentials }

// NoCredentialsMessage is the one line to print, once per run, when no
// credentials were found for the given profiles, in the AWS CLI's words.
func NoCredentialsMessage(profiles ...string) string {
	profiles = slices.Compact(slices.Sorted(slices.Values(profiles)))
	if len(profiles) == 0 {
		profiles = []string{"default"}
	}
	checked := "shared config profile " + profiles[0]
	if len(profiles) > 1 {
		checked = "shared config profiles " + strings.Join(profiles, ", ")
	}
	return fmt.Sprintf("no AWS credentials found (checked the environment, %s, SSO, instance role); run `aws configure` or `aws sso login --profile %s`",
		checked, profiles[0])
}

// explainCredentials sorts a credential-chain failure: nothing found (the
// chain fell through to the instance role), an expired SSO session, or
// something else.
func explainCredentials(err error, profile string) error {
	var tokenErr *ssocreds.InvalidTokenError
	switch {
	case errors.As(err, &tokenErr) || strings.Contains(err.Error(), "InvalidGrantException") ||
		strings.Contains(err.Error(), "sso") && strings.Contains(err.Error(), "expired"):
		return &Error{Kind: ErrBadCredentials, Err: err,
			Msg: fmt.Sprintf("the SSO session of profile %s has expired or was never started: run `aws sso login --profile %s`", profile, profile)}
	case strings.Contains(err.Error(), "ec2imds") || strings.Contains(err.Error(), "EC2 IMDS"):
		// Every provider before the instance role had nothing.
		return &NoCredentialsError{Profile: profile}
	default:
		return fmt.Errorf("resolving AWS credentials (profile %s): %w", profile, err)
	}
}

// apiDetails extracts the HTTP status, error code and message of an SDK error.
func apiDetails(err error) (status int, code, msg string, header http.Header) {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		if re.Response != nil {
			header = re.Response.Header
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	return status, code, msg, header
}

var expectingRegionRE = regexp.MustCompile(`expecting '([a-z0-9-]+)'|expecting "([a-z0-9-]+)"`)

// explain sorts an SDK error into the sentinel errors with a message that
// says what to do. Errors without an HTTP response (network, cancelled)
// are returned unchanged.
func (c *Client) explain(err error) error {
	status, code, msg, header := apiDetails(err)
	if status == 0 && code == "" {
		return err
	}
	what := fmt.Sprintf("HTTP %d", status)
	if code != "" && code != http.StatusText(status) {
		what += " " + code
	}
	e := func(kind error, format string, args ...any) error {
		return &Error{Kind: kind, Err: err, Msg: fmt.Sprintf(format, args...) + " (" + what + ")"}
	}
	switch {
	case code == "RequestTimeTooSkewed":
		return e(ErrClockSkew, "this machine's clock differs from the server's by more than 15 minutes: correct the system clock (e.g. enable NTP with `timedatectl set-ntp true`) and re-run")
	case code == "PermanentRedirect" || status == http.StatusMovedPermanently || code == "IllegalLocationConstraintException" ||
		code == "AuthorizationHeaderMalformed" && strings.Contains(msg, "region"):
		where := ""
		if r := header.Get("X-Amz-Bucket-Region"); r != "" {
			where = "; it is in " + r
		} else if m := expectingRegionRE.FindStringSubmatch(msg); m != nil {
			where = "; it is in " + m[1] + m[2]
		}
		return e(ErrWrongRegion, "the bucket is not in region %s%s: set the environment's region (or pass --region)", c.region, where)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" || code == "InvalidClientTokenId" ||
		code == "XAdminUserNotFound": // versitygw's unknown access key
		return e(ErrBadCredentials, "the endpoint does not accept these credentials (profile %s): they belong to another account or endpoint, or the secret is wrong", c.profile)
	case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "TokenRefreshRequired":
		return e(ErrBadCredentials, "the credentials of profile %s have expired: refresh them (`aws sso login --profile %s`)", c.profile, c.profile)
	case status == http.StatusNotFound || code == "NotFound" || code == "NoSuchKey" || code == "NoSuchBucket":
		return e(ErrNotFound, "not found")
	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		return e(ErrExists, "already exists")
	case status == http.StatusForbidden:
		if c.owner != "" {
			return e(ErrAccessDenied, "access denied: the bucket is not owned by account %s (bucket_owner), or the credentials (profile %s) lack permission", c.owner, c.profile)
		}
		return e(ErrAccessDenied, "access denied: the credentials (profile %s) lack permission for this bucket, or the bucket belongs to another account", c.profile)
	}
	return err
}
