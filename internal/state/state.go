// Package state is what gardien remembers between runs, under the state.dir directory:
//
//	<dir>/<job>.lock            the per-job lock (lock.go)
//	<dir>/<job>/last.json       the record of the job's last successful run
//	<dir>/<job>/history.jsonl   one line per run, newest last
//
// The record feeds the "changed since last run" and "plausible size" steps; the history
// feeds `gardien list` and, later, the dashboard. Everything is plain JSON that a
// technician can read, and that can be removed: without it the next run behaves as the
// first.
package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// File is one file of a dump, as the previous run saw it.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	CRC32  uint32 `json:"crc32"`
	// Stamp is what the source said of the file without reading it (a folder's
	// modification time and mode, a link's target, a dump's content digest).
	Stamp string `json:"stamp,omitempty"`
}

// Record is what the last successful run of a job produced.
type Record struct {
	Job           string    `json:"job"`
	Run           string    `json:"run"`
	Time          time.Time `json:"time"`
	Archive       string    `json:"archive"`
	ArchiveSize   int64     `json:"archive_size"`
	ArchiveSHA256 string    `json:"archive_sha256"`
	Files         []File    `json:"files"`
}

// HistoryEntry is one run of a job, successful or not.
type HistoryEntry struct {
	Job        string    `json:"job"`
	Run        string    `json:"run"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Status     string    `json:"status"`                // SUCCESS, WARNING or FAILURE
	FailedStep string    `json:"failed_step,omitempty"` // the step that failed, if any
	Archive    string    `json:"archive,omitempty"`
	Size       int64     `json:"size,omitempty"`
}

// CorruptError is a state file that cannot be read. It is never fatal to a run: the
// file can be removed, and only what it remembered is lost.
type CorruptError struct {
	Path string
	Line int // the bad line of history.jsonl; 0 for last.json
	Err  error
}

func (e *CorruptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("state file %s is corrupt at line %d (%v); it can be removed, which only loses the run history",
			e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("state file %s is corrupt (%v); it can be removed, and the next run then archives as if it were the first",
		e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

const (
	lastName    = "last.json"
	historyName = "history.jsonl"
)

// checkJob refuses a job name that would put state files outside dir.
func checkJob(job string) error {
	if job == "" || job == "." || job == ".." || strings.ContainsAny(job, "/\\\x00") {
		return fmt.Errorf("invalid job name %q for a state file", job)
	}
	return nil
}

// LastFile returns the path of the record of the last successful run of job.
func LastFile(dir, job string) string { return filepath.Join(dir, job, lastName) }

// HistoryFile returns the path of the run history of job.
func HistoryFile(dir, job string) string { return filepath.Join(dir, job, historyName) }

// LoadLast returns the record of the last successful run of job, or (nil, nil) when
// there is none yet. A file that cannot be decoded, or that records another job, is a
// *CorruptError.
func LoadLast(dir, job string) (*Record, error) {
	if err := checkJob(job); err != nil {
		return nil, err
	}
	path := LastFile(dir, job)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if r.Job != job {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("it records job %q, not %q", r.Job, job)}
	}
	return &r, nil
}

// SaveLast replaces the record of the last successful run of r.Job. The write is atomic:
// a crash leaves either the old record or the new one, never a mix.
func SaveLast(dir string, r *Record) error {
	if r == nil {
		return errors.New("save state: nil record")
	}
	if err := checkJob(r.Job); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return writeAtomic(LastFile(dir, r.Job), append(b, '\n'))
}

// writeAtomic writes data to path through a temporary file in the same directory:
// write, fsync, rename, then fsync the directory so that the rename itself survives a
// power cut. The file has mode 0600, its directory 0700.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems (and some network mounts) cannot sync a directory: the rename
	// is done, and nothing better can be done about it.
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// AppendHistory adds one line for a run to the history of e.Job, and syncs it. If an
// earlier append was cut short (a crash in the middle of a line), that partial line is
// dropped first so that the file stays one JSON object a line.
func AppendHistory(dir string, e HistoryEntry) error {
	if err := checkJob(e.Job); err != nil {
		return err
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	path := HistoryFile(dir, e.Job)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	if err := trimTorn(f); err != nil {
		f.Close()
		return fmt.Errorf("append history to %s: %w", path, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append history: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("append history: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	return nil
}

// trimTorn truncates f after its last newline when it does not end with one.
func trimTorn(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	end := fi.Size()
	buf := make([]byte, 4096)
	for pos := end; pos > 0; {
		n := min(int64(len(buf)), pos)
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			if keep := pos + int64(i) + 1; keep != end {
				return f.Truncate(keep)
			}
			return nil
		}
	}
	if end > 0 { // not a single complete line
		return f.Truncate(0)
	}
	return nil
}

// ReadHistory returns the last n runs of job (all of them when n <= 0), newest last,
// or nothing when there is no history yet. A final line without its newline (an append
// cut short) is skipped; any other line that does not decode is a *CorruptError.
func ReadHistory(dir, job string, n int) ([]HistoryEntry, error) {
	if err := checkJob(job); err != nil {
		return nil, err
	}
	path := HistoryFile(dir, job)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer f.Close()

	var out []HistoryEntry
	br := bufio.NewReader(f)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			break // a final line without its newline was cut short: skip it
		}
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e HistoryEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, &CorruptError{Path: path, Line: lineNo, Err: err}
		}
		out = append(out, e)
		if n > 0 && len(out) > 2*n { // keep memory bounded on a long history
			out = append(out[:0], out[len(out)-n:]...)
		}
	}
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}
