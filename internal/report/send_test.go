package report

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/testutil"
)

const (
	testUser = "gardien@example.org"
	testPass = "Tr0ub4dor&3-smtp"
)

func smtpConfig(s *testutil.SMTPServer, security, lang string) config.Mail {
	return config.Mail{
		Transport: "smtp", Host: "127.0.0.1", Port: s.Port, Security: security,
		Username: testUser, Password: testPass, CAFile: s.CAFile,
		Timeout: config.Duration(10 * time.Second),
		From:    "gardien@example.org", To: []string{"admin@example.org", "dsi@example.org"},
		Subject: config.DefaultSubject, SendOn: "always", Language: lang, AttachLog: true,
	}
}

// One mail through each kind of connection and each authentication, read back from
// the server and taken apart: subject, recipients, both bodies in the configured
// language, and the attached log.
func TestSendSMTP(t *testing.T) {
	scenarios := []struct {
		name, security, lang string
		mechs                []string
		wantMech             string
	}{
		{"none PLAIN fr", "none", "fr", []string{"PLAIN"}, "PLAIN"},
		{"starttls PLAIN en", "starttls", "en", []string{"PLAIN"}, "PLAIN"},
		{"starttls LOGIN fr", "starttls", "fr", []string{"LOGIN"}, "LOGIN"},
		{"tls PLAIN fr", "tls", "fr", []string{"PLAIN"}, "PLAIN"},
		{"tls LOGIN en", "tls", "en", []string{"LOGIN"}, "LOGIN"},
		{"tls CRAM-MD5 preferred", "tls", "en", []string{"LOGIN", "PLAIN", "CRAM-MD5"}, "CRAM-MD5"},
	}
	log := []byte("time=2026-11-22T02:00:04Z level=INFO msg=\"run started\" job=ocpizza-db run=7f3a\n== ocpizza-db run 7f3a ==\n")
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: sc.security, Mechs: sc.mechs, User: testUser, Pass: testPass})
			c := smtpConfig(srv, sc.security, sc.lang)
			m, err := RenderMail([]*Result{fixtures()["failure"]}, c, MailInfo{Host: "backup01", Version: "test", LogName: "gardien-7f3a.log"})
			if err != nil {
				t.Fatal(err)
			}
			m.Log = log
			if err := Send(context.Background(), c, m, "test"); err != nil {
				t.Fatalf("send: %v (hint: %s)", err, fault.Hint(err))
			}
			if got := srv.Mechanisms(); !slices.Equal(got, []string{sc.wantMech}) {
				t.Errorf("authenticated with %v, want %s", got, sc.wantMech)
			}
			got := srv.Received()
			if len(got) != 1 {
				t.Fatalf("the server received %d messages", len(got))
			}
			if got[0].From != "gardien@example.org" || !slices.Equal(got[0].To, []string{"admin@example.org", "dsi@example.org"}) {
				t.Errorf("envelope from %q to %v", got[0].From, got[0].To)
			}
			pm := testutil.ParseMail(t, got[0].Data)
			checkReport(t, pm, sc.lang)
			if string(pm.Attachments["gardien-7f3a.log"]) != string(log) {
				t.Errorf("attachment = %q, want the run's log %q (attachments: %v)", pm.Attachments["gardien-7f3a.log"], log, keys(pm.Attachments))
			}
			if bytes.Contains(got[0].Data, []byte(testPass)) {
				t.Error("the message holds the password")
			}
		})
	}
}

