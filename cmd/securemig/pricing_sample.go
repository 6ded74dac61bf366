package main

import "github.com/urfave/cli/v2"

func pricingSampleCommand() *cli.Command {
	return &cli.Command{
		Name:   "sample",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
