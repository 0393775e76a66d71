package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gardien/gardien/internal/fault"
)

// What guards a download against a server or a disk that misbehaves: a watchdog for
// a body that stops coming, a hint for a staging disk that fills up, and the refusal
// of an entry whose name points outside the zip.

// idleWatch cuts a download when the server sends nothing for d: a stalled server
// (it answered, then went silent) is found in minutes, not at the end of the whole
// download's timeout. It watches the body only: the wait for the answer's headers,
// which an export that builds the zip on demand may make long, is bounded by the
// source's timeout.
type idleWatch struct {
	d      time.Duration
	cancel context.CancelFunc
	timer  *time.Timer
	fired  atomic.Bool
}

// watchIdle returns a context that the watch cancels when it fires. With d <= 0 the
// watch never fires.
func watchIdle(ctx context.Context, d time.Duration) (context.Context, *idleWatch) {
	ctx, cancel := context.WithCancel(ctx)
	return ctx, &idleWatch{d: d, cancel: cancel}
}

// reader starts the watch and returns body, whose every read that brings bytes puts
// it off by d again.
func (w *idleWatch) reader(body io.Reader) io.Reader {
	if w.d > 0 {
		w.timer = time.AfterFunc(w.d, func() {
			w.fired.Store(true)
			w.cancel()
		})
	}
	return &idleReader{r: body, w: w}
}

// stop ends the watch and releases its context.
func (w *idleWatch) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.cancel()
}

type idleReader struct {
	r io.Reader
	w *idleWatch
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 && r.w.timer != nil && !r.w.fired.Load() {
		r.w.timer.Reset(r.w.d)
	}
	if err != nil && err != io.EOF && r.w.fired.Load() {
		err = &idleError{d: r.w.d}
	}
	return n, err
}

// idleError is a download the watchdog cut. It is a timeout, so it is retried: a
// server that stalled once may answer the next time. It does not unwrap to what the
// cut read returned (the cancellation of the request's context), which would pass
// for an interrupted run.
type idleError struct {
	d time.Duration
}

func (e *idleError) Error() string {
	return fmt.Sprintf("the server sent nothing for %s (idle_timeout)", e.d)
}
func (e *idleError) Timeout() bool   { return true }
func (e *idleError) Temporary() bool { return true }
func (e *idleError) Hint() string {
	return "the server stopped sending in the middle of the download: check the export server's load and the network; raise idle_timeout in [job.source] if it is only slow"
}

var _ net.Error = (*idleError)(nil)

// stageWriter is the local file a download is staged in. Its errors say that the
// local disk, not the server, failed, and what to do about a full one.
type stageWriter struct {
	w    io.Writer
	path string
}

func (s *stageWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = stageError(fmt.Errorf("write %s: %w", s.path, err))
	}
	return n, err
}

// stageError marks an error of the local staging disk: it is not worth retrying, and
// a full disk gets a hint about staging_dir rather than about the destinations.
func stageError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		err = fault.WithHint(err, "the local disk of staging_dir is full: free space there, or set staging_dir in [job.archive] to a disk with room for the zip and the archive")
	}
	return fault.Permanent(err)
}

// unsafeName tells why a zip entry's name points outside the zip's own tree ("../",
// an absolute path, a drive letter), or "" when it does not. gardien never writes
// a file under an entry's name (the archive names the dump after expect), but an
// export that names its dump so is broken or hostile, and is refused.
func unsafeName(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case strings.HasPrefix(n, "/"):
		return "an absolute path"
	case len(n) >= 2 && n[1] == ':' && ('a' <= n[0]|0x20 && n[0]|0x20 <= 'z'):
		return "a drive letter"
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." {
			return "a path with .. in it"
		}
	}
	return ""
}
