package main

import "github.com/urfave/cli/v2"

func dumpCommand() *cli.Command {
	return &cli.Command{
		Name:   "dump",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
