package main

import "github.com/urfave/cli/v2"

func genCommand() *cli.Command {
	return &cli.Command{
		Name:   "gen",
		Usage:  "(not yet implemented)",
		Action: func(c *cli.Context) error { return errNotImplemented },
	}
}
