package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01
	if code, out, errOut := gardien(t, "man", "--dir", dir); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, page := range []string{"gardien.1", "gardien-run.1", "gardien-cron.1", "gardien-systemd.1", "gardien-daemon.1"} {
		text, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s: %v", page, err)
			continue
		}
		if !strings.Contains(string(text), `"Jan 2026"`) || strings.Contains(string(text), "Auto generated") {
			t.Errorf("%s:\n%s", page, text)
		}
	}
	for _, page := range []string{"gardien-man.1", "gardien-completion.1"} {
		if _, err := os.Stat(filepath.Join(dir, page)); err == nil {
			t.Errorf("%s was written", page)
		}
	}
}
