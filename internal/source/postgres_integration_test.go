//go:build integration

package source

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// The PostgreSQL that scripts/it.d/postgres.sh starts: three Specibike* databases and
// "autre", a role that owns them, and a read-only role that may not read Specibike2's
// res_users.
func pgSource(t *testing.T, mods ...func(*config.Source)) config.Source {
	t.Helper()
	env := testutil.ITVars(t, "GARDIEN_IT_PG_HOST", "GARDIEN_IT_PG_PORT", "GARDIEN_IT_PG_USER", "GARDIEN_IT_PG_PASSWORD")
	port, _ := strconv.Atoi(env["GARDIEN_IT_PG_PORT"])
	c := config.Source{Type: "postgres", Name: "db", Host: env["GARDIEN_IT_PG_HOST"], Port: port,
		Username: env["GARDIEN_IT_PG_USER"], Password: env["GARDIEN_IT_PG_PASSWORD"],
		Databases: config.StringList{"Specibike*"}, PgDump: "pg_dump", Retries: 1, Timeout: config.Duration(time.Minute)}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func TestIntegrationPostgresDumps(t *testing.T) {
	r := fetch(t, pgSource(t))
	if r.err != nil {
		t.Fatalf("%v: %+v", r.err, r.steps)
	}
	var names []string
	for _, s := range r.steps {
		names = append(names, s.Status.String()+" "+s.Name)
	}
	if strings.Join(names, ",") != "ok database reachable,ok databases listed,ok every database dumped" {
		t.Errorf("steps = %q", names)
	}
	if d := r.steps[1].Detail; d != "3 match Specibike*: Specibike1, Specibike2, Specibike3" {
		t.Errorf("listed: %q", d)
	}
	if d := r.steps[2].Detail; !strings.HasPrefix(d, "3 of 3: Specibike1 ") {
		t.Errorf("dumped: %q", d)
	}
	if len(r.f.Items) != 3 {
		t.Fatalf("items = %+v", r.f.Items)
	}
	for i, it := range r.f.Items {
		if want := "Specibike" + strconv.Itoa(i+1) + ".dump"; it.Name != want {
			t.Errorf("item %d is %q, want %q", i, it.Name, want)
		}
		rc, err := it.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if int64(len(b)) != it.Size || !bytes.HasPrefix(b, []byte("PGDMP")) {
			t.Errorf("%s: %d bytes (announced %d), starts %q", it.Name, len(b), it.Size, b[:min(5, len(b))])
		}
		if !IsContentStamp(it.Stamp) {
			t.Errorf("%s: stamp %q", it.Name, it.Stamp)
		}
	}

	// A second dump of the unchanged databases, a second later, has the same content
	// stamps, though its header's time differs.
	time.Sleep(1100 * time.Millisecond)
	again := fetch(t, pgSource(t))
	if again.err != nil {
		t.Fatal(again.err)
	}
	for i, it := range again.f.Items {
		if it.Stamp != r.f.Items[i].Stamp {
			t.Errorf("%s: stamp changed on an unchanged database", it.Name)
		}
	}
}

func TestIntegrationPostgresFailures(t *testing.T) {
	ro := testutil.ITVars(t, "GARDIEN_IT_PG_RO_USER", "GARDIEN_IT_PG_RO_PASSWORD")
	scenarios := []struct {
		name  string
		mod   func(*config.Source)
		step  string
		cause []string
		hint  string
	}{
		{"permission revoked on one database", func(c *config.Source) {
			c.Username, c.Password = ro["GARDIEN_IT_PG_RO_USER"], ro["GARDIEN_IT_PG_RO_PASSWORD"]
		},
			StepDBDumped, []string{"Specibike2: pg_dump exit status 1: pg_dump: error: query failed: ERROR:  permission denied for table res_users"}, "GRANT pg_read_all_data TO gardien_ro"},
		{"wrong password", func(c *config.Source) { c.Password = "not-the-password" },
			StepDBReachable, []string{"password authentication failed"}, "password_file"},
		{"pg_dump not installed", func(c *config.Source) { c.PgDump = "/nonexistent/pg_dump" },
			StepDBDumped, []string{"pg_dump: /nonexistent/pg_dump not found"}, "apt install postgresql-client"},
		{"no database matches", func(c *config.Source) { c.Databases = config.StringList{"Shop*"} },
			StepDBListed, []string{"no database matches Shop* (the server has: Specibike1, Specibike2, Specibike3, autre, postgres)"}, "case-sensitive"},
		{"a named database is missing", func(c *config.Source) { c.Databases = config.StringList{"Specibike*", "specibike4"} },
			StepDBListed, []string{"specibike4 not on the server"}, "case-sensitive"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := fetch(t, pgSource(t, sc.mod))
			s := r.last()
			if r.err == nil || s.Name != sc.step || s.Status != report.Failed {
				t.Fatalf("err %v, steps %+v", r.err, r.steps)
			}
			for _, c := range sc.cause {
				if !strings.Contains(s.Cause, c) {
					t.Errorf("cause %q lacks %q", s.Cause, c)
				}
			}
			if !strings.Contains(s.Hint, sc.hint) {
				t.Errorf("hint %q lacks %q", s.Hint, sc.hint)
			}
			if strings.Contains(s.Cause+s.Detail, "not-the-password") {
				t.Error("the password is in the step")
			}
		})
	}
	// The revoked database is named in the step's cause, once; the others are dumped.
	r := fetch(t, pgSource(t, scenarios[0].mod))
	if s := r.last(); s.Detail != "2 of 3 dumped" || strings.Count(s.Cause, "Specibike") != 1 {
		t.Errorf("step = %+v", s)
	}
}

