package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/logging"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/schedule"
)

// scheduleParser reads a job's schedule for the daemon. The daemon's tests replace
// it, in the test binary only, with one that reads the same five fields in seconds.
var scheduleParser = func(expr string) (cron.Schedule, error) {
	e, err := schedule.Parse(expr)
	if err != nil {
		return nil, err
	}
	return e.Schedule(), nil
}

// DefaultStopGrace is how long a SIGTERM lets the step under way finish: less than
// systemd's 90 s before it kills a service that does not stop.
const DefaultStopGrace = time.Minute

func newDaemonCommand(g *globalOptions) *cobra.Command {
	grace := DefaultStopGrace
	cmd := &cobra.Command{
		Use:   "daemon [JOB...]",
		Short: "Run the jobs at their schedules, without cron",
		Long: `Stay in the foreground and run each job (all, or those named) at its schedule,
for machines without cron and for containers. The log, the summary and the mail
are those of gardien run.

A job whose [job.verify] has a schedule is also verified at that schedule, as by
gardien verify JOB: its summary and its mail are those of gardien verify.

Jobs run one at a time, in the order their time comes. When a job's time comes
while its previous run is still going on (or waiting for another job), that run is
skipped and the log says so: two runs of a job never overlap.

SIGHUP reloads the configuration; an invalid one is logged and the previous one
kept. SIGTERM or SIGINT stops the daemon cleanly: the run in progress finishes the
step under way (a transfer completes), starts no other, and sends its report; if the
step has not ended after --stop-grace, or on a second signal, it is interrupted,
which removes its temporary files. Then the daemon exits (code 0).`,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			d, err := g.newDaemon(args, scheduleParser, time.Now())
			if err != nil {
				return err
			}
			d.grace = grace
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			term := make(chan os.Signal, 4)
			signal.Notify(term, syscall.SIGTERM, os.Interrupt)
			defer signal.Stop(term)
			d.term = term
			return d.serve(cmd.Context(), hup)
		}),
	}
	cmd.Flags().DurationVar(&grace, "stop-grace", DefaultStopGrace, "on SIGTERM, how long the step under way may take to finish before it is interrupted")
	return cmd
}

// daemon runs jobs at their schedules. serve owns the loop; reload may be called
// from anywhere.
type daemon struct {
	g       *globalOptions
	names   []string // the jobs named on the command line; none: all
	parse   func(string) (cron.Schedule, error)
	changed chan struct{} // reload → serve: the schedules changed
	reloads sync.Mutex    // one reload at a time

	mu      sync.Mutex
	gen     *generation
	retired []*logging.Log // logs of replaced configurations, closed after the run
	running *runState      // the run in progress, nil when idle
	queue   []task         // runs whose time came, waiting for the run in progress

	// grace is how long, once stopping, the run in progress may take to finish its
	// step; term delivers SIGTERM and SIGINT (a second one interrupts at once).
	grace time.Duration
	term  <-chan os.Signal
	// stopping is closed when the daemon stops: the run in progress ends after its
	// step; interrupt cancels the runs' context.
	stopping  chan struct{}
	interrupt context.CancelFunc

	// afterRun, when set, is called with each run's result (tests).
	afterRun func(*report.Result)
}

// generation is one configuration as the daemon uses it: valid, its log open.
type generation struct {
	cfg     *config.Config
	log     *logging.Log
	entries []*entry
}

// entry is a scheduled job, or the schedule of its [job.verify], and its next run.
type entry struct {
	job    *config.Job
	verify bool   // the entry runs gardien verify, at [job.verify] schedule
	spec   string // the schedule
	sched  cron.Schedule
	next   time.Time
}

func (e *entry) task() task { return task{job: e.job.Name, verify: e.verify} }

// task is what the daemon runs: a job, or its verify.
type task struct {
	job    string
	verify bool
}

// label names the task in the log: "db", or "db (verify)" as gardien verify's
// summary does.
func (t task) label() string {
	if t.verify {
		return t.job + " (verify)"
	}
	return t.job
}

type runState struct {
	task  task
	start time.Time
}

func (g *globalOptions) newDaemon(names []string, parse func(string) (cron.Schedule, error), now time.Time) (*daemon, error) {
	// Reload the same file whatever the working directory.
	path, err := filepath.Abs(g.resolvedConfig())
	if err != nil {
		return nil, err
	}
	g.configPath = path
	d := &daemon{g: g, names: names, parse: parse, changed: make(chan struct{}, 1), grace: DefaultStopGrace, stopping: make(chan struct{})}
	gen, err := d.load(now, nil)
	if err != nil {
		return nil, err
	}
	d.gen = gen
	gen.log.Info("daemon started", "config", path, "pid", os.Getpid(), "jobs", len(gen.entries))
	d.logSchedules(gen, "job scheduled")
	fmt.Fprintf(d.g.out(), "gardien daemon: %s\n", path)
	writeSchedules(d.g.out(), schedules(gen.cfg), now)
	return d, nil
}

