package main

import "github.com/urfave/cli/v2"

func dbCommand() *cli.Command {
	return &cli.Command{
		Name:   "db",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}

func localDatabaseURL(c *cli.Context) (string, error) { return "", errNotImplemented }
