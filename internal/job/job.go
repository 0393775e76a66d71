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
	"strings"
	"time"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/progress"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/source"
	"github.com/gardien/gardien/internal/state"
	"github.com/gardien/gardien/internal/version"
)

// StepLock is the step that fails when another run of the job holds its lock.
const StepLock = "no other run"

// StepStaging is the step that fails when the local staging directory is unusable.
const StepStaging = "staging directory"

// StepRecord is the step that warns when the run's record (the dump's checksums, which
// the next run compares with) could not be saved.
const StepRecord = "run record saved"

// Options are what the command line decides for a run.
type Options struct {
	DryRun bool
	Log    *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	// Stop, when closed, asks the run to stop between steps (gardien daemon on
	// SIGTERM): the step under way finishes, the next ones do not start. Cancelling
	// the context interrupts the step under way.
	Stop <-chan struct{}

	// uploadReader, when set, wraps what each upload reads: tests cancel a run
	// from there, mid-transfer.
	uploadReader func(io.Reader) io.Reader
}

// stopRequested reports whether Options.Stop was closed.
func (o Options) stopRequested() bool {
	if o.Stop == nil {
		return false
	}
	select {
	case <-o.Stop:
		return true
	default:
		return false
	}
}

// stopDetail is what a step that did not start says.
const stopDetail = "not run: gardien is stopping (SIGTERM); the next run does it"

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
	src   source.Source // the source whose steps are being recorded
	pat   *namefmt.Pattern
	now   time.Time
	stage string
	// sources are the job's sources, with the folder of the archive that holds
	// each one's files ("" for the one source of a job, unless a directory).
	sources []sourceRun
	// itemSrc is the source of each item, for the log lines of the steps that
	// archiving an item records (a corrupt zip entry names the source's url).
	itemSrc []source.Source
}

// sourceRun is one source of the run.
type sourceRun struct {
	cfg    config.Source
	prefix string
	desc   string
	finish func(source.Recorder) error
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
	var types []string
	for _, sc := range j.AllSources() {
		types = append(types, sc.Type)
	}
	r.log.Info("run started", "source", strings.Join(types, ","), "destinations", len(j.Destinations), "dry_run", opt.DryRun)
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
	} else if s.Name == report.StepArchive || s.Name == StepStaging {
		attrs = append(attrs, "staging", r.job.Archive.StagingDir)
	} else if s.Name == StepLock || s.Name == StepRecord {
		attrs = append(attrs, "state", r.cfg.State.Dir)
	} else if r.src != nil {
		attrs = append(attrs, "source", r.src.String())
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
	if step == report.StepArchive {
		err = stagingError(err)
	}
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
	r.checkSpace()

	var items []source.Item
	srcs := r.job.AllSources()
	for i, sc := range srcs {
		if i > 0 && r.stopBetweenSteps(report.StepArchive) {
			return
		}
		src, err := source.New(sc, r.log)
		if err != nil { // Load validated the source: only a programming error gets here
			r.fail(report.StepReachable, "", err)
			return
		}
		sr := sourceRun{cfg: sc, prefix: archivePrefix(sc, len(srcs)), desc: src.String()}
		r.src = src
		fetched, err := src.Fetch(ctx, r.stage, r.sourceRec(sc))
		r.src = nil
		if err != nil {
			return
		}
		defer fetched.Close()
		if fetched.Finish != nil {
			fin := fetched.Finish
			sr.finish = func(rec source.Recorder) error {
				r.src = src
				defer func() { r.src = nil }()
				return fin(rec)
			}
		}
		r.sources = append(r.sources, sr)
		its := source.WithPrefix(fetched.Items, sr.prefix)
		for i := range its {
			if len(srcs) > 1 && its[i].Detail != "" {
				its[i].Detail = sc.Name + ": " + its[i].Detail
			}
		}
		items = append(items, its...)
		for range its {
			r.itemSrc = append(r.itemSrc, src)
		}
	}

	if r.stopBetweenSteps(report.StepArchive) {
		return
	}
	staged, ok := r.buildArchive(ctx, items)
	if !ok {
		return
	}
	if !r.opt.DryRun && r.stopBetweenSteps(report.StepDestLogin) {
		r.keepUndelivered(staged)
		return
	}
	delivered := r.sendAll(ctx, staged)
	if r.opt.DryRun {
		return
	}
	switch {
	case !delivered:
		r.keepUndelivered(staged)
	case staged.suspicious:
		// A suspicious dump is sent, but it does not become the reference: the next
		// run is compared with the last good one, and warns again while the dump
		// stays small, instead of taking the shrunk size as normal after one mail.
		r.log.Warn("the run's record is not updated: the next run compares with the last plausible dump",
			"step", report.StepSize, "hint", "if the smaller dump is expected, run once with a higher max_shrink (or lower min_size): that run becomes the reference")
	default:
		r.saveState(staged)
	}
}

