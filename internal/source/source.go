// Package source fetches what a job archives. Each source type is one file with one
// line in the registry below; a source runs its own checks (the first steps of a run)
// and hands the job the files to put in the archive, as streams.
package source

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/report"
)

// Recorder receives the result of each check as it completes.
type Recorder func(report.Step)

// Source is where a job's data comes from.
type Source interface {
	// Fetch runs the source's own checks, recording each with rec, and returns what
	// goes into the archive. Temporary files go under stage. When it returns an
	// error, the failed step has been recorded.
	Fetch(ctx context.Context, stage string, rec Recorder) (*Fetched, error)
	// Check tells whether the source answers, without fetching it (gardien check).
	Check(ctx context.Context) (detail string, err error)
	// String describes the source for the log and the MANIFEST, without secrets.
	String() string
}

// Item is one file of the archive.
type Item struct {
	Name    string // path inside the archive
	Size    int64  // bytes; the archive writer checks it
	ModTime time.Time
	CRC32   uint32 // from the source when it knows it (a zip entry), else 0
	// Open returns the content. A Read error means the source is bad (a corrupt or
	// truncated entry) and is reported on Step.
	Open func() (io.ReadCloser, error)
	// Step is the check that reading the whole content proves (a zip entry's CRC-32
	// is verified at its end), with Detail to show when it passed.
	Step   string
	Detail string
}

// Fetched is what a source produced.
type Fetched struct {
	Items []Item
	// Close releases what Fetch staged (the downloaded zip).
	Close func() error
}

type factory func(c config.Source, log *slog.Logger) (Source, error)

// factories is the registry by source type: a new type adds one line here.
func factories() map[string]factory {
	return map[string]factory{
		"https-zip": newHTTPSZip,
	}
}

// New returns the source described by c.
func New(c config.Source, log *slog.Logger) (Source, error) {
	f, ok := factories()[c.Type]
	if !ok {
		return nil, fmt.Errorf("unknown source type %q", c.Type)
	}
	return f(c, log)
}
