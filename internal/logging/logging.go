// Package logging sets up gardien's log: logfmt lines (log/slog's text form) to a
// file rotated by size and to stderr, with every secret of the configuration masked
// in whatever is written, whatever code wrote it.
package logging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Options says where the log goes.
type Options struct {
	File      string     // "-" or "" for stderr only
	Level     slog.Level // for the file
	MaxSizeMB int
	MaxFiles  int
	Stderr    io.Writer  // nil for none
	StderrLvl slog.Level // for stderr
	Secrets   []string   // masked everywhere
	// CaptureMax bounds what Capture keeps in memory, in bytes (0: DefaultCaptureMax).
	// Past it the capture notes the cut and the lines still go to the file.
	CaptureMax int
}

// DefaultCaptureMax is what Capture keeps at most: a run's log is a few kB.
const DefaultCaptureMax = 8 << 20

// Log is an open log.
type Log struct {
	*slog.Logger
	// File receives text meant for the log file as is (the summary block), masked.
	File    io.Writer
	masker  *Masker
	close   func() error
	capture *capture
}

// Capture returns, masked, what was logged since Open at the file's level, summary
// blocks included: the log of this run, for the mail's attachment.
func (l *Log) Capture() []byte { return l.capture.since(0) }

// Mark returns the current end of the capture, for CaptureSince.
func (l *Log) Mark() int { return l.capture.len() }

// CaptureSince returns what was captured after mark: the lines of one job.
func (l *Log) CaptureSince(mark int) []byte { return l.capture.since(mark) }

// ResetCapture empties the capture. A process that runs for long (gardien daemon)
// calls it before each run, so that the run's mail holds that run's lines only and
// the capture never fills up.
func (l *Log) ResetCapture() {
	l.capture.mu.Lock()
	defer l.capture.mu.Unlock()
	l.capture.buf, l.capture.full = nil, false
}

// Wrap returns w masking the configuration's secrets, for text meant for the
// terminal.
func (l *Log) Wrap(w io.Writer) io.Writer { return l.masker.Wrap(w) }

// Close flushes and closes the log file.
func (l *Log) Close() error {
	if l.close == nil {
		return nil
	}
	return l.close()
}

// Open creates the log. The file's directory is created if needed.
func Open(o Options) (*Log, error) {
	masker := NewMasker(o.Secrets)
	capMax := o.CaptureMax
	if capMax <= 0 {
		capMax = DefaultCaptureMax
	}
	c := &capture{max: capMax}
	cw := masker.Wrap(c)
	l := &Log{File: cw, masker: masker, capture: c}
	handlers := []slog.Handler{slog.NewTextHandler(cw, &slog.HandlerOptions{Level: o.Level})}
	if o.File != "" && o.File != "-" {
		if err := os.MkdirAll(filepath.Dir(o.File), 0o750); err != nil {
			return nil, fmt.Errorf("create log directory: %w", err)
		}
		// Fail now, with a clear error, rather than on the first line.
		f, err := os.OpenFile(o.File, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return nil, fmt.Errorf("open log file: %w", err)
		}
		f.Close()
		lj := &lumberjack.Logger{Filename: o.File, MaxSize: max(o.MaxSizeMB, 1), MaxBackups: o.MaxFiles}
		fw := masker.Wrap(&syncWriter{w: lj})
		handlers = append(handlers, slog.NewTextHandler(fw, &slog.HandlerOptions{Level: o.Level}))
		l.File = io.MultiWriter(fw, cw)
		l.close = lj.Close
	}
	if o.Stderr != nil {
		handlers = append(handlers, slog.NewTextHandler(masker.Wrap(&syncWriter{w: o.Stderr}), &slog.HandlerOptions{Level: o.StderrLvl}))
	}
	l.Logger = slog.New(fanout(handlers))
	return l, nil
}

// ParseLevel reads debug | info | warn | error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// Masker replaces secrets with "***" in what passes through it.
type Masker struct {
	secrets [][]byte
}

// NewMasker masks the given secrets; empty and very short ones are ignored (masking
// "a" would garble every line, and such a secret protects nothing anyway).
//
// Each secret is also masked in the forms it takes on the way to the log: escaped by
// slog's quoting (a password holding `"` or `\` is written `\"`, `\\`) and
// percent-encoded in a URL. The longest forms are replaced first.
func NewMasker(secrets []string) *Masker {
	m := &Masker{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		q := strconv.Quote(s)
		for _, v := range []string{s, q[1 : len(q)-1], url.QueryEscape(s), url.PathEscape(s)} {
			if !seen[v] {
				seen[v] = true
				m.secrets = append(m.secrets, []byte(v))
			}
		}
	}
	slices.SortStableFunc(m.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return m
}

// Mask returns b with every secret replaced.
func (m *Masker) Mask(b []byte) []byte {
	for _, s := range m.secrets {
		if bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, []byte("***"))
		}
	}
	return b
}

// MaskString is Mask for a string.
func (m *Masker) MaskString(s string) string { return string(m.Mask([]byte(s))) }

// Wrap returns a writer that masks each Write before passing it on. slog handlers write
// one whole line per call, so a secret is never split across two writes.
func (m *Masker) Wrap(w io.Writer) io.Writer {
	if len(m.secrets) == 0 {
		return w
	}
	return maskWriter{m: m, w: w}
}

type maskWriter struct {
	m *Masker
	w io.Writer
}

func (mw maskWriter) Write(p []byte) (int, error) {
	if _, err := mw.w.Write(mw.m.Mask(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// fanout sends each record to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// capture keeps what is logged in memory, up to max bytes.
type capture struct {
	mu   sync.Mutex
	buf  []byte
	max  int
	full bool
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		return len(p), nil
	}
	if len(c.buf)+len(p) > c.max {
		c.full = true
		c.buf = append(c.buf, fmt.Sprintf("… log cut here: more than %d bytes; the rest is in the log file\n", c.max)...)
		return len(p), nil
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *capture) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

func (c *capture) since(mark int) []byte {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if mark < 0 || mark > len(c.buf) {
		mark = len(c.buf)
	}
	return bytes.Clone(c.buf[mark:])
}
