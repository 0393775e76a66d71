package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// writeJobsConfig writes, in dir, a configuration whose jobs have the given
// schedules ("" for none), each with its own file:// destination. The jobs are never
// run by these tests; the daemon's tests give them a source that answers.
func writeJobsConfig(t *testing.T, dir, logFile string, jobs ...[2]string) string {
	t.Helper()
	return writeJobsConfigAt(t, dir, dir, logFile, jobs...)
}

// writeJobsConfigAt is writeJobsConfig with the directories of the configuration
// (state, staging, destinations) under root, which need not exist.
func writeJobsConfigAt(t *testing.T, dir, root, logFile string, jobs ...[2]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[log]\nfile = \"" + logFile + "\"\n[state]\ndir = \"" + filepath.Join(root, "state") + "\"\n")
	for _, j := range jobs {
		b.WriteString("\n[[job]]\nname = \"" + j[0] + "\"\n")
		if j[1] != "" {
			b.WriteString("schedule = \"" + j[1] + "\"\n")
		}
		b.WriteString(`  [job.source]
  url = "https://exports.example.org/` + j[0] + `.zip"
  expect = "dump.sql"
  [job.archive]
  staging_dir = "` + filepath.Join(root, "staging") + `"
  [[job.destination]]
  name = "local"
  url = "file://` + filepath.Join(root, "dest-"+j[0]) + `"
`)
	}
	p := filepath.Join(dir, "gardien.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCronPrint(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, "/var/log/gardien/gardien.log", [2]string{"db", "30 1 * * 1-5"}, [2]string{"media", ""}, [2]string{"odoo", "@daily"})
	code, out, errOut := gardien(t, "--config", cfg, "cron", "--binary", "/usr/bin/gardien")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := `# /etc/cron.d/gardien: the gardien jobs of ` + cfg + `, written by ` + "`gardien cron`" + `.
# After changing a job or its schedule, run ` + "`gardien cron --install`" + ` again.
# gardien sends its own report ([mail]): cron's mail would only repeat it.
MAILTO=""
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SHELL=/bin/sh

# db
30 1 * * 1-5 root test -x /usr/bin/gardien && /usr/bin/gardien --config ` + cfg + ` --quiet run db >>/var/log/gardien/gardien.log 2>&1

# media: not scheduled (no schedule in its [[job]])

# odoo
0 0 * * * root test -x /usr/bin/gardien && /usr/bin/gardien --config ` + cfg + ` --quiet run odoo >>/var/log/gardien/gardien.log 2>&1
`
	if out != want {
		t.Errorf("cron file:\n%s\nwant:\n%s", out, want)
	}
	// The next runs go to stderr, so that stdout can be redirected to a file.
	next := regexp.MustCompile(`(?m)^db\s+30 1 \* \* 1-5\s+next: ((Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 01:30(, )?){3}$`)
	if !next.MatchString(errOut) || !regexp.MustCompile(`(?m)^media\s+not scheduled`).MatchString(errOut) ||
		!regexp.MustCompile(`(?m)^odoo\s+@daily\s+next: \w{3} \d{4}-\d\d-\d\d 00:00,`).MatchString(errOut) {
		t.Errorf("next runs:\n%s", errOut)
	}
	if _, out, errOut := gardien(t, "--quiet", "--config", cfg, "cron", "--binary", "/usr/bin/gardien"); out != want || strings.Contains(errOut, "next:") {
		t.Errorf("--quiet: stdout %q, stderr %q", out, errOut)
	}
}

