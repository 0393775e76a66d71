package dest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/sftpd"
)

const testPassword = "correct horse battery staple"

// sftpFixture is an in-process SFTP server with a client key and a known_hosts file.
type sftpFixture struct {
	t          testing.TB
	root       string
	hostKey    ssh.Signer
	clientKey  ssh.Signer
	keyFile    string
	knownHosts string
	srv        *sftpd.Server
	n          atomic.Int32
}

func newSFTPFixture(t testing.TB) *sftpFixture {
	t.Helper()
	dir := t.TempDir()
	f := &sftpFixture{t: t, root: filepath.Join(dir, "srv"), keyFile: filepath.Join(dir, "id_ed25519"), knownHosts: filepath.Join(dir, "known_hosts")}
	if err := os.Mkdir(f.root, 0o700); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.clientKey, err = sftpd.GenerateKeyFile(f.keyFile); err != nil {
		t.Fatal(err)
	}
	if f.hostKey, err = sftpd.NewKey(); err != nil {
		t.Fatal(err)
	}
	f.start("")
	if err := f.srv.WriteKnownHosts(f.knownHosts); err != nil {
		t.Fatal(err)
	}
	return f
}

// start starts the server, on addr when it is set (a restart).
func (f *sftpFixture) start(addr string) {
	f.t.Helper()
	srv, err := sftpd.Start(sftpd.Options{Root: f.root, User: "backup", Password: testPassword,
		AuthorizedKey: f.clientKey.PublicKey(), HostKey: f.hostKey, Addr: addr})
	if err != nil {
		f.t.Fatalf("start sftp server: %v", err)
	}
	f.srv = srv
	f.t.Cleanup(func() { srv.Stop() })
}

// config returns a destination on a new directory under the served root, logging in
// with the key.
func (f *sftpFixture) config() dest.Config {
	dir := filepath.Join(f.root, "archives", string(rune('a'+f.n.Add(1))))
	return dest.Config{Name: "nas", URL: f.srv.URL(dir), KeyFile: f.keyFile, KnownHosts: f.knownHosts, Timeout: config.Duration(10 * time.Second)}
}

func (f *sftpFixture) open(c dest.Config) dest.Destination {
	f.t.Helper()
	return desttest.Open(f.t, c)
}

func TestSFTPKey(t *testing.T) {
	f := newSFTPFixture(t)
	desttest.Run(t, func(t *testing.T) dest.Destination { return f.open(f.config()) })
}

func TestSFTPPassword(t *testing.T) {
	f := newSFTPFixture(t)
	desttest.Run(t, func(t *testing.T) dest.Destination {
		c := f.config()
		c.KeyFile, c.Password = "", testPassword
		return f.open(c)
	})
}

