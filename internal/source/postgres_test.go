package source

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
