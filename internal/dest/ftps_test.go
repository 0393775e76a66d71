package dest_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
)

// testCA is a certificate authority made for one test, and a server certificate for
// 127.0.0.1 and localhost that it signed.
type testCA struct {
	file string // the CA certificate, PEM, for ca_file
	cert tls.Certificate
}

func newTestCA(t *testing.T) *testCA { return newTestCAFor(t, "127.0.0.1", "localhost") }

// newTestCAFor makes a CA and a server certificate for hosts (names or IP addresses).
func newTestCAFor(t testing.TB, hosts ...string) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gardien test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCA{file: filepath.Join(t.TempDir(), "ca.pem"), cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
	if err := os.WriteFile(c.file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// ftpServer is an in-process FTP server (fclairamb/ftpserverlib) on 127.0.0.1 serving
// a temporary directory through afero, with TLS explicit, implicit or none.
type ftpServer struct {
	t      testing.TB
	root   string
	ca     *testCA
	opt    ftpServerOptions
	addr   string
	srv    *ftpserver.FtpServer // nil once stopped
	served chan struct{}        // closed when srv's accept loop ends
	ln     *trackListener

	mu    sync.Mutex
	conns []net.Conn // control and data connections, to kill the server for real

	tlsOnce             sync.Once
	tlsConf             *tls.Config
	handshakes, resumed atomic.Int32 // TLS handshakes of the server, and those that resumed a session
}

type ftpServerOptions struct {
	Mode     string   // explicit | implicit | plain
	Hosts    []string // in the server's certificate; 127.0.0.1 and localhost by default
	NoMLSD   bool     // list with LIST only, as vsftpd does
	ReadOnly bool     // the user may read but not write
	Quota    int64    // when > 0, writes beyond this many bytes fail: a full disk
	SlowDisk bool     // each write takes a millisecond: the server reads behind the client
	// NoReplace refuses RNTO over an existing file, as IIS and some NAS do.
	NoReplace bool
	// RefuseRename and RefuseRemove, when set, refuse the renames and the deletions
	// they return true for (paths as the user sees them): a server that fails them for
	// a reason of its own.
	RefuseRename func(from, to string) bool
	RefuseRemove func(name string) bool
}

const ftpUser = "backup"

func newFTPServer(t testing.TB, opt ftpServerOptions) *ftpServer {
	t.Helper()
	if opt.Hosts == nil {
		opt.Hosts = []string{"127.0.0.1", "localhost"}
	}
	s := &ftpServer{t: t, root: filepath.Join(t.TempDir(), "srv"), ca: newTestCAFor(t, opt.Hosts...), opt: opt}
	if err := os.Mkdir(s.root, 0o700); err != nil {
		t.Fatal(err)
	}
	s.start("127.0.0.1:0")
	return s
}

// start starts the server on addr (the same port again for a restart).
func (s *ftpServer) start(addr string) {
	s.t.Helper()
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen: %v", err)
	}
	s.ln = &trackListener{Listener: raw, s: s}
	s.addr = raw.Addr().String()
	settings := &ftpserver.Settings{
		Listener:    s.ln,
		PublicHost:  "127.0.0.1",
		DisableMLSD: s.opt.NoMLSD,
		DisableMLST: s.opt.NoMLSD,
		IdleTimeout: 60,
	}
	switch s.opt.Mode {
	case "explicit":
		settings.TLSRequired = ftpserver.MandatoryEncryption
	case "implicit":
		settings.TLSRequired = ftpserver.ImplicitEncryption
		tc, _ := s.GetTLSConfig()
		settings.Listener = tls.NewListener(s.ln, tc)
	default:
		settings.TLSRequired = ftpserver.ClearOrEncrypted
	}
	srv := ftpserver.NewFtpServer(&ftpDriver{s: s, settings: settings})
	if err := srv.Listen(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		srv.Serve()
		close(done)
	}()
	s.srv, s.served = srv, done
	s.t.Cleanup(s.stop)
}

// stop kills the server: the listeners and every open connection. It waits for the
// server's accept loop to end, and does nothing for a server already stopped.
func (s *ftpServer) stop() {
	if s.srv == nil {
		return
	}
	s.srv.Stop()
	<-s.served
	s.srv = nil
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
}

// GetTLSConfig returns the server's TLS configuration, always the same: its session
// ticket keys must stay for the data connections to resume the control's session.
func (s *ftpServer) GetTLSConfig() (*tls.Config, error) {
	s.tlsOnce.Do(s.makeTLSConfig)
	return s.tlsConf, nil
}

func (s *ftpServer) makeTLSConfig() {
	s.tlsConf = &tls.Config{
		Certificates: []tls.Certificate{s.ca.cert},
		MinVersion:   tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error {
			s.handshakes.Add(1)
			if cs.DidResume {
				s.resumed.Add(1)
			}
			return nil
		},
	}
}

// url returns the url of a new directory under the served root.
func (s *ftpServer) url(dir string) string {
	scheme := map[string]string{"explicit": "ftps", "implicit": "ftps+implicit", "plain": "ftp"}[s.opt.Mode]
	return scheme + "://" + ftpUser + "@" + s.addr + "/" + dir
}

var ftpDirs atomic.Int32

// config returns a destination on a new directory, which does not exist yet.
func (s *ftpServer) config() dest.Config {
	dir := "archives/" + string(rune('a'+ftpDirs.Add(1)%26)) + "/" + filepath.Base(s.t.TempDir())
	c := dest.Config{Name: "nas", URL: s.url(dir), Password: testPassword, CAFile: s.ca.file, Timeout: config.Duration(10 * time.Second)}
	if s.opt.Mode == "plain" {
		c.CAFile, c.AllowInsecure = "", true
	}
	return c
}

func (s *ftpServer) open(t testing.TB, c dest.Config) dest.Destination {
	t.Helper()
	return desttest.Open(t, c)
}

// trackListener records the connections it accepts, and refuses any but loopback
// ones (ftpserverlib's passive listeners bind every interface).
type trackListener struct {
	net.Listener
	s *ftpServer
}

func (l *trackListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if a, ok := c.RemoteAddr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
			c.Close()
			continue
		}
		l.s.mu.Lock()
		l.s.conns = append(l.s.conns, c)
		l.s.mu.Unlock()
		return c, nil
	}
}