func TestSFTPWrongPassword(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	c.KeyFile, c.Password = "", "wrong password 1234"
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if !errors.Is(err, dest.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if strings.Contains(err.Error(), c.Password) {
		t.Errorf("the error shows the password: %v", err)
	}
	if fault.Retryable(err) {
		t.Errorf("a refused login is retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// otherKeyLine is a public key line for a key the server does not hold.
func otherKeyLine(t *testing.T) (string, ssh.PublicKey) {
	k, err := sftpd.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey()))), k.PublicKey()
}

func TestSFTPWrongHostKey(t *testing.T) {
	f := newSFTPFixture(t)
	line, pub := otherKeyLine(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	// The same host, another key: what a reinstalled or impersonated server shows.
	addr := strings.Fields(f.srv.KnownHostsLine())[0]
	if err := os.WriteFile(kh, []byte(addr+" "+line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*dest.Config){
		"known_hosts":          func(c *dest.Config) { c.KnownHosts = kh },
		"host_key line":        func(c *dest.Config) { c.KnownHosts, c.HostKey = "", line },
		"host_key SHA256":      func(c *dest.Config) { c.KnownHosts, c.HostKey = "", ssh.FingerprintSHA256(pub) },
		"host_key known_hosts": func(c *dest.Config) { c.KnownHosts, c.HostKey = "", addr+" "+line },
	} {
		t.Run(name, func(t *testing.T) {
			c := f.config()
			mod(&c)
			if err := dest.Check(c); err != nil {
				t.Fatalf("Check: %v", err)
			}
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if !errors.Is(err, dest.ErrHostKeyMismatch) {
				t.Fatalf("err = %v, want ErrHostKeyMismatch", err)
			}
			if !strings.Contains(err.Error(), "does not match") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(f.srv.HostKey)) {
				t.Errorf("err = %v, want it to say the key does not match and show the server's fingerprint", err)
			}
			if fault.Retryable(err) {
				t.Errorf("a host key mismatch is retryable")
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

func TestSFTPUnknownHost(t *testing.T) {
	f := newSFTPFixture(t)
	line, _ := otherKeyLine(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte("nas.example.org "+line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := f.config()
	c.KnownHosts = kh
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if !errors.Is(err, dest.ErrUnknownHost) {
		t.Fatalf("err = %v, want ErrUnknownHost", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "ssh-keyscan -p "+portOf(f.srv.Addr)+" 127.0.0.1") {
		t.Errorf("hint = %q, want the ssh-keyscan command", h)
	}
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func TestSFTPHostKeyForms(t *testing.T) {
	f := newSFTPFixture(t)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(f.srv.HostKey)))
	fp := ssh.FingerprintSHA256(f.srv.HostKey)
	for name, hostKey := range map[string]string{
		"authorized key line": line,
		"fingerprint":         fp,
		"ssh-keygen -l line":  "256 " + fp + " no comment (ED25519)",
		"known_hosts line":    f.srv.KnownHostsLine(),
		"legacy MD5":          "MD5:" + ssh.FingerprintLegacyMD5(f.srv.HostKey),
	} {
		t.Run(name, func(t *testing.T) {
			c := f.config()
			c.KnownHosts, c.HostKey = "", hostKey
			d := f.open(c)
			defer d.Close()
			if err := d.Put(context.Background(), "a.tgz", strings.NewReader("x"), 1); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSFTPRefused(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	f.srv.Stop()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want connection refused", err)
	}
	if !fault.Retryable(err) {
		t.Errorf("connection refused is not retryable")
	}
}

// A server that dies in the middle of an upload: Put fails at once, leaves no file
// under the final name, and the same destination reconnects for the retry.
func TestSFTPServerDiesMidUpload(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	d := f.open(c)
	defer d.Close()
	const size = 16 << 20
	srv := f.srv
	r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(3), size), 4<<20, func() { srv.Stop() })
	done := make(chan error, 1)
	go func() { done <- d.Put(context.Background(), "20261122.tgz", r, size) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Put did not return within 30s of the server dying")
	}
	if err == nil {
		t.Fatal("Put succeeded although the server died")
	}
	if !fault.Retryable(err) {
		t.Errorf("err = %v: a lost connection should be retryable", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))

	f.start(srv.Addr) // same port and host key: the destination reconnects
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatalf("List after the restart: %v", err)
	}
	for _, o := range objs {
		if o.Name == "20261122.tgz" {
			t.Fatalf("the final name exists after an interrupted upload: %+v", o)
		}
	}
	// The retry of the job succeeds on the same destination.
	if err := d.Put(context.Background(), "20261122.tgz", io.LimitReader(desttest.NewStream(3), size), size); err != nil {
		t.Fatalf("Put after the restart: %v", err)
	}
	// A fresh session sees the file, and no temporary one.
	d2 := f.open(c)
	defer d2.Close()
	objs, err = d2.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "20261122.tgz" || objs[0].Size != size {
		t.Errorf("List = %v, want only 20261122.tgz of %d bytes", objs, size)
	}
}

// silentServer accepts connections and never answers: a hung sshd.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestSFTPHandshakeTimeout(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	c.URL = "sftp://backup@" + silentServer(t) + "/srv"
	c.KnownHosts, c.HostKey = "", ssh.FingerprintSHA256(f.srv.HostKey)
	c.Timeout = config.Duration(500 * time.Millisecond)
	t0 := time.Now()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Open took %s with a timeout of 500ms", el)
	}
}

func TestSFTPCancelDuringHandshake(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	c.URL = "sftp://backup@" + silentServer(t) + "/srv"
	c.Timeout = config.Duration(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c.KnownHosts, c.HostKey = "", ssh.FingerprintSHA256(f.srv.HostKey)
	t0 := time.Now()
	_, err := dest.Open(ctx, c, dest.Env{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Open took %s after its context ended", el)
	}
}

func TestSFTPCheck(t *testing.T) {
	f := newSFTPFixture(t)
	base := dest.Config{URL: "sftp://backup@nas.example.org:2222/srv/archives", KeyFile: f.keyFile, KnownHosts: f.knownHosts}
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		key  string // FieldError.Key, "" for valid
		msg  string
		fix  string
	}{
		{"valid", func(c *dest.Config) {}, "", "", ""},
		// Check reads no file: `gardien init` writes an example whose files do not exist yet.
		{"missing files", func(c *dest.Config) { c.KeyFile, c.KnownHosts = "/nonexistent/id", "/nonexistent/kh" }, "", "", ""},
		{"password only", func(c *dest.Config) { c.KeyFile, c.Password = "", "x" }, "", "", ""},
		{"username key", func(c *dest.Config) { c.URL, c.Username = "sftp://nas.example.org/srv", "backup" }, "", "", ""},
		{"no host key", func(c *dest.Config) { c.KnownHosts = "" }, "known_hosts", "no host key to verify the server against", "ssh-keyscan -p 2222 nas.example.org >> /etc/gardien/known_hosts"},
		{"both host keys", func(c *dest.Config) { c.HostKey = ssh.FingerprintSHA256(f.srv.HostKey) }, "host_key", "both", ""},
		{"bad host_key", func(c *dest.Config) { c.KnownHosts, c.HostKey = "", "SHA256:tooshort" }, "host_key", "neither", ""},
		{"no host", func(c *dest.Config) { c.URL = "sftp:///srv" }, "url", "no host", ""},
		{"bad port", func(c *dest.Config) { c.URL = "sftp://backup@nas:99999/srv" }, "url", "invalid port", ""},
		{"no user", func(c *dest.Config) { c.URL = "sftp://nas.example.org/srv" }, "username", "no user", ""},
		{"two users", func(c *dest.Config) { c.Username = "other" }, "username", "differs", ""},
		{"no auth", func(c *dest.Config) { c.KeyFile = "" }, "key_file", "neither key_file nor password", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			desttest.WantCheck(t, c, tc.key, tc.msg, tc.fix)
		})
	}
}

// Unusable files are found when the destination is opened: the error names the key,
// the hint says the fix, and it is not retried.
func TestSFTPBadFiles(t *testing.T) {
	f := newSFTPFixture(t)
	dir := t.TempDir()
	encrypted := filepath.Join(dir, "id_encrypted")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(encrypted, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	notAKey := filepath.Join(dir, "id.pub")
	os.WriteFile(notAKey, ssh.MarshalAuthorizedKey(f.clientKey.PublicKey()), 0o644)
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		msg  string
		hint string
	}{
		{"missing known_hosts", func(c *dest.Config) { c.KnownHosts = filepath.Join(dir, "nope") }, "known_hosts: open " + dir + "/nope: no such file", "ssh-keyscan -p " + portOf(f.srv.Addr) + " 127.0.0.1 >> " + dir + "/nope"},
		{"missing key", func(c *dest.Config) { c.KeyFile = filepath.Join(dir, "nope") }, "key_file: open " + dir + "/nope: no such file", "readable by the user"},
		{"encrypted key", func(c *dest.Config) { c.KeyFile = encrypted }, "key_file: " + encrypted + " is protected by a passphrase", "use a key without passphrase, readable only by gardien's user"},
		{"public key", func(c *dest.Config) { c.KeyFile = notAKey }, "not a private key", "not the .pub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.config()
			tc.mod(&c)
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(fault.Hint(err), tc.hint) {
				t.Errorf("Open: %v (hint: %s); want %q with hint %q", err, fault.Hint(err), tc.msg, tc.hint)
			}
			if fault.Retryable(err) {
				t.Errorf("retryable: %v", err)
			}
		})
	}
}

// The password given in the url is moved to the configuration by config's loader;
// whatever happens, it never shows in an error.
func TestSFTPPasswordNeverShown(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	c.KeyFile, c.Password = "", "hunter2-secret"
	f.srv.Stop()
	for _, tc := range []string{"refused", "auth"} {
		if tc == "auth" {
			f.start(f.srv.Addr)
		}
		_, err := dest.Open(context.Background(), c, dest.Env{})
		if err == nil {
			t.Fatalf("%s: Open succeeded", tc)
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(fault.Hint(err), "hunter2") {
			t.Errorf("%s: the password shows in %v", tc, err)
		}
	}
}

// sftpStalls is the in-process server behind a freezing proxy, for the stall tests.
func sftpStalls() desttest.Stalls {
	return desttest.Stalls{Open: func(t *testing.T, timeout time.Duration) (dest.Destination, func()) {
		f := newSFTPFixture(t)
		p := desttest.NewFreezer(t, f.srv.Addr)
		c := f.config()
		c.URL = strings.Replace(c.URL, f.srv.Addr, p.Addr(), 1)
		c.KnownHosts, c.HostKey = "", ssh.FingerprintSHA256(f.srv.HostKey)
		c.Timeout = config.Duration(timeout)
		return f.open(c), p.Freeze
	}}
}

func TestSFTPStallMidUpload(t *testing.T) {
	desttest.StallMidUpload(t, sftpStalls())
}

func TestSFTPCancelWhileStalled(t *testing.T) {
	desttest.CancelWhileStalled(t, sftpStalls())
}

func TestSFTPStallMidRead(t *testing.T) {
	desttest.StallMidRead(t, sftpStalls())
}

// An archive is a database dump: it is created private on the server, whatever the
// server's umask.
func TestSFTPArchiveIsPrivate(t *testing.T) {
	f := newSFTPFixture(t)
	c := f.config()
	d := f.open(c)
	defer d.Close()
	if err := d.Put(context.Background(), "20261122.tgz", strings.NewReader("dump"), 4); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(c.URL)
	st, err := os.Stat(filepath.Join(u.Path, "20261122.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("archive mode %v, want no access for group and others", st.Mode().Perm())
	}
}