func TestWriteSchedules(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, "-", [2]string{"db", "0 2 * * *"}, [2]string{"media-files", ""}, [2]string{"x", "*/20 6-22 * * 1-5"})
	g := &globalOptions{configPath: cfg, stderr: &bytes.Buffer{}}
	c, err := g.load()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	writeSchedules(&b, scheduledJobs(c), time.Date(2026, 11, 20, 21, 0, 0, 0, time.Local)) // a Friday
	want := `db           0 2 * * *          next: Sat 2026-11-21 02:00, Sun 2026-11-22 02:00, Mon 2026-11-23 02:00
media-files  not scheduled      (no schedule in its [[job]]: it runs only by hand)
x            */20 6-22 * * 1-5  next: Fri 2026-11-20 21:20, Fri 2026-11-20 21:40, Fri 2026-11-20 22:00
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestCronInstallUninstall(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, filepath.Join(dir, "gardien.log"), [2]string{"db", "0 2 * * *"})
	file := filepath.Join(dir, "cron.d", "gardien")
	code, _, errOut := gardien(t, "--config", cfg, "cron", "--install", "--file", file)
	if code != 1 || !strings.Contains(errOut, "is cron installed?") {
		t.Errorf("no cron.d directory: exit %d, %s", code, errOut)
	}
	os.Mkdir(filepath.Dir(file), 0o755)
	code, out, errOut := gardien(t, "--config", cfg, "cron", "--install", "--file", file, "--user", "no-such-user", "--binary", "/opt/gardien/bin/gardien")
	if code != 0 || !strings.Contains(out, "wrote "+file) || !regexp.MustCompile(`(?m)^db\s+0 2 \* \* \*\s+next: `).MatchString(out) {
		t.Fatalf("install: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, `there is no user "no-such-user"`) {
		t.Errorf("no warning about the missing user: %q", errOut)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("cron file: %v %v", st, err)
	}
	text, _ := os.ReadFile(file)
	if !strings.Contains(string(text), "\n0 2 * * * no-such-user test -x /opt/gardien/bin/gardien && /opt/gardien/bin/gardien --config "+cfg+" --quiet run db >>"+filepath.Join(dir, "gardien.log")+" 2>&1\n") {
		t.Errorf("cron file:\n%s", text)
	}
	if ents, _ := os.ReadDir(filepath.Dir(file)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	code, out, _ = gardien(t, "cron", "--uninstall", "--file", file)
	if _, err := os.Stat(file); code != 0 || !os.IsNotExist(err) || !strings.Contains(out, "removed "+file) {
		t.Errorf("uninstall: exit %d, %s, %v", code, out, err)
	}
	code, out, _ = gardien(t, "cron", "--uninstall", "--file", file)
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Errorf("second uninstall: exit %d, %s", code, out)
	}
	if code, _, errOut := gardien(t, "--config", cfg, "cron", "--install", "--uninstall"); code != 2 || !strings.Contains(errOut, "none of the others can be") {
		t.Errorf("--install --uninstall: exit %d, %s", code, errOut)
	}
}

// The Debian package ships the entries disabled.
func TestCronDisabled(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * *"})
	code, out, _ := gardien(t, "--config", cfg, "cron", "--disabled", "--user", "gardien", "--binary", "/usr/bin/gardien")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !regexp.MustCompile(`^[A-Z]+=`).MatchString(l) {
			t.Errorf("enabled line %q", l)
		}
	}
	if !strings.Contains(out, "\n# 0 2 * * * gardien test -x /usr/bin/gardien && ") || !strings.Contains(out, "gardien cron --install --user gardien") {
		t.Errorf("cron file:\n%s", out)
	}
}

func TestCronRefuses(t *testing.T) {
	dir := t.TempDir()
	scenarios := []struct {
		name, cfg string
		args      []string
		want      string
	}{
		{"invalid schedule", writeJobsConfig(t, t.TempDir(), "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * 7"}), nil,
			`:8: job[0].schedule: schedule "0 2 * * 7": day-of-week "7": 7 for Sunday is not understood by gardien daemon: write 0 (fix: write 5 fields`},
		{"log to stderr", writeJobsConfig(t, dir, "-", [2]string{"db", "0 2 * * *"}), nil, `[log] file is "-": under cron, what goes to stderr is lost`},
		{"bad user", writeJobsConfig(t, t.TempDir(), "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * *"}), []string{"--user", "x y"}, `--user "x y" is not a user name`},
		{"relative binary", writeJobsConfig(t, t.TempDir(), "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * *"}), []string{"--binary", "gardien"}, "give an absolute path"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			code, out, errOut := gardien(t, append([]string{"--config", sc.cfg, "cron"}, sc.args...)...)
			if code != 2 || !strings.Contains(errOut, sc.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant %q", code, out, errOut, sc.want)
			}
		})
	}
}

// The entry survives cron and the shell: a path with a space and a "%" (which cron
// turns into a newline unless escaped) reaches gardien as it is.
func TestCronEntryQuoting(t *testing.T) {
	plain := t.TempDir()
	text, _ := os.ReadFile(writeJobsConfig(t, plain, filepath.Join(plain, "gardien.log"), [2]string{"db", "0 2 * * *"}))
	dir := filepath.Join(plain, "100% backups", "it's here")
	os.MkdirAll(dir, 0o755)
	cfg := filepath.Join(dir, "gardien.toml")
	logFile := filepath.Join(dir, "gardien.log")
	text = bytes.Replace(text, []byte(filepath.Join(plain, "gardien.log")), []byte(logFile), 1)
	if err := os.WriteFile(cfg, text, 0o600); err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "fake gardien")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a; do printf '%s\\n' \"$a\"; done > \""+argsFile+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := gardien(t, "--config", cfg, "cron", "--binary", fake)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "0 2 * * * root ") {
			line = strings.TrimPrefix(l, "0 2 * * * root ")
		}
	}
	// What cron does with the command: an unescaped % ends it; \% is a %.
	if i := regexp.MustCompile(`(^|[^\\])%`).FindStringIndex(line); i != nil {
		t.Fatalf("unescaped %% in %q", line)
	}
	command := strings.ReplaceAll(line, `\%`, "%")
	if outSh, err := exec.Command("/bin/sh", "-c", command).CombinedOutput(); err != nil {
		t.Fatalf("sh -c %q: %v\n%s", command, err, outSh)
	}
	if _, err := os.Stat(logFile); err != nil {
		t.Errorf("the output was not appended to the log file: %v", err)
	}
	got, _ := os.ReadFile(argsFile)
	if want := "--config\n" + cfg + "\n--quiet\nrun\ndb\n"; string(got) != want {
		t.Errorf("gardien got the arguments:\n%s\nwant:\n%s", got, want)
	}
}

// [job.verify] schedule adds a line that runs gardien verify.
func TestCronVerify(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * *"})
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(text, "  [job.verify]\n  schedule = \"0 5 * * 0\"\n"...), 0o600)
	code, out, errOut := gardien(t, "--config", cfg, "cron", "--binary", "/usr/bin/gardien")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"0 2 * * * root test -x /usr/bin/gardien && /usr/bin/gardien --config " + cfg + " --quiet run db >>/var/log/gardien/gardien.log 2>&1\n",
		"# db (verify)\n0 5 * * 0 root test -x /usr/bin/gardien && /usr/bin/gardien --config " + cfg + " --quiet verify db >>/var/log/gardien/gardien.log 2>&1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("cron file lacks\n%s\nin\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^db \(verify\)\s+0 5 \* \* 0\s+next: Sun `).MatchString(errOut) {
		t.Errorf("next runs:\n%s", errOut)
	}
}
