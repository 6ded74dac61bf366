package main

import "github.com/urfave/cli/v2"

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:   "migrate",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
