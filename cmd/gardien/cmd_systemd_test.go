package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSystemdUnits(t *testing.T) {
	dir := "/srv/gardien"
	cfg := writeJobsConfigAt(t, t.TempDir(), dir, "/var/log/gardien/gardien.log", [2]string{"db", "30 1 * * 1-5"}, [2]string{"media", ""}, [2]string{"odoo", "*/15 * * * *"})
	code, out, errOut := gardien(t, "--config", cfg, "systemd", "--user", "nobody", "--binary", "/usr/bin/gardien")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"# ==> /etc/systemd/system/gardien@.service <==\n",
		"\nUser=nobody\n",
		"\nExecStart=/usr/bin/gardien --config " + cfg + " --quiet run %i\n",
		"\nProtectSystem=strict\n",
		// The log, state, staging and file:// destination directories.
		"\nReadWritePaths=-/var/log/gardien -/srv/gardien/state -/srv/gardien/staging -/srv/gardien/dest-db -/srv/gardien/dest-media -/srv/gardien/dest-odoo\n",
		"\nPrivateTmp=true\n", "\nNoNewPrivileges=true\n", "\nProtectHome=read-only\n", "\nCapabilityBoundingSet=\n",
		"\nSuccessExitStatus=3\n",
		"# ==> /etc/systemd/system/gardien@.timer <==\n",
		"\nPersistent=true\n",
		"# ==> /etc/systemd/system/gardien@db.timer.d/schedule.conf <==\n",
		"[Timer]\nOnCalendar=Mon..Fri *-*-* 01:30:00\n",
		"# ==> /etc/systemd/system/gardien@odoo.timer.d/schedule.conf <==\n",
		"[Timer]\nOnCalendar=*-*-* *:00/15:00\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("units lack %q", want)
		}
	}
	if strings.Contains(out, "gardien@media") {
		t.Errorf("a timer for the unscheduled job:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^media\s+not scheduled`).MatchString(errOut) || !regexp.MustCompile(`(?m)^odoo\s+\*/15 \* \* \* \*\s+next: `).MatchString(errOut) {
		t.Errorf("stderr:\n%s", errOut)
	}
	if t.Failed() {
		t.Logf("units:\n%s", out)
	}
}

// With sendmail, the MTA's setgid postdrop must work and write its queue.
func TestSystemdSendmail(t *testing.T) {
	cfg := writeJobsConfigAt(t, t.TempDir(), "/srv/gardien", "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * *"})
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append([]byte("[mail]\ntransport = \"sendmail\"\nfrom = \"gardien@example.org\"\nto = [\"admin@example.org\"]\n"), text...), 0o600)
	code, out, errOut := gardien(t, "--config", cfg, "systemd", "--binary", "/usr/bin/gardien")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if strings.Contains(out, "\nNoNewPrivileges=true") || strings.Contains(out, "\nRestrictSUIDSGID=true") || !strings.Contains(out, "\nReadWritePaths=-/var/log/gardien -/srv/gardien/state -/srv/gardien/staging -/srv/gardien/dest-db -/var/spool\n") {
		t.Errorf("sendmail cannot work:\n%s", out)
	}
	if !strings.Contains(out, "\nUser=root\n") || !strings.Contains(out, "\nCapabilityBoundingSet=CAP_DAC_OVERRIDE ") {
		t.Errorf("root:\n%s", out)
	}
}

// A schedule systemd cannot say exactly is refused, naming the job; nothing is written.
func TestSystemdRefuses(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, filepath.Join(dir, "gardien.log"), [2]string{"ok", "0 2 * * *"}, [2]string{"monthly-or-monday", "0 2 1 * 1"})
	units := filepath.Join(dir, "units")
	code, out, errOut := gardien(t, "--config", cfg, "systemd", "--install", "--dir", units)
	if code != 2 || !strings.Contains(errOut, `job "monthly-or-monday": schedule "0 2 1 * 1" runs on the days that match its day-of-month or its day-of-week`) {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(units); !os.IsNotExist(err) {
		t.Errorf("files written: %v", err)
	}
}

// The units installed are valid for systemd itself.
func TestSystemdVerify(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, filepath.Join(dir, "gardien.log"), [2]string{"db", "30 1 * * 1-5"}, [2]string{"odoo-files", "@weekly"})
	units := filepath.Join(dir, "units")
	code, out, errOut := gardien(t, "--config", cfg, "systemd", "--install", "--dir", units, "--binary", "/bin/true")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// The test's directories are under /tmp: the state would be lost after each run.
	if underTmp(dir) && (!strings.Contains(errOut, "[state] dir, "+filepath.Join(dir, "state")+", is under a temporary directory that the service makes private") ||
		strings.Contains(errOut, "staging_dir")) {
		t.Errorf("warnings:\n%s", errOut)
	}
	for _, want := range []string{"wrote " + filepath.Join(units, "gardien@.service"), "wrote " + filepath.Join(units, "gardien@odoo-files.timer.d/schedule.conf"),
		"systemctl enable --now gardien@db.timer gardien@odoo-files.timer"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt install systemd): the units are not verified")
	}
	// --man=no: the man pages the units name come with the package, not the tests.
	args := []string{"verify", "--man=no"}
	for _, job := range []string{"db", "odoo-files"} {
		args = append(args, filepath.Join(units, "gardien@"+job+".service"), filepath.Join(units, "gardien@"+job+".timer"))
	}
	res, err := exec.Command(analyze, args...).CombinedOutput()
	// verify exits 0 on unknown keys: any message is a failure.
	if err != nil || len(res) > 0 {
		t.Errorf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	// A timer without its drop-in has no OnCalendar: verify does see it.
	os.RemoveAll(filepath.Join(units, "gardien@db.timer.d"))
	if res, err := exec.Command(analyze, "verify", "--man=no", filepath.Join(units, "gardien@db.timer")).CombinedOutput(); err == nil {
		t.Errorf("verify accepts a timer without OnCalendar:\n%s", res)
	}
}

