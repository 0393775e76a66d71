package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/retention"
)

// Listed is one archive on a destination.
type Listed struct {
	dest.Object
	Date time.Time // from its name
	// Expires is set when retention would delete it if it ran now, with why.
	Expires string
}

// Listing is what one destination holds for a job.
type Listing struct {
	Dest     string
	Err      error
	Archives []Listed // newest first
	Stale    []string // temporary files of interrupted uploads
	Foreign  int      // files that are not this job's archives
}

// List returns, for each destination of j, the job's archives and which the
// retention would delete next.
func List(ctx context.Context, j *config.Job, opt Options) []Listing {
	pat, err := namefmt.Compile(j.Archive.Name)
	out := make([]Listing, 0, len(j.Destinations))
	for _, dc := range j.Destinations {
		l := Listing{Dest: dc.Name}
		if err != nil {
			l.Err = err
			out = append(out, l)
			continue
		}
		d, derr := dest.Open(ctx, dc, dest.Env{Log: opt.Log.With("job", j.Name, "dest", dc.Name)})
		if derr != nil {
			l.Err = derr
			out = append(out, l)
			continue
		}
		objs, lerr := d.List(ctx)
		d.Close()
		if lerr != nil {
			l.Err = lerr
			out = append(out, l)
			continue
		}
		names := make([]string, len(objs))
		for i, o := range objs {
			names[i] = o.Name
		}
		plan := retention.Apply(names, pat, retention.Policy{KeepDays: j.Retention.KeepDays, KeepMin: j.Retention.KeepMin}, opt.now(), "")
		expires := map[string]string{}
		for _, it := range plan.Remove {
			expires[it.Name] = it.Reason
		}
		for _, o := range objs {
			t, ok := pat.Parse(o.Name, opt.now().Location())
			if !ok {
				continue
			}
			l.Archives = append(l.Archives, Listed{Object: o, Date: t, Expires: expires[o.Name]})
		}
		sort.Slice(l.Archives, func(a, b int) bool {
			x, y := l.Archives[a], l.Archives[b]
			if !x.Date.Equal(y.Date) {
				return x.Date.After(y.Date)
			}
			return x.Name > y.Name
		})
		l.Stale = plan.Stale
		l.Foreign = len(plan.Ignored)
		out = append(out, l)
	}
	return out
}

// Restored says what Restore fetched.
type Restored struct {
	Dest     string
	Archive  string
	Size     int64
	Date     time.Time // from its name
	SHA256   string    // of the archive file
	Manifest *archive.Manifest
}

// ExtractError is an archive that was found but could not be extracted, or whose
// content differs from its MANIFEST (Err is then an *archive.ChecksumError or an
// *archive.MismatchError).
type ExtractError struct {
	Dest, Archive string
	Size          int64
	Err           error
}

func (e *ExtractError) Error() string {
	return fmt.Sprintf("restore %s from %s: %v", e.Archive, e.Dest, e.Err)
}

func (e *ExtractError) Unwrap() error { return e.Err }

// Restore fetches an archive of j (name, or the newest when empty) from the
// destination called from (or the first that has it), extracts it into dir and checks
// every file against the MANIFEST.
func Restore(ctx context.Context, j *config.Job, name, from, dir string, opt Options) (*Restored, error) {
	var errs []error
	tried := 0
	for _, l := range List(ctx, j, opt) {
		if from != "" && l.Dest != from {
			continue
		}
		tried++
		if l.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.Dest, l.Err))
			continue
		}
		var pick *Listed
		for i := range l.Archives {
			if name == "" || l.Archives[i].Name == name {
				pick = &l.Archives[i]
				break
			}
		}
		if pick == nil {
			what := "no archive"
			if name != "" {
				what = "no archive named " + name
			}
			errs = append(errs, fmt.Errorf("%s: %s", l.Dest, what))
			continue
		}
		dc := destConfig(j, l.Dest)
		d, err := dest.Open(ctx, dc, dest.Env{Log: opt.Log.With("job", j.Name, "dest", dc.Name)})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.Dest, err))
			continue
		}
		rc, err := d.Open(ctx, pick.Name)
		if err != nil {
			d.Close()
			errs = append(errs, fmt.Errorf("%s: %w", l.Dest, err))
			continue
		}
		opt.Log.Info("restoring", "job", j.Name, "dest", l.Dest, "archive", pick.Name, "to", dir)
		h := sha256.New()
		in := io.TeeReader(ctxReader{ctx, rc}, h)
		m, err := archive.Extract(in, dir)
		if err == nil { // what the tar reader left (its padding) counts in the checksum
			_, err = io.Copy(io.Discard, in)
		}
		rc.Close()
		d.Close()
		if err != nil {
			return nil, &ExtractError{Dest: l.Dest, Archive: pick.Name, Size: pick.Size, Err: err}
		}
		return &Restored{Dest: l.Dest, Archive: pick.Name, Size: pick.Size, Date: pick.Date, SHA256: hex.EncodeToString(h.Sum(nil)), Manifest: m}, nil
	}
	if tried == 0 {
		return nil, fault.WithHint(fmt.Errorf("job %q has no destination named %q", j.Name, from), "see the destination names with `gardien list "+j.Name+"`")
	}
	return nil, fault.WithHint(errors.Join(errs...), "see what each destination holds with `gardien list "+j.Name+"`")
}

func destConfig(j *config.Job, name string) config.Destination {
	for _, d := range j.Destinations {
		if d.Name == name {
			return d
		}
	}
	return config.Destination{}
}