// load reads the configuration and opens its log. A job (or its verify) keeps its
// next run when its schedule did not change; old is keyed by task label.
func (d *daemon) load(now time.Time, old map[string]*entry) (*generation, error) {
	cfg, err := d.g.load()
	if err != nil {
		return nil, err
	}
	jobs, err := selectJobs(cfg, d.names)
	if err != nil {
		return nil, err
	}
	var entries []*entry
	for _, j := range jobs {
		for _, e := range []*entry{{job: j, spec: j.Schedule}, {job: j, verify: true, spec: j.Verify.Schedule}} {
			if e.spec == "" {
				continue
			}
			s, err := d.parse(e.spec)
			if err != nil {
				return nil, err
			}
			e.sched, e.next = s, s.Next(now)
			if o := old[e.task().label()]; o != nil && o.spec == e.spec {
				e.next = o.next
			}
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil, usageError{fmt.Errorf("no job of %s has a schedule, so the daemon would never run anything: add schedule = \"0 2 * * *\" to the [[job]] sections", cfg.Path)}
	}
	l, err := d.g.openLog(cfg)
	if err != nil {
		return nil, err
	}
	return &generation{cfg: cfg, log: l, entries: entries}, nil
}

func (d *daemon) logSchedules(gen *generation, msg string) {
	jobs, _ := selectJobs(gen.cfg, d.names)
	for _, j := range jobs {
		i := slices.IndexFunc(gen.entries, func(e *entry) bool { return e.job == j && !e.verify })
		if i < 0 {
			gen.log.Info("job not scheduled", "job", j.Name, "hint", `the daemon never runs it: add schedule = "0 2 * * *" to its [[job]]`)
		} else {
			gen.log.Info(msg, "job", j.Name, "schedule", j.Schedule, "next", gen.entries[i].next.Format(time.DateTime))
		}
		if i := slices.IndexFunc(gen.entries, func(e *entry) bool { return e.job == j && e.verify }); i >= 0 {
			gen.log.Info("verify scheduled", "job", j.Name, "schedule", j.Verify.Schedule, "next", gen.entries[i].next.Format(time.DateTime))
		}
	}
}

// reload replaces the configuration by what the file holds now (SIGHUP). When the
// file is invalid, the error is logged and the previous configuration stays.
func (d *daemon) reload() error {
	d.reloads.Lock()
	defer d.reloads.Unlock()
	d.mu.Lock()
	old := d.gen
	next := map[string]*entry{}
	for _, e := range old.entries {
		next[e.task().label()] = &entry{job: e.job, verify: e.verify, spec: e.spec, next: e.next}
	}
	d.mu.Unlock()

	gen, err := d.load(time.Now(), next)
	if err != nil {
		old.log.Error("configuration not reloaded", "config", d.g.configPath, "cause", err.Error(),
			"hint", "fix the file (gardien check tests it), then send SIGHUP again; the jobs go on with the previous configuration")
		return err
	}
	gen.log.Info("configuration reloaded", "config", d.g.configPath, "jobs", len(gen.entries))
	d.logSchedules(gen, "job scheduled") // before serve sees gen and moves its times
	d.mu.Lock()
	d.gen = gen
	if d.running != nil { // its run still logs there
		d.retired = append(d.retired, old.log)
	} else {
		old.log.Close()
	}
	d.mu.Unlock()
	select {
	case d.changed <- struct{}{}:
	default:
	}
	return nil
}

// serve runs the jobs at their times until ctx is cancelled, then interrupts the run
// in progress, waits for it to report, and returns. hup reloads the configuration.
func (d *daemon) serve(ctx context.Context, hup <-chan os.Signal) error {
	// The runs outlive the first signal (ctx): they stop between steps, and are
	// interrupted only after the grace period or on a second signal.
	runCtx, interrupt := context.WithCancel(context.WithoutCancel(ctx))
	defer interrupt()
	d.interrupt = interrupt
	done := make(chan *report.Result, 1)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		wait := time.Until(d.gen.nextTime())
		d.mu.Unlock()
		timer.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return d.stop(done)
		case <-hup:
			d.reload()
		case <-d.changed:
		case <-timer.C:
			d.tick(time.Now())
		case res := <-done:
			d.finished(res)
		}
		d.startNext(ctx, runCtx, done)
	}
}

func (gen *generation) nextTime() time.Time {
	var t time.Time
	for _, e := range gen.entries {
		if t.IsZero() || e.next.Before(t) {
			t = e.next
		}
	}
	return t
}

