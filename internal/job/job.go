// Package job runs one job: source → checks → archive → destinations → retention →
// report. Each step is a check with a result; Run returns them all in a report.Result.
package job

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/source"
	"github.com/gardien/gardien/internal/state"
	"github.com/gardien/gardien/internal/version"
)

// StepLock is the step that fails when another run of the job holds its lock.
const StepLock = "no other run"

// StepStaging is the step that fails when the local staging directory is unusable.
const StepStaging = "staging directory"

// Options are what the command line decides for a run.
type Options struct {
	DryRun bool
	Log    *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// runner holds the state of one run.
type runner struct {
	cfg   *config.Config
	job   *config.Job
	opt   Options
	log   *slog.Logger
	res   *report.Result
	src   source.Source
	pat   *namefmt.Pattern
	now   time.Time
	stage string
}

// NewRunID returns a short identifier for a run, shown on every log line.
func NewRunID() string {
	var b [2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Run runs job j once and returns what happened. It never panics on bad input and
// never deletes anything before the new archive is safely stored.
func Run(ctx context.Context, cfg *config.Config, j *config.Job, opt Options) *report.Result {
	now := opt.now()
	r := &runner{cfg: cfg, job: j, opt: opt, now: now}
	r.res = &report.Result{Job: j.Name, Run: NewRunID(), Start: now, DryRun: opt.DryRun}
	r.log = opt.Log.With("job", j.Name, "run", r.res.Run)
	r.log.Info("run started", "source", j.Source.Type, "destinations", len(j.Destinations), "dry_run", opt.DryRun)
	r.run(ctx)
	if ctx.Err() != nil {
		r.res.Interrupted = true
		r.log.Warn("run interrupted", "cause", context.Cause(ctx).Error(), "hint", "run it again: no half-sent file passes for an archive, and the next run removes what this one left")
	}
	r.res.End = opt.now()
	if r.res.End.Before(r.res.Start) { // a test clock
		r.res.End = r.res.Start
	}
	r.finish()
	return r.res
}

// rec records a step and logs it.
func (r *runner) rec(s report.Step) {
	r.res.Add(s)
	attrs := []any{"step", s.Name}
	if s.Target != "" {
		attrs = append(attrs, "dest", s.Target)
	} else if r.src != nil && (s.Name == report.StepReachable || s.Name == report.StepDownloaded || s.Name == report.StepExpected) {
		attrs = append(attrs, "url", r.src.String())
	}
	if s.Detail != "" {
		attrs = append(attrs, "detail", s.Detail)
	}
	if s.Cause != "" {
		attrs = append(attrs, "cause", s.Cause)
	}
	if s.Hint != "" {
		attrs = append(attrs, "hint", s.Hint)
	}
	switch s.Status {
	case report.Failed:
		r.log.Error("step failed", attrs...)
	case report.Warning:
		r.log.Warn("step warning", attrs...)
	case report.Skipped:
		r.log.Info("step skipped", attrs...)
	default:
		r.log.Info("step ok", attrs...)
	}
}

func (r *runner) fail(step, target string, err error) {
	r.rec(report.Step{Name: step, Target: target, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
}

func (r *runner) run(ctx context.Context) {
	lock, err := state.Lock(r.cfg.State.Dir, r.job.Name)
	if err != nil {
		hint := "wait for the other run to finish; a run killed with kill -9 releases the lock by itself"
		var le *state.LockedError
		if !errors.As(err, &le) {
			hint = "check that state.dir exists and is writable by the user gardien runs as"
		}
		r.rec(report.Step{Name: StepLock, Status: report.Failed, Cause: err.Error(), Hint: hint})
		return
	}
	defer lock.Unlock()

	r.pat, err = namefmt.Compile(r.job.Archive.Name)
	if err != nil { // Load validated it: only a programming error gets here
		r.fail(report.StepArchive, "", err)
		return
	}
	r.removeStaleStaging()
	r.stage = filepath.Join(r.job.Archive.StagingDir, r.job.Name+"-"+r.res.Run)
	if err := os.MkdirAll(r.stage, 0o700); err != nil {
		r.rec(report.Step{Name: StepStaging, Status: report.Failed, Cause: err.Error(), Hint: "check staging_dir in [job.archive]: it must be writable and have room for one archive"})
		return
	}
	defer os.RemoveAll(r.stage)

	r.src, err = source.New(r.job.Source, r.log)
	if err != nil {
		r.fail(report.StepReachable, "", err)
		return
	}
	fetched, err := r.src.Fetch(ctx, r.stage, r.rec)
	if err != nil {
		return
	}
	defer fetched.Close()

	staged, ok := r.buildArchive(ctx, fetched.Items)
	if !ok {
		return
	}
	delivered := r.sendAll(ctx, staged)
	if delivered && !r.opt.DryRun {
		r.saveState(staged)
	}
}

// removeStaleStaging deletes the staging directories that earlier runs of this job
// left behind when they were killed (kill -9, a power cut). The job's lock is held,
// so none of them is in use.
func (r *runner) removeStaleStaging() {
	dirs, _ := filepath.Glob(filepath.Join(r.job.Archive.StagingDir, r.job.Name+"-????"))
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			r.log.Warn("cannot remove a stale staging directory", "dir", d, "cause", err.Error())
			continue
		}
		r.log.Info("removed a stale staging directory left by an interrupted run", "dir", d)
	}
}

// staged is the archive built locally, ready to send.
type staged struct {
	name   string
	path   string
	size   int64
	sha256 string
	files  []state.File
	// suspicious is set when a check warned about the dump: it is still sent, but
	// retention does not run on the strength of it.
	suspicious bool
}

// buildArchive streams the source's items into the staged archive, verifying them on
// the way, then runs the "changed" and "plausible size" checks on their checksums.
func (r *runner) buildArchive(ctx context.Context, items []source.Item) (*staged, bool) {
	name := r.pat.Format(r.now)
	st := &staged{name: name, path: filepath.Join(r.stage, name)}
	last, lastErr := state.LoadLast(r.cfg.State.Dir, r.job.Name)
	if lastErr == nil && r.sameByCRC(items, last) {
		// The zip entries carry the same CRC-32 and size as the last run's dump: it
		// is the same dump, known without decompressing it (seconds saved on a
		// stale 40 GB export). The entry is not read, so its data is not verified:
		// nothing is archived from it.
		for _, it := range items {
			r.rec(report.Step{Name: it.Step, Status: report.OK, Detail: fmt.Sprintf("%s, %s, CRC-32 %08x as in the last run (not re-read)", it.Name, report.Bytes(it.Size), it.CRC32)})
		}
		r.checkChanged(last.Files, last, "by size and CRC-32")
		return nil, false
	}
	if lastErr == nil && r.confirmByCRC(items, last) && !r.confirmUnchanged(ctx, items, last) {
		return nil, false
	}
	tmp := filepath.Join(r.stage, namefmt.TempName(name))
	t0 := time.Now()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		r.fail(report.StepArchive, "", fmt.Errorf("create staged archive: %w", err))
		return nil, false
	}
	defer os.Remove(tmp)
	defer f.Close()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	aw, err := archive.NewWriter(cw, r.job.Archive.Compression, r.job.Archive.Level)
	if err != nil {
		r.fail(report.StepArchive, "", err)
		return nil, false
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			r.fail(report.StepArchive, "", err)
			return nil, false
		}
		rc, err := it.Open()
		if err != nil {
			r.fail(it.Step, "", fmt.Errorf("open %s: %w", it.Name, err))
			return nil, false
		}
		sum, err := aw.Add(it.Name, it.Size, it.ModTime, ctxReader{ctx, rc})
		rc.Close()
		var se *archive.SourceError
		switch {
		case err != nil && ctx.Err() != nil:
			r.fail(report.StepArchive, "", ctx.Err())
			return nil, false
		case errors.As(err, &se):
			cause := fmt.Errorf("%s is damaged: %w", it.Name, se.Err)
			r.rec(report.Step{Name: it.Step, Status: report.Failed, Cause: cause.Error(), Hint: sourceHint(se.Err)})
			return nil, false
		case err != nil:
			r.fail(report.StepArchive, "", fmt.Errorf("write %s: %w", tmp, err))
			return nil, false
		}
		r.rec(report.Step{Name: it.Step, Status: report.OK, Detail: it.Detail})
		st.files = append(st.files, state.File{Name: sum.Name, Size: sum.Size, SHA256: sum.SHA256, CRC32: it.CRC32})
	}

	if lastErr != nil {
		r.rec(report.Step{Name: report.StepChanged, Status: report.Warning, Cause: lastErr.Error(), Hint: "the previous run's record is unreadable: this run is treated as the first"})
		last = nil
	} else if !r.checkChanged(st.files, last, "sha256") {
		return nil, false
	}
	st.suspicious = !r.checkSize(st, last)
	if r.res.FailedStep() != nil {
		return nil, false
	}

	m := &archive.Manifest{Gardien: version.String(), Job: r.job.Name, Run: r.res.Run, Host: hostname(), Source: r.src.String(), Created: r.now}
	if err := aw.Close(m); err != nil {
		r.fail(report.StepArchive, "", fmt.Errorf("write %s: %w", tmp, err))
		return nil, false
	}
	if err := f.Sync(); err != nil {
		r.fail(report.StepArchive, "", fmt.Errorf("sync %s: %w", tmp, err))
		return nil, false
	}
	if err := f.Close(); err != nil {
		r.fail(report.StepArchive, "", fmt.Errorf("close %s: %w", tmp, err))
		return nil, false
	}
	if err := os.Rename(tmp, st.path); err != nil {
		r.fail(report.StepArchive, "", err)
		return nil, false
	}
	st.size, st.sha256 = cw.n, hex.EncodeToString(h.Sum(nil))
	r.res.Archive, r.res.ArchiveSize, r.res.ArchiveSHA256 = st.name, st.size, st.sha256
	r.rec(report.Step{Name: report.StepArchive, Status: report.OK, Detail: fmt.Sprintf("%s, %s in %s", st.name, report.Bytes(st.size), report.Duration(time.Since(t0)))})
	return st, true
}

func sourceHint(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the zip entry is truncated: the export may have been cut; check it on the source server"
	}
	return "the zip entry is corrupt (CRC-32 or size mismatch): check the export on the source server, then run again"
}

