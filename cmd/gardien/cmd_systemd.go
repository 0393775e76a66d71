package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

// systemdDir is where `gardien systemd --install` writes by default.
const systemdDir = "/etc/systemd/system"

type systemdOptions struct {
	dir     string
	user    string
	binary  string
	install bool
}

func newSystemdCommand(g *globalOptions) *cobra.Command {
	o := systemdOptions{dir: systemdDir, user: "root"}
	cmd := &cobra.Command{
		Use:   "systemd",
		Short: "Print (or --install) systemd timers for the configured jobs",
		Long: `Print the systemd units that run each job at its schedule, for those who prefer
timers to cron:

  gardien@.service       one run of the job named by the instance (gardien@ocpizza-db)
  gardien@.timer         its timer (Persistent: a run missed while the machine was
                         off happens at the next boot)
  gardien@JOB.timer.d/schedule.conf
                         each job's OnCalendar, converted from its cron schedule

and, when a job's [job.verify] has a schedule, the same three for gardien verify:
gardien-verify@.service, gardien-verify@.timer and
gardien-verify@JOB.timer.d/schedule.conf.

The service is hardened (read-only system, private /tmp, no new privileges…) and may
write only to the log, state, staging and file:// destination directories of the
configuration. A schedule that systemd cannot express exactly (a day of month and a
day of week both restricted) is an error that names the job.

Without --install the files go to stdout; --install writes them to
/etc/systemd/system and prints the systemctl commands that enable the timers.`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return g.systemd(o, time.Now())
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&o.install, "install", false, "write the unit files instead of printing them")
	f.StringVar(&o.dir, "dir", o.dir, "the directory --install writes to")
	f.StringVar(&o.user, "user", o.user, "the user the jobs run as")
	f.StringVar(&o.binary, "binary", "", "the gardien program the service runs (default: this one)")
	return cmd
}

// unitFile is one file of the systemd units, by its path under the units directory.
type unitFile struct {
	name string
	text string
}

func (g *globalOptions) systemd(o systemdOptions, now time.Time) error {
	cfg, bin, err := g.schedulerConfig(o.binary)
	if err != nil {
		return err
	}
	files, err := systemdUnits(cfg, o, bin)
	if err != nil {
		return err
	}
	g.warnNoUser(o.user)
	for _, d := range writtenDirs(cfg) {
		if underTmp(d.path) && !d.temporary {
			fmt.Fprintf(g.stderr, "gardien: warning: %s, %s, is under a temporary directory that the service makes private to each run (PrivateTmp): what gardien writes there is gone when the run ends; move it\n", d.what, d.path)
		}
	}
	jobs := schedules(cfg)
	if !o.install {
		for i, f := range files {
			if i > 0 {
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintf(g.stdout, "# ==> %s <==\n%s", filepath.Join(o.dir, f.name), f.text)
		}
		if !g.quiet {
			writeSchedules(g.stderr, jobs, now)
		}
		return nil
	}
	for _, f := range files {
		path := filepath.Join(o.dir, f.name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fault.WithHint(err, "run it as root (sudo gardien systemd --install), or pass --dir")
		}
		if err := writeFileAtomic(path, []byte(f.text), 0o644); err != nil {
			return fault.WithHint(err, "run it as root (sudo gardien systemd --install), or pass --dir")
		}
		fmt.Fprintf(g.out(), "wrote %s\n", path)
	}
	writeSchedules(g.out(), jobs, now)
	var timers []string
	for _, sj := range jobs {
		if sj.expr != nil {
			timers = append(timers, sj.unit()+"@"+sj.job.Name+".timer")
		}
	}
	if len(timers) > 0 {
		pattern := "gardien@*"
		if len(scheduledVerifies(cfg)) > 0 {
			pattern = "gardien*@*" // gardien-verify@ too
		}
		fmt.Fprintf(g.out(), "enable the timers with:\n  systemctl daemon-reload\n  systemctl enable --now %s\nand see them with: systemctl list-timers '%s'\n", strings.Join(timers, " "), pattern)
	}
	return nil
}

// systemdUnits returns the service, the timer, and one drop-in with OnCalendar for
// each scheduled job; and the same for gardien verify when a [job.verify] has a
// schedule.
func systemdUnits(cfg *config.Config, o systemdOptions, bin string) ([]unitFile, error) {
	if !userRe.MatchString(o.user) {
		return nil, usageError{fmt.Errorf("--user %q is not a user name", o.user)}
	}
	cfgPath, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, err
	}
	var dropIns []unitFile
	var bad []error
	verifies := scheduledVerifies(cfg)
	for _, sj := range append(scheduledJobs(cfg), verifies...) {
		if sj.expr == nil {
			continue
		}
		cal, err := sj.expr.OnCalendar()
		if err != nil {
			what := ""
			if sj.verify {
				what = " [job.verify]"
			}
			bad = append(bad, fmt.Errorf("job %q%s: %w", sj.job.Name, what, err))
			continue
		}
		text := fmt.Sprintf("# The schedule of the gardien job %q: schedule = %q in %s,\n# written by `gardien systemd`.\n[Timer]\nOnCalendar=%s\n",
			sj.job.Name, sj.expr.String(), cfgPath, cal)
		if sj.verify {
			text = fmt.Sprintf("# When gardien verify proves the archives of the job %q: [job.verify]\n# schedule = %q in %s, written by `gardien systemd`.\n[Timer]\nOnCalendar=%s\n",
				sj.job.Name, sj.expr.String(), cfgPath, cal)
		}
		dropIns = append(dropIns, unitFile{name: sj.unit() + "@" + sj.job.Name + ".timer.d/schedule.conf", text: text})
	}
	if len(bad) > 0 {
		return nil, usageError{errors.Join(bad...)}
	}
	units := []unitFile{
		{name: "gardien@.service", text: serviceUnit(cfg, o.user, bin, cfgPath, "run")},
		{name: "gardien@.timer", text: timerUnit},
	}
	if len(verifies) > 0 {
		units = append(units,
			unitFile{name: "gardien-verify@.service", text: serviceUnit(cfg, o.user, bin, cfgPath, "verify")},
			unitFile{name: "gardien-verify@.timer", text: verifyTimerUnit})
	}
	return append(units, dropIns...), nil
}

