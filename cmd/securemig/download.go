package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/release"
	"github.com/securemig/securemig/s3store"
)

func downloadCommand() *cli.Command {
	return &cli.Command{
		Name:      "download",
		Usage:     "fetch a secure migration from one environment into a private directory and verify it",
		ArgsUsage: "NAME",
		Description: "NAME is the production file name (<version>_<name>.up.sql; a path is reduced to its base\n" +
			"name). The object is streamed from the environment's bucket into a new directory (mode 0700)\n" +
			"under --dir (default: the system temp directory) as a 0600 file, and its size and SHA-256 are\n" +
			"checked against the lock entry, and its server-side encryption against the environment's\n" +
			"requirement (checked before any byte is read). The file's path is printed on stdout; delete it\n" +
			"when done. On a mismatch nothing is kept. Credentials come from the AWS SDK default chain.\n" +
			"A compressed migration (.up.sql.gz) is kept compressed; the SQL inside is decompressed on the\n" +
			"way and its SHA-256 and size checked against the lock entry too.\n\n" +
			"Exit codes: 0 downloaded and verified; 1 usage, configuration, lock or S3 error;\n" +
			"2 the object's bytes differ from the lock entry (replaced or tampered with), or it is not\n" +
			"encrypted as the environment requires.",
		Flags: slices.Concat([]cli.Flag{
			&cli.StringFlag{Name: "env", Required: true, Usage: "the exact environment name to download from, e.g. stg"},
			&cli.StringFlag{Name: "dir", Usage: "parent directory for the private download directory (default: system temp dir)"},
			environmentsFlag(),
			lockFlag(),
		}, awsFlags()),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withExitCode(1, errors.New("download: give exactly one NAME"))
			}
			targets, err := selectEnvironments(c, false)
			if err != nil {
				return withExitCode(1, err)
			}
			if len(targets) != 1 {
				return withExitCode(1, errors.New("download: --env takes exactly one environment"))
			}
			noticeUnencrypted(c.App.ErrWriter, targets)
			path, err := release.Download(c.Context, c.String("lock-file"), c.Args().First(), targets[0], nil, c.String("dir"))
			var nc *s3store.NoCredentialsError
			switch {
			case errors.Is(err, release.ErrDigestMismatch) || errors.Is(err, s3store.ErrNotEncrypted):
				return withExitCode(2, err)
			case errors.As(err, &nc):
				return withExitCode(1, errors.New(s3store.NoCredentialsMessage(nc.Profile)))
			case err != nil:
				return withExitCode(1, err)
			}
			fmt.Fprintln(c.App.Writer, path)
			return nil
		},
	}
}