// stopBetweenSteps ends the run before the step next when gardien is stopping: the
// run counts as interrupted, and nothing of it is lost (what was fetched is removed,
// an archive built is kept as when no destination received it).
func (r *runner) stopBetweenSteps(next string) bool {
	if !r.opt.stopRequested() {
		return false
	}
	r.res.Interrupted = true
	r.log.Warn("run stopped between steps: gardien is stopping", "next_step", next)
	r.rec(report.Step{Name: next, Status: report.Skipped, Detail: stopDetail})
	return true
}

// keepUndelivered moves an archive that no destination received out of the run's
// staging directory, which is about to be removed, to
// staging_dir/undelivered/JOB/NAME: it may be the only copy of tonight's dump. Only
// the newest undelivered archive of a job is kept, so that a NAS down for a week
// does not fill the local disk.
func (r *runner) keepUndelivered(st *staged) {
	dir := filepath.Join(r.job.Archive.StagingDir, "undelivered", r.job.Name)
	old, _ := filepath.Glob(filepath.Join(dir, "*"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		r.log.Warn("cannot keep the undelivered archive", "file", st.path, "cause", err.Error())
		return
	}
	kept := filepath.Join(dir, st.name)
	if err := os.Rename(st.path, kept); err != nil {
		r.log.Warn("cannot keep the undelivered archive", "file", st.path, "cause", err.Error())
		return
	}
	for _, o := range old {
		if o != kept {
			os.Remove(o)
		}
	}
	r.res.KeptAt = kept
	r.log.Warn("archive not delivered: kept on this machine", "file", kept, "hint", "send it by hand once the destination is back, or let the next run send a new one")
}

// archivePrefix is the folder of the archive that holds a source's files: its name
// when the job has several sources, so that they never mix, or when it is a
// directory, whose files would otherwise mix with the MANIFEST and spill into the
// current directory of whoever runs tar xzf. The one source of a job otherwise puts
// its files at the top, as the seed's dump.sql always was.
func archivePrefix(sc config.Source, n int) string {
	if n > 1 || sc.Type == config.SourceDirectory {
		return sc.Name
	}
	return ""
}

// sourceRec records a source's steps; when the job has several sources, each step
// says which one it is about.
func (r *runner) sourceRec(sc config.Source) source.Recorder {
	if len(r.job.AllSources()) < 2 {
		return r.rec
	}
	return func(s report.Step) {
		if s.Detail != "" {
			s.Detail = sc.Name + ": " + s.Detail
		} else if s.Cause != "" {
			s.Cause = sc.Name + ": " + s.Cause
		}
		r.rec(s)
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
	if lastErr == nil && r.sameByStamp(items, last) {
		// The zip entries carry the same CRC-32 and size as the last run's dump (a
		// folder's files the same size, time and mode; a database's dump the same
		// content): it is the same dump, known without decompressing it (seconds
		// saved on a stale 40 GB export). The entry is not read, so its data is not
		// verified, and the step says so: nothing is archived from it.
		how := "same size and CRC-32 as then"
		for _, it := range items {
			if it.CRC32 == 0 {
				how = "same size and stamp as then"
				continue
			}
			if it.Detail != "" {
				r.rec(report.Step{Name: it.Step, Status: report.OK, Detail: fmt.Sprintf("%s, %s, same size and CRC-32 (%08x) as in the last run: not re-read", it.Name, report.Bytes(it.Size), it.CRC32)})
			}
		}
		r.checkChanged(last.Files, last, how)
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
	defer func() { r.src = nil }()
	// A zip entry's deflate data goes into the archive as it is (inflated on the way,
	// to be checked), unless the job asks for the dump to be compressed again.
	reuse := !r.job.Archive.Recompress
	var total int64
	for _, it := range items {
		if reuse && it.OpenDeflated != nil {
			total += it.DeflatedSize
		} else {
			total += it.Size
		}
	}
	task := progress.From(ctx).Start("archive", total)
	defer task.Done()
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			r.fail(report.StepArchive, "", err)
			return nil, false
		}
		r.src = nil
		if i < len(r.itemSrc) {
			r.src = r.itemSrc[i]
		}
		if !it.IsFile() { // a folder or a link: its header is all there is
			if _, err := aw.AddEntry(archive.Entry{Name: it.Name, Mode: it.Mode, ModTime: it.ModTime, Link: it.Link}, nil); err != nil {
				r.fail(report.StepArchive, "", fmt.Errorf("write %s: %w", tmp, err))
				return nil, false
			}
			st.files = append(st.files, state.File{Name: it.Name, Stamp: it.Stamp})
			continue
		}
		deflated := reuse && it.OpenDeflated != nil
		open := it.Open
		if deflated {
			open = it.OpenDeflated
		}
		rc, err := open()
		if errors.Is(err, source.ErrSkipped) { // the source reports it (Finish)
			continue
		}
		if err != nil {
			r.fail(it.Step, "", fmt.Errorf("open %s: %w", it.Name, err))
			return nil, false
		}
		mode := it.Mode
		if mode == 0 {
			mode = 0o600
		}
		entry := archive.Entry{Name: it.Name, Size: it.Size, Mode: mode, ModTime: it.ModTime}
		in := task.Reader(ctxReader{ctx, rc})
		var sum archive.FileSum
		if deflated {
			sum, err = aw.AddDeflated(entry, in, it.CRC32)
		} else {
			sum, err = aw.AddEntry(entry, in)
		}
		rc.Close()
		var se *archive.SourceError
		switch {
		case err != nil && ctx.Err() != nil:
			r.fail(report.StepArchive, "", ctx.Err())
			return nil, false
		case errors.As(err, &se):
			cause := fmt.Errorf("%s is damaged: %w", it.Name, se.Err)
			hint := sourceHint(se.Err)
			var h fault.Hinted
			if errors.As(se.Err, &h) {
				hint = h.Hint()
			}
			r.rec(report.Step{Name: it.Step, Status: report.Failed, Cause: cause.Error(), Hint: hint})
			return nil, false
		case err != nil:
			r.fail(report.StepArchive, "", writeErr(tmp, err))
			return nil, false
		}
		if it.Detail != "" {
			r.rec(report.Step{Name: it.Step, Status: report.OK, Detail: it.Detail})
		}
		st.files = append(st.files, state.File{Name: sum.Name, Size: sum.Size, SHA256: sum.SHA256, CRC32: it.CRC32, Stamp: it.Stamp})
	}
	r.src = nil
	for _, sr := range r.sources {
		if sr.finish == nil {
			continue
		}
		if err := sr.finish(r.sourceRec(sr.cfg)); err != nil {
			return nil, false
		}
	}

	if lastErr != nil {
		r.rec(report.Step{Name: report.StepChanged, Status: report.Warning, Cause: lastErr.Error(), Hint: "the previous run's record is unreadable: this run is treated as the first"})
		last = nil
	} else if !r.checkChanged(st.files, last, "same sha256") {
		return nil, false
	}
	st.suspicious = !r.checkSize(st, last)
	if r.res.FailedStep() != nil {
		return nil, false
	}

	var descs []string
	for _, sr := range r.sources {
		descs = append(descs, sr.desc)
	}
	m := &archive.Manifest{Gardien: version.String(), Job: r.job.Name, Run: r.res.Run, Host: hostname(), Source: strings.Join(descs, "; "), Created: r.now}
	if err := aw.Close(m); err != nil {
		r.fail(report.StepArchive, "", writeErr(tmp, err))
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

// sameByStamp reports whether the items are, by name, size and the CRC-32 or stamp
// their source declares, the files of the last run, when that is enough to decide
// (the dump is not to be archived anyway, and no SHA-256 confirmation was asked for).
func (r *runner) sameByStamp(items []source.Item, last *state.Record) bool {
	if last == nil || len(items) != len(last.Files) || r.job.Archive.OnUnchanged == "archive" {
		return false
	}
	for _, sc := range r.job.AllSources() {
		if sc.ConfirmUnchanged {
			return false
		}
	}
	for i, it := range items {
		f := last.Files[i]
		if (it.CRC32 == 0 && it.Stamp == "") || f.CRC32 != it.CRC32 || f.Stamp != it.Stamp || f.Size != it.Size || f.Name != it.Name {
			return false
		}
	}
	return true
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
	what := fmt.Sprintf("unchanged since run %s of %s (%s; sha256 then %s)", last.Run, last.Time.Format("2006-01-02 15:04"), how, shortSum(last.Files))
	hint := "the source served the same dump again: check that the export ran on the source server"
	for _, sc := range r.job.AllSources() {
		if sc.Type != config.SourceHTTPSZip {
			hint = "nothing changed in the source since the last run: if that is expected (a quiet database, a folder nobody writes to), set on_unchanged = \"archive\" in [job.archive]"
		}
	}
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

// checkSize warns when the dump is implausibly small. With several sources, each is
// checked against its own limits: a database that shrank must not hide behind the
// media folder beside it. It returns false when the dump is suspicious.
func (r *runner) checkSize(st *staged, last *state.Record) bool {
	several := len(r.sources) > 1
	var details, problems []string
	failed := false
	for _, sr := range r.sources {
		prefix := ""
		if several {
			prefix = sr.prefix
		}
		size := sumSize(st.files, prefix)
		s := sr.cfg
		detail := report.Bytes(size)
		var problem string
		if last != nil {
			prev := sumSize(last.Files, prefix)
			detail += " (was " + report.Bytes(prev) + ")"
			if prev > 0 && float64(size) < float64(prev)*(1-float64(s.MaxShrink)/100) {
				problem = fmt.Sprintf("the dump shrank from %s to %s, more than max_shrink %g%%", report.Bytes(prev), report.Bytes(size), float64(s.MaxShrink))
			}
		}
		if min := int64(s.MinSize); min > 0 && size < min {
			problem = fmt.Sprintf("the dump is %s, less than min_size %s", report.Bytes(size), report.Bytes(min))
		}
		if several {
			detail = sr.prefix + " " + detail
			if problem != "" {
				problem = sr.prefix + ": " + problem
			}
		}
		details = append(details, detail)
		if problem != "" {
			problems = append(problems, problem)
			failed = failed || s.OnShrink == "fail"
		}
	}
	if len(problems) == 0 {
		r.rec(report.Step{Name: report.StepSize, Status: report.OK, Detail: strings.Join(details, ", ")})
		return true
	}
	problem := strings.Join(problems, "; ")
	step := report.Step{Name: report.StepSize, Status: report.Warning, Detail: problem,
		Hint: "a dump that shrinks overnight is the classic silent failure: check the export on the source server; retention does not run on this archive, and the next run compares with the last plausible dump"}
	if failed {
		step.Status, step.Cause, step.Detail = report.Failed, problem, ""
	}
	r.rec(step)
	return false
}

// sumSize adds the sizes of the files under the folder prefix ("" for all).
func sumSize(files []state.File, prefix string) int64 {
	var n int64
	for _, f := range files {
		if prefix == "" || f.Name == prefix || strings.HasPrefix(f.Name, prefix+"/") {
			n += f.Size
		}
	}
	return n
}

// sameFiles reports whether two runs archived the same content: the same names with
// the same SHA-256, the same stamps for what has no content (a link's target), and
// for a database dump, whose header holds the time it was made, the same content
// stamp.
func sameFiles(a, b []state.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x.Name != y.Name:
			return false
		case source.IsContentStamp(x.Stamp) && x.Stamp == y.Stamp:
		case x.SHA256 != y.SHA256:
			return false
		case x.SHA256 == "" && x.Stamp != y.Stamp:
			return false
		}
	}
	return true
}

// shortSum shows the SHA-256 of the one file of a dump, or for several files the
// SHA-256 of their list of names and checksums, shortened: "9c1e…d07a".
func shortSum(files []state.File) string {
	var s string
	switch {
	case len(files) == 0:
		return "-"
	case len(files) == 1:
		s = files[0].SHA256
	default:
		h := sha256.New()
		for _, f := range files {
			fmt.Fprintf(h, "%s %s %s\n", f.SHA256, f.Stamp, f.Name)
		}
		s = hex.EncodeToString(h.Sum(nil))
	}
	if len(s) < 12 {
		return s
	}
	return s[:4] + "…" + s[len(s)-4:]
}

func (r *runner) saveState(st *staged) {
	rec := &state.Record{Job: r.job.Name, Run: r.res.Run, Time: r.now, Archive: st.name, ArchiveSize: st.size, ArchiveSHA256: st.sha256, Files: st.files}
	if err := state.SaveLast(r.cfg.State.Dir, rec); err != nil {
		// The archive is safe, but the next run cannot tell an unchanged dump nor a
		// shrunk one: a warning, so that it shows in the exit code and the mail.
		r.rec(report.Step{Name: StepRecord, Status: report.Warning, Cause: err.Error(),
			Hint: "check that state.dir is writable and has room; the next run will treat its dump as the first"})
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
