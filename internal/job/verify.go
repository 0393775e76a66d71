package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/state"
)

// The steps of `gardien verify`.
const (
	StepFound     = "archive found"
	StepExtracted = "archive extracted"
	StepChecksums = "checksums verified"
	StepRestored  = "dump restored"
	StepDropped   = "scratch database dropped"
)

// scratchPrefix begins the name of every database verify creates, so that one left
// by a killed verify is recognised and dropped by the next.
const scratchPrefix = "gardien_verify_"

// Verify proves that an archive of j (name, or the newest) can be restored: it
// fetches it from a destination ([job.verify] from, or the first that has it),
// checks every file against the MANIFEST, and restores each PostgreSQL dump it holds
// into a scratch database on the server of verify.restore_dsn, where it runs
// verify.query; the scratch database is dropped whatever happens. Its result reads
// like a run's.
func Verify(ctx context.Context, cfg *config.Config, j *config.Job, name string, opt Options) *report.Result {
	now := opt.now()
	res := &report.Result{Job: j.Name + " (verify)", Run: NewRunID(), Start: now}
	log := opt.Log.With("job", j.Name, "run", res.Run)
	r := &runner{cfg: cfg, job: j, opt: opt, log: log, res: res, now: now}
	log.Info("verify started", "archive", orDefault(name, "newest"), "from", orDefault(j.Verify.From, "first that has it"))
	r.verifyArchive(ctx, name)
	if ctx.Err() != nil {
		res.Interrupted = true
	}
	res.End = opt.now()
	if res.End.Before(res.Start) {
		res.End = res.Start
	}
	attrs := []any{"status", res.Outcome().String(), "took", report.Duration(res.End.Sub(res.Start))}
	if f := res.FailedStep(); f != nil {
		attrs = append(attrs, "failed_step", f.Name)
	}
	log.Info("verify finished", attrs...)
	return res
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (r *runner) verifyArchive(ctx context.Context, name string) {
	lock, err := state.Lock(r.cfg.State.Dir, r.job.Name+"-verify")
	if err != nil {
		r.rec(report.Step{Name: StepLock, Status: report.Failed, Cause: err.Error(), Hint: "wait for the other verify of this job to finish"})
		return
	}
	defer lock.Unlock()
	stale, _ := filepath.Glob(filepath.Join(r.job.Archive.StagingDir, r.job.Name+"-verify-????"))
	for _, d := range stale {
		os.RemoveAll(d)
	}
	dir := filepath.Join(r.job.Archive.StagingDir, r.job.Name+"-verify-"+r.res.Run)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		r.rec(report.Step{Name: StepStaging, Status: report.Failed, Cause: err.Error(), Hint: "check staging_dir in [job.archive]: it must be writable and have room for the archive's content"})
		return
	}
	defer os.RemoveAll(dir)

	t0 := time.Now()
	rs, err := Restore(ctx, r.job, name, r.job.Verify.From, dir, Options{Log: r.opt.Log.With("run", r.res.Run), Now: r.opt.Now})
	var xe *ExtractError
	if err != nil && !errors.As(err, &xe) {
		r.fail(StepFound, "", err)
		return
	}
	if xe != nil {
		rs = &Restored{Dest: xe.Dest, Archive: xe.Archive, Size: xe.Size}
	}
	r.res.Archive, r.res.ArchiveSize = rs.Archive, rs.Size
	r.rec(report.Step{Name: StepFound, Status: report.OK, Detail: fmt.Sprintf("%s: %s, %s", rs.Dest, rs.Archive, report.Bytes(rs.Size))})
	if xe != nil {
		var ce *archive.ChecksumError
		var me *archive.MismatchError
		if errors.As(xe.Err, &ce) || errors.As(xe.Err, &me) {
			r.rec(report.Step{Name: StepExtracted, Status: report.OK, Detail: fmt.Sprintf("in %s", report.Duration(time.Since(t0)))})
			r.rec(report.Step{Name: StepChecksums, Status: report.Failed, Cause: xe.Err.Error(),
				Hint: "the archive on " + rs.Dest + " is not what was sent: its storage altered it; keep the archives of the other destinations, and check that storage"})
			return
		}
		r.rec(report.Step{Name: StepExtracted, Status: report.Failed, Cause: xe.Err.Error(), Hint: extractHint(xe.Err)})
		return
	}
	var size int64
	for _, f := range rs.Manifest.Files {
		size += f.Size
	}
	r.rec(report.Step{Name: StepExtracted, Status: report.OK, Detail: fmt.Sprintf("%s, %s in %s; made by run %s on %s", count(len(rs.Manifest.Files), "file"), report.Bytes(size), report.Duration(time.Since(t0)), rs.Manifest.Run, rs.Manifest.Created.Format("2006-01-02 15:04"))})
	detail := count(len(rs.Manifest.Files), "file") + ", SHA-256 as in the MANIFEST"
	if n := len(rs.Manifest.Links); n > 0 {
		detail += "; " + count(n, "link") + ", target as in the MANIFEST"
	}
	r.res.ArchiveSHA256 = rs.SHA256
	// The last run's record knows the SHA-256 of the archive it sent: the copy on
	// the destination must still be that file.
	if last, err := state.LoadLast(r.cfg.State.Dir, r.job.Name); err == nil && last != nil && last.Archive == rs.Archive && last.ArchiveSHA256 != "" {
		if last.ArchiveSHA256 != rs.SHA256 {
			r.rec(report.Step{Name: StepChecksums, Status: report.Failed, Detail: detail,
				Cause: fmt.Sprintf("%s on %s has sha256 %s, but run %s sent %s", rs.Archive, rs.Dest, rs.SHA256, last.Run, last.ArchiveSHA256),
				Hint:  "the archive on " + rs.Dest + " is not the one sent, though it is consistent: was it replaced? Check who writes there"})
			return
		}
		detail += "; the archive's SHA-256 is the one run " + last.Run + " sent"
	}
	r.rec(report.Step{Name: StepChecksums, Status: report.OK, Detail: detail})

	var dumps []string
	for _, f := range rs.Manifest.Files {
		if pg.IsCustomDump(filepath.Join(dir, filepath.FromSlash(f.Name))) {
			dumps = append(dumps, f.Name)
		}
	}
	if len(dumps) == 0 {
		for _, sc := range r.job.AllSources() {
			if sc.Type == config.SourcePostgres {
				r.rec(report.Step{Name: StepRestored, Status: report.Failed, Cause: "the archive holds no pg_dump custom-format dump, though the job has a postgres source",
					Hint: "the archive was made by another job or an older configuration: check with `gardien list " + r.job.Name + "`"})
			}
		}
		return
	}
	r.restoreDumps(ctx, dir, dumps)
}