// checkReport checks a received report of the "failure" fixture.
func checkReport(t *testing.T, pm *testutil.ParsedMail, lang string) {
	t.Helper()
	want := map[string]struct{ subject, text, html string }{
		"fr": {"[gardien] FAILURE ocpizza-db 22/11/2026 – transfert (nas)", "ÉCHEC     transfert ", "la tâche ocpizza-db a échoué"},
		"en": {"[gardien] FAILURE ocpizza-db 2026-11-22 – transfer done (nas)", "FAILED  transfer done", "the job ocpizza-db failed"},
	}[lang]
	if pm.Subject != want.subject {
		t.Errorf("subject %q, want %q", pm.Subject, want.subject)
	}
	if to := pm.Header.Get("To"); !strings.Contains(to, "admin@example.org") || !strings.Contains(to, "dsi@example.org") {
		t.Errorf("To: %q", to)
	}
	if pm.Header.Get("X-Gardien-Status") != "FAILURE" || pm.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("headers: %v", pm.Header)
	}
	if !strings.Contains(pm.Text, want.text) || !strings.Contains(pm.Text, "no space left on device") {
		t.Errorf("text part lacks %q:\n%s", want.text, pm.Text)
	}
	if !strings.Contains(pm.HTML, want.html) || !strings.Contains(pm.HTML, "<table") {
		t.Errorf("HTML part lacks %q:\n%s", want.html, pm.HTML)
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// A mail that cannot be sent says why and what to check, and never shows the password.
func TestSendSMTPErrors(t *testing.T) {
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	downPort := down.Addr().(*net.TCPAddr).Port
	down.Close()

	scenarios := []struct {
		name     string
		server   *testutil.SMTPOptions // nil: nothing listens
		security string
		edit     func(*config.Mail)
		cause    string
		hint     string
	}{
		{"wrong password", &testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: testUser, Pass: "another"}, "starttls", nil,
			"535", "refused the user name or password"},
		{"wrong password LOGIN", &testutil.SMTPOptions{Security: "tls", Mechs: []string{"LOGIN"}, User: testUser, Pass: "another"}, "tls", nil,
			"535", "refused the user name or password"},
		{"server down", nil, "starttls", func(c *config.Mail) { c.Port = downPort },
			"connection refused", "nothing listens on that port"},
		{"implicit TLS against a plain port", &testutil.SMTPOptions{Security: "starttls"}, "tls", nil,
			"", "does not speak TLS at once"},
		{"STARTTLS not offered", &testutil.SMTPOptions{Security: "none"}, "starttls", nil,
			"STARTTLS", "does not offer STARTTLS"},
		{"untrusted certificate", &testutil.SMTPOptions{Security: "tls", Mechs: []string{"PLAIN"}, User: testUser, Pass: testPass}, "tls", func(c *config.Mail) { c.CAFile = "" },
			"certificate", "set ca_file"},
		{"no password in clear to another machine", &testutil.SMTPOptions{Security: "none", Mechs: []string{"PLAIN", "LOGIN"}, User: testUser, Pass: testPass, Addr: "127.0.0.2:0"}, "none",
			func(c *config.Mail) { c.Host = "127.0.0.2" }, "unencrypted", "never sends a password over an unencrypted connection"},
		{"no AUTH offered", &testutil.SMTPOptions{Security: "starttls"}, "starttls", nil,
			"AUTH", "offers no authentication"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := &testutil.SMTPServer{}
			if sc.server != nil {
				srv = testutil.NewSMTPServer(t, *sc.server)
			}
			c := smtpConfig(srv, sc.security, "en")
			c.Timeout = config.Duration(3 * time.Second)
			if sc.edit != nil {
				sc.edit(&c)
			}
			m := RenderTestMail(c, MailInfo{Host: "backup01"})
			err := Send(context.Background(), c, m, "test")
			if err == nil {
				t.Fatal("sent")
			}
			t.Logf("%v\nhint: %s", err, fault.Hint(err))
			var me *MailError
			if !errors.As(err, &me) {
				t.Fatalf("%T is not a *MailError: %v", err, err)
			}
			if !strings.Contains(err.Error(), sc.cause) || !strings.Contains(err.Error(), "127.0.0.") {
				t.Errorf("error %q lacks %q and the server", err, sc.cause)
			}
			if h := fault.Hint(err); !strings.Contains(h, sc.hint) {
				t.Errorf("hint %q lacks %q (error: %v)", h, sc.hint, err)
			}
			if strings.Contains(err.Error(), testPass) || strings.Contains(fault.Hint(err), testPass) {
				t.Error("the error shows the password")
			}
			if sc.server != nil && len(srv.Received()) != 0 {
				t.Error("a message was delivered")
			}
		})
	}
}

// gardien check logs in without sending anything.
func TestCheckMailLogsIn(t *testing.T) {
	srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: testUser, Pass: testPass})
	c := smtpConfig(srv, "starttls", "fr")
	detail, err := CheckMail(context.Background(), c)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if !strings.Contains(detail, "logged in as "+testUser) || len(srv.Mechanisms()) != 1 || len(srv.Received()) != 0 {
		t.Errorf("detail %q, auth %v, received %d", detail, srv.Mechanisms(), len(srv.Received()))
	}
	c.Password = "wrong"
	if _, err := CheckMail(context.Background(), c); err == nil || !strings.Contains(fault.Hint(err), "password") {
		t.Errorf("wrong password: %v", err)
	}
	c.Transport, c.Sendmail = "sendmail", filepath.Join(t.TempDir(), "nope")
	if _, err := CheckMail(context.Background(), c); err == nil || !strings.Contains(fault.Hint(err), "local MTA") {
		t.Errorf("missing sendmail: %v", err)
	}
}