// sameByCRC reports whether the items are, by name, size and the CRC-32 their source
// declares, the files of the last run, when that is enough to decide (the dump is
// not to be archived anyway, and no SHA-256 confirmation was asked for).
func (r *runner) sameByCRC(items []source.Item, last *state.Record) bool {
	if last == nil || r.job.Archive.OnUnchanged == "archive" || r.job.Source.ConfirmUnchanged {
		return false
	}
	return crcMatch(items, last.Files)
}

// checkChanged compares the dump with the last successful run's. It returns false
// when the run must stop here.
func (r *runner) checkChanged(files []state.File, last *state.Record, how string) bool {
	short := shortSum(files)
	if last == nil {
		r.rec(report.Step{Name: report.StepChanged, Status: report.OK, Detail: "first run, sha256 " + short})
		return true
	}
	if !sameFiles(files, last.Files) {
		r.rec(report.Step{Name: report.StepChanged, Status: report.OK, Detail: fmt.Sprintf("sha256 %s (was %s)", short, shortSum(last.Files))})
		return true
	}
	what := fmt.Sprintf("unchanged since run %s of %s (%s, sha256 %s)", last.Run, last.Time.Format("2006-01-02 15:04"), how, short)
	hint := "the source served the same dump again: check that the export ran on the source server"
	switch r.job.Archive.OnUnchanged {
	case "archive":
		r.rec(report.Step{Name: report.StepChanged, Status: report.OK, Detail: what + ", archived anyway (on_unchanged = \"archive\")"})
		return true
	case "fail":
		r.rec(report.Step{Name: report.StepChanged, Status: report.Failed, Cause: "the dump is " + what, Hint: hint})
		return false
	}
	r.rec(report.Step{Name: report.StepChanged, Status: report.Warning, Detail: "the dump is " + what, Hint: hint})
	r.rec(report.Step{Name: report.StepArchive, Status: report.Skipped, Detail: "the dump is unchanged; nothing is sent, nothing is deleted (on_unchanged = \"skip\")"})
	return false
}

