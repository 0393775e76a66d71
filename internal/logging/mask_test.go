package logging

import (
	"bytes"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretsMaskedEverywhere(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "log", "gardien.log")
	var stderr bytes.Buffer
	l, err := Open(Options{File: file, Level: slog.LevelDebug, MaxSizeMB: 1, MaxFiles: 2, Stderr: &stderr, StderrLvl: slog.LevelDebug, Secrets: []string{"hunter2-pw", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	l.Error("step failed", "cause", "auth as backup:hunter2-pw refused", "url", "sftp://backup:hunter2-pw@nas/srv")
	l.File.Write([]byte("summary with hunter2-pw\n"))
	l.Close()
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"file": string(got), "stderr": stderr.String()} {
		if strings.Contains(text, "hunter2") {
			t.Errorf("secret in %s: %s", where, text)
		}
		if !strings.Contains(text, "***") {
			t.Errorf("nothing masked in %s: %s", where, text)
		}
	}
	// A one-letter "secret" is not masked: it would garble every line.
	if !strings.Contains(string(got), "step failed") {
		t.Errorf("short secret masked: %s", got)
	}
}

// A secret with quotes or backslashes is escaped by slog before the masker sees the
// line; one in a URL is percent-encoded. Both forms are masked.
func TestEscapedSecretsMasked(t *testing.T) {
	const pw = `p"a\ss w/rd`
	var out bytes.Buffer
	l, err := Open(Options{File: "-", Level: slog.LevelInfo, Stderr: &out, StderrLvl: slog.LevelInfo, Secrets: []string{pw}})
	if err != nil {
		t.Fatal(err)
	}
	l.Error("step failed", "cause", "login with "+pw+" refused", "url", "https://u:"+url.PathEscape(pw)+"@h/?k="+url.QueryEscape(pw))
	l.Close()
	text := out.String()
	for _, form := range []string{pw, `p\"a\\ss`, url.QueryEscape(pw), url.PathEscape(pw)} {
		if strings.Contains(text, form) {
			t.Errorf("the secret appears as %q:\n%s", form, text)
		}
	}
	if strings.Count(text, "***") < 3 {
		t.Errorf("want three masked secrets:\n%s", text)
	}
}

func TestRotationBySize(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gardien.log")
	l, err := Open(Options{File: file, Level: slog.LevelInfo, MaxSizeMB: 1, MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 1000)
	for i := 0; i < 2500; i++ { // ~2.5 MB
		l.Info("filler", "data", line)
	}
	l.Close()
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "gardien-*.log"))
	if len(matches) == 0 {
		t.Fatal("no rotated file")
	}
	st, err := os.Stat(file)
	if err != nil || st.Size() > 1<<20 {
		t.Errorf("current log %v bytes, %v", st, err)
	}
}

func TestOpenUnwritable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	if _, err := Open(Options{File: filepath.Join(blocker, "gardien.log")}); err == nil {
		t.Error("opened a log under a regular file")
	}
}
