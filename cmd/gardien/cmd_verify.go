package main

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/logging"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/version"
)

func newVerifyCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "verify JOB [NAME]",
		Short: "Prove that an archive restores: fetch it, check it, restore its dumps into a scratch database",
		Long: `Fetch an archive of JOB (the newest, or NAME) from a destination ([job.verify] from,
or the first that has it), check every file against the archive's MANIFEST, and
restore each PostgreSQL dump it holds into a scratch database created on the server
of [job.verify] restore_dsn; there pg_restore --list reads its table of contents and
the query of [job.verify] runs, its result compared with expect. The scratch
database is dropped whatever happens. Nothing is written on the destinations.

The result is reported like a run: the summary in the log, the mail ([mail]), and
the exit code: 0 the archive restores, 1 it does not, 2 invalid configuration,
3 warnings (a scratch database could not be dropped, the mail was not sent).
[job.verify] schedule makes ` + "`gardien cron`" + `, ` + "`gardien systemd`" + ` and ` + "`gardien daemon`" + `
run it regularly.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			cfg, jobs, l, err := g.setup(args[:1])
			if err != nil {
				return err
			}
			defer l.Close()
			_, worst := verifyAndReport(cmd.Context(), cfg, jobs[0], archiveArg(args), l, g.out())
			return outcomeError(worst)
		}),
	}
}

// verifyAndReport is one gardien verify of j (of the archive name, or the newest):
// the verify, its summary in the log and on out, and its mail. It returns the
// result and the worst outcome, a mail not sent counting as a warning.
func verifyAndReport(ctx context.Context, cfg *config.Config, j *config.Job, name string, l *logging.Log, out io.Writer) (*report.Result, report.Outcome) {
	res := job.Verify(ctx, cfg, j, name, job.Options{Log: l.Logger})
	writeSummary(res, l.File, l.Wrap(out))
	// The mail, as after a run; no ping: the monitors of [notify] watch the
	// nightly runs, which a verify must not pass for.
	if ctx.Err() != nil { // interrupted: still say so, briefly
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	m := &report.Mailer{Config: cfg.Mail, Host: hostname(), Version: version.String(), LogFile: cfg.Log.File, Log: l.Logger}
	worst := res.Outcome()
	if err := m.Report(ctx, []*report.Result{res}, [][]byte{l.Capture()}); err != nil {
		worst = max(worst, report.Warned)
	}
	return res, worst
}
