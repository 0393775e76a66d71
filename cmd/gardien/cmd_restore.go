package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
)

func newRestoreCommand(g *globalOptions) *cobra.Command {
	var to, from string
	cmd := &cobra.Command{
		Use:   "restore JOB [NAME] --to DIR",
		Short: "Fetch an archive (default: the newest), extract it and verify every checksum",
		Long: `Fetch an archive of JOB from its destinations (the newest, or NAME), extract it
into DIR and check every file against the archive's MANIFEST. Entries that would land
outside DIR are refused.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usageError{fmt.Errorf("restore needs --to DIR, the directory to extract into")}
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			j := findJob(cfg, args[0])
			if j == nil {
				return usageError{unknownJob(cfg, args[0])}
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			l, err := g.openLog(cfg)
			if err != nil {
				return err
			}
			defer l.Close()
			r, err := job.Restore(cmd.Context(), j, name, from, to, job.Options{Log: l.Logger})
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
	cmd.Flags().StringVar(&from, "from", "", "destination to fetch from (default: the first that has the archive)")
	return cmd
}
