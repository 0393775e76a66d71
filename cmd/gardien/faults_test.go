package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gardien/gardien/internal/sftpd"
	"github.com/gardien/gardien/internal/testutil"
)

// Fault scenarios: each breaks something on purpose and checks what a technician
// would look at the next morning: the exit code, the failed step with its cause and
// hint in the log, the FAILURE mail, that no file passes for tonight's archive, that
// the earlier archives are intact, and that no password or token was printed
// anywhere. The same harness drives the real daemons in faults_integration_test.go.

// faultSetup is the world of one fault scenario: an HTTPS source that is sent a
// password, a token in its URL and a bearer token in a header, and a mail server
// that takes a password. Every secret is random, so that finding none is meaningful.
type faultSetup struct {
	dir     string
	src     *testutil.ZipServer
	smtp    *testutil.SMTPServer
	logPath string
	// secrets are every password and token of the configuration.
	secrets []string
	// srcPass, srcToken, urlToken and mailPass are the source's and the mail's.
	srcPass, srcToken, urlToken, mailPass string
}

// secret returns a random secret that says what it is.
func secret(what string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return what + "-" + hex.EncodeToString(b)
}

// newFaultSetup serves dump (zipped) and starts the mail server. The bearer token
// reaches the configuration through ${GARDIEN_FAULT_TOKEN}, as a technician would
// keep it out of the file.
func newFaultSetup(t *testing.T, dump []byte) *faultSetup {
	t.Helper()
	s := &faultSetup{dir: t.TempDir(), srcPass: secret("SrcPass"), srcToken: secret("BearerTok"), urlToken: secret("UrlTok"), mailPass: secret("MailPass")}
	s.secrets = []string{s.srcPass, s.srcToken, s.urlToken, s.mailPass}
	t.Setenv("GARDIEN_FAULT_TOKEN", s.srcToken)
	s.src = testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump}))
	s.smtp = testutil.NewSMTPServer(t, testutil.SMTPOptions{Security: "starttls", Mechs: []string{"PLAIN"}, User: "gardien@example.org", Pass: s.mailPass})
	s.logPath = filepath.Join(s.dir, "gardien.log")
	return s
}

// addSecret records one more secret of the configuration (a destination's password).
func (s *faultSetup) addSecret(v string) { s.secrets = append(s.secrets, v) }