// tick queues the jobs whose time has come, skipping those still running or waiting.
func (d *daemon) tick(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	log := d.gen.log
	for _, e := range d.gen.entries {
		if e.next.After(now) {
			continue
		}
		e.next = e.sched.Next(now)
		t := e.task()
		switch {
		case d.running != nil && d.running.task == t:
			log.Warn("run skipped", "job", t.label(), "next", e.next.Format(time.DateTime),
				"cause", fmt.Sprintf("the previous run, started at %s, is still running", d.running.start.Format(time.DateTime)),
				"hint", "the job takes longer than the time between two of its runs: space its schedule out")
		case slices.Contains(d.queue, t):
			who := "another job"
			if d.running != nil {
				who = "job " + d.running.task.label()
			}
			log.Warn("run skipped", "job", t.label(), "next", e.next.Format(time.DateTime),
				"cause", "the previous run is still waiting for "+who+" to finish",
				"hint", "jobs run one at a time: space the schedules out")
		default:
			d.queue = append(d.queue, t)
		}
	}
}

// startNext starts the first waiting job when nothing runs.
func (d *daemon) startNext(ctx, runCtx context.Context, done chan<- *report.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.running == nil && len(d.queue) > 0 && ctx.Err() == nil {
		t := d.queue[0]
		d.queue = d.queue[1:]
		gen := d.gen
		j := findJob(gen.cfg, t.job)
		if j == nil { // removed by a reload
			continue
		}
		d.running = &runState{task: t, start: time.Now()}
		if t.verify {
			go func() { done <- d.verifyJob(runCtx, gen, j) }()
			continue
		}
		go func() { done <- d.runJob(runCtx, gen, j) }()
	}
}

// runJob is one `gardien run JOB`: the job, its summary, its mail and pings.
func (d *daemon) runJob(ctx context.Context, gen *generation, j *config.Job) *report.Result {
	l := gen.log
	l.ResetCapture()
	rep := newReporter(gen.cfg, []*config.Job{j}, l, d.g.dryRun)
	// A ping or a mail that does not get through is logged where it fails.
	_ = rep.start(ctx)
	rep.jobStarting()
	res := job.Run(ctx, gen.cfg, j, job.Options{DryRun: d.g.dryRun, Log: l.Logger, Stop: d.stopping})
	writeSummary(res, l.File, l.Wrap(d.g.out()))
	_ = rep.finish(ctx, []*report.Result{res})
	return res
}

// verifyJob is one `gardien verify JOB` of the newest archive: its summary and its mail.
func (d *daemon) verifyJob(ctx context.Context, gen *generation, j *config.Job) *report.Result {
	gen.log.ResetCapture()
	res, _ := verifyAndReport(ctx, gen.cfg, j, "", gen.log, d.g.out())
	return res
}

// finished records the end of the run in progress (job.Run logged how it went).
func (d *daemon) finished(res *report.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running = nil
	attrs := []any{"job", res.Job}
	for _, e := range d.gen.entries {
		if e.task().label() == res.Job {
			attrs = append(attrs, "next", e.next.Format(time.DateTime))
		}
	}
	if len(d.queue) > 0 {
		var waiting []string
		for _, t := range d.queue {
			waiting = append(waiting, t.label())
		}
		attrs = append(attrs, "waiting", strings.Join(waiting, ","))
	}
	d.gen.log.Info("next run", attrs...)
	for _, l := range d.retired {
		l.Close()
	}
	d.retired = nil
	if d.afterRun != nil {
		d.afterRun(res)
	}
}

// stopRun lets the run in progress finish its step, interrupting it after the grace
// period or on a second signal, and returns its result.
func (d *daemon) stopRun(running *runState, done <-chan *report.Result, log *logging.Log) *report.Result {
	// The signal that stopped the daemon may be waiting in term: only a later one
	// is the second.
	for drained := false; !drained; {
		select {
		case <-d.term:
		default:
			drained = true
		}
	}
	log.Info("stopping: the run in progress finishes its current step", "job", running.task.label(), "grace", d.grace.String())
	close(d.stopping)
	timer := time.NewTimer(d.grace)
	defer timer.Stop()
	select {
	case res := <-done:
		return res
	case <-timer.C:
		log.Warn("stopping: the step did not end within the grace period: the run is interrupted", "job", running.task.label(), "grace", d.grace.String())
	case <-d.term:
		log.Warn("stopping: a second signal: the run is interrupted", "job", running.task.label())
	}
	d.interrupt()
	return <-done
}

// stop waits for the interrupted run to report, and closes the log.
func (d *daemon) stop(done <-chan *report.Result) error {
	d.mu.Lock()
	running, waiting := d.running, d.queue
	d.queue = nil
	log := d.gen.log
	d.mu.Unlock()
	if running != nil {
		d.finished(d.stopRun(running, done, log))
	} else {
		close(d.stopping)
	}
	for _, t := range waiting {
		log.Info("run not started: the daemon is stopping", "job", t.label())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen.log.Info("daemon stopped", "pid", os.Getpid())
	return d.gen.log.Close()
}
