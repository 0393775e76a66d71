package source

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
)

func shellSource(script string, mods ...func(*config.Source)) config.Source {
	c := config.Source{Type: "command", Name: "shop", Command: config.Command{Shell: script}, Filename: "shop.sql", Timeout: config.Duration(time.Minute)}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func TestCommandOutput(t *testing.T) {
	scenarios := []struct {
		name string
		src  config.Source
		want string
	}{
		{"shell string with a pipe", shellSource(`printf 'CREATE TABLE t;\n' | tr a-z A-Z; echo "Warning: using a password on the command line" >&2`), "CREATE TABLE T;\n"},
		{"argument list, no shell", config.Source{Type: "command", Name: "x", Command: config.Command{Argv: []string{"printf", "%s|%s", "a b", "$HOME"}}, Filename: "x.txt"}, "a b|$HOME"},
		{"env", shellSource(`printf "%s" "$MYSQL_PWD"`, func(c *config.Source) { c.Env = map[string]string{"MYSQL_PWD": "s3cret"} }), "s3cret"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := fetch(t, sc.src)
			if r.err != nil {
				t.Fatalf("%v (%+v)", r.err, r.steps)
			}
			s := r.last()
			if s.Name != StepCommandRun || s.Status != report.OK || !strings.Contains(s.Detail, "exited 0") {
				t.Errorf("step = %+v", s)
			}
			if len(r.f.Items) != 1 || r.f.Items[0].Name != sc.src.Filename || r.f.Items[0].Size != int64(len(sc.want)) {
				t.Fatalf("items = %+v", r.f.Items)
			}
			rc, err := r.f.Items[0].Open()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != sc.want {
				t.Errorf("output %q, want %q", got, sc.want)
			}
		})
	}
}

func TestCommandFailures(t *testing.T) {
	scenarios := []struct {
		name  string
		src   config.Source
		cause []string
		hint  string
	}{
		{"exit status and stderr in the cause",
			shellSource(`echo "mysqldump: Got error: 1045: Access denied for user 'backup'@'localhost' (using password: YES)" >&2; echo partial; exit 2`),
			[]string{"sh exited with status 2: mysqldump: Got error: 1045: Access denied for user 'backup'@'localhost'"}, "run it by hand"},
		{"program not installed",
			config.Source{Type: "command", Name: "x", Command: config.Command{Argv: []string{"mysqldump-not-installed", "shop"}}, Filename: "x.sql", Timeout: config.Duration(time.Minute)},
			[]string{"mysqldump-not-installed: executable file not found"}, "install the program"},
		{"nothing on standard output",
			shellSource(`echo "done" >&2`),
			[]string{"wrote nothing on its standard output: done"}, "no --result-file"},
		{"killed by a signal",
			shellSource(`kill -9 $$`),
			[]string{"was killed by signal killed"}, "run it by hand"},
		{"stderr is bounded",
			shellSource(`head -c 100000 /dev/zero | tr '\0' e >&2; exit 1`),
			[]string{"more bytes)"}, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := fetch(t, sc.src)
			s := r.last()
			if r.err == nil || s.Name != StepCommandRun || s.Status != report.Failed {
				t.Fatalf("err %v, step %+v", r.err, s)
			}
			for _, c := range sc.cause {
				if !strings.Contains(s.Cause, c) {
					t.Errorf("cause %q lacks %q", s.Cause, c)
				}
			}
			if !strings.Contains(s.Hint, sc.hint) {
				t.Errorf("hint %q lacks %q", s.Hint, sc.hint)
			}
			if len(s.Cause) > maxStderr+500 {
				t.Errorf("cause of %d bytes", len(s.Cause))
			}
			if fault.Retryable(r.err) {
				t.Error("a failed command is retried")
			}
		})
	}
}

// A command that outlives its timeout is killed with the processes it started, and
// nothing it wrote is kept.
func TestCommandTimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	src := shellSource(`echo partial; sleep 30 & echo $! > `+pidFile+`; wait`, func(c *config.Source) { c.Timeout = config.Duration(300 * time.Millisecond) })
	s, _ := New(src, slog.New(slog.DiscardHandler))
	stage := t.TempDir()
	var steps []report.Step
	t0 := time.Now()
	_, err := s.Fetch(context.Background(), stage, func(st report.Step) { steps = append(steps, st) })
	if err == nil || time.Since(t0) > 5*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(t0))
	}
	if st := steps[len(steps)-1]; !strings.Contains(st.Cause, "still running after timeout 300ms: killed") || !strings.Contains(st.Hint, "raise timeout") {
		t.Errorf("step = %+v", st)
	}
	if ents, _ := os.ReadDir(stage); len(ents) != 0 {
		t.Errorf("staging keeps %v", ents)
	}
	time.Sleep(100 * time.Millisecond)
	if pid, _ := os.ReadFile(pidFile); len(pid) > 0 {
		if st, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat"); err == nil && !strings.Contains(string(st), ") Z ") {
			t.Errorf("the command's child %s outlived the timeout", strings.TrimSpace(string(pid)))
		}
	}
}

func TestCommandCheck(t *testing.T) {
	s, _ := New(config.Source{Type: "command", Command: config.Command{Argv: []string{"sh", "-c", "exit 1"}}, Filename: "x"}, slog.New(slog.DiscardHandler))
	if d, err := s.Check(context.Background()); err != nil || !strings.Contains(d, "not run by check") {
		t.Errorf("check: %q, %v", d, err)
	}
	s, _ = New(config.Source{Type: "command", Command: config.Command{Argv: []string{"no-such-program"}}, Filename: "x"}, slog.New(slog.DiscardHandler))
	if _, err := s.Check(context.Background()); err == nil || !strings.Contains(fault.Hint(err), "full path") {
		t.Errorf("check: %v", err)
	}
	if got := s.String(); got != "command no-such-program" {
		t.Errorf("String = %q", got)
	}
}
