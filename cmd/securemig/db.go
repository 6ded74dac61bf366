package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/securemig/securemig/localdb"
)

func dbCommand() *cli.Command {
	return &cli.Command{
		Name:  "db",
		Usage: "manage the project-local PostgreSQL cluster used when DATABASE_URL is not set",
		Description: "The local cluster lives in $SECUREMIG_PGDIR (default tmp/pg in the project root, git-ignored) and is built from the\n" +
			"system's PostgreSQL server binaries (found on PATH, in /usr/lib/postgresql/<major>/bin, or in\n" +
			"$SECUREMIG_PG_BIN). It listens on 127.0.0.1 at a free port chosen on first start and kept\n" +
			"afterwards, trusts local connections as user postgres, and keeps its data between runs.\n" +
			"When run as root, the server runs as the 'postgres' OS user. fsync is off: it is a local\n" +
			"scratch database; 'securemig db reset' rebuilds it.\n\n" +
			"One project, one cluster: commands find the project root by walking up from the working\n" +
			"directory to the directory holding migrations/manifest.txt, and use that root's cluster and\n" +
			".env. Outside any project they need DATABASE_URL.\n\n" +
			"When root works in a checkout the postgres OS user cannot reach (a clone under /root or any\n" +
			"0700 directory), the cluster is placed in a private directory outside it, one per checkout:\n" +
			"/var/lib/securemig/<name>-<hash> (or /var/tmp/securemig-<name>-<hash>), owned by postgres,\n" +
			"mode 0700. The choice is recorded in tmp/pg.location, so every later command of the checkout\n" +
			"finds the same cluster; 'db status' and 'db url' say where it is.",
		Subcommands: []*cli.Command{
			{
				Name:  "start",
				Usage: "create the cluster if needed and start it (a no-op when running)",
				Description: "Recovers from a crash: a stale postmaster.pid is removed, and when the recorded port\n" +
					"is taken by another program a new free port is chosen. Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, pl, err := localCluster(c)
					if err != nil {
						return err
					}
					started, err := cl.Start(c.Context)
					if err != nil {
						return err
					}
					w := infoWriter(c)
					if !started {
						fmt.Fprintln(w, "local database already", cl.Status())
					} else {
						fmt.Fprintln(w, "local database", cl.Status())
					}
					if d := describePlacement(pl); d != "" {
						fmt.Fprintln(w, d)
					}
					return nil
				},
			},
			{
				Name:        "stop",
				Usage:       "stop the cluster (a no-op when stopped); data is kept",
				Description: "Fast shutdown: open sessions are disconnected. Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, _, err := localCluster(c)
					if err != nil {
						return err
					}
					stopped, err := cl.Stop(c.Context)
					if err != nil {
						return err
					}
					if stopped {
						fmt.Fprintln(infoWriter(c), "local database stopped")
					} else {
						fmt.Fprintln(infoWriter(c), "local database was not running")
					}
					return nil
				},
			},
			{
				Name:  "status",
				Usage: "print whether the cluster is initialized and running, and where it lives",
				Description: "Prints one line (running on 127.0.0.1:PORT (pid N), data in DIR; stopped; or not\n" +
					"initialized), and a second one when the cluster lives outside the checkout, saying where and why.\n" +
					staleScopesHelp + "\n\n" +
					"Exit 0 when running, 3 when stopped or not initialized (like pg_ctl status).",
				Action: func(c *cli.Context) error {
					cl, pl, err := localCluster(c)
					if err != nil {
						return err
					}
					st := cl.Status()
					fmt.Fprintln(c.App.Writer, st)
					if d := describePlacement(pl); d != "" {
						fmt.Fprintln(c.App.Writer, d)
					}
					if !st.Running {
						return withExitCode(3, fmt.Errorf(""))
					}
					reportStaleScopes(c, cl)
					return nil
				},
			},
			{
				Name:  "reset",
				Usage: "stop the cluster, delete ALL its data and start an empty one",
				Description: "Everything in the local cluster is lost; it stays where it is (see tmp/pg.location).\n" +
					"Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, _, err := localCluster(c)
					if err != nil {
						return err
					}
					if err := cl.Reset(c.Context); err != nil {
						return err
					}
					fmt.Fprintln(infoWriter(c), "local database reset:", cl.Status())
					return nil
				},
			},
			{
				Name:  "destroy",
				Usage: "stop the cluster and delete its directory (and tmp/pg.location); the next command starts afresh",
				Description: "Everything in the local cluster is lost, and a cluster placed outside the checkout is\n" +
					"removed from there too. Exit 1 on failure.",
				Action: func(c *cli.Context) error {
					cl, _, err := localCluster(c)
					if err != nil {
						return err
					}
					if err := cl.Destroy(c.Context); err != nil {
						return err
					}
					fmt.Fprintln(infoWriter(c), "local database removed:", cl.Dir)
					return nil
				},
			},
			{
				Name:  "url",
				Usage: "print the local cluster's connection URL (starting it if needed)",
				Description: "Prints a DSN usable by psql, pg_dump and DATABASE_URL, e.g.\n" +
					"  psql \"$(securemig db url)\" -c '\\dt re_*'\n" +
					"Always the local cluster, whatever DATABASE_URL says; stderr says where the cluster lives.\n" +
					"Exit 1 on failure.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "database", Aliases: []string{"d"}, Value: localdb.DefaultDatabase,
						Usage: "database name to put in the URL"},
				},
				Action: func(c *cli.Context) error {
					cl, pl, err := localCluster(c)
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
					w := infoWriter(c)
					fmt.Fprintln(w, "local database in", cl.Dir)
					if d := describePlacement(pl); d != "" {
						fmt.Fprintln(w, d)
					}
					return nil
				},
			},
		},
	}
}

