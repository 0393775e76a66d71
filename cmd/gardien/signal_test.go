package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/testutil"
)

// TestMain lets a test run this test binary as gardien itself, in a child process
// that can be sent signals: GARDIEN_TEST_MAIN=1 ./gardien.test ARGS...
func TestMain(m *testing.M) {
	if os.Getenv("GARDIEN_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// SIGINT in the middle of a download: the run stops at once, says so, exits 1, and
// leaves nothing behind, locally or on the destination.
func TestInterruptedRun(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	src := testutil.NewZipServer(t, nil)
	src.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(100<<20))
		w.Write(make([]byte, 1<<20))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		select { // a slow source: nothing more until the test ends
		case <-release:
		case <-r.Context().Done():
		}
	})
	cfg, dest, logPath, _ := writeConfig(t, "")
	text, _ := os.ReadFile(cfg)
	text = bytes.Replace(text, []byte(`ca_file = "`), []byte(`ca_file = "`+src.CAFile+`"`+"\n  #"), 1)
	text = bytes.Replace(text, []byte(`url = "https://`), []byte(`url = "`+src.URLPath()+`"`+"\n  #"), 1)
	os.WriteFile(cfg, text, 0o600)

	cmd := exec.Command(os.Args[0], "--config", cfg, "run")
	cmd.Env = append(os.Environ(), "GARDIEN_TEST_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the download never started\n%s%s", out.String(), errOut.String())
	}
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("took %v to stop after SIGINT", took)
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want 1\n%s%s", err, out.String(), errOut.String())
	}
	// The signal may reach the client before or after it read the response's
	// headers: the run stops at "url reachable" or at "zip downloaded".
	if !regexp.MustCompile(`FAILURE at "(url reachable|zip downloaded)" \(interrupted\) ==`).MatchString(out.String()) {
		t.Errorf("the summary does not say the run was interrupted:\n%s", out.String())
	}
	logText, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logText), `msg="run interrupted"`) {
		t.Errorf("the log does not say the run was interrupted:\n%s", logText)
	}
	if ents, _ := os.ReadDir(dest); len(ents) != 0 {
		t.Errorf("the destination holds %v", ents)
	}
	staging := filepath.Join(filepath.Dir(cfg), "staging")
	if ents, _ := os.ReadDir(staging); len(ents) != 0 {
		t.Errorf("staging holds %v", ents)
	}
}
