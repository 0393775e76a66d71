package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/progress"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/retention"
)

// destRun is what happened on one destination; destinations run concurrently and
// their steps are recorded together afterwards, step by step, in config order.
type destRun struct {
	login, transfer, retention *report.Step
	deletions                  []report.Deletion
}

// sendAll sends the staged archive to every destination independently, then applies
// retention on each one that received it intact. It reports whether at least one
// destination received it (or, in a dry run, could have).
func (r *runner) sendAll(ctx context.Context, st *staged) bool {
	runs := make([]destRun, len(r.job.Destinations))
	var wg sync.WaitGroup
	for i := range r.job.Destinations {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runs[i] = r.sendOne(ctx, r.job.Destinations[i], st)
		}(i)
	}
	wg.Wait()
	delivered := false
	for _, name := range []string{report.StepDestLogin, report.StepTransfer, report.StepRetention} {
		for _, dr := range runs {
			s := map[string]*report.Step{report.StepDestLogin: dr.login, report.StepTransfer: dr.transfer, report.StepRetention: dr.retention}[name]
			if s == nil {
				continue
			}
			r.rec(*s)
			if name == report.StepTransfer && (s.Status == report.OK || (r.opt.DryRun && s.Status == report.Skipped)) {
				delivered = true
			}
		}
	}
	// Deletions are logged after the steps, like them, so that the log reads in the
	// order things happened: sent, then purged.
	for _, dr := range runs {
		r.res.Deletions = append(r.res.Deletions, dr.deletions...)
		for _, dl := range dr.deletions {
			log := r.log.With("dest", dl.Dest, "step", report.StepRetention, "file", dl.Name, "reason", dl.Reason)
			switch {
			case dl.DryRun:
				log.Info("would delete (dry run)")
			case dl.Err != "":
				log.Error("deletion failed", "cause", dl.Err, "hint", dl.Hint)
			default:
				log.Info("deleted")
			}
		}
	}
	return delivered
}

func step(name, target string, status report.Status, detail string) *report.Step {
	return &report.Step{Name: name, Target: target, Status: status, Detail: detail}
}

func failed(name, target string, err error) *report.Step {
	return &report.Step{Name: name, Target: target, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)}
}

func (r *runner) sendOne(ctx context.Context, dc config.Destination, st *staged) (dr destRun) {
	log := r.log.With("dest", dc.Name)
	var d dest.Destination
	err := fault.Retry(ctx, log, config.DefaultRetries+1, "connect to "+dc.Name, func(ctx context.Context) error {
		var err error
		d, err = dest.Open(ctx, dc, dest.Env{Log: log})
		return err
	})
	if err != nil {
		dr.login = failed(report.StepDestLogin, dc.Name, err)
		dr.transfer = step(report.StepTransfer, dc.Name, report.Skipped, "not run because the destination is unreachable")
		dr.retention = step(report.StepRetention, dc.Name, report.Skipped, "not run because the destination is unreachable")
		return dr
	}
	defer d.Close()
	dr.login = step(report.StepDestLogin, dc.Name, report.OK, dest.Redact(dc.URL))

	if st.suspicious && !r.opt.DryRun {
		// A second run on the same day makes the same name. A dump that looks wrong
		// must not replace a good archive of that name: it stays on this machine.
		objs, err := d.List(ctx)
		if err != nil {
			dr.transfer = failed(report.StepTransfer, dc.Name, fmt.Errorf("list: %w", err))
			dr.retention = step(report.StepRetention, dc.Name, report.Skipped, "not run because the transfer failed")
			return dr
		}
		for _, o := range objs {
			if o.Name == st.name {
				dr.transfer = &report.Step{Name: report.StepTransfer, Target: dc.Name, Status: report.Warning,
					Detail: fmt.Sprintf("%s is already there: the suspicious archive does not replace it", st.name),
					Hint:   "check the dump (see plausible size); the archive already on the destination is kept"}
				dr.retention = step(report.StepRetention, dc.Name, report.Skipped, "not run because the dump looks suspicious (see plausible size)")
				return dr
			}
		}
	}
	if r.opt.DryRun {
		dr.transfer = step(report.StepTransfer, dc.Name, report.Skipped, fmt.Sprintf("dry run: would upload %s (%s)", st.name, report.Bytes(st.size)))
	} else {
		t0 := time.Now()
		// With verify = true on a destination that can rename, the archive is sent
		// under a hidden name and takes its own only once read back intact: a bad
		// copy never replaces an earlier archive of that name (a second run of the
		// day). Elsewhere (S3: an object appears whole, and is not renamed) it is
		// read back under its name.
		rn, early := d.(dest.Renamer)
		early = early && dc.Verify
		upName := st.name
		if early {
			upName = namefmt.VerifyName(st.name)
		}
		err := fault.Retry(ctx, log, config.DefaultRetries+1, "upload to "+dc.Name, func(ctx context.Context) error {
			return r.put(ctx, d, dc.Name, st, upName)
		})
		switch {
		case err != nil:
		case early:
			err = r.verifyThenRename(ctx, log, d, dc.Name, rn, st)
		case dc.Verify:
			err = r.verify(ctx, d, st)
		}
		if err != nil {
			dr.transfer = failed(report.StepTransfer, dc.Name, fmt.Errorf("upload %s: %w", st.name, err))
			dr.retention = step(report.StepRetention, dc.Name, report.Skipped, "not run because the transfer failed")
			return dr
		}
		el := time.Since(t0)
		detail := fmt.Sprintf("%s, %s in %s", st.name, report.Bytes(st.size), report.Duration(el))
		if dc.Verify {
			detail += ", sha256 read back ok"
		}
		dr.transfer = step(report.StepTransfer, dc.Name, report.OK, detail)
	}

	if st.suspicious {
		dr.retention = step(report.StepRetention, dc.Name, report.Skipped, "not run because the dump looks suspicious (see plausible size)")
		return dr
	}
	if r.opt.stopRequested() {
		// The archive is there: only the purge waits for the next run.
		dr.retention = &report.Step{Name: report.StepRetention, Target: dc.Name, Status: report.Warning, Detail: stopDetail}
		return dr
	}
	dr.retention, dr.deletions = r.applyRetention(ctx, d, dc.Name, st.name)
	return dr
}