// The mailer sends one mail per run, or one per job; send_on decides whether to send;
// a mail that cannot be sent is logged with its step, cause and hint.
func TestMailerReport(t *testing.T) {
	fx := fixtures()
	second := *fx["success"]
	second.Job, second.Run = "odoo-media", "c0de"
	results := []*Result{&second, fx["failure"]}
	logs := [][]byte{[]byte("odoo-media lines\n"), []byte("ocpizza-db lines\n")}

	scenarios := []struct {
		name    string
		edit    func(*config.Mail)
		results []*Result
		want    []string // subjects received, in order
		attach  [][]string
	}{
		{"one mail for the run", nil, results,
			[]string{"[gardien] FAILURE odoo-media, ocpizza-db 2026-11-22 – ocpizza-db: transfer done (nas)"},
			[][]string{{"gardien-20261122-020004.log", "odoo-media lines\nocpizza-db lines\n"}}},
		{"one mail per job", func(c *config.Mail) { c.PerJob = true }, results,
			[]string{"[gardien] SUCCESS odoo-media 2026-11-22", "[gardien] FAILURE ocpizza-db 2026-11-22 – transfer done (nas)"},
			[][]string{{"gardien-odoo-media-c0de.log", "odoo-media lines\n"}, {"gardien-ocpizza-db-7f3a.log", "ocpizza-db lines\n"}}},
		{"send_on failure skips a success", func(c *config.Mail) { c.PerJob, c.SendOn = true, "failure" }, results,
			[]string{"[gardien] FAILURE ocpizza-db 2026-11-22 – transfer done (nas)"}, nil},
		{"send_on failure includes warnings", func(c *config.Mail) { c.SendOn = "failure" }, []*Result{fx["warning"]},
			[]string{"[gardien] WARNING ocpizza-db 2026-11-22 – retention applied (cloud)"}, nil},
		{"send_on never", func(c *config.Mail) { c.SendOn = "never" }, results, nil, nil},
		{"no attachment", func(c *config.Mail) { c.AttachLog = false }, []*Result{fx["success"]},
			[]string{"[gardien] SUCCESS ocpizza-db 2026-11-22"}, [][]string{{}}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: testUser, Pass: testPass})
			c := smtpConfig(srv, "starttls", "en")
			if sc.edit != nil {
				sc.edit(&c)
			}
			var logBuf bytes.Buffer
			m := &Mailer{Config: c, Host: "backup01", Version: "test", Log: slog.New(slog.NewTextHandler(&logBuf, nil))}
			if err := m.Report(context.Background(), sc.results, logs); err != nil {
				t.Fatal(err)
			}
			got := srv.Received()
			var subjects []string
			for i, r := range got {
				pm := testutil.ParseMail(t, r.Data)
				subjects = append(subjects, pm.Subject)
				if i < len(sc.attach) {
					a := sc.attach[i]
					if len(a) == 0 && len(pm.Attachments) != 0 {
						t.Errorf("mail %d has attachments %v", i, keys(pm.Attachments))
					}
					if len(a) == 2 && string(pm.Attachments[a[0]]) != a[1] {
						t.Errorf("mail %d: attachment %s = %q, want %q (have %v)", i, a[0], pm.Attachments[a[0]], a[1], keys(pm.Attachments))
					}
				}
			}
			if !slices.Equal(subjects, sc.want) {
				t.Errorf("subjects %q\nwant     %q", subjects, sc.want)
			}
			if len(sc.want) > 0 && !strings.Contains(logBuf.String(), `msg="mail sent" job=`) {
				t.Errorf("no log line for the mail:\n%s", logBuf.String())
			}
		})
	}
}

func TestMailerReportFailure(t *testing.T) {
	srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: testUser, Pass: "not-this-one"})
	c := smtpConfig(srv, "starttls", "fr")
	var logBuf bytes.Buffer
	m := &Mailer{Config: c, Host: "backup01", Version: "test", Log: slog.New(slog.NewTextHandler(&logBuf, nil))}
	err := m.Report(context.Background(), []*Result{fixtures()["success"]}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	line := logBuf.String()
	for _, want := range []string{`level=ERROR msg="mail not sent"`, `step=mail`, "job=ocpizza-db", "run=7f3a", "server=127.0.0.1:", "cause=", `hint="the server refused the user name or password`} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %s:\n%s", want, line)
		}
	}
	if strings.Contains(line, testPass) {
		t.Error("the log shows the password")
	}
}

