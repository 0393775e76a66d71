// Package source fetches what a job archives. Each source type is one file with one
// line in the registry below; a source runs its own checks (the first steps of a run)
// and hands the job the files to put in the archive, as streams.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
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

// Item is one file, directory or symbolic link of the archive.
type Item struct {
	Name    string // path inside the archive ("." is the source's own folder)
	Size    int64  // bytes; the archive writer checks it
	ModTime time.Time
	CRC32   uint32 // from the source when it knows it (a zip entry), else 0
	// Mode is the type and permission bits. Zero is a regular file archived with
	// mode 0600 (a dump); a folder's entries keep their own (fs.ModeDir,
	// fs.ModeSymlink and the permissions).
	Mode fs.FileMode
	// Link is the target of a symbolic link, stored as a link (Open is nil).
	Link string
	// Stamp identifies the content without reading it, when the source can: a
	// file's modification time and mode. An item with the name, size, CRC32 and
	// Stamp of the last run's is taken as unchanged; when every item is, the source
	// is unchanged and nothing is read (as a zip entry's CRC-32 allows).
	Stamp string
	// Open returns the content of a regular file. A Read error means the source is
	// bad (a corrupt or truncated entry) and is reported on Step. An error wrapping
	// ErrSkipped leaves the item out of the archive: the source reports it itself
	// (Fetched.Finish).
	Open func() (io.ReadCloser, error)
	// OpenDeflated, when set, returns the same content as a raw deflate stream of
	// DeflatedSize bytes (a zip entry's compressed data), which a gzip archive can
	// hold as it is instead of compressing the content again.
	OpenDeflated func() (io.ReadCloser, error)
	DeflatedSize int64
	// Step is the check that reading the whole content proves (a zip entry's CRC-32
	// is verified at its end), with Detail to show when it passed. An item without
	// Detail is not recorded on its own: a folder's thousands of files are recorded
	// together by Fetched.Finish.
	Step   string
	Detail string
}

// IsFile reports whether the item has content (it is neither a directory nor a link).
func (it Item) IsFile() bool { return it.Mode&(fs.ModeDir|fs.ModeSymlink) == 0 }

// ErrSkipped is wrapped by Item.Open's error for an item that is left out of the
// archive (an unreadable file of a folder, when the folder is not strict).
var ErrSkipped = errors.New("left out of the archive")

// Fetched is what a source produced.
type Fetched struct {
	Items []Item
	// Close releases what Fetch staged (the downloaded zip, the dumps).
	Close func() error
	// Finish, when set, is called once every item has been archived: it records
	// the source's last step (a folder's unreadable files) and returns an error when
	// that step failed.
	Finish func(rec Recorder) error
}

// WithPrefix returns items under the folder prefix of the archive: "." becomes
// prefix itself, and "a/b" becomes "prefix/a/b". With an empty prefix the items are
// unchanged, but for "." which has no place then and is dropped.
func WithPrefix(items []Item, prefix string) []Item {
	out := make([]Item, 0, len(items))
	for _, it := range items {
		switch {
		case prefix != "":
			it.Name = path.Join(prefix, it.Name)
		case it.Name == ".":
			continue
		}
		out = append(out, it)
	}
	return out
}

type factory func(c config.Source, log *slog.Logger) (Source, error)

// factories is the registry by source type: a new type adds one line here.
func factories() map[string]factory {
	return map[string]factory{
		config.SourceHTTPSZip:  newHTTPSZip,
		config.SourcePostgres:  newPostgres,
		config.SourceDirectory: newDirectory,
		config.SourceCommand:   newCommand,
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
