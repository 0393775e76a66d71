package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/testutil"
)

// gardien runs the command line in-process and returns its exit code and output.
func gardien(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// writeConfig writes a configuration with an HTTPS source serving a zip and a file://
// destination, all under a temporary directory, and returns its path.
func writeConfig(t *testing.T, extra string) (cfgPath, destDir, logPath string, src *testutil.ZipServer) {
	t.Helper()
	dir := t.TempDir()
	src = testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 5000)}))
	destDir = filepath.Join(dir, "nas")
	logPath = filepath.Join(dir, "gardien.log")
	text := `
[log]
file = "` + logPath + `"
[state]
dir = "` + filepath.Join(dir, "state") + `"
[[job]]
name = "db"
  [job.source]
  url = "` + src.URLPath() + `"
  ca_file = "` + src.CAFile + `"
  expect = "dump.sql"
  retries = 0
` + extra + `
  [job.archive]
  staging_dir = "` + filepath.Join(dir, "staging") + `"
  [[job.destination]]
  name = "nas"
  url = "file://` + destDir + `"
`
	cfgPath = filepath.Join(dir, "gardien.toml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, destDir, logPath, src
}

func TestExitCodes(t *testing.T) {
	cfg, dest, logPath, src := writeConfig(t, "")
	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	} else if !strings.Contains(out, "== db run ") || !strings.Contains(out, "SUCCESS") {
		t.Errorf("no summary on stdout: %s", out)
	}
	if ents, _ := os.ReadDir(dest); len(ents) != 1 {
		t.Errorf("destination holds %v", ents)
	}
	code, out, _ := gardien(t, "--config", cfg, "run")
	if code != 3 || !strings.Contains(out, "WARNING") {
		t.Errorf("unchanged dump: exit %d, want 3\n%s", code, out)
	}
	src.Fail(404)
	code, out, _ = gardien(t, "--config", cfg, "run", "db")
	if code != 1 || !strings.Contains(out, `FAILURE at "url reachable"`) {
		t.Errorf("404: exit %d, want 1\n%s", code, out)
	}
	logText, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// Every line carries job= and run=; a failure line has step=, url=, cause= and hint=.
	var failure string
	for _, l := range strings.Split(strings.TrimSpace(string(logText)), "\n") {
		if strings.HasPrefix(l, "time=") && (!strings.Contains(l, " job=db ") || !strings.Contains(l, " run=")) {
			t.Errorf("log line without job= and run=: %s", l)
		}
		if strings.Contains(l, `msg="step failed"`) {
			failure = l
		}
	}
	for _, k := range []string{`step="url reachable"`, "url=", `cause="HTTP 404 Not Found"`, "hint="} {
		if !strings.Contains(failure, k) {
			t.Errorf("failure line %q lacks %s", failure, k)
		}
	}
	if !strings.Contains(string(logText), "== db run ") {
		t.Error("no summary block in the log file")
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cfg, dest, _, _ := writeConfig(t, "")
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[[job]]\nname = \"x\"\nnmae = \"y\"\n"), 0o600)
	scenarios := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"--config", bad, "run"}, "bad.toml:3: job.nmae: unknown key"},
		{"missing config", []string{"--config", "/nonexistent/gardien.toml", "run"}, "gardien init"},
		{"unknown job", []string{"--config", cfg, "run", "nope"}, `no job named "nope"`},
		{"unknown flag", []string{"--config", cfg, "run", "--frobnicate"}, "unknown flag"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"list without job", []string{"--config", cfg, "list"}, "accepts 1 arg"},
		{"restore without --to", []string{"--config", cfg, "restore", "db"}, "--to"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, _, errOut := gardien(t, sc.args...)
			if code != 2 || !strings.Contains(errOut, sc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, sc.want)
			}
		})
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Error("a usage error touched the destination")
	}
}

func TestInitWritesAValidExample(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gardien.toml")
	if code, _, errOut := gardien(t, "--config", p, "init"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("init wrote %v, %v", st, err)
	}
	if code, _, errOut := gardien(t, "--config", p, "init"); code != 2 || !strings.Contains(errOut, "already exists") {
		t.Errorf("second init: exit %d, %s", code, errOut)
	}
	// check accepts the configuration (exit 1: example.org is not reachable from here,
	// but not 2: the file itself is valid).
	b, _ := os.ReadFile(p)
	local := strings.Replace(string(b), `file = "/var/log/gardien/gardien.log"`, `file = "-"`, 1)
	local = strings.Replace(local, `dir = "/var/lib/gardien"`, `dir = "`+t.TempDir()+`"`, 1)
	os.WriteFile(p, []byte(local), 0o600)
	if code, _, errOut := gardien(t, "--config", p, "--quiet", "check"); code == 2 {
		t.Errorf("check refuses the example: %s", errOut)
	}
}

