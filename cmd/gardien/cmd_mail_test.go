package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gardien/gardien/internal/testutil"
)

const mailPass = "M41l-Pass-Never-Shown"

// appendConfig adds sections at the end of a configuration written by writeConfig.
func appendConfig(t *testing.T, cfg, text string) {
	t.Helper()
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + text); err != nil {
		t.Fatal(err)
	}
}

func mailSection(port int, caFile, lang string) string {
	return `[mail]
transport = "smtp"
host = "127.0.0.1"
port = ` + strconv.Itoa(port) + `
security = "starttls"
ca_file = "` + caFile + `"
username = "gardien@example.org"
password = "` + mailPass + `"
from = "gardien@example.org"
to = ["admin@example.org"]
attach_log = true
language = "` + lang + `"
timeout = "5s"
`
}

// gardien run sends one mail with the summary and, attached, only that run's log.
func TestRunSendsMail(t *testing.T) {
	srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: "gardien@example.org", Pass: mailPass})
	cfg, _, logPath, _ := writeConfig(t, "")
	appendConfig(t, cfg, mailSection(srv.Port, srv.CAFile, "en"))

	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 3 {
		t.Fatalf("second run (unchanged dump): exit %d\n%s%s", code, out, errOut)
	}
	got := srv.Received()
	if len(got) != 2 {
		t.Fatalf("%d mails", len(got))
	}
	first, second := testutil.ParseMail(t, got[0].Data), testutil.ParseMail(t, got[1].Data)
	if !strings.HasPrefix(first.Subject, "[gardien] SUCCESS db ") || !strings.HasPrefix(second.Subject, "[gardien] WARNING db ") {
		t.Errorf("subjects %q, %q", first.Subject, second.Subject)
	}
	if !strings.Contains(second.Subject, "dump unchanged") || !strings.Contains(second.Text, "== db run ") || !strings.Contains(second.HTML, "<table") {
		t.Errorf("second mail:\n%s\n%s", second.Subject, second.Text)
	}
	var firstLog, secondLog string
	for _, b := range first.Attachments {
		firstLog = string(b)
	}
	for _, b := range second.Attachments {
		secondLog = string(b)
	}
	run1 := runID(t, firstLog)
	if !strings.Contains(firstLog, "job=db") || !strings.Contains(firstLog, "== db run "+run1) {
		t.Errorf("first attachment:\n%s", firstLog)
	}
	if run2 := runID(t, secondLog); run2 == run1 || strings.Contains(secondLog, "run="+run1) {
		t.Errorf("the second mail's log holds the first run's lines:\n%s", secondLog)
	}
	logText, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logText), `msg="mail sent"`) || strings.Contains(string(logText), mailPass) {
		t.Errorf("log:\n%s", logText)
	}
}

func runID(t *testing.T, log string) string {
	t.Helper()
	_, rest, ok := strings.Cut(log, " run=")
	if !ok {
		t.Fatalf("no run= in %q", log)
	}
	id, _, _ := strings.Cut(rest, " ")
	return strings.TrimSpace(id)
}

// A mail that cannot be sent makes the exit code 3, never hides a failed job (1), and
// says why without showing the password. (A server that is down is retried, which
// internal/report's tests cover with short waits.)
func TestMailFailureExitCode(t *testing.T) {
	srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: "gardien@example.org", Pass: "another-password"})
	cfg, _, logPath, src := writeConfig(t, "")
	appendConfig(t, cfg, mailSection(srv.Port, srv.CAFile, "en"))

	code, out, errOut := gardien(t, "--config", cfg, "run")
	if code != 3 {
		t.Fatalf("successful job, mail refused: exit %d, want 3\n%s%s", code, out, errOut)
	}
	for _, want := range []string{`msg="mail not sent"`, `step=mail`, "535", `hint="the server refused the user name or password`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %s:\n%s", want, errOut)
		}
	}
	src.Fail(404)
	if code, _, _ := gardien(t, "--config", cfg, "run"); code != 1 {
		t.Errorf("failed job, mail refused: exit %d, want 1", code)
	}
	logText, _ := os.ReadFile(logPath)
	if strings.Contains(string(logText)+errOut+out, mailPass) {
		t.Error("the password appears")
	}
	if len(srv.Received()) != 0 {
		t.Error("a mail was delivered")
	}
}

// [notify] pings at the start and the end; a ping that fails is a warning (exit 3).
func TestNotifyPings(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	status := http.StatusOK
	mon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits = append(hits, r.Method+" "+r.URL.Path)
		w.WriteHeader(status)
	}))
	defer mon.Close()
	cfg, _, _, src := writeConfig(t, "")
	appendConfig(t, cfg, `[notify]
start = "`+mon.URL+`/uuid/start"
success = "`+mon.URL+`/uuid"
failure = "`+mon.URL+`/uuid/fail"
timeout = "2s"
`)
	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	src.Fail(500)
	gardien(t, "--config", cfg, "run")
	mu.Lock()
	got := strings.Join(hits, ", ")
	status = http.StatusNotFound
	mu.Unlock()
	if want := "GET /uuid/start, GET /uuid, GET /uuid/start, GET /uuid/fail"; got != want {
		t.Errorf("pings: %s\nwant   %s", got, want)
	}
	src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": []byte("new content")}))
	if code, _, errOut := gardien(t, "--config", cfg, "run"); code != 3 || !strings.Contains(errOut, `msg="ping failed"`) {
		t.Errorf("refused ping: exit %d, want 3\n%s", code, errOut)
	}
}

// gardien check logs in to the SMTP server without sending; --send-test-mail sends one.
func TestCheckMail(t *testing.T) {
	srv := testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"LOGIN"}, User: "gardien@example.org", Pass: mailPass})
	cfg, _, _, _ := writeConfig(t, "")
	appendConfig(t, cfg, mailSection(srv.Port, srv.CAFile, "fr"))
	code, out, errOut := gardien(t, "--config", cfg, "check")
	if code != 0 || !strings.Contains(out, "mail server reachable") || !strings.Contains(out, "logged in as gardien@example.org") {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(srv.Received()); n != 0 || len(srv.Mechanisms()) != 1 {
		t.Errorf("check sent %d mails, logged in %v", n, srv.Mechanisms())
	}
	code, out, errOut = gardien(t, "--config", cfg, "check", "--send-test-mail")
	if code != 0 || !strings.Contains(out, "test mail sent") {
		t.Fatalf("check --send-test-mail: exit %d\n%s%s", code, out, errOut)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	if m := testutil.ParseMail(t, got[0].Data); !strings.HasPrefix(m.Subject, "[gardien] mail de test depuis ") || !strings.Contains(m.Text, "fonctionnent") {
		t.Errorf("test mail %q:\n%s", m.Subject, m.Text)
	}
	// A wrong password is a failed check (exit 1) with a hint.
	bad := strings.Replace(readFile(t, cfg), mailPass, "wrong-password", 1)
	os.WriteFile(cfg, []byte(bad), 0o600)
	code, out, _ = gardien(t, "--config", cfg, "check")
	if code != 1 || !strings.Contains(out, "FAILED  mail server reachable") || !strings.Contains(out, "user name or password") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
