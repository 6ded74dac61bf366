package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/buildinfo"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and the git commit this binary was built from",
		Description: "Prints 'securemig VERSION' and 'commit COMMIT'. With --json, one JSON document:\n" +
			"{\"version\": \"v1.2.3\", \"commit\": \"0123456789ab\", \"go\": \"go1.26.0\", \"platform\": \"linux/amd64\"}.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print version, commit, Go version and platform as one JSON document"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("json") {
				return writeJSON(c.App.Writer, versionJSON{Version: buildinfo.Version, Commit: buildinfo.Commit,
					Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH})
			}
			fmt.Fprintf(c.App.Writer, "securemig %s\ncommit %s\n", buildinfo.Version, buildinfo.Commit)
			return nil
		},
	}
}

// versionJSON is the document `version --json` prints.
type versionJSON struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}
