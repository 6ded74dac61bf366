package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/localdb"
)

const defaultPGDir = "tmp/pg"

func dbCommand() *cli.Command {
	return &cli.Command{
		Name:  "db",
		Usage: "manage the project-local PostgreSQL cluster used when DATABASE_URL is not set",
		Description: "The local cluster lives in $SECUREMIG_PGDIR (default tmp/pg, git-ignored) and is built from the\n" +
			"system's PostgreSQL server binaries (found on PATH, in /usr/lib/postgresql/<major>/bin, or in\n" +
			"$SECUREMIG_PG_BIN). It listens on 127.0.0.1 at a free port chosen on first start and kept\n" +
			"afterwards, trusts local connections as user postgres, and keeps its data between runs.\n" +
			"When run as root, the server runs as the 'postgres' OS user. fsync is off: it is a local\n" +
			"scratch database; 'securemig db reset' rebuilds it.",
		Subcommands: []*cli.Command{
			{
				Name:  "start",
				Usage: "create the cluster if needed and start it (a no-op when running)",
				Description: "Recovers from a crash: a stale postmaster.pid is removed, and when the recorded port\n" +
					"is taken by another program a new free port is chosen. Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, err := localCluster()
					if err != nil {
						return err
					}
					started, err := cl.Start(c.Context)
					if err != nil {
						return err
					}
					if !started {
						fmt.Fprintln(c.App.ErrWriter, "local database already", cl.Status())
						return nil
					}
					fmt.Fprintln(c.App.ErrWriter, "local database", cl.Status())
					return nil
				},
			},
			{
				Name:        "stop",
				Usage:       "stop the cluster (a no-op when stopped); data is kept",
				Description: "Fast shutdown: open sessions are disconnected. Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, err := localCluster()
					if err != nil {
						return err
					}
					stopped, err := cl.Stop(c.Context)
					if err != nil {
						return err
					}
					if stopped {
						fmt.Fprintln(c.App.ErrWriter, "local database stopped")
					} else {
						fmt.Fprintln(c.App.ErrWriter, "local database was not running")
					}
					return nil
				},
			},
			{
				Name:        "status",
				Usage:       "print whether the cluster is initialized and running",
				Description: "Exit 0 when running, 3 when stopped or not initialized (like pg_ctl status).\n" + staleScopesHelp,
				Action: func(c *cli.Context) error {
					cl, err := localCluster()
					if err != nil {
						return err
					}
					st := cl.Status()
					fmt.Fprintln(c.App.Writer, st)
					if !st.Running {
						return withExitCode(3, fmt.Errorf(""))
					}
					reportStaleScopes(c, cl)
					return nil
				},
			},
			{
				Name:        "reset",
				Usage:       "stop the cluster, delete ALL its data and start an empty one",
				Description: "Everything in the local cluster is lost. Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, err := localCluster()
					if err != nil {
						return err
					}
					if err := cl.Reset(c.Context); err != nil {
						return err
					}
					fmt.Fprintln(c.App.ErrWriter, "local database reset:", cl.Status())
					return nil
				},
			},
			{
				Name:  "url",
				Usage: "print the local cluster's connection URL (starting it if needed)",
				Description: "Prints a DSN usable by psql, pg_dump and DATABASE_URL, e.g.\n" +
					"  psql \"$(securemig db url)\" -c '\\dt re_*'\n" +
					"Always the local cluster, whatever DATABASE_URL says. Exit 1 on failure.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "database", Aliases: []string{"d"}, Value: localdb.DefaultDatabase,
						Usage: "database name to put in the URL"},
				},
				Action: func(c *cli.Context) error {
					cl, err := localCluster()
					if err != nil {
						return err
					}
					if _, err := cl.Start(c.Context); err != nil {
						return err
					}
					u, err := cl.URL(c.String("database"))
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, u)
					return nil
				},
			},
		},
	}
}

// localCluster returns the project-local cluster configured by the
// environment (SECUREMIG_PGDIR, SECUREMIG_PG_BIN).
func localCluster() (*localdb.Cluster, error) {
	dir := os.Getenv("SECUREMIG_PGDIR")
	if dir == "" {
		dir = defaultPGDir
	}
	return localdb.New(dir, os.Getenv("SECUREMIG_PG_BIN"))
}

// localDatabaseURL starts the local cluster when needed and returns its URL.
func localDatabaseURL(c *cli.Context) (string, error) {
	cl, err := localCluster()
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not set and the local database is unavailable: %w", err)
	}
	started, err := cl.Start(c.Context)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not set and the local database did not start: %w", err)
	}
	if started {
		fmt.Fprintln(c.App.ErrWriter, "started the local database:", cl.Status())
	}
	return cl.URL("")
}
