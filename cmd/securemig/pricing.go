package main

import "github.com/urfave/cli/v2"

func pricingCommand() *cli.Command {
	return &cli.Command{
		Name:  "pricing",
		Usage: "work with GHC pricing workbooks: sample, parse, import, list, rollback, undo, history, report",
		Subcommands: []*cli.Command{
			pricingSampleCommand(),
			pricingParseCommand(),
			pricingImportCommand(),
			pricingListCommand(),
			pricingRollbackCommand(),
			pricingUndoCommand(),
			pricingHistoryCommand(),
			pricingReportCommand(),
		},
	}
}
