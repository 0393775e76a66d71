// Package dest holds the places archives are sent to. Each protocol is one file with
// one line in the registry (registry.go); they all satisfy the small Destination
// interface and pass the conformance suite in desttest.
package dest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/gardien/gardien/internal/config"
)

// Object is a file found on a destination.
type Object struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// Destination is a directory on some storage that archives are written to.
//
// Names are plain file names inside that directory, never paths.
type Destination interface {
	// Put stores size bytes read from r under name, atomically: the data goes to
	// namefmt.TempName(name), its size is checked, and only then is it renamed to
	// name, replacing any previous file of that name. On any error the temporary
	// file is removed when possible and no file called name was created.
	Put(ctx context.Context, name string, r io.Reader, size int64) error
	// List returns the regular files of the directory (temporary ones included).
	// A directory that does not exist yet is empty, not an error.
	List(ctx context.Context) ([]Object, error)
	// Open returns the content of name; the caller closes it.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Delete removes name. Deleting a file that is already gone is not an error.
	Delete(ctx context.Context, name string) error
	// Close ends the session.
	Close() error
}

// Renamer is a destination that can rename a file of its directory, in the manner of
// rclone's optional features: the job checks for it with a type assertion. With it, a
// copy that is read back before it takes its name (verify = true) never replaces the
// previous archive of that name when it turns out wrong. S3 has none: an object
// appears only once its upload is complete, and a copy there is not a rename.
type Renamer interface {
	// Rename gives the file from the name to, with the contract of Put's final step:
	// a file called to is replaced, and it is never lost on the way. On any error,
	// to is left as it was (or the error says, with a hint, where its content was
	// left), and so is from. A missing from is an error, and to is not touched.
	// Names are plain file names, as for Put.
	Rename(ctx context.Context, from, to string) error
}

// Env is what a destination may use while it is opened.
type Env struct {
	Log *slog.Logger
}

// ErrNotFound is returned (wrapped) by Open for a missing file.
var ErrNotFound = errors.New("file not found")

// ErrSizeMismatch is returned (wrapped) by Put when the stored size is not the size sent.
var ErrSizeMismatch = errors.New("stored size differs from the size sent")

// Config is the configuration of one destination, as loaded from the file.
type Config = config.Destination
