package pg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/gardien/gardien/internal/fault"
)

// MaxStderr bounds what is kept of a program's standard error: the cause of a
// failure is in its first lines, and a runaway program must not fill the memory.
const MaxStderr = 8 << 10

// ToolError is a pg_dump or pg_restore that could not run or failed: what it was
// doing, how it ended, and its own words on standard error.
type ToolError struct {
	Tool   string // "pg_dump"
	Err    error  // *exec.ExitError, a start error, or a context error
	Stderr string // bounded, trimmed
	hint   string
	retry  bool
}

func (e *ToolError) Error() string {
	msg := oneLine(e.Stderr)
	switch {
	case msg == "":
		return fmt.Sprintf("%s: %v", e.Tool, e.Err)
	case errors.As(e.Err, new(*exec.ExitError)):
		return fmt.Sprintf("%s %v: %s", e.Tool, e.Err, msg)
	}
	return fmt.Sprintf("%s: %v: %s", e.Tool, e.Err, msg)
}

func (e *ToolError) Unwrap() error   { return e.Err }
func (e *ToolError) Hint() string    { return e.hint }
func (e *ToolError) Retryable() bool { return e.retry }

// oneLine joins the lines of a program's message, dropping the repeated
// "pg_dump: error: " prefixes' noise only where it is noise (the detail lines).
func oneLine(s string) string {
	var parts []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " | ")
}

var versionMismatch = regexp.MustCompile(`server version: (\d+)[^;]*; \S+ version: (\d+)`)

// Classify gives a program's failure its hint, from what it wrote on standard
// error (libpq's and the server's messages are stable, and in English when the
// program runs with LC_MESSAGES=C, as Command sets it). It tells whether a retry may help.
func Classify(tool, stderr, user string) (hint string, retry bool) {
	role := user
	if role == "" {
		role = "the role"
	}
	switch {
	case strings.Contains(stderr, "server version mismatch"):
		h := "the " + tool + " of this machine is older than the server: install the client of the server's version (apt install postgresql-client-NN, from apt.postgresql.org when Debian has not got it), or set " + tool + " to its path, e.g. /usr/lib/postgresql/NN/bin/" + tool
		if m := versionMismatch.FindStringSubmatch(stderr); m != nil {
			h = strings.ReplaceAll(h, "NN", m[1])
		}
		return h, false
	case strings.Contains(stderr, "password authentication failed"):
		return "PostgreSQL refused the password of " + role + ": check password or password_file (or the password in dsn) in [job.source]", false
	case strings.Contains(stderr, "no password supplied"):
		return "the server asks for a password: set password_file in [job.source]", false
	case strings.Contains(stderr, "no pg_hba.conf entry"):
		return "the server's pg_hba.conf has no line for this host, user and database: add one and reload PostgreSQL", false
	case strings.Contains(stderr, "Peer authentication failed"), strings.Contains(stderr, "Ident authentication failed"):
		return "peer authentication takes the operating system user: run gardien as that user, or connect over TCP (host = \"127.0.0.1\") with a password_file", false
	case strings.Contains(stderr, "Connection refused"):
		return "PostgreSQL does not listen there: check that it runs (systemctl status postgresql), host and port (default 5432), and listen_addresses in postgresql.conf", true
	case strings.Contains(stderr, "No such file or directory") && strings.Contains(stderr, "socket"):
		return "no PostgreSQL socket there: the server does not run on this machine, or uses another port or socket directory (set host and port)", true
	case strings.Contains(stderr, "permission denied"):
		return fmt.Sprintf("%s may not read everything in this database: GRANT pg_read_all_data TO %s (PostgreSQL 14 and later), grant it SELECT on the tables named, or dump as the database's owner", role, role), false
	case strings.Contains(stderr, "FATAL:  role") && strings.Contains(stderr, "does not exist"):
		return "no such role on the server: set username in [job.source] (without it, the name of the operating system user gardien runs as is used)", false
	case strings.Contains(stderr, "does not exist") && strings.Contains(stderr, "database"):
		return "the database vanished between the listing and its dump (dropped or renamed?): run again", false
	case strings.Contains(stderr, "out of shared memory"), strings.Contains(stderr, "max_locks_per_transaction"):
		return "the database has more tables than a dump can lock: raise max_locks_per_transaction in postgresql.conf (e.g. 256) and restart PostgreSQL", false
	case strings.Contains(stderr, "could not obtain lock"), strings.Contains(stderr, "lock timeout"):
		return "a table was locked by another session (a migration, VACUUM FULL?): the dump is retried; schedule the job at a quieter time if it persists", true
	case strings.Contains(stderr, "timeout expired"): // libpq's connect_timeout
		return "PostgreSQL did not answer " + tool + " within connect_timeout: check that the server is up and not overloaded or stuck (its log, max_connections), and that no firewall drops the traffic", true
	case strings.Contains(stderr, "server closed the connection"), strings.Contains(stderr, "could not receive data"),
		strings.Contains(stderr, "SSL SYSCALL"), strings.Contains(stderr, "terminating connection"), strings.Contains(stderr, "connection to server was lost"):
		return "the connection to PostgreSQL broke off: check the server's log; the dump is retried", true
	case strings.Contains(stderr, "certificate"), strings.Contains(stderr, "SSL"):
		return "TLS to the server failed: set ca_file to the authority that signed its certificate, use the host name it was issued for, or sslmode = \"disable\" on a trusted network", false
	case strings.Contains(stderr, "could not connect"), strings.Contains(stderr, "connection to server"):
		return "pg_dump could not connect: check host, port and sslmode in [job.source] (`gardien check` tests the connection)", true
	}
	return "see " + tool + "'s message above; the same " + tool + " run by hand shows more (gardien --verbose logs its command line)", false
}

