package task

import (
	"context"
	"os"
	"os/user"

	"github.com/securemig/securemig/s3store"
)

// Identifier asks the cloud whose credentials are in use; *s3store.Client
// implements it (STS GetCallerIdentity, on the store's endpoint when that
// is custom).
type Identifier interface {
	Identity(ctx context.Context) (s3store.Identity, error)
}

// WhoAmI returns who is running this process: the operating-system user
// and host and, when ids (which may be nil) can tell, the AWS principal
// (ARN) and account.
// Secrets are never part of it.
func WhoAmI(ctx context.Context, ids Identifier) Identity {
	id := Identity{OSUser: "unknown", Host: "unknown"}
	if u, err := user.Current(); err == nil {
		id.OSUser = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		id.Host = h
	}
	if ids == nil {
		id.Note = "no AWS identity service; recorded the OS user and host only"
		return id
	}
	who, err := ids.Identity(ctx)
	if err != nil {
		id.Note = "the AWS identity could not be resolved (" + err.Error() + "); recorded the OS user and host only"
		return id
	}
	id.Principal, id.Account = who.ARN, who.Account
	return id
}
