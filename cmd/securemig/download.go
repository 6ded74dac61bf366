package main

import "github.com/urfave/cli/v2"

func downloadCommand() *cli.Command {
	return &cli.Command{
		Name:   "download",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