// put uploads the staged file under name; each attempt reads it again from the start.
func (r *runner) put(ctx context.Context, d dest.Destination, target string, st *staged, name string) error {
	f, err := os.Open(st.path)
	if err != nil {
		return fault.Permanent(err)
	}
	defer f.Close()
	task := progress.From(ctx).Start("upload "+target, st.size)
	defer task.Done()
	rd := task.Reader(f)
	if r.opt.uploadReader != nil {
		rd = r.opt.uploadReader(rd)
	}
	return d.Put(ctx, name, rd, st.size)
}

// verifyThenRename reads back the copy sent under namefmt.VerifyName(st.name),
// compares its SHA-256, and only then renames it to st.name. A copy that differs is
// deleted; the archive's name was never touched, so an earlier archive of that name
// stays as it was.
//
// The read and the rename are retried like the upload, on the errors worth it (a
// lost connection): a retried rename is safe, as Rename leaves its target alone
// when the source is gone. A mismatch is not retried. SSH and TLS authenticate
// every byte on the way, so a copy that differs was most likely altered where it is
// stored (a disk, a controller, a file system), or the staged file changed under
// gardien: sending it again would likely store the same fault, and a person has to
// look.
func (r *runner) verifyThenRename(ctx context.Context, log *slog.Logger, d dest.Destination, target string, rn dest.Renamer, st *staged) error {
	tmp := namefmt.VerifyName(st.name)
	var got string
	err := fault.Retry(ctx, log, config.DefaultRetries+1, "read back from "+target, func(ctx context.Context) error {
		var err error
		got, err = readBack(ctx, d, tmp)
		return err
	})
	if err != nil {
		// The copy is hidden and does not pass for an archive: the retention of a
		// later run removes it if this cannot.
		d.Delete(ctx, tmp)
		return err
	}
	if got != st.sha256 {
		if derr := d.Delete(ctx, tmp); derr != nil {
			return fault.WithHint(fmt.Errorf("read back sha256 %s, sent %s, before it took the name %s; the corrupt copy %s could not be deleted (%v)", got, st.sha256, st.name, tmp, derr),
				"the storage altered the file: check its disks and the network path; the corrupt copy "+tmp+" does not pass for an archive, and the retention of the next good run removes it")
		}
		return fault.WithHint(fmt.Errorf("read back sha256 %s, sent %s, before it took the name %s; the corrupt copy was deleted", got, st.sha256, st.name),
			"the storage altered the file: check its disks and the network path")
	}
	// A rename that still fails leaves the checked copy under its hidden name, for
	// the retention of the next good run.
	return fault.Retry(ctx, log, config.DefaultRetries+1, "rename on "+target, func(ctx context.Context) error {
		return rn.Rename(ctx, tmp, st.name)
	})
}

