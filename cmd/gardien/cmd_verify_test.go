package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFolderConfig writes a configuration whose job archives a folder to a file://
// destination, and returns its path and the folder.
func writeFolderConfig(t *testing.T) (cfgPath, media string) {
	t.Helper()
	dir := t.TempDir()
	media = filepath.Join(dir, "media")
	os.MkdirAll(filepath.Join(media, "avatars"), 0o755)
	os.WriteFile(filepath.Join(media, "avatars", "léa.png"), []byte("png"), 0o644)
	text := `
[log]
file = "` + filepath.Join(dir, "gardien.log") + `"
[state]
dir = "` + filepath.Join(dir, "state") + `"
[[job]]
name = "app"
  [job.source]
  type = "directory"
  path = "` + media + `"
  [job.archive]
  staging_dir = "` + filepath.Join(dir, "staging") + `"
  [[job.destination]]
  name = "nas"
  url = "file://` + filepath.Join(dir, "nas") + `"
`
	cfgPath = filepath.Join(dir, "gardien.toml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, media
}

func TestVerifyCommand(t *testing.T) {
	cfg, _ := writeFolderConfig(t)
	if code, out, errOut := gardien(t, "--config", cfg, "verify", "app"); code != 1 || !strings.Contains(out, `FAILURE at "archive found"`) {
		t.Errorf("before any run: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := gardien(t, "--config", cfg, "verify", "app")
	if code != 0 || !strings.Contains(out, "== app (verify) run ") || !strings.Contains(out, "ok      checksums verified     1 file, SHA-256 as in the MANIFEST") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := gardien(t, "--config", cfg, "verify", "nope"); code != 2 || !strings.Contains(errOut, `no job named "nope"`) {
		t.Errorf("unknown job: exit %d, %s", code, errOut)
	}
	if code, out, _ := gardien(t, "--config", cfg, "verify", "app", "19990101.tgz"); code != 1 || !strings.Contains(out, "no archive named 19990101.tgz") {
		t.Errorf("unknown archive: exit %d\n%s", code, out)
	}
}

func TestRestoreFlags(t *testing.T) {
	cfg, _ := writeFolderConfig(t)
	scenarios := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"restore", "app", "--to", "/tmp/x", "--into-db", "x"}, 2, "not both"},
		{[]string{"restore", "app"}, 2, "--into-db DATABASE"},
		{[]string{"restore", "app", "--to", "/tmp/x", "--dump", "x"}, 2, "--dump chooses"},
		{[]string{"restore", "app", "--into-db", "x", "--yes"}, 1, `job "app" has no postgres source`},
	}
	for _, sc := range scenarios {
		code, _, errOut := gardien(t, append([]string{"--config", cfg}, sc.args...)...)
		if code != sc.code || !strings.Contains(errOut, sc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", sc.args, code, errOut, sc.code, sc.want)
		}
	}
}

// The folder comes back with its tree through the command line too.
func TestRestoreFolderCommand(t *testing.T) {
	cfg, _ := writeFolderConfig(t)
	if code, out, errOut := gardien(t, "--config", cfg, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	to := filepath.Join(t.TempDir(), "back")
	code, out, errOut := gardien(t, "--config", cfg, "restore", "app", "--to", to)
	if code != 0 || !strings.Contains(out, "ok  media/avatars/léa.png") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(to, "media", "avatars", "léa.png")); err != nil || string(b) != "png" {
		t.Errorf("restored file: %q, %v", b, err)
	}
}