// Local cluster files, relative to the project root.
const (
	defaultPGDir   = "tmp/pg"
	pgLocationFile = "tmp/pg.location"
)

// localCluster returns the project's local cluster: in $SECUREMIG_PGDIR when
// set (relative to the project root), else where localdb.Place puts it for
// this checkout (tmp/pg, or a private directory outside a checkout the
// postgres OS user cannot reach, recorded in tmp/pg.location). Outside any
// project, without SECUREMIG_PGDIR, there is no local cluster.
func localCluster(c *cli.Context) (*localdb.Cluster, localdb.Placement, error) {
	st := state(c.App)
	bin := os.Getenv("SECUREMIG_PG_BIN")
	if dir := os.Getenv("SECUREMIG_PGDIR"); dir != "" {
		if !filepath.IsAbs(dir) && st.root != "" {
			dir = filepath.Join(st.root, dir)
		}
		cl, err := localdb.New(dir, bin)
		if err != nil {
			return nil, localdb.Placement{}, err
		}
		return cl, localdb.Placement{Dir: cl.Dir, Default: cl.Dir}, nil
	}
	if st.root == "" {
		return nil, localdb.Placement{}, errNoProject(st.wd)
	}
	pl, err := localdb.Place(st.root, filepath.Join(st.root, defaultPGDir), filepath.Join(st.root, pgLocationFile))
	if err != nil {
		return nil, pl, err
	}
	cl, err := localdb.New(pl.Dir, bin)
	if err != nil {
		return nil, pl, err
	}
	if pl.Moved() {
		cl.Record = pl.Record
	}
	return cl, pl, nil
}

// describePlacement explains, when the cluster lives outside the checkout,
// where and why ("" otherwise). Start records the place on first use.
func describePlacement(pl localdb.Placement) string {
	if !pl.Moved() {
		return ""
	}
	why := pl.Reason
	if !pl.Recorded {
		why += "; recorded in " + pl.Record
	}
	return fmt.Sprintf("the cluster lives in %s, outside the checkout (%s)", pl.Dir, why)
}

// localDatabaseURL starts the local cluster when needed and returns its URL.
func localDatabaseURL(c *cli.Context) (string, error) {
	cl, pl, err := localCluster(c)
	if errors.Is(err, errNotInProject) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not set and the local database is unavailable: %w", err)
	}
	state(c.App).urlSource = "the local cluster in " + cl.Dir
	started, err := cl.Start(c.Context)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not set and the local database did not start: %w", err)
	}
	if started {
		fmt.Fprintln(infoWriter(c), "started the local database:", cl.Status())
		if d := describePlacement(pl); d != "" {
			fmt.Fprintln(infoWriter(c), d)
		}
	}
	return cl.URL("")
}
