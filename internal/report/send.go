package report

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/tlsutil"
)

// MailError is a mail that could not be sent, or a mail server that `gardien check`
// could not log in to: what was tried, through which server, why, and what to check.
// It never holds the password: go-mail's errors quote the server's replies, not the
// credentials, and the log masks the password anyway.
type MailError struct {
	Op     string // "send", "login", "sendmail"
	Server string // host:port, or the sendmail command
	Err    error
	hint   string
}

func (e *MailError) Error() string { return e.Op + " " + e.Server + ": " + e.Err.Error() }
func (e *MailError) Unwrap() error { return e.Err }

// Hint says what to check, in the terms of the [mail] section.
func (e *MailError) Hint() string { return e.hint }

// Retryable says whether sending again may work: a refused or broken connection, a
// timeout, a temporary (4xx) reply. A refused password or recipient is not retried.
func (e *MailError) Retryable() bool {
	var se *mail.SendError
	if errors.As(e.Err, &se) {
		return se.IsTemp()
	}
	var tp *textproto.Error
	if errors.As(e.Err, &tp) {
		return tp.Code >= 400 && tp.Code < 500
	}
	if e.Op == "sendmail" || e.Op == "build" {
		return false
	}
	return fault.Retryable(e.Err)
}

// Send delivers m through the transport of c: the local MTA (`sendmail -t -i`) or an
// SMTP server (plain, STARTTLS or implicit TLS, with authentication). Transport "none"
// sends nothing.
func Send(ctx context.Context, c config.Mail, m *Message, version string) error {
	if c.Transport == "none" || c.Transport == "" {
		return nil
	}
	msg, err := BuildMessage(c, m, version)
	if err != nil {
		return &MailError{Op: "build", Server: "message", Err: err, hint: "check mail.from and mail.to: each must be a mail address"}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout(c))
	defer cancel()
	if c.Transport == "sendmail" {
		return sendmail(ctx, c, msg)
	}
	client, err := newClient(c)
	if err != nil {
		return mailError(c, "send", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return mailError(c, "send", err)
	}
	return nil
}

// CheckMail tests the transport without sending: it logs in to the SMTP server (TLS
// handshake and authentication included) and quits, or checks that the sendmail
// program is there. It returns what it saw, for `gardien check`.
func CheckMail(ctx context.Context, c config.Mail) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout(c))
	defer cancel()
	switch c.Transport {
	case "sendmail":
		st, err := os.Stat(c.Sendmail)
		if err == nil && (st.IsDir() || st.Mode().Perm()&0o111 == 0) {
			err = errors.New("not an executable file")
		}
		if err != nil {
			return "", &MailError{Op: "sendmail", Server: c.Sendmail, Err: err,
				hint: "install a local MTA (apt install postfix, or msmtp-mta), set mail.sendmail to its sendmail program, or use transport = \"smtp\""}
		}
		return c.Sendmail + " -t -i", nil
	case "smtp":
		client, err := newClient(c)
		if err != nil {
			return "", mailError(c, "login", err)
		}
		if err := client.DialWithContext(ctx); err != nil {
			return "", mailError(c, "login", err)
		}
		if err := client.Close(); err != nil {
			return "", mailError(c, "login", err)
		}
		detail := fmt.Sprintf("%s, security %s", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), c.Security)
		if c.Username != "" {
			detail += ", logged in as " + c.Username
		}
		return detail, nil
	}
	return "transport none: no mail is sent", nil
}