func TestCheckListRestore(t *testing.T) {
	cfg, _, _, _ := writeConfig(t, "")
	if code, out, errOut := gardien(t, "--config", cfg, "check"); code != 0 || !strings.Contains(out, "probe write+delete") {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	code, out, _ := gardien(t, "--config", cfg, "list", "db")
	if code != 0 || !strings.Contains(out, "== nas ==") || !strings.Contains(out, ".tgz") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	to := filepath.Join(t.TempDir(), "restore")
	code, out, errOut := gardien(t, "--config", cfg, "restore", "db", "--to", to)
	if code != 0 || !strings.Contains(out, "ok  dump.sql") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(to, "dump.sql")); err != nil || len(b) != 5000*26 {
		t.Errorf("restored dump: %d bytes, %v", len(b), err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const secret = "Sup3r-Secret-Token-42"
	t.Setenv("GARDIEN_TEST_TOKEN", secret)
	cfg, _, logPath, src := writeConfig(t, `  headers = { Authorization = "Bearer ${GARDIEN_TEST_TOKEN}" }
  username = "export"
  password = "`+secret+`-pw"`)
	src.Fail(401)
	code, out, errOut := gardien(t, "--config", cfg, "--verbose", "run")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	logText, _ := os.ReadFile(logPath)
	for where, text := range map[string]string{"stdout": out, "stderr": errOut, "log": string(logText)} {
		if strings.Contains(text, secret) {
			t.Errorf("the secret appears in %s:\n%s", where, text)
		}
	}
	if !strings.Contains(string(logText), "HTTP 401") {
		t.Error("the log does not say what failed")
	}
}

// A token in the source URL's query string is a secret too: it never reaches the
// log, the terminal or the MANIFEST of the archive.
func TestURLTokenNeverPrinted(t *testing.T) {
	const token = "Qu3ry-T0ken-7731"
	t.Setenv("GARDIEN_TEST_TOKEN", token)
	cfg, destDir, logPath, _ := writeConfig(t, "")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text = bytes.Replace(text, []byte(`/dump.zip"`), []byte(`/dump.zip?token=${GARDIEN_TEST_TOKEN}"`), 1)
	if err := os.WriteFile(cfg, text, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := gardien(t, "--config", cfg, "--verbose", "run")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	logText, _ := os.ReadFile(logPath)
	files, _ := filepath.Glob(filepath.Join(destDir, "*.tgz"))
	if len(files) != 1 {
		t.Fatalf("archives: %v", files)
	}
	manifest := readMember(t, files[0], "MANIFEST")
	for where, text := range map[string]string{"stdout": out, "stderr": errOut, "log": string(logText), "MANIFEST": manifest} {
		if strings.Contains(text, token) {
			t.Errorf("the token appears in %s:\n%s", where, text)
		}
	}
	if !strings.Contains(manifest, "token=***") {
		t.Errorf("the MANIFEST does not name the source:\n%s", manifest)
	}
}

// readMember returns one file of a .tgz.
func readMember(t *testing.T, tgz, name string) string {
	t.Helper()
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s in %s: %v", name, tgz, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := gardien(t, "version")
	if code != 0 || !strings.HasPrefix(out, "gardien ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// The README's first command: the whole flow, three runs, on this machine alone.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gardien-demo")
	code, out, errOut := gardien(t, "demo", "--dir", dir, "--size", "2MB")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"· SUCCESS ==", "· WARNING ==", `· FAILURE at "destination reachable" (nas) ==`, "deleted ", "Where to look:"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, "nas"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("temporary file left on the NAS: %s", e.Name())
		}
	}
	// Each run's report mail is filed by the demo's mail server, with its status
	// first in the subject and the run's log attached.
	mails, _ := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
	if len(mails) != 3 {
		t.Fatalf("%d mails in %s/mail, want 3 (one per run)", len(mails), dir)
	}
	for i, status := range []string{"SUCCESS", "WARNING", "FAILURE"} {
		data, err := os.ReadFile(mails[i])
		if err != nil {
			t.Fatal(err)
		}
		m := testutil.ParseMail(t, data)
		if !strings.HasPrefix(m.Subject, "[gardien] "+status+" demo-db ") {
			t.Errorf("mail %d: subject %q, want it to start with [gardien] %s demo-db", i+1, m.Subject, status)
		}
		if len(m.Attachments) != 1 {
			t.Errorf("mail %d: %d attachments, want the run's log", i+1, len(m.Attachments))
		}
		// The demo's mail is French: what the job wrote into each step too, while
		// the attached log stays English.
		french := [][]string{
			{"o, 1 entrée", "première exécution, sha256 ", "archives conservées, 3 supprimées"},
			{"le dump n'a pas changé depuis l'exécution ", "conseil\u00a0: la source a servi le même dump"},
			{"conseil\u00a0: le serveur ne répond pas sur ce port", "tentatives)", "nas\u00a0: car la destination est injoignable"},
		}[i]
		for _, want := range french {
			if !strings.Contains(m.Text, want) {
				t.Errorf("mail %d: the text lacks %q:\n%s", i+1, want, m.Text)
			}
		}
		for _, english := range []string{" entries", "first run", " kept", "(was ", "unchanged since", "nothing listens", "not run because", "attempts)"} {
			if strings.Contains(m.Text, english) || strings.Contains(m.HTML, english) {
				t.Errorf("mail %d: the French mail holds the English %q:\n%s", i+1, english, m.Text)
			}
		}
		for _, log := range m.Attachments {
			if i == 2 && (!strings.Contains(string(log), `hint="nothing listens on that port`) || strings.Contains(string(log), "tentatives")) {
				t.Errorf("mail %d: the attached log is not the English log:\n%s", i+1, log)
			}
		}
	}
	// A second demo in the same directory starts afresh; a directory it did not make
	// is refused.
	if code, _, errOut := gardien(t, "demo", "--dir", dir, "--size", "100KB", "--quiet"); code != 0 {
		t.Errorf("second demo: exit %d %s", code, errOut)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "precious.txt"), []byte("x"), 0o600)
	if code, _, errOut := gardien(t, "demo", "--dir", other); code == 0 || !strings.Contains(errOut, "not made by gardien demo") {
		t.Errorf("demo in a foreign directory: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(other, "precious.txt")); err != nil {
		t.Error("the demo deleted a file it did not make")
	}
}

// A configuration warning is said once on the terminal, and kept in the log file.
func TestConfigWarningOnce(t *testing.T) {
	cfg, _, logPath, _ := writeConfig(t, `  password = "a-literal-password"`)
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := gardien(t, "--config", cfg, "run")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(errOut, "readable by other users"); n != 1 {
		t.Errorf("the warning is on stderr %d times, want once:\n%s", n, errOut)
	}
	logText, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logText), "readable by other users") {
		t.Errorf("the warning is not in the log file:\n%s", logText)
	}
}