// ftpDriver is the server's side: one user, the root directory, the TLS certificate.
type ftpDriver struct {
	s        *ftpServer
	settings *ftpserver.Settings
}

func (d *ftpDriver) GetSettings() (*ftpserver.Settings, error)  { return d.settings, nil }
func (d *ftpDriver) ClientDisconnected(ftpserver.ClientContext) {}

// GetTLSConfig gives the certificate, except to a plain FTP server, which has none.
func (d *ftpDriver) GetTLSConfig() (*tls.Config, error) {
	if d.s.opt.Mode == "plain" {
		return nil, errors.New("no certificate")
	}
	return d.s.GetTLSConfig()
}
func (d *ftpDriver) ClientConnected(ftpserver.ClientContext) (string, error) {
	return "gardien test server", nil
}

func (d *ftpDriver) AuthUser(_ ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if user != ftpUser || pass != testPassword {
		return nil, errors.New("login incorrect")
	}
	var fs afero.Fs = afero.NewBasePathFs(afero.NewOsFs(), d.s.root)
	if d.s.opt.ReadOnly {
		fs = afero.NewReadOnlyFs(fs)
	}
	if d.s.opt.Quota > 0 || d.s.opt.SlowDisk {
		fs = &quotaFs{Fs: fs, left: d.s.opt.Quota, slow: d.s.opt.SlowDisk}
	}
	if d.s.opt.NoReplace || d.s.opt.RefuseRename != nil || d.s.opt.RefuseRemove != nil {
		fs = &renameFs{Fs: fs, noReplace: d.s.opt.NoReplace, refuse: d.s.opt.RefuseRename, refuseRemove: d.s.opt.RefuseRemove}
	}
	return fs, nil
}

// renameFs refuses renames and deletions as some servers do; ftpserverlib answers the
// refusal of RNTO or DELE with 550 and the error's text.
type renameFs struct {
	afero.Fs
	noReplace    bool
	refuse       func(from, to string) bool
	refuseRemove func(name string) bool
}

