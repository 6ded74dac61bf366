package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/internal/buildinfo"
	"github.com/securemig/securemig/lockfile"
	"github.com/securemig/securemig/securegen"
)

func genRevertMigrationCommand() *cli.Command {
	return &cli.Command{
		Name:      "revert-migration",
		Usage:     "generate a revert migration: a new forward migration that removes one contract from a deployed database",
		UsageText: "securemig gen revert-migration --contract-code CODE",
		Description: "Writes <version>_revert_pricing_data_<code>.up.sql into --revert-dir (migrations/revert, committed\n" +
			"in git: it holds the contract's code and id, table names and row counts, no prices), appends it to\n" +
			"the manifest and records it in the lock file, linked to the contract's secure migration (its\n" +
			"entry gets reverted_by). Deployed environments apply it with migrate, which reads migrations/revert\n" +
			"as a location beside migrations/schema: no upload is needed.\n\n" +
			"When applied, in one transaction, it refuses and changes nothing when the contract is not in\n" +
			"the database, when a table holds another number of the contract's rows than the secure migration\n" +
			"loaded, or when any row of a table outside the contract's own tables references the contract's\n" +
			"rows (the foreign keys are read from the catalog when it runs, so a downstream table referencing\n" +
			"prices blocks it, whatever its ON DELETE action). There is no cascade option: move or remove those\n" +
			"rows first. Otherwise it deletes the contract's rows, children first, and the tracking table\n" +
			"records which migration it reverted: `migrate status` shows that one as reverted, and it is\n" +
			"never applied again. Shipping the contract again takes a new secure migration (a new version).\n\n" +
			"The secure migration's header (contract id, tables, row counts) is read from its placeholder,\n" +
			"else its production file; the local database's catalog gives the tables' keys (its rows are not\n" +
			"read). Check the pair with `securemig verify REVERT.up.sql`. Prints 'revert: PATH', 'reverts:',\n" +
			"'sha256:', 'size:' and one 'rows: TABLE N' line per table removed.\n\n" +
			"Exit codes: 0 generated; 1 failure (no secure migration to revert, already reverted, a refused\n" +
			"path, database or file failure; nothing written).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "contract-code", Required: true, Usage: "contract `CODE` whose secure migration to revert"},
			&cli.StringFlag{Name: "version", Usage: "use this `VERSION` (YYYYMMDDHHMMSS, UTC) instead of the clock; it must be unused and newer than the secure migration's"},
			&cli.StringFlag{Name: "revert-dir", Value: securegen.DefaultRevertDir, Usage: "committed `DIR` for revert migrations (a migrate location of every environment)"},
			&cli.StringFlag{Name: "out-dir", Value: securegen.DefaultOutDir, Usage: "`DIR` of the production files (for the secure migration's header when its placeholder is missing)"},
			&cli.StringFlag{Name: "placeholder-dir", Value: securegen.DefaultPlaceholderDir, Usage: "`DIR` of the placeholders"},
			&cli.StringFlag{Name: "manifest", Value: securegen.DefaultManifest, Usage: "manifest `FILE` to append the revert to"},
			&cli.StringFlag{Name: "lock-file", Aliases: []string{"lock"}, Value: lockfile.DefaultPath, Usage: "lock `FILE` to record the revert in"},
		},
		Action: runGenRevertMigration,
	}
}

// runGenRevertMigration implements `securemig gen revert-migration`.
func runGenRevertMigration(c *cli.Context) error {
	dsn, err := databaseURL(c)
	if err != nil {
		return err
	}
	res, err := securegen.GenerateRevert(c.Context, securegen.RevertOptions{
		DSN: dsn, ContractCode: c.String("contract-code"), Version: c.String("version"), RevertDir: c.String("revert-dir"),
		OutDir: c.String("out-dir"), PlaceholderDir: c.String("placeholder-dir"), ManifestPath: c.String("manifest"),
		LockPath: c.String("lock-file"), ToolVersion: buildinfo.Version,
	})
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "revert: %s\nreverts: %s\nsha256: %s\nsize: %d\n", res.Path, res.Reverts, res.SHA256, res.Size)
	for _, t := range res.Tables {
		fmt.Fprintf(w, "rows: %s %d\n", t.Table, t.Rows)
	}
	fmt.Fprintf(c.App.ErrWriter, "next: securemig verify %s, then commit it with the manifest and lock file; "+
		"deployed environments remove the contract with securemig migrate\n", res.Path)
	return nil
}
