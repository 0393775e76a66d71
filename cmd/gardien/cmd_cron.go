package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/schedule"
)

// cronFile is where `gardien cron --install` writes by default.
const cronFile = "/etc/cron.d/gardien"

// cronPath is the PATH of the cron entries: where pg_dump, sendmail and the
// commands of a command source are found.
const cronPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

type cronOptions struct {
	file      string
	user      string
	binary    string
	install   bool
	uninstall bool
	disabled  bool
}

func newCronCommand(g *globalOptions) *cobra.Command {
	o := cronOptions{file: cronFile, user: "root"}
	cmd := &cobra.Command{
		Use:   "cron",
		Short: "Print (or --install) the cron entries of the configured jobs",
		Long: `Print the cron file that runs each job at its schedule, one line per job:

  0 2 * * * root /usr/bin/gardien --config /etc/gardien/gardien.toml --quiet run ocpizza-db >>/var/log/gardien/gardien.log 2>&1

MAILTO is empty (gardien sends its own report, see [mail]) and what gardien prints
is appended to its log file, so that an error that happens before the log is open
(an invalid configuration) is there too. Each schedule is checked, and the next
three runs of each job are shown; a job without schedule is listed as not scheduled.

Without --install the file goes to stdout (redirect it where you like) and the
next runs to stderr. --install writes /etc/cron.d/gardien (cron reads it within a
minute); --uninstall removes it.`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return g.cron(o, time.Now())
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&o.install, "install", false, "write the cron file instead of printing it")
	f.BoolVar(&o.uninstall, "uninstall", false, "remove the cron file")
	f.StringVar(&o.file, "file", o.file, "the cron file for --install and --uninstall")
	f.StringVar(&o.user, "user", o.user, "the user the jobs run as")
	f.StringVar(&o.binary, "binary", "", "the gardien program the entries run (default: this one)")
	f.BoolVar(&o.disabled, "disabled", false, "write the entries commented out, to be enabled by hand (as the Debian package ships them)")
	cmd.MarkFlagsMutuallyExclusive("install", "uninstall")
	return cmd
}

func (g *globalOptions) cron(o cronOptions, now time.Time) error {
	if o.uninstall {
		err := os.Remove(o.file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(g.out(), "%s does not exist: nothing to remove\n", o.file)
			return nil
		case err != nil:
			return fault.WithHint(err, "run it as root (sudo gardien cron --uninstall)")
		}
		fmt.Fprintf(g.out(), "removed %s: cron runs no gardien job any more\n", o.file)
		return nil
	}
	cfg, bin, err := g.schedulerConfig(o.binary)
	if err != nil {
		return err
	}
	text, err := cronText(cfg, o, bin)
	if err != nil {
		return err
	}
	g.warnNoUser(o.user)
	jobs := schedules(cfg)
	if !o.install {
		if _, err := io.WriteString(g.stdout, text); err != nil {
			return err
		}
		if !g.quiet {
			writeSchedules(g.stderr, jobs, now)
		}
		return nil
	}
	if err := writeFileAtomic(o.file, []byte(text), 0o644); err != nil {
		hint := "run it as root (sudo gardien cron --install), or pass --file"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "is cron installed? (apt install cron) Without cron, use gardien systemd or gardien daemon"
		}
		return fault.WithHint(err, hint)
	}
	fmt.Fprintf(g.out(), "wrote %s (jobs run as %s; cron reads it within a minute)\n", o.file, o.user)
	writeSchedules(g.out(), jobs, now)
	return nil
}

// schedulerConfig is what `gardien cron` and `gardien systemd` start from: the
// configuration, and the gardien program (--binary, or this one) that their entries
// run.
func (g *globalOptions) schedulerConfig(binary string) (*config.Config, string, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, "", err
	}
	bin, err := g.programPath(binary)
	if err != nil {
		return nil, "", err
	}
	return cfg, bin, nil
}

// warnNoUser warns (unless --quiet) when the user the scheduled jobs are to run as
// does not exist on this machine.
func (g *globalOptions) warnNoUser(name string) {
	if _, err := user.Lookup(name); err != nil && !g.quiet {
		fmt.Fprintf(g.stderr, "gardien: warning: there is no user %q on this machine: the jobs cannot run until it exists\n", name)
	}
}

// programPath returns the gardien program that cron or systemd is to run, and warns
// when it is a temporary build (`go run`) that will be gone.
func (g *globalOptions) programPath(flag string) (string, error) {
	if flag != "" {
		if !filepath.IsAbs(flag) {
			return "", usageError{fmt.Errorf("--binary %s: give an absolute path, such as /usr/bin/gardien", flag)}
		}
		return flag, nil
	}
	bin, err := os.Executable()
	if err != nil {
		return "", fault.WithHint(fmt.Errorf("cannot tell where gardien is installed: %w", err), "pass --binary /usr/bin/gardien")
	}
	if strings.Contains(bin, string(filepath.Separator)+"go-build") {
		fmt.Fprintf(g.stderr, "gardien: warning: %s is a temporary build (go run): install gardien and pass --binary\n", bin)
	}
	return bin, nil
}

