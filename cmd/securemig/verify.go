package main

import "github.com/urfave/cli/v2"

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:   "verify",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
