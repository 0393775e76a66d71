//go:build integration

package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/demo"
	"github.com/gardien/gardien/internal/testutil"
)

// The integration suite runs the real binary against real servers that
// scripts/integration-servers.sh installs and starts on 127.0.0.1. Run it with
// `make integration`; with GARDIEN_IT=1 (as in CI) a missing server fails the suite
// instead of skipping it.

// binary builds gardien once for the suite.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gardien")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type itRun struct {
	code           int
	stdout, stderr string
}

func runBinary(t *testing.T, bin string, args ...string) itRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	r := itRun{stdout: o.String(), stderr: e.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIntegrationOpenSSH(t *testing.T) {
	env := testutil.ITVars(t, "GARDIEN_IT_SSH_ADDR", "GARDIEN_IT_SSH_USER", "GARDIEN_IT_SSH_PASSWORD", "GARDIEN_IT_SSH_KEY", "GARDIEN_IT_SSH_KNOWN_HOSTS", "GARDIEN_IT_SFTP_ROOT")
	bin := binary(t)
	work := t.TempDir()

	// A realistic dump, zipped, served over HTTPS on 127.0.0.1.
	var dump bytes.Buffer
	if err := demo.WriteDump(&dump, 8<<20, 7); err != nil {
		t.Fatal(err)
	}
	src := testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump.Bytes()}))

	// The remote directory belongs to the SSH user; each test gets its own.
	remote := filepath.Join(env["GARDIEN_IT_SFTP_ROOT"], filepath.Base(work))
	t.Cleanup(func() { os.RemoveAll(remote) })
	logPath := filepath.Join(work, "gardien.log")
	config := func(auth string) string {
		p := filepath.Join(work, "gardien.toml")
		text := `
[log]
file = "` + logPath + `"
[state]
dir = "` + filepath.Join(work, "state") + `"
[[job]]
name = "it-db"
  [job.source]
  url = "` + src.URLPath() + `"
  ca_file = "` + src.CAFile + `"
  expect = "dump.sql"
  [job.archive]
  staging_dir = "` + filepath.Join(work, "staging") + `"
  [[job.destination]]
  name = "openssh"
  url = "sftp://` + env["GARDIEN_IT_SSH_USER"] + "@" + env["GARDIEN_IT_SSH_ADDR"] + remote + `"
  verify = true
` + auth + `
  [job.retention]
  keep_days = 30
  keep_min = 1
`
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyAuth := `  key_file = "` + env["GARDIEN_IT_SSH_KEY"] + `"
  known_hosts = "` + env["GARDIEN_IT_SSH_KNOWN_HOSTS"] + `"`

	// Stale temporary files and old archives, as left by earlier nights.
	if err := os.MkdirAll(remote, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(remote, 0o777)
	for _, n := range []string{"20200101.tgz", ".20200102.tgz.part", "notes.txt"} {
		os.WriteFile(filepath.Join(remote, n), []byte("old"), 0o666)
	}

	t.Run("check", func(t *testing.T) {
		r := runBinary(t, bin, "--config", config(keyAuth), "check")
		if r.code != 0 {
			t.Fatalf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("run sends the archive byte for byte", func(t *testing.T) {
		r := runBinary(t, bin, "--config", config(keyAuth), "run")
		if r.code != 0 {
			t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		ents, _ := os.ReadDir(remote)
		var archives []string
		for _, e := range ents {
			archives = append(archives, e.Name())
		}
		if len(archives) != 2 || archives[1] != "notes.txt" || !strings.HasSuffix(archives[0], ".tgz") {
			t.Fatalf("remote holds %v, want today's archive and notes.txt", archives)
		}
		out := filepath.Join(work, "extracted")
		os.Mkdir(out, 0o700)
		if b, err := exec.Command("tar", "xzf", filepath.Join(remote, archives[0]), "-C", out).CombinedOutput(); err != nil {
			t.Fatalf("tar xzf: %v %s", err, b)
		}
		got, err := os.ReadFile(filepath.Join(out, "dump.sql"))
		if err != nil || sha256.Sum256(got) != sha256.Sum256(dump.Bytes()) {
			t.Fatalf("the archived dump differs from the source (%d bytes, %v)", len(got), err)
		}
	})

	t.Run("unchanged dump exits 3", func(t *testing.T) {
		r := runBinary(t, bin, "--config", config(keyAuth), "run")
		if r.code != 3 || !strings.Contains(r.stdout, "unchanged since run") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
	})

	t.Run("restore", func(t *testing.T) {
		to := filepath.Join(work, "restored")
		r := runBinary(t, bin, "--config", config(keyAuth), "restore", "it-db", "--to", to)
		if r.code != 0 {
			t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		got, _ := os.ReadFile(filepath.Join(to, "dump.sql"))
		if !bytes.Equal(got, dump.Bytes()) {
			t.Fatal("restored dump differs")
		}
	})

	t.Run("password authentication", func(t *testing.T) {
		auth := `  password = "${GARDIEN_IT_SSH_PASSWORD}"
  known_hosts = "` + env["GARDIEN_IT_SSH_KNOWN_HOSTS"] + `"`
		r := runBinary(t, bin, "--config", config(auth), "check")
		if r.code != 0 {
			t.Fatalf("check with password: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, env["GARDIEN_IT_SSH_PASSWORD"]) {
			t.Error("password printed")
		}
	})

	t.Run("wrong password fails with a hint", func(t *testing.T) {
		src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": []byte("a new dump\n")}))
		auth := `  password = "not-the-password"
  known_hosts = "` + env["GARDIEN_IT_SSH_KNOWN_HOSTS"] + `"`
		r := runBinary(t, bin, "--config", config(auth), "run")
		if r.code != 1 || !strings.Contains(r.stdout, `FAILURE at "destination reachable" (openssh)`) {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		logText, _ := os.ReadFile(logPath)
		if strings.Contains(string(logText), "not-the-password") {
			t.Error("the password is in the log")
		}
	})

	t.Run("wrong host key is refused", func(t *testing.T) {
		kh := filepath.Join(work, "other_known_hosts")
		line := "[" + strings.Replace(env["GARDIEN_IT_SSH_ADDR"], ":", "]:", 1) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMbZ8V8bCiuTLHR0RmJyi0CtA3x5QqHS5cNn0vBNo8ai\n"
		os.WriteFile(kh, []byte(line), 0o600)
		auth := `  key_file = "` + env["GARDIEN_IT_SSH_KEY"] + `"
  known_hosts = "` + kh + `"`
		r := runBinary(t, bin, "--config", config(auth), "run")
		if r.code != 1 || !strings.Contains(strings.ToLower(r.stdout), "host key") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