// [job.verify] schedule gets its own service and timer, which run gardien verify;
// a job may be verified on a schedule and run only by hand. The units are valid for
// systemd itself.
func TestSystemdVerifySchedule(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfigAt(t, dir, "/srv/gardien", "/var/log/gardien/gardien.log", [2]string{"db", "0 2 * * *"}, [2]string{"media", ""})
	text, _ := os.ReadFile(cfg)
	text = []byte(strings.Replace(string(text), "[[job.destination]]", "[job.verify]\n  schedule = \"0 5 * * 0\"\n  [[job.destination]]", 2))
	os.WriteFile(cfg, text, 0o600)

	code, out, errOut := gardien(t, "--config", cfg, "systemd", "--binary", "/usr/bin/gardien")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"\nExecStart=/usr/bin/gardien --config " + cfg + " --quiet run %i\n",
		"# ==> /etc/systemd/system/gardien-verify@.service <==\n",
		"\nExecStart=/usr/bin/gardien --config " + cfg + " --quiet verify %i\n",
		"# ==> /etc/systemd/system/gardien-verify@.timer <==\n",
		"# ==> /etc/systemd/system/gardien@db.timer.d/schedule.conf <==\n",
		"# ==> /etc/systemd/system/gardien-verify@db.timer.d/schedule.conf <==\n",
		"# ==> /etc/systemd/system/gardien-verify@media.timer.d/schedule.conf <==\n",
		"[Timer]\nOnCalendar=Sun *-*-* 05:00:00\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("units lack %q", want)
		}
	}
	// The verify service is hardened like the run's.
	verify := out[strings.Index(out, "# ==> /etc/systemd/system/gardien-verify@.service <=="):]
	verify = verify[:strings.Index(verify, "# ==> /etc/systemd/system/gardien-verify@.timer")]
	for _, want := range []string{"\nProtectSystem=strict\n", "\nReadWritePaths=-/var/log/gardien -/srv/gardien/state -/srv/gardien/staging ", "\nNoNewPrivileges=true\n", "\nSuccessExitStatus=3\n"} {
		if !strings.Contains(verify, want) {
			t.Errorf("the verify service lacks %q:\n%s", want, verify)
		}
	}
	if strings.Contains(out, "gardien@media.timer") {
		t.Errorf("a run timer for the job without schedule:\n%s", out)
	}
	for _, re := range []string{`(?m)^db \(verify\)\s+0 5 \* \* 0\s+next: Sun `, `(?m)^media \(verify\)\s+0 5 \* \* 0\s+next: Sun `, `(?m)^media\s+not scheduled`} {
		if !regexp.MustCompile(re).MatchString(errOut) {
			t.Errorf("stderr lacks %s:\n%s", re, errOut)
		}
	}

	// A verify schedule that a timer cannot say is refused, naming it.
	os.WriteFile(cfg, []byte(strings.Replace(string(text), `schedule = "0 5 * * 0"`, `schedule = "0 5 1 * 0"`, 1)), 0o600)
	if code, _, errOut := gardien(t, "--config", cfg, "systemd", "--binary", "/usr/bin/gardien"); code != 2 || !strings.Contains(errOut, `job "db" [job.verify]: schedule "0 5 1 * 0"`) {
		t.Errorf("exit %d: %s", code, errOut)
	}

	// Installed, the timers to enable include the verify ones, and systemd accepts the units.
	os.WriteFile(cfg, text, 0o600)
	units := filepath.Join(dir, "units")
	code, out, errOut = gardien(t, "--config", cfg, "systemd", "--install", "--dir", units, "--binary", "/bin/true")
	if code != 0 || !strings.Contains(out, "systemctl enable --now gardien@db.timer gardien-verify@db.timer gardien-verify@media.timer\nand see them with: systemctl list-timers 'gardien*@*'\n") ||
		!strings.Contains(out, "wrote "+filepath.Join(units, "gardien-verify@db.timer.d/schedule.conf")) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt install systemd): the units are not verified")
	}
	args := []string{"verify", "--man=no", filepath.Join(units, "gardien-verify@db.service"), filepath.Join(units, "gardien-verify@db.timer")}
	if res, err := exec.Command(analyze, args...).CombinedOutput(); err != nil || len(res) > 0 {
		t.Errorf("systemd-analyze %s: %v\n%s", strings.Join(args, " "), err, res)
	}
}