// checkSize warns when the dump is implausibly small. It returns false when the
// dump is suspicious.
func (r *runner) checkSize(st *staged, last *state.Record) bool {
	var size, prev int64
	for _, f := range st.files {
		size += f.Size
	}
	s := r.job.Source
	detail := report.Bytes(size)
	var problem string
	if last != nil {
		for _, f := range last.Files {
			prev += f.Size
		}
		detail += " (was " + report.Bytes(prev) + ")"
		if prev > 0 && float64(size) < float64(prev)*(1-float64(s.MaxShrink)/100) {
			problem = fmt.Sprintf("the dump shrank from %s to %s, more than max_shrink %g%%", report.Bytes(prev), report.Bytes(size), float64(s.MaxShrink))
		}
	}
	if min := int64(s.MinSize); min > 0 && size < min {
		problem = fmt.Sprintf("the dump is %s, less than min_size %s", report.Bytes(size), report.Bytes(min))
	}
	if problem == "" {
		r.rec(report.Step{Name: report.StepSize, Status: report.OK, Detail: detail})
		return true
	}
	step := report.Step{Name: report.StepSize, Status: report.Warning, Detail: problem,
		Hint: "a dump that shrinks overnight is the classic silent failure: check the export on the source server; retention does not run on this archive"}
	if s.OnShrink == "fail" {
		step.Status, step.Cause, step.Detail = report.Failed, problem, ""
	}
	r.rec(step)
	return false
}

