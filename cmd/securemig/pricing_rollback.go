package main

import "github.com/urfave/cli/v2"

func pricingRollbackCommand() *cli.Command {
	return &cli.Command{
		Name:   "rollback",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