// config writes the configuration of job "db": the source (with extra lines; it is
// not retried unless they say so), the destination block, and the mail section; it
// returns its path.
func (s *faultSetup) config(t *testing.T, sourceExtra, destination string) string {
	t.Helper()
	if !strings.Contains(sourceExtra, "retries") {
		sourceExtra += "  retries = 0\n"
	}
	text := `
[log]
file = "` + s.logPath + `"
[state]
dir = "` + filepath.Join(s.dir, "state") + `"
[mail]
transport = "smtp"
host = "127.0.0.1"
port = ` + strconv.Itoa(s.smtp.Port) + `
security = "starttls"
ca_file = "` + s.smtp.CAFile + `"
username = "gardien@example.org"
password = "` + s.mailPass + `"
from = "gardien@example.org"
to = ["admin@example.org"]
attach_log = true
language = "en"
timeout = "10s"
[[job]]
name = "db"
  [job.source]
  url = "` + s.src.URLPath() + `?token=` + s.urlToken + `"
  ca_file = "` + s.src.CAFile + `"
  expect = "dump.sql"
  username = "export"
  password = "` + s.srcPass + `"
  headers = { Authorization = "Bearer ${GARDIEN_FAULT_TOKEN}" }
` + sourceExtra + `
  [job.archive]
  staging_dir = "` + filepath.Join(s.dir, "staging") + `"
  [job.retention]
  keep_days = 30
  keep_min = 1
` + destination
	p := filepath.Join(s.dir, "gardien.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// faultRun is one run of gardien and what it wrote.
type faultRun struct {
	code           int
	stdout, stderr string
	log            string
	mails          []*testutil.ParsedMail
	raw            [][]byte
}

// collect gathers what a run wrote, given its exit code and output, and the number
// of mails the server held before it.
func (s *faultSetup) collect(t *testing.T, code int, stdout, stderr string, mailsBefore int) faultRun {
	t.Helper()
	r := faultRun{code: code, stdout: stdout, stderr: stderr}
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatalf("the log: %v", err)
	}
	r.log = string(b)
	for _, m := range s.smtp.Received()[mailsBefore:] {
		r.raw = append(r.raw, m.Data)
		r.mails = append(r.mails, testutil.ParseMail(t, m.Data))
	}
	return r
}

// runInProcess runs `gardien --config cfg run` in this process.
func (s *faultSetup) runInProcess(t *testing.T, cfg string) faultRun {
	t.Helper()
	n := len(s.smtp.Received())
	code, out, errOut := gardien(t, "--config", cfg, "run")
	return s.collect(t, code, out, errOut, n)
}

// faultWant is what a scenario must show.
type faultWant struct {
	code     int
	outcome  string   // the summary's headline: `FAILURE at "transfer done" (nas)`
	step     string   // the step the log says failed
	causes   []string // in that log line's cause
	hint     string   // in its hint
	retrying bool     // the log says the failing operation was retried
}

// check asserts everything a fault scenario promises.
func (s *faultSetup) check(t *testing.T, r faultRun, w faultWant) {
	t.Helper()
	if r.code != w.code {
		t.Errorf("exit %d, want %d\n%s%s", r.code, w.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "· "+w.outcome+" ==") {
		t.Errorf("the summary does not say %s:\n%s", w.outcome, r.stdout)
	}
	var line string
	for _, l := range strings.Split(r.log, "\n") {
		if strings.Contains(l, `msg="step failed"`) && strings.Contains(l, ` step="`+w.step+`"`) {
			line = l
		}
	}
	if line == "" {
		t.Errorf("no failure line for step %q in the log:\n%s", w.step, r.log)
	} else {
		cause, hint := logValue(line, "cause"), logValue(line, "hint")
		t.Logf("exit %d, %s failed: cause %q, hint %q", r.code, w.step, cause, hint)
		for _, c := range w.causes {
			if !strings.Contains(cause, c) {
				t.Errorf("cause %q lacks %q", cause, c)
			}
		}
		if !strings.Contains(hint, w.hint) {
			t.Errorf("hint %q lacks %q", hint, w.hint)
		}
	}
	if got := strings.Contains(r.log, `msg=retrying`); got != w.retrying {
		t.Errorf("the log says retrying: %v, want %v\n%s", got, w.retrying, r.log)
	}
	status, _, _ := strings.Cut(w.outcome, " ")
	if len(r.mails) != 1 {
		t.Errorf("%d mails, want one", len(r.mails))
	} else if m := r.mails[0]; !strings.HasPrefix(m.Subject, "[gardien] "+status+" db ") || !strings.Contains(m.Text, w.outcome) || len(m.Attachments) != 1 {
		t.Errorf("mail %q (%d attachments):\n%s", m.Subject, len(m.Attachments), m.Text)
	}
	s.noSecrets(t, r)
	if t.Failed() {
		t.Logf("the log:\n%s", r.log)
	}
}

// noSecrets greps every place a run writes to for every secret of the configuration.
func (s *faultSetup) noSecrets(t *testing.T, r faultRun) {
	t.Helper()
	places := map[string]string{"stdout": r.stdout, "stderr": r.stderr, "log": r.log}
	for i, m := range r.mails {
		places[fmt.Sprintf("mail %d (raw)", i)] = string(r.raw[i])
		places[fmt.Sprintf("mail %d subject", i)] = m.Subject
		places[fmt.Sprintf("mail %d text", i)] = m.Text
		places[fmt.Sprintf("mail %d html", i)] = m.HTML
		for name, b := range m.Attachments {
			places[fmt.Sprintf("mail %d attachment %s", i, name)] = string(b)
		}
	}
	hits := 0
	for where, text := range places {
		for _, sec := range s.secrets {
			if strings.Contains(text, sec) {
				hits++
				t.Errorf("a secret (%.9s…) appears in %s", sec, where)
			}
		}
	}
	if len(s.secrets) < 4 || len(places) < 3 {
		t.Fatalf("%d secrets looked for in %d places: the check proves nothing", len(s.secrets), len(places))
	}
	t.Logf("secrets: %d looked for in %d places, %d hits", len(s.secrets), len(places), hits)
}

// logValue returns the value of key in a logfmt line, unquoted.
func logValue(line, key string) string {
	_, rest, ok := strings.Cut(line, " "+key+"=")
	if !ok {
		return ""
	}
	if !strings.HasPrefix(rest, `"`) {
		v, _, _ := strings.Cut(rest, " ")
		return v
	}
	if v, err := strconv.QuotedPrefix(rest); err == nil {
		u, _ := strconv.Unquote(v)
		return u
	}
	return rest
}

// sums returns name → SHA-256 of the regular files of dir.
func sums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(h[:])
	}
	return out
}