// The sendmail transport pipes the message to `sendmail -t -i` and reports its exit
// code and stderr. (The integration suite delivers through a real Postfix.)
func TestSendmailFake(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ok := writeScript(t, dir, "sendmail-ok", `echo "$@" > `+out+`.args; cat > `+out)
	refuse := writeScript(t, dir, "sendmail-refuse", `cat >/dev/null; echo "sendmail: fatal: No recipient addresses found in message header" >&2; exit 75`)
	c := config.Mail{Transport: "sendmail", Sendmail: ok, From: "gardien@example.org", To: []string{"root@localhost"},
		Subject: config.DefaultSubject, Language: "fr", Timeout: config.Duration(10 * time.Second)}
	m, err := RenderMail([]*Result{fixtures()["warning"]}, c, MailInfo{Host: "backup01", LogName: "run.log"})
	if err != nil {
		t.Fatal(err)
	}
	m.Log = []byte("the log\n")
	if err := Send(context.Background(), c, m, "test"); err != nil {
		t.Fatalf("send: %v", err)
	}
	args, _ := os.ReadFile(out + ".args")
	if strings.TrimSpace(string(args)) != "-t -i" {
		t.Errorf("sendmail called with %q, want -t -i", args)
	}
	data, _ := os.ReadFile(out)
	if !bytes.Contains(data, []byte(`Content-Type: text/plain; charset=utf-8; name="run.log"`)) {
		t.Errorf("the attached log does not say it is UTF-8 (its … and · would be garbled):\n%s", data)
	}
	pm := testutil.ParseMail(t, data)
	if pm.Subject != "[gardien] WARNING ocpizza-db 22/11/2026 – épuration (cloud)" || !strings.Contains(pm.Text, "vraisemblance de la taille") ||
		string(pm.Attachments["run.log"]) != "the log\n" || pm.Header.Get("To") != "<root@localhost>" {
		t.Errorf("subject %q, To %q, attachments %v, text:\n%s", pm.Subject, pm.Header.Get("To"), keys(pm.Attachments), pm.Text)
	}

	c.Sendmail = refuse
	err = Send(context.Background(), c, m, "test")
	if err == nil || !strings.Contains(err.Error(), "exit status 75") || !strings.Contains(err.Error(), "No recipient addresses") ||
		!strings.Contains(fault.Hint(err), "local MTA refused") {
		t.Errorf("refusing sendmail: %v (hint %q)", err, fault.Hint(err))
	}
	c.Sendmail = filepath.Join(dir, "missing")
	if err := Send(context.Background(), c, m, "test"); err == nil || !strings.Contains(fault.Hint(err), "install one") {
		t.Errorf("missing sendmail: %v (hint %q)", err, fault.Hint(err))
	}
}

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShouldSend(t *testing.T) {
	for _, sc := range []struct {
		on   string
		o    Outcome
		want bool
	}{
		{"always", Success, true}, {"always", Failure, true},
		{"failure", Success, false}, {"failure", Warned, true}, {"failure", Failure, true},
		{"never", Failure, false},
	} {
		if got := ShouldSend(sc.on, sc.o); got != sc.want {
			t.Errorf("ShouldSend(%q, %s) = %v", sc.on, sc.o, got)
		}
	}
}

// A refused connection is retried (and the log says so); a refused password is not.
func TestMailerRetries(t *testing.T) {
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	port := down.Addr().(*net.TCPAddr).Port
	down.Close()
	c := smtpConfig(&testutil.SMTPServer{Port: port}, "starttls", "en")
	var logBuf bytes.Buffer
	m := &Mailer{Config: c, Host: "backup01", Log: slog.New(slog.NewTextHandler(&logBuf, nil)), RetryWait: 10 * time.Millisecond}
	err := m.Report(context.Background(), []*Result{fixtures()["success"]}, nil)
	if err == nil || !strings.Contains(err.Error(), "after 3 attempts") || strings.Count(logBuf.String(), "msg=retrying") != 2 {
		t.Errorf("server down: %v\n%s", err, logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "connection refused (after 3 attempts)") {
		t.Errorf("the log does not say how many attempts:\n%s", logBuf.String())
	}

	srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: testUser, Pass: "other"})
	logBuf.Reset()
	m.Config = smtpConfig(srv, "starttls", "en")
	if err := m.Report(context.Background(), []*Result{fixtures()["success"]}, nil); err == nil || strings.Contains(logBuf.String(), "retrying") {
		t.Errorf("wrong password retried: %v\n%s", err, logBuf.String())
	}
}
