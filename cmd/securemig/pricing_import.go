package main

import "github.com/urfave/cli/v2"

func pricingImportCommand() *cli.Command {
	return &cli.Command{
		Name:   "import",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