// earlierArchives puts two archives of earlier nights in dir, readable and writable by
// anyone (the servers' users write there too), and returns their checksums.
func earlierArchives(t *testing.T, dir string) map[string]string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	day := time.Now().AddDate(0, 0, -1)
	for i, n := range []string{day.AddDate(0, 0, -1).Format("20060102") + ".tgz", day.Format("20060102") + ".tgz"} {
		b := make([]byte, 4096+i)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return sums(t, dir)
}

// intact checks that the earlier archives are still there, byte for byte, and that
// nothing in dir bears tonight's archive name.
func intact(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := sums(t, dir)
	for n, sum := range before {
		if after[n] != sum {
			t.Errorf("%s: sha256 %.12s before, %.12s after", n, sum, after[n])
		}
	}
	if _, ok := after[time.Now().Format("20060102")+".tgz"]; ok {
		t.Errorf("a file bears tonight's archive name in %s: %v", dir, after)
	}
}

func randomDump(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// The faults of the unit suite, against in-process servers: every one fails the run
// with its step, cause and hint, mails a FAILURE, keeps the earlier archives, and
// prints no secret.
func TestFaultScenarios(t *testing.T) {
	dump := randomDump(t, 256<<10)
	scenarios := []struct {
		name   string
		source func(s *faultSetup) string // extra source lines; may change the server
		dest   func(t *testing.T, s *faultSetup, dir string) string
		want   faultWant
	}{
		{
			name:   "source refuses the credentials",
			source: func(s *faultSetup) string { s.src.Fail(http.StatusUnauthorized); return "" },
			want:   faultWant{code: 1, outcome: `FAILURE at "url reachable"`, step: "url reachable", causes: []string{"HTTP 401"}, hint: "refused the credentials"},
		},
		{
			name:   "source fails with 503, retried",
			source: func(s *faultSetup) string { s.src.Fail(http.StatusServiceUnavailable); return "  retries = 1\n" },
			want:   faultWant{code: 1, outcome: `FAILURE at "url reachable"`, step: "url reachable", causes: []string{"HTTP 503", "after 2 attempts"}, hint: "the server failed", retrying: true},
		},
		{
			name: "source stalls mid-download",
			source: func(s *faultSetup) string {
				z := testutil.Zip(t, map[string][]byte{"dump.sql": dump})
				s.src.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Length", strconv.Itoa(len(z)))
					w.Write(z[:len(z)/2])
					w.(http.Flusher).Flush()
					<-r.Context().Done()
				})
				return "  idle_timeout = \"300ms\"\n"
			},
			want: faultWant{code: 1, outcome: `FAILURE at "zip downloaded"`, step: "zip downloaded", causes: []string{"the server sent nothing for 300ms"}, hint: "idle_timeout"},
		},
		{
			name: "source sends a web page",
			source: func(s *faultSetup) string {
				s.src.Set([]byte("<!DOCTYPE html><html><body>Please log in</body></html>"))
				return ""
			},
			want: faultWant{code: 1, outcome: `FAILURE at "zip downloaded"`, step: "zip downloaded", causes: []string{"not a valid zip"}, hint: "web page instead of the zip"},
		},
		{
			name: "sftp destination refuses the password",
			dest: func(t *testing.T, s *faultSetup, dir string) string {
				srv, err := sftpd.Start(sftpd.Options{Root: dir, User: "backup", Password: secret("TheRightOne")})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { srv.Stop() })
				pw := secret("DestPass")
				s.addSecret(pw)
				return "  [[job.destination]]\n  name = \"nas\"\n  url = \"" + srv.URL(dir) + "\"\n  password = \"" + pw + "\"\n  host_key = \"" + ssh.FingerprintSHA256(srv.HostKey) + "\"\n"
			},
			want: faultWant{code: 1, outcome: `FAILURE at "destination reachable" (nas)`, step: "destination reachable", causes: []string{"authentication failed"}, hint: "check the password"},
		},
		{
			name: "sftp destination down",
			dest: func(t *testing.T, s *faultSetup, dir string) string {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := l.Addr().String()
				l.Close()
				pw := secret("DestPass")
				s.addSecret(pw)
				return "  [[job.destination]]\n  name = \"nas\"\n  url = \"sftp://backup:" + pw + "@" + addr + dir + "\"\n  host_key = \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n  timeout = \"2s\"\n"
			},
			want: faultWant{code: 1, outcome: `FAILURE at "destination reachable" (nas)`, step: "destination reachable", causes: []string{"connection refused", "after 3 attempts"}, hint: "nothing listens", retrying: true},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newFaultSetup(t, dump)
			nas := filepath.Join(s.dir, "nas")
			before := earlierArchives(t, nas)
			var extra string
			if sc.source != nil {
				extra = sc.source(s)
			}
			dest := "  [[job.destination]]\n  name = \"nas\"\n  url = \"file://" + nas + "\"\n"
			if sc.dest != nil {
				dest = sc.dest(t, s, nas)
			}
			r := s.runInProcess(t, s.config(t, extra, dest))
			s.check(t, r, sc.want)
			intact(t, nas, before)
		})
	}
}

