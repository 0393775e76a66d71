//go:build integration

package report

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/testutil"
)

// The integration suite delivers real mail through the Postfix that
// scripts/integration-servers.sh (scripts/it.d/postfix.sh) installs for local delivery
// only, and reads it back from the local mailbox. Run it with `make integration`; with
// GARDIEN_IT=1 a missing server fails instead of skipping.

func mailToken(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "it-" + hex.EncodeToString(b)
}

// readMailbox waits until the mbox at path holds a message whose subject contains tok,
// and returns that message (without mbox's "From " envelope line).
func readMailbox(t *testing.T, path, tok string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("read the mailbox: %v (the integration suite runs as root)", err)
		}
		for _, m := range bytes.Split(data, []byte("\nFrom ")) {
			if !bytes.Contains(m, []byte(tok)) {
				continue
			}
			if i := bytes.IndexByte(m, '\n'); i >= 0 && (bytes.HasPrefix(m, []byte("From ")) || !bytes.Contains(m[:i], []byte(":"))) {
				m = m[i+1:] // the envelope line
			}
			if complete(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message with %s in %s after 30s; see the Postfix log in $GARDIEN_IT_DIR/postfix/maillog", tok, path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// complete reports whether the local delivery agent has finished appending m: its
// closing MIME boundary is there.
func complete(m []byte) bool {
	msg, err := mail.ReadMessage(bytes.NewReader(m))
	if err != nil {
		return false
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return false
	}
	return bytes.Contains(m, []byte("--"+params["boundary"]+"--"))
}

// gardien's sendmail transport hands the report to the real local MTA, which delivers
// it to a local mailbox: subject, both bodies in French and the attached log survive.
func TestIntegrationPostfixSendmail(t *testing.T) {
	env := testutil.ITVars(t, "GARDIEN_IT_SENDMAIL", "GARDIEN_IT_MAIL_TO", "GARDIEN_IT_MAILBOX")
	tok := mailToken(t)
	c := config.Mail{
		Transport: "sendmail", Sendmail: env["GARDIEN_IT_SENDMAIL"], Timeout: config.Duration(30 * time.Second),
		From: "gardien@localhost", To: []string{env["GARDIEN_IT_MAIL_TO"]},
		Subject: "[gardien] {status} {job} {date} " + tok, SendOn: "always", Language: "fr", AttachLog: true,
	}
	runLog := []byte("time=2026-11-22T02:00:04Z level=INFO msg=\"run started\" job=ocpizza-db run=b21c " + tok + "\n")
	var logBuf bytes.Buffer
	m := &Mailer{Config: c, Host: "backup01", Version: "it", Log: slog.New(slog.NewTextHandler(&logBuf, nil))}
	if err := m.Report(context.Background(), []*Result{fixtures()["warning"]}, [][]byte{runLog}); err != nil {
		t.Fatalf("report: %v\n%s", err, logBuf.String())
	}
	pm := testutil.ParseMail(t, readMailbox(t, env["GARDIEN_IT_MAILBOX"], tok))
	if want := "[gardien] WARNING ocpizza-db 22/11/2026 " + tok + " – épuration (cloud)"; pm.Subject != want {
		t.Errorf("subject %q, want %q", pm.Subject, want)
	}
	if !strings.Contains(pm.Header.Get("To"), env["GARDIEN_IT_MAIL_TO"]) || pm.Header.Get("X-Gardien-Status") != "WARNING" {
		t.Errorf("headers %v", pm.Header)
	}
	if !strings.Contains(pm.Text, "ÉCHEC     épuration") || !strings.Contains(pm.Text, "NON supprimé 20261022.tgz sur cloud") {
		t.Errorf("text part:\n%s", pm.Text)
	}
	if !strings.Contains(pm.HTML, "la tâche ocpizza-db s&#39;est terminée avec des avertissements") {
		t.Errorf("HTML part:\n%s", pm.HTML)
	}
	if got := string(pm.Attachments["gardien-20261122-020004.log"]); got != string(runLog) {
		t.Errorf("attachment %q, want %q (attachments %v)", got, runLog, keys(pm.Attachments))
	}
}

// The smtp transport with STARTTLS against the same real Postfix (smtpd on
// 127.0.0.1:25, its certificate trusted through ca_file; no authentication).
func TestIntegrationPostfixSMTP(t *testing.T) {
	env := testutil.ITVars(t, "GARDIEN_IT_SMTP_ADDR", "GARDIEN_IT_SMTP_CA", "GARDIEN_IT_MAIL_TO", "GARDIEN_IT_MAILBOX")
	host, port, err := net.SplitHostPort(env["GARDIEN_IT_SMTP_ADDR"])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	tok := mailToken(t)
	c := config.Mail{
		Transport: "smtp", Host: host, Port: p, Security: "starttls", CAFile: env["GARDIEN_IT_SMTP_CA"],
		Timeout: config.Duration(30 * time.Second), From: "gardien@localhost", To: []string{env["GARDIEN_IT_MAIL_TO"]},
		Subject: "[gardien] {status} {job} " + tok, Language: "en", AttachLog: true,
	}
	if _, err := CheckMail(context.Background(), c); err != nil {
		t.Fatalf("check: %v", err)
	}
	m, err := RenderMail([]*Result{fixtures()["failure"]}, c, MailInfo{Host: "backup01", Version: "it", LogName: "run.log"})
	if err != nil {
		t.Fatal(err)
	}
	m.Log = []byte("the run's log " + tok + "\n")
	if err := Send(context.Background(), c, m, "it"); err != nil {
		t.Fatalf("send: %v", err)
	}
	pm := testutil.ParseMail(t, readMailbox(t, env["GARDIEN_IT_MAILBOX"], tok))
	if want := "[gardien] FAILURE ocpizza-db " + tok + " – transfer done (nas)"; pm.Subject != want {
		t.Errorf("subject %q, want %q", pm.Subject, want)
	}
	if !strings.Contains(pm.Text, "FAILED  transfer done") || !strings.Contains(pm.HTML, "no space left on device") ||
		string(pm.Attachments["run.log"]) != string(m.Log) {
		t.Errorf("text:\n%s\nattachments %v", pm.Text, keys(pm.Attachments))
	}
	if recv := strings.Join(pm.Header["Received"], "\n"); !strings.Contains(recv, "SMTPS id") { // ESMTPS, or UTF8SMTPS with SMTPUTF8
		t.Errorf("the mail did not travel over TLS: Received: %s", recv)
	}
}