func TestIntegrationPostgresCheck(t *testing.T) {
	src, err := New(pgSource(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d, err := src.Check(context.Background())
	if err != nil || !strings.Contains(d, "3 match Specibike*") || !strings.Contains(d, "pg_dump 1") {
		t.Errorf("check: %q, %v (hint %s)", d, err, fault.Hint(err))
	}
}

// silentAfterFirst is a TCP proxy on the loopback to the PostgreSQL at addr that
// passes the first connection through and holds every later one without a word:
// the server lists its databases, then goes silent for the pg_dumps. It counts the
// later connections.
func silentAfterFirst(t *testing.T, addr string) (port int, held *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held = new(atomic.Int32)
	var mu sync.Mutex
	var conns []net.Conn
	keep := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for first := true; ; first = false {
			c, err := l.Accept()
			if err != nil {
				return
			}
			keep(c)
			if !first {
				held.Add(1)
				go io.Copy(io.Discard, c)
				continue
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			keep(up)
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
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
	return l.Addr().(*net.TCPAddr).Port, held
}

// The real pg_dump gives up on a server that stops answering after connect_timeout
// (libpq's, from the connection gardien passes it), instead of waiting for the
// dump's timeout; the dump is tried again retries times, then the step fails with
// libpq's "timeout expired" and a hint.
func TestIntegrationPostgresDumpSilentServer(t *testing.T) {
	c := pgSource(t)
	port, held := silentAfterFirst(t, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	c.Port = port
	c.DSN = "connect_timeout=2"
	c.Databases = config.StringList{"Specibike1"}
	c.Retries = 1
	// Should pg_dump wait for ever, the dump's timeout stops it and the test fails.
	c.Timeout = config.Duration(30 * time.Second)
	t0 := time.Now()
	r := fetch(t, c)
	took := time.Since(t0)
	s := r.last()
	t.Logf("failed after %s: %s\n  hint: %s", took.Round(time.Millisecond), s.Cause, s.Hint)
	if r.err == nil || len(r.steps) != 3 || s.Name != StepDBDumped || s.Status != report.Failed {
		t.Fatalf("err %v, steps %+v", r.err, r.steps)
	}
	// libpq counts connect_timeout = 2 as 2 s: 2 attempts, and a pause of 1 to 1.5 s.
	if took > 12*time.Second {
		t.Errorf("the dump failed after %s", took)
	}
	if n := held.Load(); n != 2 {
		t.Errorf("pg_dump connected %d times with retries = 1, want 2", n)
	}
	if !strings.Contains(s.Cause, "timeout expired") || !strings.Contains(s.Cause, "(after 2 attempts)") {
		t.Errorf("cause %q", s.Cause)
	}
	if !strings.Contains(s.Hint, "did not answer pg_dump within connect_timeout") {
		t.Errorf("hint %q", s.Hint)
	}
}
