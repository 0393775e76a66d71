package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
)

func TestMatchDatabases(t *testing.T) {
	all := []string{"Autre", "Specibike1", "Specibike2", "Specibike3", "specibike_test", "odoo"}
	scenarios := []struct {
		patterns         []string
		matched, missing string
	}{
		{[]string{"Specibike*"}, "Specibike1,Specibike2,Specibike3", ""},
		{[]string{"odoo", "Specibike?"}, "Specibike1,Specibike2,Specibike3,odoo", ""},
		{[]string{"Specibike[12]", "Specibike1"}, "Specibike1,Specibike2", ""},
		{[]string{"odoo", "shop"}, "odoo", "shop"},
		{[]string{"Shop*"}, "", ""},
	}
	for _, sc := range scenarios {
		m, miss := MatchDatabases(all, sc.patterns)
		if strings.Join(m, ",") != sc.matched || strings.Join(miss, ",") != sc.missing {
			t.Errorf("%q: matched %q missing %q; want %q and %q", sc.patterns, m, miss, sc.matched, sc.missing)
		}
	}
}

func TestDumpName(t *testing.T) {
	for db, want := range map[string]string{"Specibike1": "Specibike1.dump", "a/b": "a%2Fb.dump", "100%": "100%25.dump", "..": "...dump", "été": "été.dump"} {
		if got := DumpName(db); got != want {
			t.Errorf("DumpName(%q) = %q, want %q", db, got, want)
		}
	}
}

// customDump writes a file laid out as pg_dump's custom format header: archive
// version 1.minor, 4-byte ints, created at sec; then body.
func customDump(t *testing.T, minor byte, sec byte, body string) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("PGDMP")
	b.Write([]byte{1, minor, 0, 4, 8, 1})
	writeInt := func(v byte) { b.Write([]byte{0, v, 0, 0, 0}) }
	if minor >= 15 {
		b.WriteByte(1) // compression algorithm
	} else {
		writeInt(0xff) // compression level -1
	}
	for _, v := range []byte{sec, 4, 2, 22, 10, 126, 0} { // tm_sec … tm_isdst
		writeInt(v)
	}
	b.WriteString(body)
	p := filepath.Join(t.TempDir(), "x.dump")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Two dumps of an unchanged database differ only by the time in their header: their
// stamps are equal, so "changed since last run" can tell.
func TestDumpStamp(t *testing.T) {
	for _, minor := range []byte{14, 15} {
		a := dumpStamp(customDump(t, minor, 1, "\x00TOC and data"))
		b := dumpStamp(customDump(t, minor, 59, "\x00TOC and data"))
		c := dumpStamp(customDump(t, minor, 1, "\x00TOC and other data"))
		if a == "" || a != b || a == c {
			t.Errorf("archive 1.%d: stamps %q, %q, %q", minor, a, b, c)
		}
	}
	plain := filepath.Join(t.TempDir(), "dump.sql")
	os.WriteFile(plain, []byte("-- PostgreSQL database dump\n"), 0o600)
	if s := dumpStamp(plain); s != "" {
		t.Errorf("a plain SQL dump has stamp %q", s)
	}
}

// With nothing listening, the first step fails with a PostgreSQL hint; no server
// is needed to see it.
func TestPostgresRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := config.Source{Type: "postgres", Name: "db", Host: "127.0.0.1", Port: port, Username: "backup", Password: "pw", Databases: config.StringList{"Specibike*"}, PgDump: "pg_dump", Retries: 1, Timeout: config.Duration(time.Minute)}
	r := fetch(t, c)
	s := r.last()
	if r.err == nil || s.Name != StepDBReachable || s.Status != report.Failed || !strings.Contains(s.Hint, "PostgreSQL does not listen on backup@127.0.0.1") {
		t.Fatalf("err %v, step %+v", r.err, s)
	}
	if strings.Contains(s.Cause, "password=pw") || strings.Contains(s.Cause, ":pw@") {
		t.Errorf("the password is in the cause: %s", s.Cause)
	}
	src, _ := New(c, slog.New(slog.DiscardHandler))
	if _, err := src.Check(context.Background()); err == nil || !fault.Retryable(err) {
		t.Errorf("check: %v (a refused connection may pass: it is retryable)", err)
	}
	if got := src.String(); got != "postgres backup@127.0.0.1:"+strconv.Itoa(port)+" Specibike*" {
		t.Errorf("String = %q", got)
	}
}

