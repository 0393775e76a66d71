package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/fault"
)

func TestParseDSN(t *testing.T) {
	scenarios := []struct {
		name string
		dsn  string
		want Conninfo
		err  string
	}{
		{"url", "postgresql://backup:s3cr%40t@db.example.org:5433/odoo?sslmode=verify-full&sslrootcert=/etc/ca.pem",
			Conninfo{"user": "backup", "password": "s3cr@t", "host": "db.example.org", "port": "5433", "dbname": "odoo", "sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"}, ""},
		{"postgres scheme, socket in the query", "postgres:///postgres?host=/var/run/postgresql",
			Conninfo{"dbname": "postgres", "host": "/var/run/postgresql"}, ""},
		{"ipv6", "postgresql://[::1]:5432/x", Conninfo{"host": "::1", "port": "5432", "dbname": "x"}, ""},
		{"unclosed quote", "host=db.example.org  port = 5433 user=backup password='a secret", nil, "no closing quote"},
		{"a quote in the middle", "user=backup password='it''s a secret'", nil, "neither"},
		{"text before a key", "user=backup oops dbname=x", nil, "expected key=value pairs"},
		{"keywords with quotes", `host=db.example.org port=5433 user=backup password='it\'s a secret' dbname=odoo`,
			Conninfo{"host": "db.example.org", "port": "5433", "user": "backup", "password": "it's a secret", "dbname": "odoo"}, ""},
		{"escaped space", `password=a\ b user=x`, Conninfo{"password": "a b", "user": "x"}, ""},
		{"empty value", `password='' user=x`, Conninfo{"password": "", "user": "x"}, ""},
		{"not a dsn", "db.example.org", nil, "neither a postgresql:// URL nor key=value"},
		{"several hosts", "postgresql://a,b/x", nil, "several hosts"},
		{"bad url", "postgresql://user:pw@host:port/x", nil, "not a valid URL"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, err := ParseDSN(sc.dsn)
			if sc.err != "" {
				if err == nil || !strings.Contains(err.Error(), sc.err) {
					t.Fatalf("err = %v, want %q", err, sc.err)
				}
				if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), ":pw@") {
					t.Errorf("the error quotes the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(sc.want) {
				t.Errorf("got %v, want %v", got, sc.want)
			}
			for k, v := range sc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestNewSettings(t *testing.T) {
	t.Run("explicit keys override the dsn", func(t *testing.T) {
		ci, err := New(Settings{DSN: "postgresql://a:pw@h1:5432/db?sslmode=verify-ca", Host: "h2", Port: 6432, User: "b", Password: "pw2", CAFile: "/ca.pem"})
		if err != nil {
			t.Fatal(err)
		}
		want := Conninfo{"host": "h2", "port": "6432", "user": "b", "password": "pw2", "dbname": "db", "sslmode": "verify-ca", "sslrootcert": "/ca.pem", "connect_timeout": "10", "application_name": "gardien"}
		for k, v := range want {
			if ci[k] != v {
				t.Errorf("%s = %q, want %q", k, ci[k], v)
			}
		}
	})
	scenarios := []struct {
		name, host, sslmode, want string
	}{
		{"socket: no TLS", "", "", "disable"},
		{"socket directory", "/var/run/postgresql", "", "disable"},
		{"loopback", "127.0.0.1", "", "disable"},
		{"remote: certificate verified", "db.example.org", "", "verify-full"},
		{"explicit", "db.example.org", "disable", "disable"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ci, err := New(Settings{Host: sc.host, SSLMode: sc.sslmode})
			if err != nil {
				t.Fatal(err)
			}
			if ci["sslmode"] != sc.want {
				t.Errorf("sslmode = %q, want %q", ci["sslmode"], sc.want)
			}
		})
	}
	// Connecting is always bounded: by connect_timeout (whole seconds, as libpq
	// reads it), 10 s when the dsn does not say or says for ever, never longer than
	// MaxWait (the source's timeout).
	for _, sc := range []struct {
		name, dsn string
		max       time.Duration
		want      string
	}{
		{"default", "", 0, "10"},
		{"from the dsn", "connect_timeout=3", 0, "3"},
		{"dsn in a URL", "postgresql://h/db?connect_timeout=25", time.Hour, "25"},
		{"capped by the timeout", "connect_timeout=30", 5 * time.Second, "5"},
		{"default capped by the timeout", "", time.Second, "1"},
		{"rounded up to whole seconds", "", 1500 * time.Millisecond, "2"},
		{"at least a second", "", 300 * time.Millisecond, "1"},
		{"for ever: the timeout", "connect_timeout=0", 2 * time.Hour, "7200"},
		{"for ever without a timeout: the default", "connect_timeout=-1", 0, "10"},
	} {
		t.Run("connect_timeout "+sc.name, func(t *testing.T) {
			ci, err := New(Settings{DSN: sc.dsn, Host: "db.example.org", SSLMode: "disable", MaxWait: sc.max})
			if err != nil {
				t.Fatal(err)
			}
			if ci["connect_timeout"] != sc.want {
				t.Errorf("connect_timeout = %q, want %q", ci["connect_timeout"], sc.want)
			}
			if got := ci.ConnectTimeout(); fmt.Sprint(int(got/time.Second)) != sc.want || got%time.Second != 0 {
				t.Errorf("ConnectTimeout = %s, want %ss", got, sc.want)
			}
		})
	}
	if _, err := New(Settings{DSN: "host=h connect_timeout=10s password=secret"}); err == nil || !strings.Contains(err.Error(), "connect_timeout in dsn is not a whole number of seconds") || strings.Contains(err.Error(), "secret") {
		t.Errorf("connect_timeout=10s: err = %v", err)
	}
	if d := (Conninfo{}).ConnectTimeout(); d != DefaultConnectTimeout {
		t.Errorf("no connect_timeout: %s", d)
	}

	for _, mode := range []string{"require", "prefer", "allow"} {
		if _, err := New(Settings{Host: "db.example.org", SSLMode: mode}); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Errorf("sslmode %s: err = %v", mode, err)
		}
	}
}

// The password is in the environment of the child, never in its arguments.
func TestDumpArgsHidePassword(t *testing.T) {
	ci, err := New(Settings{Host: "127.0.0.1", Port: 5432, User: "backup", Password: "hunter2 'quoted'"})
	if err != nil {
		t.Fatal(err)
	}
	args := DumpArgs(ci, "Spécibike 1", []string{"--no-comments"})
	joined := strings.Join(args, " ")
	if strings.Contains(joined, "hunter2") {
		t.Fatalf("password in the arguments: %s", joined)
	}
	for _, want := range []string{"--format=custom", "--no-password", "dbname='Spécibike 1'", "host=127.0.0.1", "user=backup", "--no-comments"} {
		if !strings.Contains(joined, want) {
			t.Errorf("args %q lack %q", joined, want)
		}
	}
	env := strings.Join(ci.Env(), "\n")
	if !strings.Contains(env, "PGPASSWORD=hunter2 'quoted'") {
		t.Error("PGPASSWORD not in the environment")
	}
	// The key=value string reads back as it was written.
	back, err := ParseDSN(ci.With("dbname", "it's").secret())
	if err != nil || back["password"] != "hunter2 'quoted'" || back["dbname"] != "it's" {
		t.Errorf("round trip: %v, %v", back, err)
	}
}

func TestCheckDumpArgs(t *testing.T) {
	for _, ok := range [][]string{nil, {"--no-owner"}, {"-Z", "9"}, {"--exclude-table=audit_log", "-n", "public", "-v"}} {
		if err := CheckDumpArgs(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"-Fp", "--format=plain", "-f", "--file=/tmp/x", "-d", "--dbname", "-W", "--password", "-h", "--host=x", "-U", "-p5432", "-j4", "--jobs=4"} {
		if err := CheckDumpArgs([]string{"--no-owner", bad}); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

// The messages below are pg_dump's and libpq's own (PostgreSQL 15).
func TestClassify(t *testing.T) {
	scenarios := []struct {
		stderr string
		hint   string
		retry  bool
	}{
		{"pg_dump: error: aborting because of server version mismatch\npg_dump: detail: server version: 16.4 (Debian 16.4-1.pgdg120+1); pg_dump version: 15.10 (Debian 15.10-0+deb12u1)",
			"apt install postgresql-client-16", false},
		{`pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "backup"`, "password_file", false},
		{`pg_dump: error: connection to server at "127.0.0.1", port 5439 failed: Connection refused` + "\n\tIs the server running on that host and accepting TCP/IP connections?", "does not listen", true},
		{`pg_dump: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory`, "no PostgreSQL socket", true},
		{`pg_dump: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  Peer authentication failed for user "postgres"`, "peer authentication", false},
		{`pg_dump: error: connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "backup", database "x", SSL encryption`, "pg_hba.conf", false},
		{"pg_dump: error: query failed: ERROR:  permission denied for table res_users\npg_dump: detail: Query was: LOCK TABLE public.res_users IN ACCESS SHARE MODE", "GRANT pg_read_all_data TO backup", false},
		{`pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "Specibike9" does not exist`, "vanished", false},
		{"pg_dump: error: query failed: ERROR:  out of shared memory\nHINT:  You might need to increase max_locks_per_transaction.", "max_locks_per_transaction", false},
		{"pg_dump: error: Dumping the contents of table \"x\" failed: PQgetResult() failed.\npg_dump: detail: Error message from server: server closed the connection unexpectedly", "broke off", true},
		{`pg_dump: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: FATAL:  role "root" does not exist`, "set username", false},
		{`pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: timeout expired`, "did not answer pg_dump within connect_timeout", true},
		{"pg_dump: error: something new", "by hand", false},
	}
	for _, sc := range scenarios {
		hint, retry := Classify("pg_dump", sc.stderr, "backup")
		if !strings.Contains(hint, sc.hint) || retry != sc.retry {
			t.Errorf("%q:\nhint %q (retry %v), want %q (retry %v)", sc.stderr, hint, retry, sc.hint, sc.retry)
		}
	}
}

func TestToolMissing(t *testing.T) {
	tool := Tool{Name: "pg_dump", Path: "/nonexistent/pg_dump"}
	_, err := tool.Look()
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/pg_dump not found") {
		t.Fatalf("err = %v", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "apt install postgresql-client") {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Error("a missing program is retried")
	}
	_, err = Tool{Name: "pg_dump", Path: "pg_dump-not-installed"}.Command(context.Background(), Conninfo{})
	if err == nil || !strings.Contains(fault.Hint(err), "apt install postgresql-client") {
		t.Errorf("err = %v", err)
	}
}

// Run keeps a failing program's standard error (bounded) as the cause, and kills a
// program that outlives its context with the processes it started.
func TestToolRun(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tool := Tool{Name: "pg_dump", Path: sh}
	ctx := context.Background()
	cmd, _ := tool.Command(ctx, Conninfo{"password": "pw"}, "-c", `echo "PGPASSWORD=$PGPASSWORD"; echo 'pg_dump: error: query failed: ERROR:  permission denied for table res_users' >&2; exit 1`)
	var out strings.Builder
	err = tool.Run(ctx, cmd, &out, "backup")
	var te *ToolError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "pg_dump exit status 1: pg_dump: error: query failed: ERROR:  permission denied for table res_users") {
		t.Errorf("cause = %q", err)
	}
	if !strings.Contains(fault.Hint(err), "GRANT") || fault.Retryable(err) {
		t.Errorf("hint %q, retryable %v", fault.Hint(err), fault.Retryable(err))
	}
	if out.String() != "PGPASSWORD=pw\n" {
		t.Errorf("stdout = %q", out.String())
	}

	// A flood on stderr is bounded.
	cmd, _ = tool.Command(ctx, Conninfo{}, "-c", `head -c 1000000 /dev/zero | tr '\0' x >&2; exit 3`)
	err = tool.Run(ctx, cmd, nil, "")
	if err == nil || len(err.Error()) > MaxStderr+200 || !strings.Contains(err.Error(), "more bytes") {
		t.Errorf("err (%d bytes) = %.200s", len(err.Error()), err)
	}

	// A timeout kills the whole process group, the children of sh included.
	dir := t.TempDir()
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	cmd, _ = tool.Command(tctx, Conninfo{}, "-c", `sleep 30 & echo $! > `+filepath.Join(dir, "child")+`; wait`)
	t0 := time.Now()
	err = tool.Run(tctx, cmd, nil, "")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 5*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(t0))
	}
	if !strings.Contains(fault.Hint(err), "timeout") {
		t.Errorf("hint = %q", fault.Hint(err))
	}
	pid, _ := os.ReadFile(filepath.Join(dir, "child"))
	time.Sleep(100 * time.Millisecond)
	if p := strings.TrimSpace(string(pid)); p != "" {
		if _, err := os.Stat("/proc/" + p); err == nil {
			st, _ := os.ReadFile("/proc/" + p + "/stat")
			if !strings.Contains(string(st), ") Z ") {
				t.Errorf("the child sleep %s outlived the timeout", p)
			}
		}
	}
}

// A pg_dump or pg_restore child gives up on a silent server: libpq reads the
// connect timeout in the connection string of --dbname and in PGCONNECT_TIMEOUT, and
// the parent's PGCONNECT_TIMEOUT (0 waits for ever) does not override it.
func TestToolConnectTimeout(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	t.Setenv("PGCONNECT_TIMEOUT", "0")
	ci, err := New(Settings{Host: "127.0.0.1", Port: 5432, User: "backup", MaxWait: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tool := Tool{Name: "pg_dump", Path: sh}
	ctx := context.Background()
	args := DumpArgs(ci, "Specibike1", nil)
	cmd, err := tool.Command(ctx, ci, append([]string{"-c", `echo "PGCONNECT_TIMEOUT=$PGCONNECT_TIMEOUT $3"`, "sh"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := tool.Run(ctx, cmd, &out, "backup"); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(out.String())
	if !strings.HasPrefix(got, "PGCONNECT_TIMEOUT=4 --dbname=") || !strings.Contains(got, " connect_timeout=4 ") {
		t.Errorf("the child sees %q", got)
	}
}

func TestMajorOf(t *testing.T) {
	for v, want := range map[string]int{"15.10 (Debian 15.10-0+deb12u1)": 15, "9.6.24": 9, "16beta1": 16, "": 0, "x": 0} {
		if got := majorOf(v); got != want {
			t.Errorf("majorOf(%q) = %d, want %d", v, got, want)
		}
	}
	err := Tool{Name: "pg_dump"}.CheckVersion(15, "pg_dump (PostgreSQL) 15.10", 16, "16.4")
	if err == nil || !strings.Contains(err.Error(), "server version mismatch") || !strings.Contains(fault.Hint(err), "postgresql-client-16") {
		t.Errorf("err = %v, hint %q", err, fault.Hint(err))
	}
	if err := (Tool{Name: "pg_dump"}).CheckVersion(16, "", 15, "15.1"); err != nil {
		t.Errorf("a newer client refused: %v", err)
	}
}

func TestIsCustomDump(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.dump"), []byte("PGDMP\x01\x0e\x00"), 0o600)
	os.WriteFile(filepath.Join(dir, "b.sql"), []byte("-- PostgreSQL database dump"), 0o600)
	if !IsCustomDump(filepath.Join(dir, "a.dump")) || IsCustomDump(filepath.Join(dir, "b.sql")) || IsCustomDump(filepath.Join(dir, "none")) {
		t.Error("IsCustomDump is wrong")
	}
}
