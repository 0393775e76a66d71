package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

// Mailer sends the report of one `gardien run` as [mail] says: one mail covering every
// job, or one per job with per_job = true, when send_on asks for it.
type Mailer struct {
	Config  config.Mail
	Host    string // the machine gardien runs on
	Version string
	LogFile string       // where the full log is kept, named in the mail
	Log     *slog.Logger // where a mail that could not be sent is reported
	// RetryWait is the pause before sending again after a transient error (a refused
	// connection, a 4xx reply), doubled at each of the MailAttempts; 0 means 2s.
	RetryWait time.Duration
}

// MailAttempts is how many times a mail is tried when its error is transient.
const MailAttempts = 3

// ShouldSend says whether send_on asks for a mail about a run that ended with o:
// "always", "failure" (failures and warnings) or "never".
func ShouldSend(sendOn string, o Outcome) bool {
	switch sendOn {
	case "never":
		return false
	case "failure":
		return o != Success
	}
	return true
}

// Report renders and sends the mail(s) about results. logs[i] is what the log
// captured during results[i]; it is attached when attach_log = true (a single mail
// attaches them all, in order). Each mail that cannot be sent is logged with
// step=mail, its cause and a hint; Report returns the first such error, for the
// exit code. It never changes the results.
func (m *Mailer) Report(ctx context.Context, results []*Result, logs [][]byte) error {
	c := m.Config
	if c.Transport == "none" || c.Transport == "" || len(results) == 0 {
		return nil
	}
	type batch struct {
		results []*Result
		log     []byte
		name    string
	}
	var batches []batch
	if c.PerJob {
		for i, r := range results {
			batches = append(batches, batch{[]*Result{r}, at(logs, i), fmt.Sprintf("gardien-%s-%s.log", r.Job, r.Run)})
		}
	} else {
		var all []byte
		for i := range results {
			all = append(all, at(logs, i)...)
		}
		batches = append(batches, batch{results, all, "gardien-" + results[0].Start.Format("20060102-150405") + ".log"})
	}
	var first error
	for _, b := range batches {
		var jobs, runs []string
		for _, r := range b.results {
			jobs, runs = append(jobs, r.Job), append(runs, r.Run)
		}
		log := m.Log.With("job", strings.Join(jobs, ","), "run", strings.Join(runs, ","))
		o := worst(b.results)
		if !ShouldSend(c.SendOn, o) {
			log.Debug("no mail", "step", StepMail, "status", o.String(), "send_on", c.SendOn)
			continue
		}
		info := MailInfo{Host: m.Host, Version: m.Version, LogFile: m.LogFile}
		if c.AttachLog {
			info.LogName = b.name
		}
		msg, err := RenderMail(b.results, c, info)
		if err == nil {
			if c.AttachLog {
				msg.Log = b.log
				if msg.Log == nil {
					msg.Log = []byte{}
				}
			}
			err = m.send(ctx, log, msg)
		}
		if err != nil {
			logMailError(log, c, err)
			if first == nil {
				first = err
			}
			continue
		}
		log.Info("mail sent", "step", StepMail, "transport", c.Transport, "to", strings.Join(c.To, ","), "subject", msg.Subject)
	}
	return first
}

// send sends msg, trying again after a transient error.
func (m *Mailer) send(ctx context.Context, log *slog.Logger, msg *Message) error {
	wait := m.RetryWait
	if wait <= 0 {
		wait = 2 * time.Second
	}
	for i := 1; ; i++ {
		err := Send(ctx, m.Config, msg, m.Version)
		if err == nil || i >= MailAttempts || !fault.Retryable(err) || ctx.Err() != nil {
			if err != nil && i > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, i)
			}
			return err
		}
		log.Warn("retrying", "step", StepMail, "attempt", i+1, "of", MailAttempts, "in", wait, "cause", errCause(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// SendTest sends the short test mail of `gardien check --send-test-mail`.
func (m *Mailer) SendTest(ctx context.Context) (string, error) {
	msg := RenderTestMail(m.Config, MailInfo{Host: m.Host, Version: m.Version})
	if err := Send(ctx, m.Config, msg, m.Version); err != nil {
		return "", err
	}
	return "to " + strings.Join(m.Config.To, ", ") + " through " + m.Config.Transport, nil
}

// logMailError reports a mail that could not be sent the way a failed step is: step,
// server, cause (verbatim) and hint.
func logMailError(log *slog.Logger, c config.Mail, err error) {
	server := c.Sendmail
	if c.Transport == "smtp" {
		server = fmt.Sprintf("%s:%d", c.Host, c.Port)
	}
	log.Error("mail not sent", "step", StepMail, "transport", c.Transport, "server", server,
		"to", strings.Join(c.To, ","), "cause", errCause(err), "hint", fault.Hint(err))
}

// errCause is the underlying error without the operation and server, which the log
// line carries apart.
func errCause(err error) string {
	var me *MailError
	if errors.As(err, &me) {
		return strings.TrimPrefix(err.Error(), me.Op+" "+me.Server+": ")
	}
	return err.Error()
}

func at(logs [][]byte, i int) []byte {
	if i < len(logs) {
		return logs[i]
	}
	return nil
}