// unit is the name of the systemd template that runs the entry: gardien@ for a
// run, gardien-verify@ for a verify.
func (sj scheduledJob) unit() string {
	if sj.verify {
		return "gardien-verify"
	}
	return "gardien"
}

const timerUnit = `# The timer of the gardien job named by the instance: enable one per job with
#   systemctl enable --now gardien@JOB.timer
# Its OnCalendar is in gardien@JOB.timer.d/schedule.conf, written by ` + "`gardien systemd`" + `
# from the job's schedule.
[Unit]
Description=gardien archive job %i: schedule
Documentation=man:gardien(1)

[Timer]
# A run missed while the machine was off happens when it starts again.
Persistent=true
AccuracySec=1min

[Install]
WantedBy=timers.target
`

const verifyTimerUnit = `# The timer of gardien verify for the job named by the instance: enable one per job
# whose [job.verify] has a schedule with
#   systemctl enable --now gardien-verify@JOB.timer
# Its OnCalendar is in gardien-verify@JOB.timer.d/schedule.conf, written by
# ` + "`gardien systemd`" + ` from that schedule.
[Unit]
Description=gardien verify of job %i: schedule
Documentation=man:gardien(1) man:gardien-verify(1)

[Timer]
# A verify missed while the machine was off happens when it starts again.
Persistent=true
AccuracySec=1min

[Install]
WantedBy=timers.target
`

