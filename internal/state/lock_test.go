package state

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var holderRe = regexp.MustCompile(`^pid=(\d+) host=(\S+) started=(\S+)$`)

// checkHolder checks that line is a holder line written by process pid.
func checkHolder(t *testing.T, line string, pid int) {
	t.Helper()
	m := holderRe.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		t.Fatalf("holder line %q does not read pid=N host=H started=T", line)
	}
	if m[1] != strconv.Itoa(pid) {
		t.Errorf("holder line %q: pid %s, want %d", line, m[1], pid)
	}
	if host, _ := os.Hostname(); host != "" && m[2] != host {
		t.Errorf("holder line %q: host %s, want %s", line, m[2], host)
	}
	started, err := time.Parse(time.RFC3339, m[3])
	if err != nil {
		t.Errorf("holder line %q: started: %v", line, err)
	} else if d := time.Since(started); d < -time.Second || d > time.Minute {
		t.Errorf("holder line %q: started %v ago", line, d)
	}
}

func lockedError(t *testing.T, err error) *LockedError {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("want a *LockedError, got %T: %v", err, err)
	}
	return le
}

func TestLock(t *testing.T) {
	scenarios := []struct {
		name string
		test func(t *testing.T, dir string)
	}{
		{
			name: "creates the missing directory 0700 and a 0600 lock file naming its holder",
			test: func(t *testing.T, dir string) {
				dir = filepath.Join(dir, "var", "lib", "gardien")
				l, err := Lock(dir, "ocpizza-db")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
				for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, LockFile(dir, "ocpizza-db"): 0o600} {
					fi, err := os.Stat(path)
					if err != nil {
						t.Fatal(err)
					}
					if fi.Mode() != want {
						t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
					}
				}
				if l.Path() != filepath.Join(dir, "ocpizza-db.lock") {
					t.Errorf("Path() = %s", l.Path())
				}
				b, err := os.ReadFile(l.Path())
				if err != nil {
					t.Fatal(err)
				}
				checkHolder(t, string(b), os.Getpid())
			},
		},
		{
			name: "a second lock in the same process fails and names the holder",
			test: func(t *testing.T, dir string) {
				l, err := Lock(dir, "ocpizza-db")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
				l2, err := Lock(dir, "ocpizza-db")
				if err == nil {
					l2.Unlock()
					t.Fatal("second Lock of the same job succeeded")
				}
				le := lockedError(t, err)
				if le.Job != "ocpizza-db" || le.Path != l.Path() {
					t.Errorf("LockedError = %+v", le)
				}
				checkHolder(t, le.Holder, os.Getpid())
				want := fmt.Sprintf("job %q is already running (%s); lock file %s", "ocpizza-db", le.Holder, l.Path())
				if err.Error() != want {
					t.Errorf("Error() = %q\nwant      %q", err, want)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("pid=%d ", os.Getpid())) {
					t.Errorf("Error() %q does not name pid %d", err, os.Getpid())
				}
			},
		},
		{
			name: "different jobs do not conflict",
			test: func(t *testing.T, dir string) {
				a, err := Lock(dir, "ocpizza-db")
				if err != nil {
					t.Fatal(err)
				}
				defer a.Unlock()
				b, err := Lock(dir, "ocpizza-media")
				if err != nil {
					t.Fatalf("lock of another job: %v", err)
				}
				defer b.Unlock()
			},
		},
		{
			name: "unlock releases the lock and empties the file; a second unlock does nothing",
			test: func(t *testing.T, dir string) {
				l, err := Lock(dir, "j")
				if err != nil {
					t.Fatal(err)
				}
				if err := l.Unlock(); err != nil {
					t.Fatal(err)
				}
				if err := l.Unlock(); err != nil {
					t.Errorf("second Unlock: %v", err)
				}
				if b, err := os.ReadFile(l.Path()); err != nil || len(b) != 0 {
					t.Errorf("lock file after Unlock: %q, %v; want it empty", b, err)
				}
				l, err = Lock(dir, "j")
				if err != nil {
					t.Fatalf("Lock after Unlock: %v", err)
				}
				l.Unlock()
			},
		},
		{
			name: "a stale holder line from a dead run is overwritten",
			test: func(t *testing.T, dir string) {
				stale := "pid=999999 host=elsewhere started=2020-01-01T00:00:00Z and some more text than ours\n"
				if err := os.WriteFile(LockFile(dir, "j"), []byte(stale), 0o600); err != nil {
					t.Fatal(err)
				}
				l, err := Lock(dir, "j")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
				b, _ := os.ReadFile(l.Path())
				checkHolder(t, string(b), os.Getpid())
			},
		},
		{
			name: "invalid job names are refused",
			test: func(t *testing.T, dir string) {
				for _, job := range []string{"", ".", "..", "../x", "a/b", `a\b`} {
					if l, err := Lock(dir, job); err == nil {
						l.Unlock()
						t.Errorf("Lock(%q) succeeded", job)
					}
				}
			},
		},
		{
			name: "an unusable directory is an error, not LockedError",
			test: func(t *testing.T, dir string) {
				file := filepath.Join(dir, "file")
				if err := os.WriteFile(file, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := Lock(file, "j")
				var le *LockedError
				if err == nil || errors.As(err, &le) {
					t.Fatalf("Lock under a file: %v", err)
				}
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.test(t, t.TempDir()) })
	}
}

func TestLockedErrorWithoutHolder(t *testing.T) {
	err := &LockedError{Job: "j", Path: "/var/lib/gardien/j.lock"}
	want := `job "j" is already running (holder not recorded yet); lock file /var/lib/gardien/j.lock`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

const helperEnv = "GARDIEN_TEST_LOCK_HELPER"

// TestLockHelperProcess is not a test: it is the child process of TestLockKilledHolder,
// which takes the lock, says so, and holds it until its stdin closes or it is killed.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestLockKilledHolder")
	}
	if _, err := Lock(dir, "ocpizza-db"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// TestLockKilledHolder checks that a run killed with kill -9 leaves no lock behind: the
// kernel releases a flock when its holder dies.
func TestLockKilledHolder(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if line != "locked" {
			t.Fatalf("helper process: %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper process did not take the lock in time")
	}

	_, err = Lock(dir, "ocpizza-db")
	le := lockedError(t, err)
	checkHolder(t, le.Holder, cmd.Process.Pid)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	killed = true
	if ee, ok := werr.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper process ended with %v, want killed by SIGKILL", werr)
	}

	l, err := Lock(dir, "ocpizza-db")
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer l.Unlock()
	b, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	checkHolder(t, string(b), os.Getpid())
}
