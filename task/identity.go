package task

import (
	"context"
	"os"
	"os/user"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/securemig/securemig/s3store"
)

// WhoAmI returns who is running this process: the operating-system user
// and host and, when the AWS credential chain for cfg resolves and STS
// GetCallerIdentity answers within a few seconds, the AWS principal (ARN)
// and account. Secrets are never part of it.
func WhoAmI(ctx context.Context, cfg s3store.Config) Identity {
	id := Identity{OSUser: "unknown", Host: "unknown"}
	if u, err := user.Current(); err == nil {
		id.OSUser = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		id.Host = h
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil {
		var out *sts.GetCallerIdentityOutput
		out, err = sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			id.Principal, id.Account = aws.ToString(out.Arn), aws.ToString(out.Account)
			return id
		}
	}
	id.Note = "the AWS identity could not be resolved (STS GetCallerIdentity failed); recorded the OS user and host only"
	return id
}
