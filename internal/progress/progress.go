// Package progress shows, on a terminal, how far a long transfer is: bytes done,
// rate and time left, on one line rewritten in place. Under cron, in a pipe or with
// --quiet nothing is shown: the log says what happened, the terminal only shows that
// something is happening.
//
// A Bar travels with the run's context (With, From), so that the download, the
// compression and the uploads report to it without each layer passing it on.
package progress

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gardien/gardien/internal/report"
)

// Bar draws the progress of the transfers under way on one terminal line.
type Bar struct {
	w        io.Writer
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	tasks  []*Task
	last   time.Time
	drawn  int // width of the line on screen, to clear it
	closed bool
}

// New returns a Bar drawing on w, a terminal, at most every interval.
func New(w io.Writer, interval time.Duration) *Bar {
	return &Bar{w: w, interval: interval, now: time.Now}
}

type key struct{}

// With returns ctx carrying b; a nil b carries nothing.
func With(ctx context.Context, b *Bar) context.Context {
	if b == nil {
		return ctx
	}
	return context.WithValue(ctx, key{}, b)
}

// From returns the Bar of ctx, or nil: a nil *Bar is valid and shows nothing.
func From(ctx context.Context) *Bar {
	b, _ := ctx.Value(key{}).(*Bar)
	return b
}

// Task is one transfer: "download", "archive", "upload nas".
type Task struct {
	b     *Bar
	label string
	total int64 // -1 when unknown
	start time.Time

	mu   sync.Mutex
	done int64
}

// Start begins a task of total bytes (-1: unknown). On a nil Bar it returns a nil
// Task, whose methods do nothing.
func (b *Bar) Start(label string, total int64) *Task {
	if b == nil {
		return nil
	}
	t := &Task{b: b, label: label, total: total, start: b.now()}
	b.mu.Lock()
	b.tasks = append(b.tasks, t)
	b.mu.Unlock()
	return t
}

// Add counts n more bytes done.
func (t *Task) Add(n int64) {
	if t == nil || n == 0 {
		return
	}
	t.mu.Lock()
	t.done += n
	t.mu.Unlock()
	t.b.tick(false)
}

// Done ends the task and removes it from the line.
func (t *Task) Done() {
	if t == nil {
		return
	}
	b := t.b
	b.mu.Lock()
	for i, x := range b.tasks {
		if x == t {
			b.tasks = append(b.tasks[:i], b.tasks[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	b.tick(true)
}

// Reader counts what is read through r.
func (t *Task) Reader(r io.Reader) io.Reader {
	if t == nil {
		return r
	}
	return &reader{r: r, t: t}
}

// Writer counts what is written through w.
func (t *Task) Writer(w io.Writer) io.Writer {
	if t == nil {
		return w
	}
	return &writer{w: w, t: t}
}

type reader struct {
	r io.Reader
	t *Task
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.t.Add(int64(n))
	return n, err
}

type writer struct {
	w io.Writer
	t *Task
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.t.Add(int64(n))
	return n, err
}

// Wrap returns w erasing the progress line before each write, for the other text
// that goes to the same terminal (log lines, the summary); the line is drawn again
// at the next tick.
func (b *Bar) Wrap(w io.Writer) io.Writer {
	if b == nil {
		return w
	}
	return wrapped{b: b, w: w}
}

type wrapped struct {
	b *Bar
	w io.Writer
}

func (x wrapped) Write(p []byte) (int, error) {
	x.b.mu.Lock()
	defer x.b.mu.Unlock()
	x.b.erase()
	return x.w.Write(p)
}

// Clear erases the line, before other text is written to the terminal, and stops
// drawing.
func (b *Bar) Clear() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.erase()
	b.closed = true
}

func (b *Bar) tick(force bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.closed || (!force && now.Sub(b.last) < b.interval) {
		return
	}
	b.last = now
	var parts []string
	for _, t := range b.tasks {
		parts = append(parts, t.line(now))
	}
	line := strings.Join(parts, " | ")
	b.erase()
	if line != "" {
		fmt.Fprint(b.w, line)
		b.drawn = len([]rune(line))
	}
}

func (b *Bar) erase() {
	if b.drawn > 0 {
		fmt.Fprint(b.w, "\r"+strings.Repeat(" ", b.drawn)+"\r")
		b.drawn = 0
	}
}

// line is "upload nas 312.4 MB/812.4 MB 38% 52.1 MB/s 9s left".
func (t *Task) line(now time.Time) string {
	t.mu.Lock()
	done := t.done
	t.mu.Unlock()
	el := now.Sub(t.start)
	s := t.label + " " + report.Bytes(done)
	if t.total > 0 {
		s += fmt.Sprintf("/%s %d%%", report.Bytes(t.total), done*100/t.total)
	}
	if el >= time.Second && done > 0 {
		rate := float64(done) / el.Seconds()
		s += " " + report.Bytes(int64(rate)) + "/s"
		if t.total > done {
			left := time.Duration(float64(t.total-done) / rate * float64(time.Second))
			s += " " + report.Duration(left.Round(time.Second)) + " left"
		}
	}
	return s
}
