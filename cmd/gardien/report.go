package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/logging"
	"github.com/gardien/gardien/internal/notify"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/version"
)

// reporter tells the world about a `gardien run` beyond the log: the mail, and the
// pings of [notify]. Neither ever changes a job's result; when either fails, the run's
// exit code becomes at least 3 (warnings), never lower than the jobs' own.
type reporter struct {
	log    *logging.Log
	mailer *report.Mailer
	notify *notify.Notifier
	marks  []int // where each job's lines start in the log's capture
	dryRun bool
	jobs   []string
	err    error // setting up the notifier
}

func newReporter(cfg *config.Config, jobs []*config.Job, l *logging.Log, dryRun bool) *reporter {
	host := hostname()
	r := &reporter{log: l, dryRun: dryRun, mailer: &report.Mailer{
		Config: cfg.Mail, Host: host, Version: version.String(), LogFile: cfg.Log.File, Log: l.Logger,
	}}
	for _, j := range jobs {
		r.jobs = append(r.jobs, j.Name)
	}
	r.notify, r.err = notify.New(cfg.Notify, host, l.Logger)
	if r.err != nil {
		l.Warn("no ping will be sent", "step", "notify", "cause", r.err.Error(), "hint", "check ca_file in [notify]")
	}
	return r
}

// start pings the start URL. A dry run neither pings nor mails: a monitor must not
// take it for a real run, nor the recipients for a real archive.
func (r *reporter) start(ctx context.Context) error {
	if r.dryRun {
		return nil
	}
	return errors.Join(r.err, r.notify.WithLog(r.log.With("job", strings.Join(r.jobs, ","))).Ping(ctx, notify.Start, ""))
}

// jobStarting marks where the next job's lines begin; the first job's log also holds
// what was logged before it (configuration warnings, the start ping).
func (r *reporter) jobStarting() {
	if len(r.marks) == 0 {
		r.marks = append(r.marks, 0)
		return
	}
	r.marks = append(r.marks, r.log.Mark())
}

// finish sends the mail(s) and the final ping once every job has run. An interrupted
// run is reported too: the context is detached from the interruption, and bounded to
// half a minute so that gardien still stops soon.
func (r *reporter) finish(ctx context.Context, results []*report.Result) error {
	if r.dryRun {
		return nil
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	end := r.log.Mark()
	logs := make([][]byte, len(results))
	for i := range results {
		if i >= len(r.marks) {
			break
		}
		stop := end
		if i+1 < len(r.marks) {
			stop = r.marks[i+1]
		}
		logs[i] = r.log.CaptureSince(r.marks[i])[:stop-r.marks[i]]
	}
	mailErr := r.mailer.Report(ctx, results, logs)

	worst := report.Success
	var summary strings.Builder
	var runs []string
	for _, res := range results {
		worst = max(worst, res.Outcome())
		report.Summary(&summary, res)
		runs = append(runs, res.Run)
	}
	ev := map[report.Outcome]notify.Event{report.Success: notify.Success, report.Warned: notify.Warning, report.Failure: notify.Failure}[worst]
	log := r.log.With("job", strings.Join(r.jobs, ","), "run", strings.Join(runs, ","))
	pingErr := r.notify.WithLog(log).Ping(ctx, ev, summary.String())
	return errors.Join(mailErr, pingErr)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// checkMail is `gardien check`'s look at the mail: it logs in to the SMTP server and
// quits without sending (or finds the sendmail program), and with sendTest sends a
// short test mail. It returns nil when there is nothing to check.
func checkMail(ctx context.Context, cfg *config.Config, l *logging.Log, sendTest bool) *report.Result {
	c := cfg.Mail
	if c.Transport == "none" && !sendTest {
		return nil
	}
	res := &report.Result{Job: "[mail]", Run: job.NewRunID(), Start: time.Now()}
	log := l.With("job", res.Job, "run", res.Run)
	target := c.Transport
	if c.Transport == "smtp" {
		target = c.Host
	}
	rec := func(s report.Step) {
		res.Add(s)
		if s.Status == report.Failed {
			log.Error("step failed", "step", s.Name, "server", target, "cause", s.Cause, "hint", s.Hint)
		} else {
			log.Info("step ok", "step", s.Name, "server", target, "detail", s.Detail)
		}
	}
	fail := func(name string, err error) {
		cause := err.Error()
		var me *report.MailError
		if errors.As(err, &me) {
			cause = me.Err.Error()
		}
		rec(report.Step{Name: name, Target: target, Status: report.Failed, Cause: cause, Hint: fault.Hint(err)})
	}
	if c.Transport == "none" {
		fail(report.StepTestMail, fault.WithHint(errors.New(`[mail] transport is "none"`), `set transport = "smtp" or "sendmail" in [mail]`))
		res.End = time.Now()
		return res
	}
	detail, err := report.CheckMail(ctx, c)
	if err != nil {
		fail(report.StepMailLogin, err)
	} else {
		rec(report.Step{Name: report.StepMailLogin, Target: target, Status: report.OK, Detail: detail})
		if sendTest {
			m := &report.Mailer{Config: c, Host: hostname(), Version: version.String()}
			if detail, err := m.SendTest(ctx); err != nil {
				fail(report.StepTestMail, err)
			} else {
				rec(report.Step{Name: report.StepTestMail, Target: target, Status: report.OK, Detail: detail})
			}
		}
	}
	res.End = time.Now()
	return res
}