// BuildMessage puts a rendered message in MIME form with go-mail: the plain text with
// its HTML alternative, and the run's log attached. Headers say what the mail is to
// filters and auto-responders: X-Gardien-Status and Auto-Submitted.
func BuildMessage(c config.Mail, m *Message, version string) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(c.From); err != nil {
		return nil, fmt.Errorf("mail.from %q: %w", c.From, err)
	}
	if err := msg.To(c.To...); err != nil {
		return nil, fmt.Errorf("mail.to %q: %w", c.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetUserAgent("gardien " + version)
	msg.SetGenHeader("X-Gardien-Status", m.Outcome.String())
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	if m.Log != nil && m.LogName != "" {
		msg.AttachReadSeeker(m.LogName, bytes.NewReader(m.Log), mail.WithFileContentType(mail.ContentType("text/plain; charset=utf-8")))
	}
	return msg, nil
}

func timeout(c config.Mail) time.Duration {
	if t := c.Timeout.D(); t > 0 {
		return t
	}
	return time.Minute
}

// newClient configures go-mail's client from [mail]: implicit TLS (security = "tls",
// usually port 465), mandatory STARTTLS, or none; certificates verified against the
// system's authorities plus ca_file; authentication when a username is set, choosing
// CRAM-MD5, then PLAIN, then LOGIN among what the server offers. A password is never
// sent over a connection that is not encrypted, except to the local machine (go-mail
// refuses it, as net/smtp does).
func newClient(c config.Mail) (*mail.Client, error) {
	tc, err := tlsutil.Config(c.CAFile, c.Host)
	if err != nil {
		return nil, err
	}
	opts := []mail.Option{
		mail.WithPort(c.Port),
		mail.WithTimeout(timeout(c)),
		mail.WithTLSConfig(tc),
	}
	switch c.Security {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if c.Username != "" {
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthCramMD5, mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	return mail.NewClient(c.Host, opts...)
}

// sendmail hands the message to the local MTA: `sendmail -t -i` reads the recipients
// from the headers, and -i keeps a line holding a single dot from ending the message.
// The MTA queues the mail and answers at once; a non-zero exit or anything on stderr
// means it refused it.
func sendmail(ctx context.Context, c config.Mail, msg *mail.Msg) error {
	var in bytes.Buffer
	if _, err := msg.WriteTo(&in); err != nil {
		return &MailError{Op: "sendmail", Server: c.Sendmail, Err: err, hint: "the message could not be written; see the cause"}
	}
	cmd := exec.CommandContext(ctx, c.Sendmail, "-t", "-i")
	cmd.Stdin = &in
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	err := cmd.Run()
	out := strings.TrimSpace(stderr.String() + "\n" + stdout.String())
	if len(out) > 2000 {
		out = out[:2000] + "…"
	}
	switch {
	case err != nil && errors.Is(err, exec.ErrNotFound), err != nil && errors.Is(err, os.ErrNotExist):
		return &MailError{Op: "sendmail", Server: c.Sendmail, Err: err,
			hint: "no local MTA: install one (apt install postfix, or msmtp-mta), set mail.sendmail to its sendmail program, or use transport = \"smtp\""}
	case ctx.Err() != nil:
		return &MailError{Op: "sendmail", Server: c.Sendmail, Err: fmt.Errorf("%w (after %s)", ctx.Err(), timeout(c)),
			hint: "the local MTA did not take the message in time: check that it runs (systemctl status postfix) or raise mail.timeout"}
	case err != nil:
		if out != "" {
			err = fmt.Errorf("%w: %s", err, out)
		}
		return &MailError{Op: "sendmail", Server: c.Sendmail, Err: err,
			hint: "the local MTA refused the message: see its message above and its log (/var/log/mail.log, journalctl -u postfix)"}
	case stderr.Len() > 0:
		return &MailError{Op: "sendmail", Server: c.Sendmail, Err: fmt.Errorf("exit 0 but stderr says: %s", out),
			hint: "the local MTA complained: see its message above and its log (/var/log/mail.log, journalctl -u postfix)"}
	}
	return nil
}

// mailError wraps an SMTP error with the server and a hint in the terms of [mail].
func mailError(c config.Mail, op string, err error) error {
	server := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	return &MailError{Op: op, Server: server, Err: err, hint: smtpHint(c, err)}
}

func smtpHint(c config.Mail, err error) string {
	msg := err.Error()
	var tp *textproto.Error
	var se *mail.SendError
	var recErr tls.RecordHeaderError
	code := 0
	if errors.As(err, &tp) {
		code = tp.Code
	} else if errors.As(err, &se) {
		code = se.ErrorCode()
	}
	switch {
	case errors.Is(err, smtp.ErrUnencrypted):
		return "gardien never sends a password over an unencrypted connection: use security = \"starttls\" (port 587) or \"tls\" (port 465), or remove username if the server relays without authentication"
	case strings.Contains(msg, "SMTP AUTH failed") && (code == 535 || code == 534 || code == 530 || code == 454 || code == 0):
		return "the server refused the user name or password: check mail.username and mail.password (or password_file); some providers require an application password"
	case strings.Contains(msg, "does not support SMTP AUTH"):
		return "the server offers no authentication here: many offer it only after STARTTLS (security = \"starttls\"); or remove username if it relays without authentication"
	case strings.Contains(msg, "not supported") && strings.Contains(msg, "auth"), errors.Is(err, mail.ErrNoSupportedAuthDiscovered):
		return "the server offers no authentication method gardien knows (CRAM-MD5, PLAIN, LOGIN) on this connection: use security = \"starttls\" or \"tls\""
	case strings.Contains(msg, "does not support STARTTLS"):
		return "the server does not offer STARTTLS on this port: use security = \"tls\" on port 465, or security = \"none\" on a trusted network"
	case errors.As(err, &recErr), strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the server does not speak TLS at once on this port: security = \"tls\" is for port 465; use security = \"starttls\" for port 587 or 25"
	case (errors.Is(err, context.DeadlineExceeded) || isTimeout(err)) && c.Port == 465 && c.Security != "tls":
		return "port 465 expects TLS from the first byte: set security = \"tls\""
	case se != nil && (se.Reason == mail.ErrSMTPMailFrom):
		return "the server refused the sender: many servers accept only from = the account's own address (mail.from)"
	case se != nil && (se.Reason == mail.ErrSMTPRcptTo):
		return "the server refused a recipient: check mail.to, and that the server relays for this account"
	case code >= 500 && code < 600:
		return "the server refused the message: see its reply above"
	}
	return fault.Hint(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