// SIGTERM in the middle of a download, as systemd stops a service: the run stops,
// the log and the mail say it was interrupted, gardien exits 1, and nothing is left
// behind.
func TestFaultSIGTERMMailSaysInterrupted(t *testing.T) {
	s := newFaultSetup(t, nil)
	started := make(chan struct{}, 1)
	s.src.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(100<<20))
		w.Write(make([]byte, 1<<20))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
	})
	nas := filepath.Join(s.dir, "nas")
	before := earlierArchives(t, nas)
	cfg := s.config(t, "", "  [[job.destination]]\n  name = \"nas\"\n  url = \"file://"+nas+"\"\n")

	cmd := exec.Command(os.Args[0], "--config", cfg, "run")
	cmd.Env = append(os.Environ(), "GARDIEN_TEST_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the download never started\n%s%s", out.String(), errOut.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r := s.collect(t, code, out.String(), errOut.String(), 0)
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.log, `msg="run interrupted"`) {
		t.Errorf("the log does not say the run was interrupted:\n%s", r.log)
	}
	if len(r.mails) != 1 {
		t.Fatalf("%d mails, want one", len(r.mails))
	}
	if m := r.mails[0]; !strings.HasPrefix(m.Subject, "[gardien] FAILURE db ") || !strings.Contains(m.Text, "(interrupted) ==") {
		t.Errorf("the mail does not say the run was interrupted: %q\n%s", m.Subject, m.Text)
	}
	s.noSecrets(t, r)
	intact(t, nas, before)
	if ents, _ := os.ReadDir(filepath.Join(s.dir, "staging")); len(ents) != 0 {
		t.Errorf("staging holds %v", ents)
	}
}

// docs/reliability.md names, for each fault, the test that proves it: each must exist,
// so that the table cannot outlive its tests.
func TestReliabilityNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(docsDir, "reliability.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	err = filepath.WalkDir(filepath.Join(docsDir, ".."), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`).FindAllSubmatch(b, -1) {
			defined[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9]+)[`/]").FindAllSubmatch(doc, -1)
	if len(named) < 50 {
		t.Fatalf("%d tests named in docs/reliability.md", len(named))
	}
	for _, m := range named {
		if !defined[string(m[1])] {
			t.Errorf("docs/reliability.md names %s, which no test file defines", m[1])
		}
	}
}
