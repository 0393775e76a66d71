package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// secondsParser reads a schedule's first field as seconds and ignores the others:
// "* * * * *" runs every second, "*/3 * * * *" every three seconds. The
// configuration still holds valid five-field expressions.
func secondsParser(spec string) (cron.Schedule, error) {
	return cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow).Parse(strings.Fields(spec)[0] + " * * * * *")
}

// A daemon started by a test in a child process (GARDIEN_TEST_MAIN=1) counts in
// seconds too.
func init() {
	if os.Getenv("GARDIEN_TEST_SCHEDULE_SECONDS") == "1" {
		scheduleParser = secondsParser
	}
}

// daemonJob is a job of a daemon test.
type daemonJob struct {
	name, schedule string
	src            *testutil.ZipServer
}

func dumpServer(t *testing.T, name string) *testutil.ZipServer {
	return testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO "+name+" VALUES (1);\n"), 2000)}))
}

// slowServer answers with the start of a large body, then nothing until the request
// is cancelled. It counts the requests in progress and the most seen at once.
type slowServer struct {
	*testutil.ZipServer
	started        chan struct{}
	current, peak  atomic.Int32
	mu             sync.Mutex
	requestsServed int
}

func newSlowServer(t *testing.T) *slowServer {
	s := &slowServer{ZipServer: testutil.NewZipServer(t, nil), started: make(chan struct{}, 10)}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.current.Add(1)
		defer s.current.Add(-1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(100<<20))
		w.Write(make([]byte, 1<<20))
		w.(http.Flusher).Flush()
		select {
		case s.started <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	return s
}

// writeDaemonConfig writes the configuration of jobs under dir: each job archives
// to dir/dest-NAME, the log is dir/gardien.log.
func writeDaemonConfig(t *testing.T, dir string, jobs ...daemonJob) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[log]\nfile = %q\n[state]\ndir = %q\n", filepath.Join(dir, "gardien.log"), filepath.Join(dir, "state"))
	for _, j := range jobs {
		fmt.Fprintf(&b, "\n[[job]]\nname = %q\nschedule = %q\n  [job.source]\n  url = %q\n  ca_file = %q\n  expect = \"dump.sql\"\n  retries = 0\n", j.name, j.schedule, j.src.URLPath(), j.src.CAFile)
		fmt.Fprintf(&b, "  [job.archive]\n  staging_dir = %q\n  [[job.destination]]\n  name = \"local\"\n  url = \"file://%s\"\n", filepath.Join(dir, "staging"), filepath.Join(dir, "dest-"+j.name))
	}
	p := filepath.Join(dir, "gardien.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startDaemon runs a daemon on cfg until the test ends; results receives each run.
type testDaemon struct {
	*daemon
	results chan *report.Result
	cancel  context.CancelFunc
	done    chan error
	logFile string
	stopped bool
}

func startDaemon(t *testing.T, cfg string) *testDaemon {
	t.Helper()
	g := &globalOptions{configPath: cfg, quiet: true, stdout: &bytes.Buffer{}, stderr: &syncBuffer{}}
	d, err := g.newDaemon(nil, secondsParser, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d.grace = time.Second // a stalled step is interrupted soon after the stop
	td := &testDaemon{daemon: d, results: make(chan *report.Result, 100), done: make(chan error, 1), logFile: filepath.Join(filepath.Dir(cfg), "gardien.log")}
	d.afterRun = func(res *report.Result) {
		select {
		case td.results <- res:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	td.cancel = cancel
	go func() { td.done <- d.serve(ctx, nil) }()
	t.Cleanup(func() { td.stop(t) })
	return td
}

// stop cancels the daemon as SIGTERM does, and waits for it to return.
func (td *testDaemon) stop(t *testing.T) time.Duration {
	t.Helper()
	if td.stopped {
		return 0
	}
	td.stopped = true
	t0 := time.Now()
	td.cancel()
	select {
	case err := <-td.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	return time.Since(t0)
}

// waitRuns waits until every job named has run at least once, and returns the runs.
func (td *testDaemon) waitRuns(t *testing.T, names ...string) []*report.Result {
	t.Helper()
	var got []*report.Result
	seen := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(seen) < len(names) {
		select {
		case res := <-td.results:
			got = append(got, res)
			for _, n := range names {
				if res.Job == n {
					seen[n] = true
				}
			}
		case <-deadline:
			log, _ := os.ReadFile(td.logFile)
			t.Fatalf("jobs %v did not all run: %d runs\n%s", names, len(got), log)
		}
	}
	return got
}

// waitLog waits until the log matches re.
func waitLog(t *testing.T, file string, re *regexp.Regexp, n int) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		text, _ := os.ReadFile(file)
		if len(re.FindAll(text, -1)) >= n {
			return string(text)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log never matched %s %d times:\n%s", re, n, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func archives(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// Two jobs on their schedules both run, each to its destination.
func TestDaemonRunsJobs(t *testing.T) {
	dir := t.TempDir()
	cfg := writeDaemonConfig(t, dir, daemonJob{"a", "* * * * *", dumpServer(t, "a")}, daemonJob{"b", "*/2 * * * *", dumpServer(t, "b")})
	td := startDaemon(t, cfg)
	for _, res := range td.waitRuns(t, "a", "b") {
		if res.Outcome() == report.Failure {
			t.Errorf("run of %s: %s", res.Job, res.FailedStep().Cause)
		}
	}
	td.stop(t)
	for _, j := range []string{"a", "b"} {
		if got := archives(t, filepath.Join(dir, "dest-"+j)); len(got) != 1 {
			t.Errorf("dest-%s holds %v", j, got)
		}
	}
	log, _ := os.ReadFile(td.logFile)
	for _, re := range []string{
		`msg="daemon started" config=` + regexp.QuoteMeta(cfg) + ` pid=\d+ jobs=2`,
		`msg="job scheduled" job=a schedule="\* \* \* \* \*" next=`,
		`msg="run finished" job=a run=\w+ status=SUCCESS took=`,
		`msg="next run" job=a next=`,
		`msg="run finished" job=b run=\w+ status=SUCCESS took=`,
		`== a run \w+ · .* · SUCCESS ==`, // the summary block
		`msg="daemon stopped"`,
	} {
		if !regexp.MustCompile(re).Match(log) {
			t.Errorf("the log lacks %s:\n%s", re, log)
		}
	}
}

// A job whose time comes while it runs is skipped, and so is one still waiting for
// another job; cancelling (SIGTERM) interrupts the run, which leaves nothing behind.
func TestDaemonSkipsAndStops(t *testing.T) {
	dir := t.TempDir()
	slow := newSlowServer(t)
	cfg := writeDaemonConfig(t, dir, daemonJob{"slow", "* * * * *", slow.ZipServer}, daemonJob{"fast", "* * * * *", dumpServer(t, "fast")})
	td := startDaemon(t, cfg)
	select {
	case <-slow.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow job never started")
	}
	waitLog(t, td.logFile, regexp.MustCompile(`msg="run skipped" job=slow next=\S+ \S+ cause="the previous run, started at \S+ \S+, is still running" hint=`), 2)
	waitLog(t, td.logFile, regexp.MustCompile(`msg="run skipped" job=fast next=\S+ \S+ cause="the previous run is still waiting for job slow to finish"`), 1)
	if p := slow.peak.Load(); p != 1 {
		t.Errorf("%d runs of the slow job at once", p)
	}
	if took := td.stop(t); took > 10*time.Second {
		t.Errorf("took %v to stop", took)
	}
	select {
	case res := <-td.results:
		if res.Job != "slow" || !res.Interrupted || res.Outcome() != report.Failure {
			t.Errorf("last run: %s interrupted=%v %v", res.Job, res.Interrupted, res.Outcome())
		}
	default:
		t.Error("the interrupted run was not reported")
	}
	if got := archives(t, filepath.Join(dir, "dest-slow")); len(got) != 0 {
		t.Errorf("the destination holds %v", got)
	}
	if got := archives(t, filepath.Join(dir, "staging")); len(got) != 0 {
		t.Errorf("the staging directory holds %v", got)
	}
	log, _ := os.ReadFile(td.logFile)
	for _, re := range []string{`msg="run interrupted" job=slow`, `msg="stopping: the step did not end within the grace period: the run is interrupted" job=slow`,
		`msg="run not started: the daemon is stopping" job=fast`, `msg="daemon stopped"`} {
		if !regexp.MustCompile(re).Match(log) {
			t.Errorf("the log lacks %s:\n%s", re, log)
		}
	}
}

// reload picks up a new job; an invalid file is logged and the jobs go on.
func TestDaemonReload(t *testing.T) {
	dir := t.TempDir()
	a := daemonJob{"a", "* * * * *", dumpServer(t, "a")}
	cfg := writeDaemonConfig(t, dir, a)
	td := startDaemon(t, cfg)
	td.waitRuns(t, "a")

	writeDaemonConfig(t, dir, a, daemonJob{"b", "* * * * *", dumpServer(t, "b")})
	if err := td.reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	for _, res := range td.waitRuns(t, "b") {
		if res.Job == "b" && res.Outcome() != report.Success {
			t.Errorf("run of b: %v", res.Outcome())
		}
	}
	waitLog(t, td.logFile, regexp.MustCompile(`msg="configuration reloaded" config=\S+ jobs=2`), 1)

	os.WriteFile(cfg, []byte("[[job]]\nname = \"a\"\nschedule = \"0 2 * *\"\n"), 0o600)
	err := td.reload()
	if err == nil {
		t.Fatal("an invalid configuration was reloaded")
	}
	log := waitLog(t, td.logFile, regexp.MustCompile(`level=ERROR msg="configuration not reloaded" config=\S+ cause=".*4 field\(s\) where cron has 5.*" hint="fix the file`), 1)
	// The previous configuration goes on: both jobs run again.
	for len(td.results) > 0 {
		<-td.results
	}
	td.waitRuns(t, "a", "b")
	if strings.Count(log, `msg="daemon started"`) != 1 {
		t.Errorf("the log:\n%s", log)
	}
}

// No scheduled job: nothing to do, exit 2.
func TestDaemonWithoutSchedule(t *testing.T) {
	dir := t.TempDir()
	cfg := writeJobsConfig(t, dir, filepath.Join(dir, "gardien.log"), [2]string{"db", ""})
	code, _, errOut := gardien(t, "--config", cfg, "daemon")
	if code != 2 || !strings.Contains(errOut, "has a schedule, so the daemon would never run anything") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// The real signals, to gardien daemon in a child process: SIGHUP reloads the file
// (a new job starts), SIGTERM interrupts that job's run, which leaves no archive,
// and the daemon exits 0.
func TestDaemonSignals(t *testing.T) {
	dir := t.TempDir()
	a := daemonJob{"a", "* * * * *", dumpServer(t, "a")}
	cfg := writeDaemonConfig(t, dir, a)
	logFile := filepath.Join(dir, "gardien.log")

	cmd := exec.Command(os.Args[0], "--config", cfg, "daemon")
	cmd.Env = append(os.Environ(), "GARDIEN_TEST_MAIN=1", "GARDIEN_TEST_SCHEDULE_SECONDS=1")
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	waitLog(t, logFile, regexp.MustCompile(`msg="next run" job=a next=`), 1)
	if !strings.Contains(out.String(), "gardien daemon: "+cfg) {
		t.Errorf("stdout: %s", out.String())
	}

	slow := newSlowServer(t)
	writeDaemonConfig(t, dir, a, daemonJob{"slow", "* * * * *", slow.ZipServer})
	cmd.Process.Signal(syscall.SIGHUP)
	select {
	case <-slow.started:
	case <-time.After(30 * time.Second):
		log, _ := os.ReadFile(logFile)
		t.Fatalf("SIGHUP: the new job never started\n%s%s", log, errOut.String())
	}
	waitLog(t, logFile, regexp.MustCompile(`msg="configuration reloaded" config=\S+ jobs=2`), 1)

	// The first SIGTERM lets the step under way finish; this one stalls, and a
	// second signal interrupts it at once.
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	waitLog(t, logFile, regexp.MustCompile(`msg="stopping: the run in progress finishes its current step" job=slow`), 1)
	cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-exited:
		exited <- err
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stop after SIGTERM")
	}
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("took %v to stop", took)
	}
	if err != nil {
		t.Errorf("exit: %v, want 0\n%s", err, errOut.String())
	}
	if got := archives(t, filepath.Join(dir, "dest-slow")); len(got) != 0 {
		t.Errorf("the destination holds %v", got)
	}
	if got := archives(t, filepath.Join(dir, "staging")); len(got) != 0 {
		t.Errorf("the staging directory holds %v", got)
	}
	log, _ := os.ReadFile(logFile)
	for _, re := range []string{`msg="stopping: a second signal: the run is interrupted" job=slow`, `msg="run interrupted" job=slow`, `FAILURE at "zip downloaded" \(interrupted\)`, `msg="daemon stopped"`} {
		if !regexp.MustCompile(re).Match(log) {
			t.Errorf("the log lacks %s:\n%s", re, log)
		}
	}
}

// [job.verify] schedule makes the daemon run gardien verify, with its own summary,
// even for a job that it never runs itself (no schedule: run by hand).
func TestDaemonVerifies(t *testing.T) {
	dir := t.TempDir()
	cfg := writeDaemonConfig(t, dir, daemonJob{"a", "", dumpServer(t, "a")})
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(text), "  [[job.destination]]", "  [job.verify]\n  schedule = \"* * * * *\"\n  [[job.destination]]", 1)), 0o600)
	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	archived := archives(t, filepath.Join(dir, "dest-a"))

	td := startDaemon(t, cfg)
	var verified *report.Result
	for _, res := range td.waitRuns(t, "a (verify)") {
		if res.Job == "a (verify)" {
			verified = res
		}
	}
	if verified.Outcome() != report.Success || verified.Archive != archived[0] {
		t.Errorf("verify: %v of %q, want a success of %v", verified.Outcome(), verified.Archive, archived)
	}
	for _, s := range verified.Steps {
		if s.Name == "checksums verified" && s.Status != report.OK {
			t.Errorf("checksums: %+v", s)
		}
	}
	td.stop(t)
	// The daemon verified the archive; it did not run the job.
	if got := archives(t, filepath.Join(dir, "dest-a")); len(got) != 1 || got[0] != archived[0] {
		t.Errorf("the destination holds %v, had %v", got, archived)
	}
	log, _ := os.ReadFile(td.logFile)
	for _, re := range []string{
		`msg="job not scheduled" job=a hint=`,
		`msg="verify scheduled" job=a schedule="\* \* \* \* \*" next=`,
		`msg="verify started" job=a run=\w+ archive=newest`,
		`== a \(verify\) run \w+ · .* · SUCCESS ==`,
		`ok      checksums verified     1 file, SHA-256 as in the MANIFEST`,
		`msg="next run" job="a \(verify\)" next=`,
	} {
		if !regexp.MustCompile(re).Match(log) {
			t.Errorf("the log lacks %s:\n%s", re, log)
		}
	}
	if _, daemonLog, _ := strings.Cut(string(log), `msg="daemon started"`); strings.Contains(daemonLog, `msg="run started"`) {
		t.Errorf("the daemon ran the job:\n%s", daemonLog)
	}
}

// A stop (SIGTERM) lets the step under way finish: a download that ends within the
// grace period completes, then the run stops before the archive, keeps nothing
// half-made, and reports itself interrupted.
func TestDaemonStopFinishesStep(t *testing.T) {
	dir := t.TempDir()
	body := testutil.Zip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 200000)})
	src := testutil.NewZipServer(t, nil)
	started := make(chan struct{}, 1)
	src.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		half := len(body) / 2
		w.Write(body[:half])
		w.(http.Flusher).Flush()
		select {
		case started <- struct{}{}:
		default:
		}
		time.Sleep(1500 * time.Millisecond) // slow, but it ends
		w.Write(body[half:])
	})
	cfg := writeDaemonConfig(t, dir, daemonJob{"db", "* * * * *", src})
	td := startDaemon(t, cfg)
	td.grace = 20 * time.Second
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the download never started")
	}
	if took := td.stop(t); took < time.Second || took > 15*time.Second {
		t.Errorf("took %v to stop: the download should have been let finish (1.5 s), not waited for the grace period", took)
	}
	var res *report.Result
	select {
	case res = <-td.results:
	default:
		t.Fatal("the stopped run was not reported")
	}
	if !res.Interrupted || res.Outcome() != report.Failure {
		t.Errorf("interrupted=%v outcome %v, want an interrupted FAILURE", res.Interrupted, res.Outcome())
	}
	var downloaded, archive *report.Step
	for i := range res.Steps {
		switch res.Steps[i].Name {
		case report.StepDownloaded:
			downloaded = &res.Steps[i]
		case report.StepArchive:
			archive = &res.Steps[i]
		}
	}
	if downloaded == nil || downloaded.Status != report.OK {
		t.Errorf("the download under way did not finish: %+v", downloaded)
	}
	if archive == nil || archive.Status != report.Skipped || !strings.Contains(archive.Detail, "gardien is stopping") {
		t.Errorf("archive step = %+v, want skipped because gardien is stopping", archive)
	}
	if got := archives(t, filepath.Join(dir, "dest-db")); len(got) != 0 {
		t.Errorf("the destination holds %v", got)
	}
}