// Tool is a PostgreSQL client program (pg_dump, pg_restore), by name in $PATH or by
// path.
type Tool struct {
	Name string // "pg_dump"
	Path string // as configured: a name looked up in $PATH, or a path
}

// missingHint is what to do when a client program is not installed.
func (t Tool) missingHint() string {
	return fmt.Sprintf("install the PostgreSQL client programs: apt install postgresql-client (of the server's version or newer), or set %s to its path, e.g. \"/usr/lib/postgresql/15/bin/%s\"", t.Name, t.Name)
}

// Look finds the program, or says how to install it.
func (t Tool) Look() (string, error) {
	p, err := exec.LookPath(t.Path)
	if err != nil {
		return "", &ToolError{Tool: t.Name, Err: fmt.Errorf("%s not found: %w", t.Path, unwrapExec(err)), hint: t.missingHint()}
	}
	return p, nil
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// Version runs the program with --version and returns its major version and the
// line it printed ("pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)").
func (t Tool) Version(ctx context.Context) (int, string, error) {
	p, err := t.Look()
	if err != nil {
		return 0, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, "--version").Output()
	if err != nil {
		return 0, "", &ToolError{Tool: t.Name, Err: err, hint: t.missingHint()}
	}
	line := strings.TrimSpace(string(out))
	f := strings.Fields(line)
	if len(f) < 3 || majorOf(f[2]) == 0 {
		return 0, line, &ToolError{Tool: t.Name, Err: fmt.Errorf("unexpected --version output %q", line), hint: "set " + t.Name + " to PostgreSQL's " + t.Name}
	}
	return majorOf(f[2]), line, nil
}

// CheckVersion refuses a client older than the server, which pg_dump would refuse
// too, later and less clearly.
func (t Tool) CheckVersion(client int, clientLine string, server int, serverFull string) error {
	if client >= server {
		return nil
	}
	err := fmt.Errorf("%s is version %d (%s) but the server is PostgreSQL %s: a %s older than the server refuses it (server version mismatch)", t.Name, client, clientLine, serverFull, t.Name)
	hint, _ := Classify(t.Name, "server version mismatch", "")
	return fault.Permanent(fault.WithHint(err, strings.ReplaceAll(hint, "NN", fmt.Sprint(server))))
}

// Command prepares the program to run with args for the connection ci: the password
// goes in its environment, never on its command line; messages are in English so that
// Classify reads them; standard input is empty, so that nothing ever waits for a
// password typed at a keyboard.
func (t Tool) Command(ctx context.Context, ci Conninfo, args ...string) (*exec.Cmd, error) {
	p, err := t.Look()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Env = append(ci.Env(), "LC_MESSAGES=C", "LANGUAGE=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd, nil
}

// Run runs cmd (from Command) with stdout as its standard output and returns a
// *ToolError carrying its standard error when it fails.
func (t Tool) Run(ctx context.Context, cmd *exec.Cmd, stdout io.Writer, user string) error {
	var stderr Bounded
	stderr.Max = MaxStderr
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	te := &ToolError{Tool: t.Name, Err: err, Stderr: strings.TrimSpace(stderr.String())}
	if ctx.Err() != nil {
		te.Err = ctx.Err()
		te.hint = "the " + t.Name + " took longer than timeout in [job.source]: raise it, or check what slows the server"
		if errors.Is(ctx.Err(), context.Canceled) {
			te.hint = "the run was interrupted; run it again"
		}
		return te
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) { // it did not start, or its output could not be written
		te.hint = fault.Hint(err)
		return te
	}
	te.hint, te.retry = Classify(t.Name, te.Stderr, user)
	return te
}

// Bounded keeps the first Max bytes written to it, and says how many more were dropped.
type Bounded struct {
	Max     int
	buf     bytes.Buffer
	dropped int64
}

func (t *Bounded) Write(p []byte) (int, error) {
	room := t.Max - t.buf.Len()
	if room > 0 {
		t.buf.Write(p[:min(room, len(p))])
	}
	if len(p) > room {
		t.dropped += int64(len(p) - max(room, 0))
	}
	return len(p), nil
}

func (t *Bounded) String() string {
	if t.dropped > 0 {
		return t.buf.String() + fmt.Sprintf("\n… %d more bytes", t.dropped)
	}
	return t.buf.String()
}

// DumpArgs are pg_dump's arguments to dump database db in custom format on standard
// output: the connection goes in --dbname as a key=value string without the password.
func DumpArgs(ci Conninfo, db string, extra []string) []string {
	args := []string{"--format=custom", "--no-password", "--dbname=" + ci.With("dbname", db).String()}
	return append(args, extra...)
}

// refusedDumpArgs are pg_dump options that gardien sets itself, or that would make a
// nightly dump wait or fail, with why.
var refusedDumpArgs = []struct{ short, long, why string }{
	{"F", "--format", "gardien always dumps in custom format (-Fc), the one pg_restore reads selectively"},
	{"f", "--file", "the dump goes into the archive, not to a file"},
	{"d", "--dbname", "the databases are chosen by databases, and the connection by dsn or host/port"},
	{"h", "--host", "set host in [job.source]"},
	{"p", "--port", "set port in [job.source]"},
	{"U", "--username", "set username in [job.source]"},
	{"W", "--password", "it would wait for a password typed at a keyboard: set password_file in [job.source]"},
	{"j", "--jobs", "parallel dumps need the directory format, which does not stream into an archive"},
}

// CheckDumpArgs refuses the pg_dump options that gardien sets itself or that would
// break the dump, naming the option and why.
func CheckDumpArgs(args []string) error {
	for _, a := range args {
		for _, r := range refusedDumpArgs {
			if a == r.long || strings.HasPrefix(a, r.long+"=") || (len(a) >= 2 && a[0] == '-' && a[1] != '-' && strings.HasPrefix(a[1:], r.short)) {
				return fmt.Errorf("%s: %s", a, r.why)
			}
		}
	}
	return nil
}
