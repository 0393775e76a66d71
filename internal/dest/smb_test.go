package dest_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
)

// There is no SMB server written in Go that the unit suite could start (none on the
// module proxy works with the client), so the conformance suite runs against Samba in
// the integration suite (smb_integration_test.go). These tests cover what needs no
// SMB server: the configuration, and the connection failures a client meets before
// the server says anything.

func TestSMBCheck(t *testing.T) {
	base := dest.Config{URL: "smb://backup@nas.example.org/archives/gardien/db", Password: "secret"}
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		key  string // FieldError.Key, "" for valid
		msg  string
		fix  string
	}{
		{"valid", func(c *dest.Config) {}, "", "", ""},
		{"share root", func(c *dest.Config) { c.URL = "smb://backup@nas/archives" }, "", "", ""},
		{"share root slash", func(c *dest.Config) { c.URL = "smb://backup@nas/archives/" }, "", "", ""},
		{"port", func(c *dest.Config) { c.URL = "smb://backup@nas:4450/archives" }, "", "", ""},
		{"ipv6", func(c *dest.Config) { c.URL = "smb://backup@[::1]:445/archives" }, "", "", ""},
		{"password_file", func(c *dest.Config) { c.Password, c.PasswordFile = "", "/etc/gardien/smb.pass" }, "", "", ""},
		{"username key", func(c *dest.Config) { c.URL, c.Username = "smb://nas/archives", "backup" }, "", "", ""},
		{"domain in url", func(c *dest.Config) { c.URL = "smb://CORP;backup@nas/archives" }, "", "", ""},
		{"domain in username", func(c *dest.Config) { c.URL, c.Username = "smb://nas/archives", `CORP\backup` }, "", "", ""},
		{"domain key", func(c *dest.Config) { c.Domain = "CORP" }, "", "", ""},
		{"same domain twice", func(c *dest.Config) { c.URL, c.Domain = "smb://corp;backup@nas/archives", "CORP" }, "", "", ""},
		{"timeout", func(c *dest.Config) { c.Timeout = config.Duration(time.Minute) }, "", "", ""},

		{"no host", func(c *dest.Config) { c.URL = "smb:///archives" }, "url", "no host", "smb://backup@nas.example.org/archives/gardien"},
		{"opaque", func(c *dest.Config) { c.URL = "smb:nas/archives" }, "url", "two slashes", ""},
		{"no share", func(c *dest.Config) { c.URL = "smb://backup@nas" }, "url", "no share", "the share, then the directory"},
		{"no share slash", func(c *dest.Config) { c.URL = "smb://backup@nas/" }, "url", "no share", ""},
		{"bad share", func(c *dest.Config) { c.URL = "smb://backup@nas/arch:ives" }, "url", "invalid share name", ""},
		{"dot dot", func(c *dest.Config) { c.URL = "smb://backup@nas/archives/../etc" }, "url", "not a clean path", ""},
		{"double slash", func(c *dest.Config) { c.URL = "smb://backup@nas/archives//db" }, "url", "not a clean path", ""},
		{"reserved in dir", func(c *dest.Config) { c.URL = "smb://backup@nas/archives/a*b" }, "url", "a character that SMB refuses", ""},
		{"query", func(c *dest.Config) { c.URL = "smb://backup@nas/archives?domain=CORP" }, "url", "no query", ""},
		{"bad port", func(c *dest.Config) { c.URL = "smb://backup@nas:99999/archives" }, "url", "invalid port", "445"},
		{"no user", func(c *dest.Config) { c.URL = "smb://nas/archives" }, "username", "no user", `"smb://backup@nas/share/path"`},
		{"two users", func(c *dest.Config) { c.Username = "other" }, "username", "differs", ""},
		{"two domains", func(c *dest.Config) { c.URL, c.Domain = "smb://CORP;backup@nas/archives", "OTHER" }, "domain", "differs", ""},
		{"two domains username", func(c *dest.Config) { c.URL, c.Username, c.Domain = "smb://nas/archives", `CORP\backup`, "OTHER" }, "domain", "differs", ""},
		{"no password", func(c *dest.Config) { c.Password = "" }, "password_file", "no password", "password of backup"},
		{"key_file", func(c *dest.Config) { c.KeyFile = "/etc/gardien/id_ed25519" }, "key_file", "no meaning for an smb destination", "remove it"},
		{"known_hosts", func(c *dest.Config) { c.KnownHosts = "/etc/gardien/known_hosts" }, "known_hosts", "no meaning", ""},
		{"ca_file", func(c *dest.Config) { c.CAFile = "/etc/gardien/ca.pem" }, "ca_file", "does not use TLS certificates", ""},
		{"allow_insecure", func(c *dest.Config) { c.AllowInsecure = true }, "allow_insecure", "always requires SMB signing", ""},
		{"require_mount", func(c *dest.Config) { c.RequireMount = true }, "require_mount", "file://", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			if fe := desttest.WantCheck(t, c, tc.key, tc.msg, tc.fix); fe != nil && strings.Contains(fe.Error()+fe.Fix, "secret") {
				t.Errorf("the password shows in %v", fe)
			}
		})
	}
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestSMBRefused(t *testing.T) {
	c := dest.Config{URL: "smb://backup@" + closedPort(t) + "/archives", Password: "hunter2-secret"}
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want connection refused", err)
	}
	if !fault.Retryable(err) {
		t.Errorf("connection refused is not retryable")
	}
	if h := fault.Hint(err); !strings.Contains(h, "nothing listens") {
		t.Errorf("hint = %q", h)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the password shows in %v", err)
	}
}

// A server that accepts the connection and never answers (a hung smbd, a firewall
// that swallows packets): Open gives up after timeout.
func TestSMBHandshakeTimeout(t *testing.T) {
	c := dest.Config{URL: "smb://backup@" + silentServer(t) + "/archives", Password: "x", Timeout: config.Duration(500 * time.Millisecond)}
	t0 := time.Now()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if !fault.Retryable(err) {
		t.Errorf("a timeout is not retryable: %v", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "did not answer in time") {
		t.Errorf("hint = %q, want the one of a timeout", h)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Open took %s with a timeout of 500ms", el)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

func TestSMBCancelDuringHandshake(t *testing.T) {
	c := dest.Config{URL: "smb://backup@" + silentServer(t) + "/archives", Password: "x", Timeout: config.Duration(time.Minute)}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := dest.Open(ctx, c, dest.Env{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Open took %s after its context ended", el)
	}
}

// A server that is not an SMB server (here: one that answers HTTP) is an error that
// names the server, not a hang.
func TestSMBNotAnSMBServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.Read(make([]byte, 1024))
				c.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
				c.Close()
			}()
		}
	}()
	c := dest.Config{URL: "smb://backup@" + ln.Addr().String() + "/archives", Password: "x", Timeout: config.Duration(5 * time.Second)}
	t0 := time.Now()
	_, err = dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("err = %v, want an error naming %s", err, ln.Addr())
	}
	if el := time.Since(t0); el > 4*time.Second {
		t.Errorf("Open took %s", el)
	}
	t.Logf("err = %v", err)
}