func extractHint(err error) string {
	if h := fault.Hint(err); !strings.HasPrefix(h, "see the cause above") {
		return h
	}
	return "the archive is damaged or truncated (an interrupted upload?): verify an older one with `gardien verify JOB NAME`, and see `gardien list JOB`"
}

// restoreDumps restores each dump into its own scratch database.
func (r *runner) restoreDumps(ctx context.Context, dir string, dumps []string) {
	v := r.job.Verify
	tool := pg.Tool{Name: "pg_restore", Path: v.PgRestore}
	var ci pg.Conninfo
	var admin *pg.Conn
	if v.RestoreDSN != "" {
		var err error
		if ci, err = pg.New(pg.Settings{DSN: v.RestoreDSN, Password: v.Password, CAFile: v.CAFile}); err == nil {
			admin, err = pg.Connect(ctx, ci)
		}
		if err != nil {
			r.rec(report.Step{Name: StepRestored, Status: report.Failed, Detail: "restore_dsn " + ci.Describe(), Cause: err.Error(), Hint: fault.Hint(err)})
			return
		}
		defer admin.Close(context.WithoutCancel(ctx))
		r.dropLeftovers(ctx, admin)
	}
	var want *config.Expectation
	if v.Expect != "" {
		e, _ := config.ParseExpect(v.Expect) // Load validated it
		want = &e
	}
	for i, name := range dumps {
		file := filepath.Join(dir, filepath.FromSlash(name))
		failed := func(err error) {
			r.rec(report.Step{Name: StepRestored, Status: report.Failed, Detail: name, Cause: err.Error(), Hint: fault.Hint(err)})
		}
		toc, err := tool.List(ctx, file)
		if err != nil {
			failed(err)
			continue
		}
		if admin == nil {
			r.rec(report.Step{Name: StepRestored, Status: report.Skipped,
				Detail: fmt.Sprintf("%s: its table of contents reads (%d entries, %d tables); not restored: set restore_dsn in [job.verify]", name, toc.Entries, toc.Tables)})
			continue
		}
		scratch := scratchName(r.job.Name, r.res.Run, i)
		detail, err := r.restoreOne(ctx, tool, admin, ci, scratch, file, want)
		if err != nil {
			failed(err)
			continue
		}
		r.rec(report.Step{Name: StepRestored, Status: report.OK, Detail: fmt.Sprintf("%s: %d entries, %d tables%s", name, toc.Entries, toc.Tables, detail)})
	}
}