func sameFiles(a, b []state.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].SHA256 != b[i].SHA256 {
			return false
		}
	}
	return true
}

func shortSum(files []state.File) string {
	if len(files) == 0 {
		return "-"
	}
	s := files[0].SHA256
	if len(s) < 12 {
		return s
	}
	return s[:4] + "…" + s[len(s)-4:]
}

func (r *runner) saveState(st *staged) {
	rec := &state.Record{Job: r.job.Name, Run: r.res.Run, Time: r.now, Archive: st.name, ArchiveSize: st.size, ArchiveSHA256: st.sha256, Files: st.files}
	if err := state.SaveLast(r.cfg.State.Dir, rec); err != nil {
		r.log.Error("cannot save the run's record: the next run will not know this dump", "cause", err.Error(), "hint", "check that state.dir is writable")
	}
}

// finish appends the run to the job's history.
func (r *runner) finish() {
	out := r.res.Outcome()
	attrs := []any{"status", out.String(), "took", report.Duration(r.res.End.Sub(r.res.Start))}
	if f := r.res.FailedStep(); f != nil {
		attrs = append(attrs, "failed_step", f.Name)
	}
	r.log.Info("run finished", attrs...)
	if r.opt.DryRun {
		return
	}
	e := state.HistoryEntry{Job: r.job.Name, Run: r.res.Run, Start: r.res.Start, End: r.res.End, Status: out.String(), Archive: r.res.Archive, Size: r.res.ArchiveSize}
	if f := r.res.FailedStep(); f != nil {
		e.FailedStep = f.Name
	}
	if err := state.AppendHistory(r.cfg.State.Dir, e); err != nil {
		r.log.Warn("cannot append to the run history", "cause", err.Error())
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ctxReader stops a copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
