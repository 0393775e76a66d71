package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/logging"
	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/progress"
)

// resolvedConfig resolves --config, then $GARDIEN_CONFIG, then ./gardien.toml, then
// /etc/gardien/gardien.toml.
func (g *globalOptions) resolvedConfig() string {
	if g.configPath != "" {
		return g.configPath
	}
	if p := os.Getenv("GARDIEN_CONFIG"); p != "" {
		return p
	}
	if _, err := os.Stat("gardien.toml"); err == nil {
		return "gardien.toml"
	}
	return "/etc/gardien/gardien.toml"
}

// load reads and validates the configuration; every problem is a usage error (exit 2).
func (g *globalOptions) load() (*config.Config, error) {
	cfg, err := config.Load(g.resolvedConfig(), dest.Check)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(g.stderr, "gardien: warning: %s\n", w)
	}
	return cfg, nil
}

// setup is what every command that works on jobs starts with: the configuration
// loaded and valid, the jobs named on the command line (all by default), the log open.
// The caller closes the log.
func (g *globalOptions) setup(names []string) (*config.Config, []*config.Job, *logging.Log, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, nil, nil, err
	}
	jobs, err := selectJobs(cfg, names)
	if err != nil {
		return nil, nil, nil, err
	}
	l, err := g.openLog(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, jobs, l, nil
}

// archiveArg is the NAME of the commands that take JOB [NAME] (restore, verify): the
// archive to use, "" for the newest.
func archiveArg(args []string) string {
	if len(args) == 2 {
		return args[1]
	}
	return ""
}

// openLog opens the configured log, masking every secret of cfg.
func (g *globalOptions) openLog(cfg *config.Config) (*logging.Log, error) {
	lvl, _ := logging.ParseLevel(cfg.Log.Level)
	o := logging.Options{
		File:      cfg.Log.File,
		Level:     lvl,
		MaxSizeMB: int((int64(cfg.Log.MaxSize) + 1<<20 - 1) >> 20),
		MaxFiles:  cfg.Log.MaxFiles,
		Secrets:   secrets(cfg),
		Stderr:    g.progressBar().Wrap(g.stderr),
		StderrLvl: slog.LevelWarn,
	}
	switch {
	case g.quiet:
		o.StderrLvl = slog.LevelError
	case g.verbose:
		o.StderrLvl = slog.LevelDebug
	case cfg.Log.File == "-" || cfg.Log.File == "":
		o.StderrLvl = lvl
	}
	l, err := logging.Open(o)
	if err != nil {
		return nil, usageError{fault.WithHint(fmt.Errorf("log file %s: %w", cfg.Log.File, err),
			`set [log] file to a writable path, or "-" for stderr only`)}
	}
	// load printed the warnings on stderr already: they go to the file (and the
	// run's captured log) only.
	fileOnly := slog.New(slog.NewTextHandler(l.File, nil))
	for _, w := range cfg.Warnings {
		fileOnly.Warn("configuration", "warning", w)
	}
	return l, nil
}

// out is where text for the person at the terminal goes: nowhere with --quiet.
func (g *globalOptions) out() io.Writer {
	if g.quiet {
		return io.Discard
	}
	return g.progressBar().Wrap(g.stdout)
}

// progressBar returns the progress line of long transfers, drawn on stderr when it is
// a terminal; nil (nothing shown) under cron, in a pipe, or with --quiet.
func (g *globalOptions) progressBar() *progress.Bar {
	if !g.barDone {
		g.barDone = true
		if f, ok := g.stderr.(*os.File); ok && !g.quiet && term.IsTerminal(int(f.Fd())) {
			g.bar = progress.New(g.stderr, 250*time.Millisecond)
		}
	}
	return g.bar
}

// selectJobs returns the named jobs, or all of them.
func selectJobs(cfg *config.Config, names []string) ([]*config.Job, error) {
	if len(names) == 0 {
		out := make([]*config.Job, len(cfg.Jobs))
		for i := range cfg.Jobs {
			out[i] = &cfg.Jobs[i]
		}
		return out, nil
	}
	var out []*config.Job
	for _, n := range names {
		j := findJob(cfg, n)
		if j == nil {
			return nil, usageError{unknownJob(cfg, n)}
		}
		out = append(out, j)
	}
	return out, nil
}

func findJob(cfg *config.Config, name string) *config.Job {
	for i := range cfg.Jobs {
		if cfg.Jobs[i].Name == name {
			return &cfg.Jobs[i]
		}
	}
	return nil
}

func unknownJob(cfg *config.Config, name string) error {
	var known []string
	for _, j := range cfg.Jobs {
		known = append(known, j.Name)
	}
	return fmt.Errorf("no job named %q in %s (jobs: %s)", name, cfg.Path, strings.Join(known, ", "))
}

// secretName is an environment variable name that holds a secret.
var secretName = regexp.MustCompile(`(?i)pass|pwd|secret|token|key|auth|credential`)

// secrets lists every secret value of the configuration, to be masked in the log.
func secrets(cfg *config.Config) []string {
	s := []string{cfg.Mail.Password}
	// A ping URL's path is its secret (a healthchecks.io UUID, a push token).
	s = append(s, cfg.Notify.Start, cfg.Notify.Success, cfg.Notify.Warning, cfg.Notify.Failure)
	dsnPassword := func(dsn string) string {
		if ci, err := pg.ParseDSN(dsn); err == nil {
			return ci["password"]
		}
		return ""
	}
	for _, j := range cfg.Jobs {
		for _, src := range j.AllSources() {
			s = append(s, src.Password, dsnPassword(src.DSN))
			s = append(s, config.URLSecrets(src.URL)...)
			for _, v := range src.Headers {
				s = append(s, v)
				if _, tok, ok := strings.Cut(v, " "); ok { // "Bearer TOKEN"
					s = append(s, tok)
				}
			}
			s = append(s, src.Command.Secrets()...)
			for k, v := range src.Env { // MYSQL_PWD and the like
				if secretName.MatchString(k) {
					s = append(s, v)
				}
			}
		}
		s = append(s, j.Verify.Password, dsnPassword(j.Verify.RestoreDSN))
		for _, d := range j.Destinations {
			s = append(s, d.Password, d.SecretKey)
			s = append(s, config.URLSecrets(d.URL)...)
		}
	}
	return s
}
