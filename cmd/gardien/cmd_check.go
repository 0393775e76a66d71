package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
)

func newCheckCommand(g *globalOptions) *cobra.Command {
	var sendTestMail, configOnly bool
	cmd := &cobra.Command{
		Use:   "check [JOB...]",
		Short: "Validate the configuration and test every connection, archiving nothing",
		Long: `Validate the configuration, then for each job: the source answers, and each
destination logs in, accepts a small probe file, lists it, reads it back and deletes it.
Nothing is archived and no archive is touched. The mail server is logged in to without
sending anything; --send-test-mail also sends a short test mail to mail.to.
--config-only validates the file and stops there: no connection, no log written
(before a configuration goes to a machine, or in a package's tests).

Exit codes: 0 all good, 1 a connection failed, 2 invalid configuration.`,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if configOnly {
				cfg, err := g.load()
				if err != nil {
					return err
				}
				if _, err := selectJobs(cfg, args); err != nil {
					return err
				}
				fmt.Fprintf(g.out(), "configuration %s: ok (%d job(s))\n", cfg.Path, len(cfg.Jobs))
				return nil
			}
			cfg, jobs, l, err := g.setup(args)
			if err != nil {
				return err
			}
			defer l.Close()
			out := l.Wrap(g.out())
			fmt.Fprintf(out, "configuration %s: ok (%d job(s))\n", cfg.Path, len(cfg.Jobs))
			worst := report.Success
			for _, j := range jobs {
				res := job.Check(cmd.Context(), cfg, j, job.Options{Log: l.Logger})
				writeSummary(res, l.File, out)
				worst = max(worst, res.Outcome())
			}
			if res := checkMail(cmd.Context(), cfg, l, sendTestMail); res != nil {
				writeSummary(res, l.File, out)
				worst = max(worst, res.Outcome())
			}
			return outcomeError(worst)
		}),
	}
	cmd.Flags().BoolVar(&sendTestMail, "send-test-mail", false, "also send a short test mail to the [mail] recipients")
	cmd.Flags().BoolVar(&configOnly, "config-only", false, "only validate the configuration: no connection, no log")
	return cmd
}
