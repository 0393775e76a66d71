package logging

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The capture holds this run's lines and summary blocks, masked, and only those: not
// what the log file held before.
func TestCapture(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gardien.log")
	if err := os.WriteFile(file, []byte("time=yesterday msg=\"an older run\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	l, err := Open(Options{File: file, Stderr: &stderr, Secrets: []string{"s3cret-pass"}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Info("run started", "job", "db", "run", "aaaa")
	mark := l.Mark()
	l.Warn("login", "job", "db", "run", "bbbb", "password", "s3cret-pass")
	io.WriteString(l.File, "== db run bbbb · summary ==\n")
	l.Debug("not at the file's level")

	all := string(l.Capture())
	for _, want := range []string{`msg="run started"`, "msg=login", "password=***", "== db run bbbb"} {
		if !strings.Contains(all, want) {
			t.Errorf("capture lacks %q:\n%s", want, all)
		}
	}
	for _, unwanted := range []string{"s3cret-pass", "an older run", "not at the file's level"} {
		if strings.Contains(all, unwanted) {
			t.Errorf("capture holds %q:\n%s", unwanted, all)
		}
	}
	since := string(l.CaptureSince(mark))
	if strings.Contains(since, "run started") || !strings.Contains(since, "msg=login") || !strings.Contains(since, "== db run bbbb") {
		t.Errorf("CaptureSince(mark) = %q", since)
	}
	fileText, _ := os.ReadFile(file)
	if !strings.Contains(string(fileText), "== db run bbbb") || strings.Contains(string(fileText), "s3cret-pass") {
		t.Errorf("log file:\n%s", fileText)
	}
}

// Without a log file ("-"), the capture still holds the run's lines.
func TestCaptureWithoutFile(t *testing.T) {
	l, err := Open(Options{File: "-"})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello", "job", "db")
	io.WriteString(l.File, "summary\n")
	if got := string(l.Capture()); !strings.Contains(got, "msg=hello") || !strings.Contains(got, "summary") {
		t.Errorf("capture = %q", got)
	}
}

// Memory stays bounded whatever a run logs.
func TestCaptureIsBounded(t *testing.T) {
	l, err := Open(Options{File: "-", CaptureMax: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		l.Info("line", "i", i, "pad", strings.Repeat("x", 50))
	}
	got := l.Capture()
	if len(got) > 1100 || !bytes.Contains(got, []byte("log cut here")) {
		t.Errorf("capture is %d bytes:\n%s", len(got), got)
	}
	if n := bytes.Count(got, []byte("log cut here")); n != 1 {
		t.Errorf("%d cut notes", n)
	}
}
