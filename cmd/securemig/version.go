package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/buildinfo"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and the git commit this binary was built from",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "securemig %s\ncommit %s\n", buildinfo.Version, buildinfo.Commit)
			return nil
		},
	}
}