// A log file that cannot be opened is a usage error (exit 2) that says what to do.
func TestUnwritableLogHint(t *testing.T) {
	cfg, _, logPath, _ := writeConfig(t, "")
	blocker := filepath.Join(filepath.Dir(logPath), "blocker")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(cfg)
	text = bytes.Replace(text, []byte(logPath), []byte(filepath.Join(blocker, "gardien.log")), 1)
	os.WriteFile(cfg, text, 0o600)
	code, _, errOut := gardien(t, "--config", cfg, "run")
	if code != 2 || !strings.Contains(errOut, `hint: set [log] file to a writable path`) {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

// check --config-only validates the file without connecting anywhere nor writing the
// log: the packaged example passes it, a wrong key does not.
func TestCheckConfigOnly(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gardien.toml")
	if code, _, errOut := gardien(t, "init", "--quiet", "--config", cfg); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	// The example's log is /var/log/gardien: pointing it here shows nothing is written.
	text, _ := os.ReadFile(cfg)
	logPath := filepath.Join(dir, "gardien.log")
	text = bytes.Replace(text, []byte(`file = "/var/log/gardien/gardien.log"`), []byte(`file = "`+logPath+`"`), 1)
	os.WriteFile(cfg, text, 0o600)
	code, out, errOut := gardien(t, "--config", cfg, "check", "--config-only")
	if code != 0 || !strings.Contains(out, "ok (1 job(s))") || strings.Contains(out, "url reachable") {
		t.Errorf("check --config-only: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(logPath); err == nil {
		t.Error("check --config-only wrote the log")
	}
	os.WriteFile(cfg, append(text, []byte("\n[log]\nmax_fils = 3\n")...), 0o600)
	if code, _, _ := gardien(t, "--config", cfg, "check", "--config-only"); code != 2 {
		t.Errorf("an invalid configuration: exit %d, want 2", code)
	}
}