// restoreOne restores file into the new database scratch, runs the query there, and
// drops it whatever happened.
func (r *runner) restoreOne(ctx context.Context, tool pg.Tool, admin *pg.Conn, ci pg.Conninfo, scratch, file string, want *config.Expectation) (string, error) {
	if err := admin.CreateDatabase(ctx, scratch); err != nil {
		return "", err
	}
	defer r.dropScratch(ctx, admin, ci, scratch)
	v := r.job.Verify
	t0 := time.Now()
	rctx, cancel := context.WithTimeout(ctx, v.Timeout.D())
	defer cancel()
	if err := tool.Restore(rctx, ci, scratch, file, false); err != nil {
		return "", err
	}
	detail := fmt.Sprintf(" restored in %s", report.Duration(time.Since(t0)))
	if v.Query == "" {
		return detail, nil
	}
	qc, err := pg.Connect(ctx, ci.With("dbname", scratch))
	if err != nil {
		return "", err
	}
	got, err := qc.QueryValue(ctx, v.Query)
	qc.Close(context.WithoutCancel(ctx))
	if err != nil {
		return "", fault.Permanent(fault.WithHint(fmt.Errorf("query %q: %w", v.Query, err), "the query fails on the restored data: check query in [job.verify] against the application's tables"))
	}
	if want != nil && !want.Match(got) {
		return "", fault.Permanent(fault.WithHint(fmt.Errorf("%s returned %s, expected %s", v.Query, got, want),
			"the dump restores but its data is not what was expected: check the database the dump comes from (an emptied table?) and expect in [job.verify]"))
	}
	detail += fmt.Sprintf("; %s → %s", v.Query, got)
	if want != nil {
		detail += " (expected " + want.String() + ")"
	}
	return detail, nil
}

// dropScratch drops a scratch database even when the run was interrupted; when the
// admin connection broke, with a new one.
func (r *runner) dropScratch(ctx context.Context, admin *pg.Conn, ci pg.Conninfo, scratch string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := admin.DropDatabase(ctx, scratch)
	if err != nil {
		if c, cerr := pg.Connect(ctx, ci); cerr == nil {
			err = c.DropDatabase(ctx, scratch)
			c.Close(ctx)
		}
	}
	if err != nil {
		r.rec(report.Step{Name: StepDropped, Status: report.Warning, Detail: scratch, Cause: err.Error(),
			Hint: "drop it by hand (DROP DATABASE " + scratch + "); the next verify of this job drops it too"})
		return
	}
	r.log.Debug("scratch database dropped", "database", scratch)
}

// dropLeftovers drops the scratch databases an earlier verify of this job left when
// it was killed; the verify lock is held, so none is in use.
func (r *runner) dropLeftovers(ctx context.Context, admin *pg.Conn) {
	prefix := scratchPrefix + scratchJob(r.job.Name) + "_"
	dbs, err := admin.Databases(ctx)
	if err != nil {
		return
	}
	for _, db := range dbs {
		if strings.HasPrefix(db, prefix) {
			if err := admin.DropDatabase(ctx, db); err != nil {
				r.log.Warn("cannot drop a scratch database left by an earlier verify", "database", db, "cause", err.Error())
				continue
			}
			r.log.Info("dropped a scratch database left by an earlier verify", "database", db)
		}
	}
}

// scratchName is the database a dump is restored into: gardien_verify_JOB_RUN_N,
// within PostgreSQL's 63 bytes.
func scratchName(job, run string, i int) string {
	return fmt.Sprintf("%s%s_%s_%d", scratchPrefix, scratchJob(job), run, i)
}

func scratchJob(job string) string {
	if len(job) > 30 {
		return job[:30]
	}
	return job
}

// count is "1 file", "3 files".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
