package progress

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	b := New(&out, time.Second)
	b.now = func() time.Time { return now }
	ctx := With(context.Background(), b)

	task := From(ctx).Start("upload nas", 4<<20)
	now = now.Add(2 * time.Second)
	if _, err := io.Copy(io.Discard, task.Reader(bytes.NewReader(make([]byte, 1<<20)))); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	task.Add(1 << 20) // a tick after the interval: the line is drawn again
	got := out.String()
	if line := got[strings.LastIndex(got, "\r")+1:]; line != "upload nas 2.1 MB/4.2 MB 50% 699.0 kB/s 3.0s left" {
		t.Errorf("line = %q", line)
	}
	// Within the interval nothing is drawn again.
	n := out.Len()
	task.Add(1)
	if out.Len() != n {
		t.Errorf("drawn again within the interval: %q", out.String()[n:])
	}
	// Other text erases the line first.
	w := b.Wrap(&out)
	io.WriteString(w, "a log line\n")
	if got := out.String()[n:]; !strings.HasPrefix(got, "\r") || !strings.HasSuffix(got, "\ra log line\n") {
		t.Errorf("other text did not erase the line: %q", got)
	}
	// Done removes the task; the line is empty again.
	task.Done()
	if strings.Contains(out.String()[n+1:], "upload nas") {
		t.Errorf("the finished task is still drawn: %q", out.String())
	}
}

// Without a Bar (cron, a pipe, --quiet), everything works and nothing is written.
func TestNoBar(t *testing.T) {
	task := From(context.Background()).Start("download", 10)
	r := task.Reader(strings.NewReader("0123456789"))
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "0123456789" {
		t.Fatalf("read %q, %v", b, err)
	}
	task.Add(3)
	task.Done()
	var out bytes.Buffer
	if w := (*Bar)(nil).Wrap(&out); w != io.Writer(&out) {
		t.Error("a nil Bar wraps its writer")
	}
}
