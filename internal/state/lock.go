package state

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// JobLock is the per-job lock that keeps two runs of the same job from overlapping: an
// exclusive flock on <dir>/<job>.lock. The kernel releases it when the process ends,
// however it ends, so a run killed with kill -9 never leaves a lock behind.
//
// The file itself is never removed: removing it on unlock would let a run that opened
// the old file before the removal and a run that creates the new one both hold "the"
// lock. Unlock empties it instead.
type JobLock struct {
	f    *os.File
	path string
}

// LockedError is returned by [Lock] when another run holds the job's lock.
type LockedError struct {
	Job    string
	Holder string // "pid=1234 host=srv started=2026-11-22T02:00:04Z", as the holder wrote it; may be empty
	Path   string // the lock file
}

func (e *LockedError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "holder not recorded yet"
	}
	return fmt.Sprintf("job %q is already running (%s); lock file %s", e.Job, holder, e.Path)
}

// LockFile returns the path of the lock file of job under dir.
func LockFile(dir, job string) string { return filepath.Join(dir, job+".lock") }

// Lock takes the lock of job under dir without waiting, creating dir (mode 0700)
// if needed, and records "pid=N host=H started=T" in the file for whoever finds it
// taken. When another run holds it, the error is a *LockedError naming that run.
//
// flock locks belong to the open file, not the process: a second Lock of the
// same job in the same process fails too.
func Lock(dir, job string) (*JobLock, error) {
	if err := checkJob(job); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	path := LockFile(dir, job)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		var holder []byte
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder, _ = io.ReadAll(io.LimitReader(f, 512))
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Job: job, Holder: strings.TrimSpace(string(holder)), Path: path}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	line := fmt.Sprintf("pid=%d host=%s started=%s\n", os.Getpid(), host, time.Now().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(line), 0)
	}
	if err != nil {
		f.Close() // releases the lock
		return nil, fmt.Errorf("write lock file %s: %w", path, err)
	}
	return &JobLock{f: f, path: path}, nil
}

// Path returns the lock file.
func (l *JobLock) Path() string { return l.path }

// Unlock empties the lock file and releases the lock. Calling it again does nothing.
func (l *JobLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	terr := f.Truncate(0)
	// Closing the file releases the lock even if LOCK_UN fails, so only a failed close
	// (or a holder line left behind) is worth reporting.
	_ = flock(f, syscall.LOCK_UN)
	if err := f.Close(); err != nil {
		return fmt.Errorf("close lock file %s: %w", l.path, err)
	}
	if terr != nil {
		return fmt.Errorf("empty lock file %s: %w", l.path, terr)
	}
	return nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