var userRe = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*\$?$`)

// cronText is the content of the cron file for the jobs of cfg.
func cronText(cfg *config.Config, o cronOptions, bin string) (string, error) {
	if !userRe.MatchString(o.user) {
		return "", usageError{fmt.Errorf("--user %q is not a user name", o.user)}
	}
	if cfg.Log.File == "" || cfg.Log.File == "-" {
		return "", usageError{fault.WithHint(fmt.Errorf("%s: [log] file is %q: under cron, what goes to stderr is lost", cfg.Path, cfg.Log.File),
			`set [log] file to a path, such as "`+config.DefaultLogFile+`"`)}
	}
	cfgPath, err := filepath.Abs(cfg.Path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: the gardien jobs of %s, written by `gardien cron`.\n", cronFile, cfgPath)
	b.WriteString("# After changing a job or its schedule, run `gardien cron --install` again.\n")
	if o.disabled {
		fmt.Fprintf(&b, "# The entries are disabled: remove the \"#\" before them, or run\n#   gardien cron --install --user %s\n# which writes them from the jobs of the configuration.\n", o.user)
	}
	b.WriteString("# gardien sends its own report ([mail]): cron's mail would only repeat it.\n")
	b.WriteString("MAILTO=\"\"\n")
	b.WriteString("PATH=" + cronPath + "\n")
	b.WriteString("SHELL=/bin/sh\n")
	for _, sj := range schedules(cfg) {
		b.WriteString("\n")
		if sj.expr == nil {
			fmt.Fprintf(&b, "# %s: not scheduled (no schedule in its [[job]])\n", sj.job.Name)
			continue
		}
		fmt.Fprintf(&b, "# %s\n", sj.label())
		if o.disabled {
			b.WriteString("# ")
		}
		q := func(s string) string { return cronEscape(shellQuote(s)) }
		fmt.Fprintf(&b, "%s %s test -x %s && %s --config %s --quiet %s %s >>%s 2>&1\n",
			sj.expr.CronSpec(), o.user, q(bin), q(bin), q(cfgPath), sj.command(), q(sj.job.Name), q(cfg.Log.File))
	}
	return b.String(), nil
}

// scheduledJob is a job with its schedule; expr is nil when it has none. verify is
// set for the schedule of its [job.verify], which runs gardien verify.
type scheduledJob struct {
	job    *config.Job
	expr   *schedule.Expr
	verify bool
}

// command is the gardien command the entry runs.
func (sj scheduledJob) command() string {
	if sj.verify {
		return "verify"
	}
	return "run"
}

// label names the entry: the job, or "JOB (verify)".
func (sj scheduledJob) label() string {
	if sj.verify {
		return sj.job.Name + " (verify)"
	}
	return sj.job.Name
}

func scheduledJobs(cfg *config.Config) []scheduledJob {
	out := make([]scheduledJob, len(cfg.Jobs))
	for i := range cfg.Jobs {
		j := &cfg.Jobs[i]
		out[i].job = j
		if j.Schedule != "" {
			out[i].expr, _ = schedule.Parse(j.Schedule) // Load validated it
		}
	}
	return out
}

// schedules are every job, then every scheduled [job.verify]: what cron, the
// systemd timers and the daemon run, in the order they list it.
func schedules(cfg *config.Config) []scheduledJob {
	return append(scheduledJobs(cfg), scheduledVerifies(cfg)...)
}

// scheduledVerifies are the jobs whose [job.verify] has a schedule: cron, the
// systemd timers and the daemon run gardien verify for them.
func scheduledVerifies(cfg *config.Config) []scheduledJob {
	var out []scheduledJob
	for i := range cfg.Jobs {
		if j := &cfg.Jobs[i]; j.Verify.Schedule != "" {
			sj := scheduledJob{job: j, verify: true}
			sj.expr, _ = schedule.Parse(j.Verify.Schedule) // Load validated it
			out = append(out, sj)
		}
	}
	return out
}

// writeSchedules writes each job's schedule and its next three runs.
func writeSchedules(w io.Writer, jobs []scheduledJob, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, sj := range jobs {
		if sj.expr == nil {
			fmt.Fprintf(tw, "%s\tnot scheduled\t(no schedule in its [[job]]: it runs only by hand)\n", sj.job.Name)
			continue
		}
		var next []string
		for _, t := range sj.expr.NextN(now, 3) {
			next = append(next, t.Format("Mon 2006-01-02 15:04"))
		}
		fmt.Fprintf(tw, "%s\t%s\tnext: %s\n", sj.label(), strings.TrimSpace(sj.expr.String()), strings.Join(next, ", "))
	}
	tw.Flush()
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=@+,-]+$`)

// shellQuote quotes s for /bin/sh when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cronEscape protects "%", which cron turns into a newline in a command.
func cronEscape(s string) string { return strings.ReplaceAll(s, "%", `\%`) }

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so that cron or systemd never reads half a file.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