// pgListener listens on 127.0.0.1 like a PostgreSQL server, reads the message each
// connection begins with (pgx's own server side of the protocol), and hands the
// connections that ask for a session to serve. It counts those: each is one attempt
// at connecting (pgx also opens connections to send cancel requests, which are not).
// The connections still open are closed when the test ends.
func pgListener(t *testing.T, serve func(net.Conn, *pgproto3.Backend)) (port int, attempts *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	attempts = new(atomic.Int32)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				be := pgproto3.NewBackend(c, c)
				msg, err := be.ReceiveStartupMessage()
				if _, ok := msg.(*pgproto3.StartupMessage); !ok || err != nil {
					c.Close()
					return
				}
				attempts.Add(1)
				serve(c, be)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port, attempts
}

// silent never answers: a PostgreSQL stuck at its start, or a port that another
// program holds.
func silent(c net.Conn, _ *pgproto3.Backend) { io.Copy(io.Discard, c) }

// hangUp closes the connection at once: a proxy with nothing behind it.
func hangUp(c net.Conn, _ *pgproto3.Backend) { c.Close() }

// mute lets the session in, then never answers a query: a stuck server that still
// accepts logins.
func mute(c net.Conn, be *pgproto3.Backend) {
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ParameterStatus{Name: "server_version", Value: "15.10 (Debian 15.10-0+deb12u1)"})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 4242, SecretKey: []byte{1, 2, 3, 4}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if be.Flush() != nil {
		return
	}
	io.Copy(io.Discard, c)
}

// A server that does not answer fails the source in time, whatever its timeout of
// two hours for a dump: connecting and listing wait at most connect_timeout (capped
// by timeout, 1s here), and each failure is tried again retries times, no more, no
// less. Check fails the same way. No PostgreSQL is needed: the servers are a TCP
// listener and pgx's own protocol.
func TestPostgresSilentServer(t *testing.T) {
	scenarios := []struct {
		name    string
		serve   func(net.Conn, *pgproto3.Backend)
		retries int
		cause   string
		hint    string
	}{
		{"accepts, then silent", silent, 1, "no answer within 1s, connect_timeout",
			"accepted the connection but PostgreSQL did not answer within 1s: check that PostgreSQL, not another service, listens on that port"},
		{"accepts, then silent, no retry", silent, 0, "no answer within 1s, connect_timeout", "did not answer within 1s"},
		{"logs in, then silent", mute, 1, "list the databases: no answer within 1s",
			"let gardien in, then did not answer: check the server's load and log"},
		{"hangs up at once", hangUp, 2, "unexpected EOF", "the connection broke off"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			attempts := sc.retries + 1
			// The pauses between attempts: 1s, 2s, … plus up to half as much.
			bound := 3 * time.Second
			for i := 1; i < attempts; i++ {
				bound += time.Second*time.Duration(1<<(i-1))*3/2 + time.Second
			}
			port, accepted := pgListener(t, sc.serve)
			c := config.Source{Type: "postgres", Name: "db", Host: "127.0.0.1", Port: port, Username: "backup", Password: "pw",
				Databases: config.StringList{"Specibike*"}, PgDump: "pg_dump", Retries: sc.retries, Timeout: config.Duration(time.Second)}
			check := func(what string, err error, cause, hint string, took time.Duration) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				t.Logf("%s failed after %s: %s\n  hint: %s", what, took.Round(time.Millisecond), cause, hint)
				if took > bound {
					t.Errorf("%s: failed after %s, more than %s", what, took, bound)
				}
				if n := accepted.Swap(0); int(n) != attempts {
					t.Errorf("%s: %d connection attempts with retries = %d, want %d", what, n, sc.retries, attempts)
				}
				if !strings.Contains(cause, sc.cause) {
					t.Errorf("%s: cause %q lacks %q", what, cause, sc.cause)
				}
				if after := fmt.Sprintf("(after %d attempts)", attempts); attempts > 1 && !strings.HasSuffix(cause, after) {
					t.Errorf("%s: cause %q does not end with %q", what, cause, after)
				}
				if !strings.Contains(hint, sc.hint) {
					t.Errorf("%s: hint %q lacks %q", what, hint, sc.hint)
				}
				if strings.Contains(cause, "pw") || strings.Contains(hint, "pw") {
					t.Errorf("%s: the password is in %q or %q", what, cause, hint)
				}
			}

			// Should the source wait for ever, the test fails instead of hanging.
			ctx, cancel := context.WithTimeout(context.Background(), 4*bound)
			defer cancel()
			src, err := New(c, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			var steps []report.Step
			t0 := time.Now()
			f, err := src.Fetch(ctx, t.TempDir(), func(s report.Step) { steps = append(steps, s) })
			took := time.Since(t0)
			if f != nil || len(steps) != 1 || steps[0].Name != StepDBReachable || steps[0].Status != report.Failed {
				t.Fatalf("fetch: err %v, steps %+v", err, steps)
			}
			check("fetch", err, steps[0].Cause, steps[0].Hint, took)
			if !fault.Retryable(err) {
				t.Errorf("fetch: %v is not retryable: a later run may pass", err)
			}

			t0 = time.Now()
			_, err = src.Check(ctx)
			check("check", err, fmt.Sprint(err), fault.Hint(err), time.Since(t0))
		})
	}
}

