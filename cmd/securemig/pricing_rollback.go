package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/importer"
)

func pricingRollbackCommand() *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "remove one contract's rows from every rate-engine table",
		UsageText: "securemig pricing rollback --contract-code CODE",
		Description: "Deletes exactly the contract's rows from every re_* table that holds contract data, children\n" +
			"first (foreign-key order), in one transaction, and marks its imports rolled-back in the import\n" +
			"log. Other contracts and reference tables (re_services) are untouched. Prints the rows\n" +
			"deleted per table. The database is DATABASE_URL, else the local cluster.\n\n" +
			"Exit codes: 0 rolled back; 1 no such contract, or a database failure (nothing deleted).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "contract-code", Required: true,
				Usage: "code of the contract to remove"},
		},
		Action: runPricingRollback,
	}
}

// runPricingRollback implements `securemig pricing rollback`.
func runPricingRollback(c *cli.Context) error {
	code := c.String("contract-code")
	conn, err := connect(c)
	if err != nil {
		return withExitCode(1, err)
	}
	defer conn.Close(c.Context)
	counts, err := importer.Rollback(c.Context, conn, code)
	if err != nil {
		return withExitCode(1, err)
	}
	var total int64
	w := c.App.Writer
	for _, t := range importer.ContractTables {
		fmt.Fprintf(w, "%-34s %8d\n", t, counts[t])
		total += counts[t]
	}
	fmt.Fprintf(w, "contract %s rolled back: %d rows deleted\n", code, total)
	return nil
}
