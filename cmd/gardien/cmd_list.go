package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
)

func newListCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list JOB",
		Short: "List the archives on each destination, and which the retention would delete next",
		Args:  cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			_, jobs, l, err := g.setup(args)
			if err != nil {
				return err
			}
			defer l.Close()
			j := jobs[0]
			now := time.Now()
			out := l.Wrap(g.stdout)
			failed := false
			for _, ls := range job.List(cmd.Context(), j, job.Options{Log: l.Logger}) {
				fmt.Fprintf(out, "== %s ==\n", ls.Dest)
				if ls.Err != nil {
					failed = true
					fmt.Fprintf(out, "  FAILED  %v\n          hint: %s\n", ls.Err, fault.Hint(ls.Err))
					continue
				}
				if len(ls.Archives) == 0 {
					fmt.Fprintln(out, "  no archive yet")
				}
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				for _, a := range ls.Archives {
					next := ""
					if a.Expires != "" {
						next = "deleted at next run: " + a.Expires
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, report.Bytes(a.Size), age(now, a.Date), next)
				}
				tw.Flush()
				for _, s := range ls.Stale {
					fmt.Fprintf(out, "  %s (temporary file of an interrupted upload, removed at next run)\n", s)
				}
				if ls.Foreign > 0 {
					fmt.Fprintf(out, "  (%d other file(s), not this job's archives: never touched)\n", ls.Foreign)
				}
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		}),
	}
}

// age says how old an archive dated t is, in days.
func age(now, t time.Time) string {
	d := int(now.Sub(t).Hours() / 24)
	switch {
	case d < 1:
		return "today"
	case d == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", d)
}
