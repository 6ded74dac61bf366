package main

import "github.com/urfave/cli/v2"

func uploadCommand() *cli.Command {
	return &cli.Command{
		Name:   "upload",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