func (r *renameFs) Remove(name string) error {
	if r.refuseRemove != nil && r.refuseRemove(name) {
		return &os.PathError{Op: "remove", Path: name, Err: errors.New("refused by the test server")}
	}
	return r.Fs.Remove(name)
}

func (r *renameFs) Rename(from, to string) error {
	if _, err := r.Fs.Stat(to); err == nil && r.noReplace {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: os.ErrExist}
	}
	if r.refuse != nil && r.refuse(from, to) {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.New("refused by the test server")}
	}
	return r.Fs.Rename(from, to)
}

func (d *ftpDriver) WrapPassiveListener(l net.Listener) (net.Listener, error) {
	return &trackListener{Listener: l, s: d.s}, nil
}

// quotaFs fails writes beyond a number of bytes with ftpserverlib's "storage
// exceeded" error, which the server answers with 552, as a full disk; or it makes
// every write slow.
type quotaFs struct {
	afero.Fs
	mu   sync.Mutex
	left int64 // with a quota
	slow bool
}

func (q *quotaFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := q.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &quotaFile{File: f, q: q}, nil
}

type quotaFile struct {
	afero.File
	q *quotaFs
}

func (f *quotaFile) Write(p []byte) (int, error) {
	if f.q.slow {
		time.Sleep(time.Millisecond)
		return f.File.Write(p)
	}
	f.q.mu.Lock()
	defer f.q.mu.Unlock()
	if int64(len(p)) > f.q.left {
		return 0, ftpserver.ErrStorageExceeded
	}
	f.q.left -= int64(len(p))
	return f.File.Write(p)
}

func TestFTPSExplicit(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	desttest.Run(t, func(t *testing.T) dest.Destination { return s.open(t, s.config()) })
}

func TestFTPSImplicit(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "implicit"})
	desttest.Run(t, func(t *testing.T) dest.Destination { return s.open(t, s.config()) })
}

// Without MLSD (vsftpd has none), the listing comes from LIST -a, which shows the
// hidden temporary files too.
func TestFTPSListWithoutMLSD(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit", NoMLSD: true})
	desttest.Run(t, func(t *testing.T) dest.Destination { return s.open(t, s.config()) })
	t.Run("TempFilesListed", func(t *testing.T) {
		c := s.config()
		d := s.open(t, c)
		defer d.Close()
		if err := d.Put(context.Background(), "a.tgz", strings.NewReader("abc"), 3); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(s.root, strings.SplitN(strings.SplitN(c.URL, "@", 2)[1], "/", 2)[1])
		if err := os.WriteFile(filepath.Join(dir, namefmt.TempName("b.tgz")), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		objs, err := d.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]int64{}
		for _, o := range objs {
			names[o.Name] = o.Size
		}
		if names["a.tgz"] != 3 || names[namefmt.TempName("b.tgz")] != 4 || len(names) != 2 {
			t.Errorf("List = %v, want a.tgz (3 bytes) and the hidden %s (4 bytes)", objs, namefmt.TempName("b.tgz"))
		}
	})
}

// Plain ftp works with allow_insecure, and says in the log that it is unencrypted.
func TestFTPPlainAllowInsecure(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "plain"})
	var logged bytes.Buffer
	c := s.config()
	d, err := dest.Open(context.Background(), c, dest.Env{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "unencrypted") {
		t.Errorf("log = %q, want a warning that plain ftp is unencrypted", logged.String())
	}
	body := bytes.Repeat([]byte("plain "), 50000)
	if err := d.Put(context.Background(), "a.tgz", bytes.NewReader(body), int64(len(body))); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Open(context.Background(), "a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("read back %d bytes (err %v), want the %d sent", len(got), err, len(body))
	}
}

// Each data connection resumes the control connection's TLS session, as vsftpd
// requires by default (require_ssl_reuse=YES).
func TestFTPSResumesTLSSession(t *testing.T) {
	for _, mode := range []string{"explicit", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			s := newFTPServer(t, ftpServerOptions{Mode: mode})
			d := s.open(t, s.config())
			defer d.Close()
			ctx := context.Background()
			if err := d.Put(ctx, "a.tgz", strings.NewReader("abc"), 3); err != nil {
				t.Fatal(err)
			}
			if _, err := d.List(ctx); err != nil {
				t.Fatal(err)
			}
			rc, err := d.Open(ctx, "a.tgz")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, rc)
			rc.Close()
			// One full handshake (the control connection), then resumed data connections.
			h, r := s.handshakes.Load(), s.resumed.Load()
			if h < 4 || h-r != 1 {
				t.Errorf("%d TLS handshakes of which %d resumed a session, want one full handshake and every data connection resumed", h, r)
			}
		})
	}
}

