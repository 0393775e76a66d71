package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
)

func newRestoreCommand(g *globalOptions) *cobra.Command {
	var to, from, intoDB, dump string
	var yes bool
	cmd := &cobra.Command{
		Use:   "restore JOB [NAME] (--to DIR | --into-db DATABASE)",
		Short: "Fetch an archive (default: the newest), verify every checksum, and extract it or restore its dump",
		Long: `Fetch an archive of JOB from its destinations (the newest, or NAME) and check every
file against the archive's MANIFEST.

With --to DIR, extract it into DIR: dumps as files, folders with their modes, times
and symbolic links. Entries that would land outside DIR are refused.

With --into-db DATABASE, restore one of its PostgreSQL dumps (--dump names it when
the archive holds several) into DATABASE on the server of the job's postgres source,
after confirmation (--yes skips it): the database is created when missing; in an
existing one the dump's objects replace those of the same names.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			switch {
			case to != "" && intoDB != "":
				return usageError{fmt.Errorf("choose --to DIR (extract the files) or --into-db DATABASE (restore a dump), not both")}
			case to == "" && intoDB == "":
				return usageError{fmt.Errorf("restore needs --to DIR, the directory to extract into, or --into-db DATABASE")}
			case dump != "" && intoDB == "":
				return usageError{fmt.Errorf("--dump chooses the dump restored by --into-db")}
			}
			if intoDB != "" {
				return g.restoreIntoDB(cmd, args, from, job.IntoDB{Database: intoDB, Dump: dump}, yes)
			}
			_, jobs, l, err := g.setup(args[:1])
			if err != nil {
				return err
			}
			defer l.Close()
			j := jobs[0]
			r, err := job.Restore(cmd.Context(), j, archiveArg(args), from, to, job.Options{Log: l.Logger})
			if err != nil {
				l.Error("restore failed", "job", j.Name, "cause", err.Error())
				return err
			}
			out := l.Wrap(g.out())
			fmt.Fprintf(out, "restored %s (%s) from %s into %s\n", r.Archive, report.Bytes(r.Size), r.Dest, to)
			for _, f := range r.Manifest.Files {
				fmt.Fprintf(out, "  ok  %s  %s  sha256 %s\n", f.Name, report.Bytes(f.Size), f.SHA256)
			}
			fmt.Fprintf(out, "archived %s by run %s of job %s on %s (gardien %s)\n",
				r.Manifest.Created.Format("2006-01-02 15:04:05"), r.Manifest.Run, r.Manifest.Job, r.Manifest.Host, r.Manifest.Gardien)
			l.Info("restored", "job", j.Name, "dest", r.Dest, "archive", r.Archive, "to", to, "files", len(r.Manifest.Files))
			return nil
		}),
	}
	cmd.Flags().StringVar(&to, "to", "", "directory to extract into (created if missing)")
	cmd.Flags().StringVar(&intoDB, "into-db", "", "restore a PostgreSQL dump of the archive into this database")
	cmd.Flags().StringVar(&dump, "dump", "", "with --into-db: the dump to restore (Specibike1, or its path in the archive)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "with --into-db: do not ask for confirmation")
	cmd.Flags().StringVar(&from, "from", "", "destination to fetch from (default: the first that has the archive)")
	return cmd
}

// restoreIntoDB is `gardien restore JOB --into-db DATABASE`.
func (g *globalOptions) restoreIntoDB(cmd *cobra.Command, args []string, from string, into job.IntoDB, yes bool) error {
	_, jobs, l, err := g.setup(args[:1])
	if err != nil {
		return err
	}
	defer l.Close()
	j := jobs[0]
	if !yes {
		in := bufio.NewReader(cmd.InOrStdin())
		into.Confirm = func(q string) bool {
			fmt.Fprintf(g.stderr, "%s\nType yes to go on: ", q)
			answer, _ := in.ReadString('\n')
			return strings.EqualFold(strings.TrimSpace(answer), "yes")
		}
	}
	r, err := job.RestoreIntoDB(cmd.Context(), j, archiveArg(args), from, into, job.Options{Log: l.Logger})
	if err != nil {
		l.Error("restore failed", "job", j.Name, "database", into.Database, "cause", err.Error())
		return err
	}
	verb := "into the existing database"
	if r.Created {
		verb = "into the new database"
	}
	fmt.Fprintf(l.Wrap(g.out()), "restored %s of %s (from %s) %s %q on %s: %d entries, %d tables\n",
		r.Dump, r.Archive, r.Dest, verb, r.Database, r.Server, r.TOC.Entries, r.TOC.Tables)
	l.Info("restored into a database", "job", j.Name, "dest", r.Dest, "archive", r.Archive, "dump", r.Dump, "database", r.Database, "server", r.Server)
	return nil
}
