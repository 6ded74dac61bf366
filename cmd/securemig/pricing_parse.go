package main

import "github.com/urfave/cli/v2"

func pricingParseCommand() *cli.Command {
	return &cli.Command{
		Name:   "parse",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
