package main

import "github.com/urfave/cli/v2"

func pricingListCommand() *cli.Command {
	return &cli.Command{
		Name:   "list",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