// The reader of an Open is finished by the next operation (the verification deletes
// a corrupt copy before closing its reader).
func TestFTPSOperationWhileReading(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	d := s.open(t, s.config())
	defer d.Close()
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 3<<20)
	for _, n := range []string{"a.tgz", "b.tgz"} {
		if err := d.Put(ctx, n, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := d.Open(ctx, "a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "a.tgz"); err != nil {
		t.Fatalf("Delete while a reader is open: %v", err)
	}
	rc.Close()
	objs, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "b.tgz" {
		t.Errorf("List = %v, want only b.tgz", objs)
	}
}

func TestFTPSWrongPassword(t *testing.T) {
	for _, mode := range []string{"explicit", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			s := newFTPServer(t, ftpServerOptions{Mode: mode})
			c := s.config()
			c.Password = "wrong password 1234"
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if !errors.Is(err, dest.ErrAuth) {
				t.Fatalf("err = %v, want ErrAuth", err)
			}
			if !strings.Contains(err.Error(), `user "backup"`) || !strings.Contains(err.Error(), "530") {
				t.Errorf("err = %v, want the user and the server's 530 reply", err)
			}
			if strings.Contains(err.Error(), c.Password) || strings.Contains(fault.Hint(err), c.Password) {
				t.Errorf("the error shows the password: %v", err)
			}
			if fault.Retryable(err) {
				t.Errorf("a refused login is retryable: %v", err)
			}
			if h := fault.Hint(err); !strings.Contains(h, "password") {
				t.Errorf("hint = %q, want it to talk about the password", h)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

func TestFTPSUntrustedCertificate(t *testing.T) {
	for _, mode := range []string{"explicit", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			s := newFTPServer(t, ftpServerOptions{Mode: mode})
			for name, caFile := range map[string]string{
				"system authorities": "",
				"another CA":         newTestCA(t).file,
			} {
				t.Run(name, func(t *testing.T) {
					c := s.config()
					c.CAFile = caFile
					_, err := dest.Open(context.Background(), c, dest.Env{})
					var ua x509.UnknownAuthorityError
					if !errors.As(err, &ua) {
						t.Fatalf("err = %v, want an unknown authority", err)
					}
					if !strings.Contains(err.Error(), "tls handshake with "+s.addr) {
						t.Errorf("err = %v, want it to name the handshake and the server", err)
					}
					if h := fault.Hint(err); !strings.Contains(h, "ca_file") || !strings.Contains(h, "openssl s_client") {
						t.Errorf("hint = %q, want ca_file and the openssl command", h)
					}
					if fault.Retryable(err) {
						t.Errorf("an untrusted certificate is retryable: %v", err)
					}
					t.Logf("err = %v; hint = %s", err, fault.Hint(err))
				})
			}
		})
	}
}

func TestFTPSWrongHostName(t *testing.T) {
	// A certificate for another name than the one in the url.
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit", Hosts: []string{"nas.example.org"}})
	c := s.config()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	var he x509.HostnameError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a host name mismatch", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "host name") {
		t.Errorf("hint = %q", h)
	}
}

// ftps+implicit:// on an explicit server, and ftps:// on an implicit one: the hint
// says which scheme to write.
func TestFTPSWrongMode(t *testing.T) {
	t.Run("implicit on explicit", func(t *testing.T) {
		s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
		c := s.config()
		c.URL = strings.Replace(c.URL, "ftps://", "ftps+implicit://", 1)
		_, err := dest.Open(context.Background(), c, dest.Env{})
		if err == nil || !strings.Contains(fault.Hint(err), "write ftps:// instead of ftps+implicit://") {
			t.Fatalf("err = %v, hint = %q; want the hint to write ftps://", err, fault.Hint(err))
		}
		if fault.Retryable(err) {
			t.Errorf("retryable: %v", err)
		}
	})
	t.Run("explicit on implicit", func(t *testing.T) {
		s := newFTPServer(t, ftpServerOptions{Mode: "implicit"})
		c := s.config()
		c.URL = strings.Replace(c.URL, "ftps+implicit://", "ftps://", 1)
		c.Timeout = config.Duration(500 * time.Millisecond)
		t0 := time.Now()
		_, err := dest.Open(context.Background(), c, dest.Env{})
		if err == nil || !strings.Contains(fault.Hint(err), "ftps+implicit://") {
			t.Fatalf("err = %v, hint = %q; want the hint to write ftps+implicit://", err, fault.Hint(err))
		}
		if el := time.Since(t0); el > 5*time.Second {
			t.Errorf("Open took %s with a timeout of 500ms", el)
		}
	})
}

// ftps:// on a server without TLS: AUTH TLS is refused, and the hint says what to do.
func TestFTPSServerWithoutTLS(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "plain"})
	c := s.config()
	c.URL = strings.Replace(c.URL, "ftp://", "ftps://", 1)
	c.AllowInsecure = false
	c.CAFile = s.ca.file
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "refuses AUTH TLS") {
		t.Fatalf("err = %v, want AUTH TLS refused", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "does not offer explicit TLS") {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

func TestFTPSRefused(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	c := s.config()
	s.stop()
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
}

// The url's directory cannot be created (its parent is a file): the error names it,
// the hint says what to do, and it is not retried.
func TestFTPSDirectoryCannotBeCreated(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	if err := os.WriteFile(filepath.Join(s.root, "file"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := s.config()
	c.URL = s.url("file/archives")
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "mkdir /file: 550") {
		t.Fatalf("err = %v, want mkdir /file to fail", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "/file/archives does not exist") || !strings.Contains(h, `user "backup" cannot create it`) {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// A user who may not write: the upload fails with a permission hint and nothing under
// the final name.
func TestFTPSPermissionDenied(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit", ReadOnly: true})
	if err := os.Mkdir(filepath.Join(s.root, "ro"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := s.config()
	c.URL = s.url("ro")
	d := s.open(t, c)
	defer d.Close()
	err := d.Put(context.Background(), "a.tgz", strings.NewReader("abc"), 3)
	if err == nil || !strings.Contains(err.Error(), "upload /ro/.a.tgz.part") || !strings.Contains(err.Error(), "550") {
		t.Fatalf("err = %v, want upload /ro/.a.tgz.part refused with 550", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, `user "backup" may write in /ro`) {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.root, "ro", "a.tgz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a.tgz exists after a refused upload")
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// A full disk: the server answers 552, the hint says to free space, and neither the
// temporary file nor the final one stays.
func TestFTPSDiskFull(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit", Quota: 1 << 20})
	d := s.open(t, s.config())
	defer d.Close()
	const size = 8 << 20
	err := d.Put(context.Background(), "a.tgz", io.LimitReader(desttest.NewStream(7), size), size)
	if err == nil || !strings.Contains(err.Error(), "552") {
		t.Fatalf("err = %v, want the server's 552", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "disk is full") {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	objs, lerr := d.List(context.Background())
	if lerr != nil {
		t.Fatal(lerr)
	}
	if len(objs) != 0 {
		t.Errorf("List = %v after a failed upload, want nothing", objs)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// A server whose RNTO will not replace an existing file (IIS, some NAS): the
// previous archive of that name is moved aside, the new one renamed, and the previous
// one removed only then. When a rename on the way fails, the previous archive is
// never lost: it is put back, or, when even that fails, kept as .NAME.old, and the
// error says where. No temporary file stays. A previous archive that cannot be
// removed once replaced is a warning in the log, not a failure.
func TestFTPSReplaceRefused(t *testing.T) {
	t.Run("Conformance", func(t *testing.T) {
		s := newFTPServer(t, ftpServerOptions{Mode: "explicit", NoReplace: true})
		desttest.Run(t, func(t *testing.T) dest.Destination { return s.open(t, s.config()) })
	})
	isPart := func(p string) bool { return strings.HasSuffix(p, ".part") }
	for _, tc := range []struct {
		name     string
		refuse   func(from, to string) bool // renames that fail besides the replacing one
		remove   func(name string) bool     // deletions that fail
		wantErr  []string                   // nil: the Put succeeds
		wantHint string
		wantLog  string
		want     map[string]string // the files of the directory afterwards
	}{
		{name: "Replaced",
			want: map[string]string{"a.tgz": "new"}},
		{name: "AsideRefused",
			refuse:  func(from, _ string) bool { return path.Base(from) == "a.tgz" },
			wantErr: []string{"rename /r/.a.tgz.part to a.tgz: 550", "the previous a.tgz could not be moved aside either"},
			want:    map[string]string{"a.tgz": "previous archive"}},
		{name: "RenameFails",
			refuse:  func(from, _ string) bool { return isPart(from) },
			wantErr: []string{"rename /r/.a.tgz.part to a.tgz: 550", "refused by the test server", "the previous a.tgz is unchanged"},
			want:    map[string]string{"a.tgz": "previous archive"}},
		{name: "PutBackFails",
			refuse:   func(from, _ string) bool { return isPart(from) || strings.HasSuffix(from, ".old") },
			wantErr:  []string{"rename /r/.a.tgz.part to a.tgz: 550", "the previous a.tgz could not be put back", "it is now .a.tgz.old"},
			wantHint: "the previous archive a.tgz is kept as .a.tgz.old in the same directory: rename it back to a.tgz",
			want:     map[string]string{".a.tgz.old": "previous archive"}},
		{name: "OldNotRemoved",
			remove:  func(name string) bool { return strings.HasSuffix(name, ".old") },
			wantLog: `level=WARN msg="the archive was replaced, but the previous one could not be removed" file=.a.tgz.old`,
			want:    map[string]string{"a.tgz": "new", ".a.tgz.old": "previous archive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFTPServer(t, ftpServerOptions{Mode: "explicit", NoReplace: true, RefuseRename: tc.refuse, RefuseRemove: tc.remove})
			dir := filepath.Join(s.root, "r")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "a.tgz"), []byte("previous archive"), 0o600); err != nil {
				t.Fatal(err)
			}
			c := s.config()
			c.URL = s.url("r")
			var logged bytes.Buffer
			d, err := dest.Open(context.Background(), c, dest.Env{Log: slog.New(slog.NewTextHandler(&logged, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			err = d.Put(context.Background(), "a.tgz", strings.NewReader("new"), 3)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("Put: %v", err)
			case tc.wantErr != nil && err == nil:
				t.Errorf("Put succeeded, want an error")
			case err != nil:
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want it to say %q", err, w)
					}
				}
				if h := fault.Hint(err); !strings.Contains(h, tc.wantHint) {
					t.Errorf("hint = %q, want it to say %q", h, tc.wantHint)
				}
				t.Logf("err = %v; hint = %s", err, fault.Hint(err))
			}
			got := map[string]string{}
			ents, rerr := os.ReadDir(dir)
			if rerr != nil {
				t.Fatal(rerr)
			}
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				got[e.Name()] = string(b)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("the directory holds %q, want %q", got, tc.want)
			}
			if !strings.Contains(logged.String(), tc.wantLog) {
				t.Errorf("log = %q, want %q", logged.String(), tc.wantLog)
			}
		})
	}
}

// A server that writes slower than the client sends: when the client is done, much
// of the upload still waits in the server's socket. Closing the data connection must
// not reset it (with TLS 1.3, the session tickets the server sent on it are unread):
// that would lose the end of the file.
func TestFTPSSlowServer(t *testing.T) {
	for _, mode := range []string{"explicit", "implicit", "plain"} {
		t.Run(mode, func(t *testing.T) {
			s := newFTPServer(t, ftpServerOptions{Mode: mode, SlowDisk: true})
			d := s.open(t, s.config())
			defer d.Close()
			const size = 16 << 20
			if err := d.Put(context.Background(), "a.tgz", io.LimitReader(desttest.NewStream(8), size), size); err != nil {
				t.Fatalf("Put to a slow server: %v", err)
			}
		})
	}
}

// An empty file has no data to write: the TLS handshake of its data connection is
// made explicitly, and the connection still closes cleanly.
func TestFTPSEmptyFile(t *testing.T) {
	for _, mode := range []string{"explicit", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			s := newFTPServer(t, ftpServerOptions{Mode: mode})
			d := s.open(t, s.config())
			defer d.Close()
			if err := d.Put(context.Background(), "empty.tgz", strings.NewReader(""), 0); err != nil {
				t.Fatalf("Put of an empty file: %v", err)
			}
			objs, err := d.List(context.Background())
			if err != nil || len(objs) != 1 || objs[0].Name != "empty.tgz" || objs[0].Size != 0 {
				t.Errorf("List = %v (%v), want empty.tgz of 0 bytes", objs, err)
			}
		})
	}
}

// A server that dies in the middle of an upload: Put fails at once, leaves no file
// under the final name, and the same destination logs in again for the retry.
func TestFTPSServerDiesMidUpload(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	c := s.config()
	d := s.open(t, c)
	defer d.Close()
	const size = 16 << 20
	r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(3), size), 4<<20, s.stop)
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

	s.start(s.addr) // same port and certificate: the destination logs in again
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatalf("List after the restart: %v", err)
	}
	for _, o := range objs {
		if o.Name == "20261122.tgz" {
			t.Fatalf("the final name exists after an interrupted upload: %+v", o)
		}
	}
	if err := d.Put(context.Background(), "20261122.tgz", io.LimitReader(desttest.NewStream(3), size), size); err != nil {
		t.Fatalf("Put after the restart: %v", err)
	}
	d2 := s.open(t, c)
	defer d2.Close()
	objs, err = d2.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "20261122.tgz" || objs[0].Size != size {
		t.Errorf("List = %v, want only 20261122.tgz of %d bytes", objs, size)
	}
}

// A session that the server dropped while it sat unused (an idle timeout, a restart)
// is noticed before the next operation, which logs in again instead of failing.
func TestFTPSIdleSessionDropped(t *testing.T) {
	defer dest.SetFTPIdleCheck(100 * time.Millisecond)()
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	d := s.open(t, s.config())
	defer d.Close()
	s.stop()
	s.start(s.addr)
	time.Sleep(200 * time.Millisecond)
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("abc"), 3); err != nil {
		t.Fatalf("Put after the server dropped the idle session: %v", err)
	}
}

// ftpsStalls is the in-process server behind a freezing proxy, for the stall tests.
func ftpsStalls() desttest.Stalls {
	return desttest.Stalls{
		Open: func(t *testing.T, timeout time.Duration) (dest.Destination, func()) {
			s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
			// Only the control connection goes through the proxy: the data
			// connections go to the server directly, at the port of its EPSV reply.
			p := desttest.NewFreezer(t, s.addr)
			c := s.config()
			c.URL = strings.Replace(c.URL, s.addr, p.Addr(), 1)
			c.Timeout = config.Duration(timeout)
			return s.open(t, c), p.Freeze
		},
		// The data connections do not freeze: an upload still goes through whole, and
		// only the server's reply after it, on the frozen control connection, does not
		// come. Smaller files keep the test short.
		UploadSize: 16 << 20,
		ReadSize:   4 << 20,
		// The end of a file read back is only trusted with the server's reply, which
		// must not have passed before the freeze: a few MiB fit in the sockets'
		// buffers, so the freeze comes as soon as the file is open.
		FreezeBeforeRead: true,
	}
}

func TestFTPSStallMidUpload(t *testing.T) {
	desttest.StallMidUpload(t, ftpsStalls())
}

func TestFTPSCancelWhileStalled(t *testing.T) {
	desttest.CancelWhileStalled(t, ftpsStalls())
}

func TestFTPSStallMidRead(t *testing.T) {
	desttest.StallMidRead(t, ftpsStalls())
}

// A server that accepts the connection and never says anything.
func TestFTPSGreetingTimeout(t *testing.T) {
	ca := newTestCA(t)
	c := dest.Config{URL: "ftps://backup@" + silentServer(t) + "/srv", Password: "x", CAFile: ca.file, Timeout: config.Duration(500 * time.Millisecond)}
	t0 := time.Now()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if !fault.Retryable(err) {
		t.Errorf("a timeout is not retryable: %v", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Open took %s with a timeout of 500ms", el)
	}
}

func TestFTPSCancelDuringLogin(t *testing.T) {
	ca := newTestCA(t)
	c := dest.Config{URL: "ftps+implicit://backup@" + silentServer(t) + "/srv", Password: "x", CAFile: ca.file, Timeout: config.Duration(time.Minute)}
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

func TestFTPSCheck(t *testing.T) {
	base := dest.Config{URL: "ftps://backup@nas.example.org/srv/archives", PasswordFile: "/etc/gardien/ftp.pass"}
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		key  string // FieldError.Key, "" for valid
		msg  string
		fix  string
	}{
		{"explicit", func(c *dest.Config) {}, "", "", ""},
		{"explicit with port", func(c *dest.Config) { c.URL = "ftps://backup@nas.example.org:2121/srv" }, "", "", ""},
		{"implicit", func(c *dest.Config) { c.URL = "ftps+implicit://backup@nas.example.org/srv" }, "", "", ""},
		{"login directory", func(c *dest.Config) { c.URL = "ftps://backup@nas.example.org" }, "", "", ""},
		{"username key", func(c *dest.Config) { c.URL, c.Username = "ftps://nas.example.org/srv", "backup" }, "", "", ""},
		{"password", func(c *dest.Config) { c.PasswordFile, c.Password = "", "secret" }, "", "", ""},
		// Check reads no file: `gardien init` writes an example whose files do not exist yet.
		{"missing ca_file", func(c *dest.Config) { c.CAFile = "/nonexistent/ca.pem" }, "", "", ""},
		{"plain ftp allowed", func(c *dest.Config) { c.URL, c.AllowInsecure = "ftp://backup@nas.example.org/srv", true }, "", "", ""},
		{"plain ftp", func(c *dest.Config) { c.URL = "ftp://backup@nas.example.org/srv" }, "url", "unencrypted", "allow_insecure = true"},
		{"plain ftp with ca_file", func(c *dest.Config) {
			c.URL, c.AllowInsecure, c.CAFile = "ftp://backup@nas.example.org/srv", true, "/etc/ca.pem"
		}, "ca_file", "plain ftp has no TLS", "ftps://"},
		{"no host", func(c *dest.Config) { c.URL = "ftps:///srv" }, "url", "no host", "ftps://backup@nas.example.org/srv/archives"},
		{"bad port", func(c *dest.Config) { c.URL = "ftps://backup@nas:99999/srv" }, "url", "invalid port", "990"},
		{"no user", func(c *dest.Config) { c.URL = "ftps://nas.example.org/srv" }, "username", "no user", `"ftps://backup@nas.example.org/path"`},
		{"two users", func(c *dest.Config) { c.Username = "other" }, "username", "differs", ""},
		{"no password", func(c *dest.Config) { c.PasswordFile = "" }, "password_file", "no password", "password_file"},
		{"key_file", func(c *dest.Config) { c.KeyFile = "/etc/gardien/id_ed25519" }, "key_file", "is for sftp", "ca_file"},
		{"known_hosts", func(c *dest.Config) { c.KnownHosts = "/etc/gardien/known_hosts" }, "known_hosts", "is for sftp", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			desttest.WantCheck(t, c, tc.key, tc.msg, tc.fix)
		})
	}
}

// An unusable ca_file is found when the destination is opened.
func TestFTPSBadCAFile(t *testing.T) {
	s := newFTPServer(t, ftpServerOptions{Mode: "explicit"})
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for name, file := range map[string]string{"missing": filepath.Join(t.TempDir(), "nope.pem"), "not PEM": notPEM} {
		t.Run(name, func(t *testing.T) {
			c := s.config()
			c.CAFile = file
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if err == nil || !strings.HasPrefix(err.Error(), "ca_file: ") || !strings.Contains(fault.Hint(err), "PEM") {
				t.Errorf("Open: %v (hint: %s); want a ca_file error with a hint", err, fault.Hint(err))
			}
			if fault.Retryable(err) {
				t.Errorf("retryable: %v", err)
			}
		})
	}
}
