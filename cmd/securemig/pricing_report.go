package main

import "github.com/urfave/cli/v2"

func pricingReportCommand() *cli.Command {
	return &cli.Command{
		Name:   "report",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