// readBack returns the SHA-256 of the file name on the destination.
func readBack(ctx context.Context, d dest.Destination, name string) (string, error) {
	rc, err := d.Open(ctx, name)
	if err != nil {
		return "", fmt.Errorf("read back: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, ctxReader{ctx, rc})
	// Closed before the caller renames or deletes the file: SMB will not rename a
	// file held open, and FTP does one thing at a time.
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("read back: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verify reads the archive back, after Put gave it its name, and compares its
// SHA-256; a mismatching file is deleted so that it never passes for a good archive.
// It serves the destinations that cannot rename (dest.Renamer).
func (r *runner) verify(ctx context.Context, d dest.Destination, st *staged) error {
	got, err := readBack(ctx, d, st.name)
	if err != nil {
		return err
	}
	if got != st.sha256 {
		if derr := d.Delete(ctx, st.name); derr != nil {
			// It looks like an archive, and is not one: say so loudly.
			return fault.WithHint(fmt.Errorf("read back sha256 %s, sent %s; the corrupt copy could not be deleted (%v)", got, st.sha256, derr),
				"the storage altered the file, and "+st.name+" on the destination is that corrupt copy: delete it by hand, then check the storage's disks and the network path")
		}
		return fault.WithHint(fmt.Errorf("read back sha256 %s, sent %s; the corrupt copy was deleted", got, st.sha256),
			"the storage altered the file: check its disks and the network path")
	}
	return nil
}

// applyRetention deletes, on one destination, the archives the policy expires and the
// temporary files an interrupted run left.
func (r *runner) applyRetention(ctx context.Context, d dest.Destination, target, justSent string) (*report.Step, []report.Deletion) {
	objs, err := d.List(ctx)
	if err != nil {
		return failed(report.StepRetention, target, fmt.Errorf("list: %w", err)), nil
	}
	names := make([]string, 0, len(objs)+1)
	for _, o := range objs {
		names = append(names, o.Name)
	}
	if r.opt.DryRun { // show what a real run would do: the new archive would be there
		names = append(names, justSent)
	}
	pol := retention.Policy{KeepDays: r.job.Retention.KeepDays, KeepMin: r.job.Retention.KeepMin}
	plan := retention.Apply(names, r.pat, pol, r.now, justSent)

	var dels []report.Deletion
	var errs int
	del := func(name, reason string) {
		dl := report.Deletion{Dest: target, Name: name, Reason: reason, DryRun: r.opt.DryRun}
		if !r.opt.DryRun {
			if err := d.Delete(ctx, name); err != nil {
				dl.Err, dl.Hint = err.Error(), fault.Hint(err)
				errs++
			}
		}
		dels = append(dels, dl)
	}
	for _, n := range plan.Stale {
		del(n, "temporary file left by an interrupted upload")
	}
	for _, it := range plan.Remove {
		del(it.Name, it.Reason)
	}
	verb := "deleted"
	if r.opt.DryRun {
		verb = "would delete"
	}
	detail := fmt.Sprintf("%d kept, %d %s", len(plan.Keep), len(plan.Remove), verb)
	if pol.KeepDays == 0 {
		detail = fmt.Sprintf("%d kept (keep_days = 0 keeps every archive)", len(plan.Keep))
	}
	if len(plan.Stale) > 0 {
		detail += fmt.Sprintf(", %d stale temporary file(s) removed", len(plan.Stale))
	}
	if errs > 0 {
		return &report.Step{Name: report.StepRetention, Target: target, Status: report.Failed, Detail: detail,
			Cause: fmt.Sprintf("%d deletion(s) failed", errs), Hint: "check the permissions on the destination directory; the archives stay until the next run"}, dels
	}
	return step(report.StepRetention, target, report.OK, detail), dels
}
