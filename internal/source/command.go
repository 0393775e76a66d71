package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
)

// StepCommandRun is the step of a command source.
const StepCommandRun = "command run"

// maxStderr bounds what is kept of a command's standard error.
const maxStderr = 8 << 10

// Command is the standard output of a command (mysqldump, odoo-bin db dump),
// archived as filename. Its exit status is checked, and its standard error is the
// cause when it fails. The output is staged: a tar entry announces its size before
// its content, which a command only knows at its end.
type Command struct {
	cfg config.Source
	log *slog.Logger
}

var _ Source = (*Command)(nil)

func newCommand(c config.Source, log *slog.Logger) (Source, error) {
	return &Command{cfg: c, log: log}, nil
}

// String shows the command, never its environment (env may hold a password).
func (c *Command) String() string { return "command " + c.cfg.Command.String() }

// program is what runs: the first argument, or /bin/sh for a shell string.
func (c *Command) program() (string, []string) {
	if c.cfg.Command.Shell != "" {
		return "/bin/sh", []string{"-c", c.cfg.Command.Shell}
	}
	return c.cfg.Command.Argv[0], c.cfg.Command.Argv[1:]
}

// Check finds the program without running it.
func (c *Command) Check(ctx context.Context) (string, error) {
	prog, _ := c.program()
	p, err := exec.LookPath(prog)
	if err != nil {
		return "", notFound(prog, err)
	}
	if c.cfg.Command.Shell != "" {
		return "runs " + p + " -c (not run by check)", nil
	}
	return p + " found (not run by check)", nil
}

func notFound(prog string, err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	return fault.Permanent(fault.WithHint(fmt.Errorf("%s: %w", prog, err),
		"install the program, or write its full path in command (cron's PATH is short: /usr/bin:/bin)"))
}

// Fetch runs the command, its standard output into a file of the staging directory.
func (c *Command) Fetch(ctx context.Context, stage string, rec Recorder) (*Fetched, error) {
	out := filepath.Join(stage, "source-"+c.cfg.Name+".out")
	size, elapsed, err := c.run(ctx, out)
	if err != nil {
		os.Remove(out)
		rec(report.Step{Name: StepCommandRun, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	prog, _ := c.program()
	if c.cfg.Command.Shell != "" {
		prog = "the shell command"
	}
	rec(report.Step{Name: StepCommandRun, Status: report.OK, Detail: fmt.Sprintf("%s exited 0 in %s, %s on its standard output", filepath.Base(prog), report.Duration(elapsed), report.Bytes(size))})
	item := Item{
		Name:    c.cfg.Filename,
		Size:    size,
		ModTime: time.Now(),
		Open:    func() (io.ReadCloser, error) { return os.Open(out) },
		Step:    StepCommandRun,
	}
	return &Fetched{Items: []Item{item}, Close: func() error { return os.Remove(out) }}, nil
}

// run runs the command once, its output to the file out. A command that outlives its
// timeout is killed with every process it started (pipes of a shell command).
func (c *Command) run(ctx context.Context, out string) (int64, time.Duration, error) {
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout.D())
		defer cancel()
	}
	prog, args := c.program()
	if _, err := exec.LookPath(prog); err != nil {
		return 0, 0, notFound(prog, err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, 0, fault.Permanent(fmt.Errorf("stage the output: %w", err))
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = os.Environ()
	for k, v := range c.cfg.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cw := &countWriter{w: f}
	stderr := &headBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = cw, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	t0 := time.Now()
	err = cmd.Run()
	elapsed := time.Since(t0)
	if cerr := f.Close(); err == nil && cerr != nil {
		return 0, elapsed, fmt.Errorf("stage the output: %w", cerr)
	}
	msg := stderr.text()
	if err == nil && msg != "" {
		c.log.Info("the command wrote on its standard error", "step", StepCommandRun, "stderr", msg)
	}
	switch {
	case err == nil && cw.n == 0:
		return 0, elapsed, fault.Permanent(fault.WithHint(errors.New("the command exited 0 but wrote nothing on its standard output"+withStderr(msg)),
			"the command must write the dump on its standard output: no --result-file, no > redirection"))
	case err == nil:
		return cw.n, elapsed, nil
	case ctx.Err() == context.DeadlineExceeded:
		return 0, elapsed, fault.WithHint(fmt.Errorf("still running after timeout %s: killed%s", c.cfg.Timeout.D(), withStderr(msg)),
			"raise timeout in [job.source] if the dump truly takes that long, or find what it waits for (a lock, a password prompt?)")
	case ctx.Err() != nil:
		return 0, elapsed, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		status := fmt.Sprintf("exited with status %d", ee.ExitCode())
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			status = "was killed by signal " + ws.Signal().String()
		}
		return 0, elapsed, fault.Permanent(fault.WithHint(fmt.Errorf("%s %s%s", filepath.Base(prog), status, withStderr(msg)),
			"see the command's own message; run it by hand, as the user gardien runs as, to see more: "+c.cfg.Command.String()))
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return 0, elapsed, fault.Permanent(fault.WithHint(fmt.Errorf("stage the output: %w", err), "the staging directory is full: free space there, or set staging_dir in [job.archive]"))
	}
	return 0, elapsed, fault.Permanent(err)
}

func withStderr(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// headBuffer keeps the first max bytes written to it: a program's cause is in its
// first lines, and a runaway one must not fill the memory.
type headBuffer struct {
	max     int
	buf     bytes.Buffer
	dropped int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	room := max(h.max-h.buf.Len(), 0)
	h.buf.Write(p[:min(room, len(p))])
	h.dropped += len(p) - min(room, len(p))
	return len(p), nil
}

// text is what was kept, its lines joined with " | ", and how much was dropped.
func (h *headBuffer) text() string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(h.buf.Bytes()))
	sc.Buffer(make([]byte, 0, 4096), h.max+1)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	s := strings.Join(lines, " | ")
	if h.dropped > 0 {
		s += fmt.Sprintf(" … (%d more bytes)", h.dropped)
	}
	return s
}
