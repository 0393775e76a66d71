package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/progress"
	"github.com/gardien/gardien/internal/report"
)

func newRunCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "run [JOB...]",
		Short: "Run the archive jobs (all, or those named)",
		Long: `Run the archive jobs: fetch the source, check it, build the dated archive, send
it to every destination, apply the retention, and write the summary to the log; then
send the mail report ([mail]) and ping the monitor ([notify]).

Exit codes: 0 every job succeeded, 1 at least one failed, 2 invalid configuration,
3 warnings (dump unchanged, one of several destinations failed, a deletion failed,
the mail or a ping could not be sent).`,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return g.runJobs(cmd, args)
		}),
	}
}

func (g *globalOptions) runJobs(cmd *cobra.Command, names []string) error {
	cfg, jobs, l, err := g.setup(names)
	if err != nil {
		return err
	}
	defer l.Close()
	rep := newReporter(cfg, jobs, l, g.dryRun)
	reportErr := rep.start(cmd.Context())
	worst := report.Success
	var results []*report.Result
	for _, j := range jobs {
		rep.jobStarting()
		res := job.Run(progress.With(cmd.Context(), g.progressBar()), cfg, j, job.Options{DryRun: g.dryRun, Log: l.Logger})
		writeSummary(res, l.File, l.Wrap(g.out()))
		results = append(results, res)
		worst = max(worst, res.Outcome())
		if cmd.Context().Err() != nil {
			break
		}
	}
	// A report (mail, ping) that did not get through is a warning: exit 3 at least,
	// never hiding a failed job's exit 1.
	if err := errors.Join(reportErr, rep.finish(cmd.Context(), results)); err != nil {
		worst = max(worst, report.Warned)
	}
	return outcomeError(worst)
}

// writeSummary writes a result's summary block to the log file and the terminal.
func writeSummary(res *report.Result, w ...io.Writer) {
	for _, out := range w {
		if err := report.Summary(out, res); err != nil {
			fmt.Fprintf(out, "gardien: cannot write the summary: %v\n", err)
		}
	}
}

// outcomeError maps the worst outcome of a command to its exit code.
func outcomeError(o report.Outcome) error {
	switch o {
	case report.Failure:
		return exitError{exitFailure}
	case report.Warned:
		return exitError{exitWarnings}
	}
	return nil
}
