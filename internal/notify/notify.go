// Package notify pings URLs at the start and the end of a run, so that an outside
// monitor (healthchecks.io, Uptime Kuma's push monitors, any GET/POST endpoint) notices
// a run that failed, and above all a run that never happened: a silent cron is the
// worst failure.
//
// A ping that fails is logged as a warning; it never changes a job's result.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/tlsutil"
)

// Event is the moment of a run a ping tells about.
type Event string

const (
	Start   Event = "START"
	Success Event = "SUCCESS"
	Warning Event = "WARNING"
	Failure Event = "FAILURE"
)

// MaxBody bounds the body of a POST: healthchecks.io keeps the first 100 kB.
const MaxBody = 100_000

// attempts is how many times a ping is tried when the error is transient.
const attempts = 3

// Notifier pings the URLs of [notify].
type Notifier struct {
	cfg    config.Notify
	host   string
	client *http.Client
	log    *slog.Logger
	wait   time.Duration // before the first retry, doubled at each; tests shorten it
}

// New returns a notifier for c; host fills {host} in the URLs.
func New(c config.Notify, host string, log *slog.Logger) (*Notifier, error) {
	tc, err := tlsutil.Config(c.CAFile, "")
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &Notifier{cfg: c, host: host, log: log, client: &http.Client{Transport: tr, Timeout: c.Timeout.D()}, wait: time.Second}, nil
}

// WithLog returns a copy of n that logs to l (a logger carrying job= and run=).
func (n *Notifier) WithLog(l *slog.Logger) *Notifier {
	if n == nil {
		return nil
	}
	c := *n
	c.log = l
	return &c
}

// URL returns the URL configured for ev, "" when none: a warning uses the success
// URL unless warning is set.
func (n *Notifier) URL(ev Event) string {
	switch ev {
	case Start:
		return n.cfg.Start
	case Success:
		return n.cfg.Success
	case Warning:
		if n.cfg.Warning != "" {
			return n.cfg.Warning
		}
		return n.cfg.Success
	case Failure:
		return n.cfg.Failure
	}
	return ""
}

// Ping calls the URL of ev, if one is configured: a GET, or with method = "POST" a
// POST whose text body is the status and then summary. {status} and {host} in the URL
// are replaced (URL-escaped), for endpoints such as Uptime Kuma's
// ".../api/push/TOKEN?status=up&msg={status}". Transient errors are retried. A
// failure is logged as a warning with step="notify", cause and hint, and returned.
func (n *Notifier) Ping(ctx context.Context, ev Event, summary string) error {
	if n == nil {
		return nil
	}
	raw := n.URL(ev)
	if raw == "" {
		return nil
	}
	u := strings.NewReplacer("{status}", url.QueryEscape(string(ev)), "{host}", url.QueryEscape(n.host)).Replace(raw)
	body := ""
	if n.cfg.Method == "POST" {
		body = string(ev) + "\n"
		if summary != "" {
			body += "\n" + summary
		}
		if len(body) > MaxBody {
			body = body[:MaxBody]
		}
	}
	log := n.log.With("step", "notify", "event", string(ev), "url", Redact(raw))
	err := n.retry(ctx, log, func() error { return n.do(ctx, u, body) })
	if err != nil {
		err = &Error{Event: ev, URL: Redact(raw), Err: err}
		log.Warn("ping failed", "cause", errors.Unwrap(err).Error(), "hint", fault.Hint(err))
		return err
	}
	log.Info("pinged")
	return nil
}

// retry tries fn up to attempts times while its error is transient (fault.Retryable),
// waiting n.wait, then twice as long, between tries.
func (n *Notifier) retry(ctx context.Context, log *slog.Logger, fn func() error) error {
	wait := n.wait
	for i := 1; ; i++ {
		err := fn()
		if err == nil || i >= attempts || !fault.Retryable(err) || ctx.Err() != nil {
			if err != nil && i > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, i)
			}
			return err
		}
		log.Warn("retrying", "attempt", i+1, "of", attempts, "in", wait, "cause", err.Error())
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (n *Notifier) do(ctx context.Context, u, body string) error {
	method := http.MethodGet
	var rd io.Reader
	if n.cfg.Method == "POST" {
		method, rd = http.MethodPost, strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fault.Permanent(redactErr(err))
	}
	req.Header.Set("User-Agent", "gardien")
	if rd != nil {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return redactErr(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return &statusError{code: resp.StatusCode, status: resp.Status}
	}
	return nil
}

// Error is a ping that failed.
type Error struct {
	Event Event
	URL   string // redacted
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("ping %s %s: %v", strings.ToLower(string(e.Event)), e.URL, e.Err)
}
func (e *Error) Unwrap() error { return e.Err }

type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string   { return "HTTP " + e.status }
func (e *statusError) Retryable() bool { return e.code >= 500 || e.code == http.StatusTooManyRequests }
func (e *statusError) Hint() string {
	switch {
	case e.code == http.StatusNotFound:
		return "the monitoring service does not know this URL: check the check's UUID or push token in [notify]"
	case e.code == http.StatusUnauthorized || e.code == http.StatusForbidden:
		return "the monitoring service refused the ping: check the URL's token in [notify]"
	case e.code >= 500:
		return "the monitoring service is in trouble: it will report the missing ping itself"
	}
	return "the monitoring service refused the ping: check the URL in [notify]"
}

// Redact shortens a ping URL for the log: its path and query hold the check's secret
// token (a healthchecks.io UUID, an Uptime Kuma push token).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid url)"
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

// redactErr keeps the URL's secret out of net/http's errors ("Get "https://…": …").
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = Redact(ue.URL)
	}
	return err
}
