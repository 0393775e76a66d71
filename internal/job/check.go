package job

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/source"
)

// StepProbe is the check that a destination accepts a write and a delete.
const StepProbe = "probe write+delete"

// checkStep is the step that says, for each source type, that the source answers.
var checkStep = map[string]string{
	config.SourceHTTPSZip:  report.StepReachable,
	config.SourcePostgres:  source.StepDBReachable,
	config.SourceDirectory: source.StepFolderListed,
	config.SourceCommand:   source.StepCommandRun,
}

// Check tests every connection of a job without archiving anything: the source
// answers, each destination logs in, accepts a small probe file, lists it and deletes
// it. Its result reads like a run's.
func Check(ctx context.Context, cfg *config.Config, j *config.Job, opt Options) *report.Result {
	res := &report.Result{Job: j.Name, Run: NewRunID(), Start: opt.now()}
	log := opt.Log.With("job", j.Name, "run", res.Run)
	r := &runner{cfg: cfg, job: j, opt: opt, log: log, res: res}

	srcs := j.AllSources()
	for _, sc := range srcs {
		name := checkStep[sc.Type]
		if name == "" {
			name = report.StepReachable
		}
		rec := r.sourceRec(sc)
		src, err := source.New(sc, log)
		if err == nil {
			r.src = src
			var detail string
			detail, err = src.Check(ctx)
			if err == nil {
				rec(report.Step{Name: name, Status: report.OK, Detail: detail})
			}
		}
		if err != nil {
			rec(report.Step{Name: name, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		}
		r.src = nil
	}
	for _, dc := range j.Destinations {
		d, err := dest.Open(ctx, dc, dest.Env{Log: log.With("dest", dc.Name)})
		if err != nil {
			r.fail(report.StepDestLogin, dc.Name, err)
			continue
		}
		r.rec(report.Step{Name: report.StepDestLogin, Target: dc.Name, Status: report.OK, Detail: dest.Redact(dc.URL)})
		if err := probe(ctx, d, res.Run); err != nil {
			r.fail(StepProbe, dc.Name, err)
		} else {
			r.rec(report.Step{Name: StepProbe, Target: dc.Name, Status: report.OK, Detail: "write, list, read and delete work"})
		}
		d.Close()
	}
	res.End = opt.now()
	return res
}

// probe writes a small file (a name no archive pattern matches), finds it in the
// listing, reads it back and deletes it.
func probe(ctx context.Context, d dest.Destination, run string) error {
	name := ".gardien-probe-" + run
	body := []byte("gardien probe " + time.Now().Format(time.RFC3339) + "\n")
	if err := d.Put(ctx, name, bytes.NewReader(body), int64(len(body))); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer d.Delete(context.WithoutCancel(ctx), name)
	objs, err := d.List(ctx)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	found := false
	for _, o := range objs {
		if o.Name == name && o.Size == int64(len(body)) {
			found = true
		}
	}
	if !found {
		return fault.WithHint(fmt.Errorf("%s was written but is not listed with its size", name), "the storage does not show what was written: check the path of the url")
	}
	rc, err := d.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	got, err := io.ReadAll(io.LimitReader(rc, 1<<16))
	rc.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if !bytes.Equal(got, body) {
		return fmt.Errorf("%s read back differs from what was written", name)
	}
	if err := d.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}