// serviceUnit is gardien@.service (command "run": one run of a job) or
// gardien-verify@.service (command "verify"), hardened. It may write to the log,
// state, staging and file:// destination directories, and nowhere else.
func serviceUnit(cfg *config.Config, user, bin, cfgPath, command string) string {
	var rw []string
	for _, d := range writtenDirs(cfg) {
		if !underTmp(d.path) {
			rw = append(rw, d.path)
		}
	}
	sendmail := cfg.Mail.Transport == "sendmail"
	if sendmail {
		rw = append(rw, "/var/spool")
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	if command == "verify" {
		w("# gardien verify of the job named by the instance: gardien-verify@ocpizza-db.service")
		w("# proves that the newest archive of the job \"ocpizza-db\" of %s restores.", cfgPath)
		w("# Started by gardien-verify@JOB.timer; written by `gardien systemd`.")
		w("[Unit]")
		w("Description=gardien verify of job %%i")
		w("Documentation=man:gardien(1) man:gardien-verify(1)")
	} else {
		w("# One run of the gardien job named by the instance: gardien@ocpizza-db.service runs")
		w("# the job \"ocpizza-db\" of %s. Started by gardien@JOB.timer;", cfgPath)
		w("# written by `gardien systemd`.")
		w("[Unit]")
		w("Description=gardien archive job %%i")
		w("Documentation=man:gardien(1) man:gardien-run(1)")
	}
	w("Wants=network-online.target")
	w("After=network-online.target")
	w("")
	w("[Service]")
	w("Type=oneshot")
	w("User=%s", user)
	w("ExecStart=%s --config %s --quiet %s %%i", unitQuote(bin), unitQuote(cfgPath), command)
	w("# ${VAR} references of the configuration (passwords, tokens) can be set here.")
	w("EnvironmentFile=-/etc/default/gardien")
	w("# 3: the job ran with warnings, which the log and the mail report.")
	w("SuccessExitStatus=3")
	w("# SIGTERM (systemctl stop) interrupts the run: it removes its temporary files and")
	w("# reports; nothing that looks like a finished archive is left.")
	w("TimeoutStopSec=2min")
	w("Nice=10")
	w("IOSchedulingClass=best-effort")
	w("IOSchedulingPriority=7")
	w("UMask=0077")
	w("")
	w("# Hardening. The run reads what it archives and writes only to the directories")
	w("# below: the log, the state, the staging and the file:// destinations of the")
	w("# configuration (a missing one is skipped, \"-\"). Add a directory that a command")
	w("# source writes to with a drop-in: systemctl edit gardien@.service.")
	w("ProtectSystem=strict")
	if len(rw) > 0 {
		quoted := make([]string, len(rw))
		for i, d := range rw {
			quoted[i] = unitQuote("-" + d)
		}
		w("ReadWritePaths=%s", strings.Join(quoted, " "))
	}
	w("ProtectHome=read-only")
	w("PrivateTmp=true")
	w("PrivateDevices=true")
	if sendmail {
		w("# [mail] transport = \"sendmail\": the MTA's sendmail may be setuid or setgid")
		w("# (postdrop, exim) and writes its queue under /var/spool, so NoNewPrivileges and")
		w("# RestrictSUIDSGID are left out.")
	} else {
		w("NoNewPrivileges=true")
		w("RestrictSUIDSGID=true")
	}
	if user != "root" {
		w("CapabilityBoundingSet=")
	} else {
		w("# root keeps only what reading and writing other users' files needs.")
		w("CapabilityBoundingSet=CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_CHOWN")
	}
	w("ProtectKernelTunables=true")
	w("ProtectKernelModules=true")
	w("ProtectKernelLogs=true")
	w("ProtectControlGroups=true")
	w("ProtectClock=true")
	w("ProtectHostname=true")
	w("ProtectProc=invisible")
	w("RestrictRealtime=true")
	w("RestrictNamespaces=true")
	w("LockPersonality=true")
	w("MemoryDenyWriteExecute=true")
	w("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK")
	w("SystemCallArchitectures=native")
	w("SystemCallFilter=@system-service")
	w("SystemCallErrorNumber=EPERM")
	return b.String()
}

// writtenDir is a directory a run writes to; temporary is set for staging.
type writtenDir struct {
	path      string
	what      string
	temporary bool
}

// writtenDirs lists, once each, the directories a run writes to.
func writtenDirs(cfg *config.Config) []writtenDir {
	var dirs []writtenDir
	add := func(path, what string, temporary bool) {
		path = filepath.Clean(path)
		if !slices.ContainsFunc(dirs, func(d writtenDir) bool { return d.path == path }) {
			dirs = append(dirs, writtenDir{path, what, temporary})
		}
	}
	if cfg.Log.File != "" && cfg.Log.File != "-" {
		add(filepath.Dir(cfg.Log.File), "[log] file", false)
	}
	add(cfg.State.Dir, "[state] dir", false)
	for _, j := range cfg.Jobs {
		add(j.Archive.StagingDir, "the staging_dir of job "+j.Name, true)
		for _, d := range j.Destinations {
			if u, err := url.Parse(d.URL); err == nil && u.Scheme == "file" && u.Path != "" {
				add(u.Path, "the destination "+d.Name+" of job "+j.Name, false)
			}
		}
	}
	return dirs
}

// underTmp reports whether path is in /tmp or /var/tmp, which PrivateTmp replaces
// with directories private to each run, writable and removed when it ends.
func underTmp(path string) bool {
	for _, tmp := range []string{"/tmp", "/var/tmp"} {
		if path == tmp || strings.HasPrefix(path, tmp+"/") {
			return true
		}
	}
	return false
}

// unitQuote quotes a path for a unit file when it holds a space or a specifier.
func unitQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if strings.ContainsAny(s, " \t\"'\\") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}