// Each pg_dump that fails in a way that may pass is run again retries times, no
// more, no less; one that cannot pass is not. pg_dump is a script here, which
// counts its runs and fails as pg_dump does against a server that does not answer
// (libpq's connect_timeout) or a role that may not read a table.
func TestPostgresDumpRetries(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	scenarios := []struct {
		name    string
		stderr  string
		retries int
		runs    int
		hint    string
	}{
		{"timeout, no retry", `connection to server at "127.0.0.1", port 5432 failed: timeout expired`, 0, 1, "did not answer pg_dump within connect_timeout"},
		{"timeout, retried once", `connection to server at "127.0.0.1", port 5432 failed: timeout expired`, 1, 2, "did not answer pg_dump within connect_timeout"},
		{"permission denied, not retried", "query failed: ERROR:  permission denied for table res_users", 2, 1, "GRANT pg_read_all_data"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			runs := filepath.Join(dir, "runs")
			script := filepath.Join(dir, "pg_dump")
			body := "#!/bin/sh\necho run >> '" + runs + "'\necho 'pg_dump: error: " + strings.ReplaceAll(sc.stderr, "'", `'\''`) + "' >&2\nexit 1\n"
			if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
				t.Fatal(err)
			}
			c := config.Source{Type: "postgres", Name: "db", Host: "127.0.0.1", Port: 5432, Username: "backup",
				Databases: config.StringList{"Specibike1"}, PgDump: script, Retries: sc.retries, Timeout: config.Duration(time.Minute)}
			src, err := New(c, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.(*Postgres).dumpOne(context.Background(), "Specibike1", filepath.Join(dir, "x.dump"))
			b, _ := os.ReadFile(runs)
			if n := strings.Count(string(b), "run"); n != sc.runs {
				t.Errorf("pg_dump ran %d times with retries = %d, want %d", n, sc.retries, sc.runs)
			}
			if err == nil || !strings.Contains(err.Error(), sc.stderr) || !strings.Contains(fault.Hint(err), sc.hint) {
				t.Errorf("err %v, hint %q", err, fault.Hint(err))
			}
		})
	}
}
