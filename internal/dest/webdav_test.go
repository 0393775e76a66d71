package dest_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/webdav"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/testutil"
)

// davPrefix is where the in-process server serves its folder, as Nextcloud does.
const davPrefix = "/remote.php/dav/files/backup"

// davFixture is an in-process WebDAV server (golang.org/x/net/webdav on a temporary
// directory) over TLS, behind Basic or Digest authentication.
type davFixture struct {
	t      testing.TB
	root   string
	auth   string // basic | digest | none
	plain  bool   // plain HTTP instead of TLS
	quota  int64  // refuse (507) an upload that would bring the folder over quota; 0: none
	digest *digestAuth
	caFile string
	srv    *httptest.Server
	n      atomic.Int32
}

func newDAVFixture(t testing.TB, auth string) *davFixture {
	t.Helper()
	f := &davFixture{t: t, root: t.TempDir(), auth: auth}
	f.start("")
	return f
}

// start starts the server, on addr when it is set (a restart: the same certificate).
func (f *davFixture) start(addr string) {
	f.t.Helper()
	var h http.Handler = &webdav.Handler{Prefix: davPrefix, FileSystem: webdav.Dir(f.root), LockSystem: webdav.NewMemLS()}
	if f.quota > 0 {
		h = quota(f.root, f.quota, h)
	}
	switch f.auth {
	case "basic":
		h = basicAuth("backup", testPassword, h)
	case "digest":
		f.digest = newDigestAuth("backup", testPassword, h)
		h = f.digest
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failures are the tests' own
	if addr != "" {
		srv.Listener.Close()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			f.t.Fatalf("listen again on %s: %v", addr, err)
		}
		srv.Listener = ln
	}
	if f.plain {
		srv.Start()
	} else {
		srv.StartTLS()
	}
	f.srv = srv
	f.t.Cleanup(srv.Close)
	if f.caFile == "" && !f.plain {
		f.caFile = filepath.Join(f.t.TempDir(), "ca.pem")
		p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		if err := os.WriteFile(f.caFile, p, 0o600); err != nil {
			f.t.Fatal(err)
		}
	}
}

// stop kills the server and every connection, as a crash would.
func (f *davFixture) stop() {
	f.srv.CloseClientConnections()
	f.srv.Close()
}

func (f *davFixture) addr() string { return f.srv.Listener.Addr().String() }

// config returns a destination on a new folder, two levels below the served one.
func (f *davFixture) config() dest.Config {
	scheme := "webdavs"
	if f.plain {
		scheme = "webdav"
	}
	dir := fmt.Sprintf("%s/archives/%c", davPrefix, 'a'+f.n.Add(1))
	c := dest.Config{Name: "cloud", URL: scheme + "://" + f.addr() + dir, CAFile: f.caFile, AllowInsecure: f.plain,
		Timeout: config.Duration(10 * time.Second)}
	if f.auth != "none" {
		c.Username, c.Password = "backup", testPassword
	}
	return c
}

// dir is where the folder of c lies on the server's disk.
func (f *davFixture) dir(c dest.Config) string {
	u, err := url.Parse(c.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	return filepath.Join(f.root, filepath.FromSlash(strings.TrimPrefix(u.Path, davPrefix)))
}

func (f *davFixture) open(c dest.Config) dest.Destination {
	f.t.Helper()
	return desttest.Open(f.t, c)
}

func basicAuth(user, password string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="gardien test"`)
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// digestAuth is HTTP Digest authentication (RFC 7616, MD5, qop=auth) as Apache's
// mod_auth_digest checks it: the realm, a nonce it issued, the uri of the request
// line, and the response hash.
type digestAuth struct {
	user, password, realm string
	h                     http.Handler

	mu     sync.Mutex
	nonces map[string]bool // issued nonces: true while they are valid

	stalePut atomic.Bool // the next PUT finds its nonce expired
}

func newDigestAuth(user, password string, h http.Handler) *digestAuth {
	return &digestAuth{user: user, password: password, realm: "gardien digest", h: h, nonces: map[string]bool{}}
}

func md5hex(s string) string {
	b := md5.Sum([]byte(s))
	return hex.EncodeToString(b[:])
}

func (d *digestAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := parseDigest(r.Header.Get("Authorization"))
	good, stale := false, false
	if ok {
		good, stale = d.valid(r, p)
	}
	if good && !stale && r.Method == http.MethodPut && d.stalePut.CompareAndSwap(true, false) {
		stale = true
	}
	if good && !stale {
		d.h.ServeHTTP(w, r)
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	nonce := hex.EncodeToString(b)
	d.mu.Lock()
	d.nonces[nonce] = true
	d.mu.Unlock()
	challenge := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, d.realm, nonce)
	if stale {
		challenge += ", stale=true" // right password, expired nonce: the client answers again
	}
	w.Header().Set("WWW-Authenticate", challenge)
	http.Error(w, "login required", http.StatusUnauthorized)
}

// expire makes every nonce issued so far stale, as Apache's AuthDigestNonceLifetime
// does after 5 minutes.
func (d *digestAuth) expire() {
	d.mu.Lock()
	for n := range d.nonces {
		d.nonces[n] = false
	}
	d.mu.Unlock()
}

// valid reports whether the response is right, and whether its nonce expired.
func (d *digestAuth) valid(r *http.Request, p map[string]string) (good, stale bool) {
	d.mu.Lock()
	live, known := d.nonces[p["nonce"]]
	d.mu.Unlock()
	if !known || p["username"] != d.user || p["realm"] != d.realm || p["qop"] != "auth" {
		return false, false
	}
	if p["uri"] != r.RequestURI && p["uri"] != r.URL.Path {
		return false, false
	}
	ha1 := md5hex(d.user + ":" + d.realm + ":" + d.password)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	if p["response"] != md5hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], ha2}, ":")) {
		return false, false
	}
	return true, !live
}

// parseDigest reads the parameters of a Digest Authorization header.
func parseDigest(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, "Digest ")
	if !ok {
		return nil, false
	}
	p := map[string]string{}
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimLeft(rest, ", ") {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, false
		}
		k = strings.TrimSpace(k)
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				return nil, false
			}
			p[k], rest = v[1:end+1], v[end+2:]
		} else {
			val, after, _ := strings.Cut(v, ",")
			p[k], rest = strings.TrimSpace(val), after
		}
	}
	return p, true
}

// quota answers 507 Insufficient Storage to an upload that would bring the files
// under root over limit bytes, as Nextcloud does when an account's quota is used up.
func quota(root string, limit int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			var used int64
			filepath.Walk(root, func(_ string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					used += fi.Size()
				}
				return nil
			})
			if used+r.ContentLength > limit {
				http.Error(w, "quota exceeded", http.StatusInsufficientStorage)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func TestWebDAVBasic(t *testing.T) {
	f := newDAVFixture(t, "basic")
	desttest.Run(t, func(t *testing.T) dest.Destination { return f.open(f.config()) })
}

func TestWebDAVDigest(t *testing.T) {
	f := newDAVFixture(t, "digest")
	desttest.Run(t, func(t *testing.T) dest.Destination { return f.open(f.config()) })
}

// Digest nonces expire (after 5 minutes with Apache): a destination opened before a
// long upload negotiates a new one, and the upload is not sent twice.
func TestWebDAVDigestNonceExpires(t *testing.T) {
	f := newDAVFixture(t, "digest")
	d := f.open(f.config())
	defer d.Close()
	for i, name := range []string{"a.tgz", "b.tgz"} {
		f.digest.expire()
		const size = 4 << 20
		src := &countingReader{r: io.LimitReader(desttest.NewStream(uint64(i)), size)}
		if err := d.Put(context.Background(), name, src, size); err != nil {
			t.Fatalf("Put %s after the nonce expired: %v", name, err)
		}
		if n := src.n.Load(); n != size {
			t.Errorf("%d bytes read from the source for %d sent", n, size)
		}
	}
	f.digest.expire()
	objs, err := d.List(context.Background())
	if err != nil || len(objs) != 2 {
		t.Errorf("List = %v, %v; want two files", objs, err)
	}
}

// A nonce that expires just before the PUT: the upload is not sent again within the
// request (it is a stream), the attempt fails with an error worth retrying, and the
// retry, with the new nonce, succeeds.
func TestWebDAVDigestNonceExpiresOnPut(t *testing.T) {
	f := newDAVFixture(t, "digest")
	d := f.open(f.config())
	defer d.Close()
	f.digest.stalePut.Store(true)
	const size = 4 << 20
	src := &countingReader{r: io.LimitReader(desttest.NewStream(1), size)}
	err := d.Put(context.Background(), "a.tgz", src, size)
	if err == nil || !fault.Retryable(err) || !strings.Contains(fault.Hint(err), "login expired") {
		t.Fatalf("err = %v (hint %q), want a retryable error about the expired login", err, fault.Hint(err))
	}
	t.Logf("err = %v; %d bytes read from the source", err, src.n.Load())
	if err := d.Put(context.Background(), "a.tgz", io.LimitReader(desttest.NewStream(1), size), size); err != nil {
		t.Fatalf("the retry: %v", err)
	}
}

// Plain HTTP works with allow_insecure, and says in the log what it costs.
func TestWebDAVPlainHTTP(t *testing.T) {
	f := &davFixture{t: t, root: t.TempDir(), auth: "basic", plain: true}
	f.start("")
	c := f.config()
	var logs bytes.Buffer
	d, err := dest.Open(context.Background(), c, dest.Env{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("plain"), 5); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(f.dir(c), "a.tgz")); err != nil || string(b) != "plain" {
		t.Errorf("file on the server = %q, %v; want %q", b, err, "plain")
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "in clear") {
		t.Errorf("log = %q, want a warning that the traffic is in clear", logs.String())
	}
}

// A server without authentication, and the folder created with its parents.
func TestWebDAVAnonymousCreatesFolders(t *testing.T) {
	f := newDAVFixture(t, "none")
	c := f.config()
	c.URL += "/deeper/still"
	d := f.open(c)
	defer d.Close()
	st, err := os.Stat(f.dir(c))
	if err != nil || !st.IsDir() {
		t.Fatalf("the folder was not created: %v", err)
	}
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
}

// The folder removed behind gardien's back is created again by the next upload.
func TestWebDAVFolderRemovedBetweenUploads(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	d := f.open(c)
	defer d.Close()
	if err := os.RemoveAll(filepath.Join(f.root, "archives")); err != nil {
		t.Fatal(err)
	}
	objs, err := d.List(context.Background())
	if err != nil || len(objs) != 0 {
		t.Fatalf("List of a removed folder = %v, %v; want nothing, no error", objs, err)
	}
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("again"), 5); err != nil {
		t.Fatalf("Put into a removed folder: %v", err)
	}
}

func TestWebDAVWrongPassword(t *testing.T) {
	for _, auth := range []string{"basic", "digest"} {
		t.Run(auth, func(t *testing.T) {
			f := newDAVFixture(t, auth)
			c := f.config()
			c.Password = "wrong password 1234"
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if !errors.Is(err, dest.ErrAuth) {
				t.Fatalf("err = %v, want ErrAuth", err)
			}
			if strings.Contains(err.Error(), c.Password) || strings.Contains(fault.Hint(err), c.Password) {
				t.Errorf("the error shows the password: %v", err)
			}
			if fault.Retryable(err) {
				t.Errorf("a refused login is retryable: %v", err)
			}
			if h := fault.Hint(err); !strings.Contains(h, `refused user "backup"`) || !strings.Contains(h, "password") {
				t.Errorf("hint = %q, want it to name the user and the password", h)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

func TestWebDAVNoCredentials(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	c.Username, c.Password = "", ""
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if !errors.Is(err, dest.ErrAuth) || !strings.Contains(fault.Hint(err), "set username") {
		t.Fatalf("err = %v (hint %q), want ErrAuth with a hint to set username", err, fault.Hint(err))
	}
}

// A server that only offers an authentication gardien does not speak.
func TestWebDAVUnsupportedAuthentication(t *testing.T) {
	srv, ca := testutil.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cloud"`)
		http.Error(w, "token required", http.StatusUnauthorized)
	}))
	c := dest.Config{URL: "webdavs://" + srv.Listener.Addr().String() + "/dav", Username: "backup", Password: testPassword, CAFile: ca}
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if !errors.Is(err, dest.ErrAuth) || !strings.Contains(err.Error(), "Bearer") || !strings.Contains(fault.Hint(err), "Basic or Digest") {
		t.Fatalf("err = %v (hint %q), want ErrAuth naming Bearer, with a hint about Basic or Digest", err, fault.Hint(err))
	}
}

func TestWebDAVUntrustedCertificate(t *testing.T) {
	f := newDAVFixture(t, "basic")
	_, otherCA := testutil.SelfSigned(t)
	for _, tc := range []struct {
		name, caFile, hint string
	}{
		{"system authorities", "", "set ca_file"},
		{"another ca_file", otherCA, "not signed by the authority in ca_file " + otherCA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.config()
			c.CAFile = tc.caFile
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if err == nil || !strings.Contains(err.Error(), "x509") {
				t.Fatalf("err = %v, want a certificate error", err)
			}
			if h := fault.Hint(err); !strings.Contains(h, tc.hint) {
				t.Errorf("hint = %q, want %q", h, tc.hint)
			}
			if fault.Retryable(err) {
				t.Errorf("an untrusted certificate is retryable: %v", err)
			}
		})
	}
}

func TestWebDAVBadCAFile(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	c.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "ca_file") || fault.Retryable(err) {
		t.Fatalf("err = %v, want a permanent error about ca_file", err)
	}
}

func TestWebDAVRefused(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	f.stop()
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

func TestWebDAVNameNotResolved(t *testing.T) {
	c := dest.Config{URL: "webdavs://nas.invalid/dav", Username: "backup", Password: testPassword, Timeout: config.Duration(5 * time.Second)}
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if h := fault.Hint(err); err == nil || !strings.Contains(h, "does not resolve") {
		t.Fatalf("err = %v (hint %q), want a name that does not resolve", err, h)
	}
}

// A folder outside the server's WebDAV share: the error names it and says what to
// check; retrying cannot help.
func TestWebDAVMissingShare(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	c.URL = "webdavs://" + f.addr() + "/remote.php/dav/files/nobody/archives"
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "/remote.php/dav/files/nobody") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want a 404 naming the folder", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "does not exist on the server") {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("a missing share is retryable: %v", err)
	}
}

func TestWebDAVURLIsAFile(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	os.MkdirAll(filepath.Dir(f.dir(c)), 0o700)
	if err := os.WriteFile(f.dir(c), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("err = %v, want 'not a folder'", err)
	}
}

// The account's quota is full: the server refuses the upload before it is sent,
// with the disk-full hint, and nothing is left.
func TestWebDAVQuotaExceeded(t *testing.T) {
	f := &davFixture{t: t, root: t.TempDir(), auth: "basic", quota: 1 << 20}
	f.start("")
	c := f.config()
	d := f.open(c)
	defer d.Close()
	const size = 4 << 20
	src := &countingReader{r: io.LimitReader(desttest.NewStream(7), size)}
	err := d.Put(context.Background(), "a.tgz", src, size)
	if err == nil || !strings.Contains(err.Error(), "507") {
		t.Fatalf("err = %v, want HTTP 507", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "quota is full") {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("a full disk is retryable")
	}
	// Expect: 100-continue: the refusal comes before the archive is sent.
	if n := src.n.Load(); n > 1<<20 {
		t.Errorf("%d bytes were read from the archive before the server refused it", n)
	}
	objs, err := d.List(context.Background())
	if err != nil || len(objs) != 0 {
		t.Errorf("List = %v, %v; want nothing", objs, err)
	}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A server that dies in the middle of an upload: Put fails at once with an error
// worth retrying, no file has the final name, and the retry succeeds once the
// server is back.
func TestWebDAVServerDiesMidUpload(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	d := f.open(c)
	defer d.Close()
	const size = 16 << 20
	addr := f.addr()
	r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(3), size), 4<<20, f.stop)
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
	if _, serr := os.Stat(filepath.Join(f.dir(c), "20261122.tgz")); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("the final name exists on the server's disk after an interrupted upload: %v", serr)
	}

	f.start(addr)
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
	objs, err = d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "20261122.tgz" || objs[0].Size != size {
		t.Errorf("List = %v, want only 20261122.tgz of %d bytes", objs, size)
	}
}

// The source fails in the middle: its error is the cause, and nothing is left.
func TestWebDAVReaderErrorLeavesNothing(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	d := f.open(c)
	defer d.Close()
	err := d.Put(context.Background(), "a.tgz", &failingReader{n: 3 << 20}, 8<<20)
	if err == nil || !strings.Contains(err.Error(), "disk read error") {
		t.Fatalf("Put = %v, want the reader's error", err)
	}
	for _, n := range []string{"a.tgz", namefmt.TempName("a.tgz")} {
		if _, err := os.Stat(filepath.Join(f.dir(c), n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a failed Put", n)
		}
	}
}

// An upload is streamed: gowebdav's authorizer would copy a body it cannot seek
// into memory, which a 64 MiB upload would show in the allocations.
func TestWebDAVUploadIsStreamed(t *testing.T) {
	f := newDAVFixture(t, "digest")
	d := f.open(f.config())
	defer d.Close()
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := d.Put(context.Background(), "big.tgz", io.LimitReader(desttest.NewStream(9), size), size); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("a %d MiB upload allocated %d MiB (client and server together): it is buffered", size>>20, alloc>>20)
	} else {
		t.Logf("a %d MiB upload allocated %.1f MiB (client and server together)", size>>20, float64(alloc)/(1<<20))
	}
}

// A server that redirects (http to https, a moved share) is not followed: gowebdav
// would turn the WebDAV request into a GET.
func TestWebDAVRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://cloud.example.org"+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(srv.Close)
	c := dest.Config{URL: "webdav://" + srv.Listener.Addr().String() + "/dav", AllowInsecure: true, Username: "backup", Password: testPassword}
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "301") || !strings.Contains(err.Error(), "https://cloud.example.org/dav") {
		t.Fatalf("err = %v, want the redirect and its target", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "redirects") {
		t.Errorf("hint = %q", h)
	}
}

// webdavStalls is the in-process server behind a freezing proxy, for the stall
// tests.
func webdavStalls() desttest.Stalls {
	return desttest.Stalls{
		Open: func(t *testing.T, timeout time.Duration) (dest.Destination, func()) {
			f := newDAVFixture(t, "basic")
			p := desttest.NewFreezer(t, f.addr())
			c := f.config()
			c.URL = strings.Replace(c.URL, f.addr(), p.Addr(), 1)
			c.Timeout = config.Duration(timeout)
			return f.open(c), p.Freeze
		},
		// x/net/webdav keeps a.tgz locked while the stalled request hangs: the
		// destination is shown to work again on another file.
		AfterStall: func(t *testing.T, d dest.Destination) {
			if err := d.Put(context.Background(), "b.tgz", strings.NewReader("retry"), 5); err != nil {
				t.Fatalf("Put after the stall: %v", err)
			}
		},
	}
}

func TestWebDAVStallMidUpload(t *testing.T) {
	desttest.StallMidUpload(t, webdavStalls())
}

func TestWebDAVCancelWhileStalled(t *testing.T) {
	desttest.CancelWhileStalled(t, webdavStalls())
}

func TestWebDAVStallMidRead(t *testing.T) {
	desttest.StallMidRead(t, webdavStalls())
}

// The password never shows, whatever the failure.
func TestWebDAVPasswordNeverShown(t *testing.T) {
	f := newDAVFixture(t, "basic")
	c := f.config()
	c.Password = "hunter2-secret"
	for _, tc := range []string{"auth", "refused"} {
		if tc == "refused" {
			f.stop()
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

func TestWebDAVCheck(t *testing.T) {
	base := dest.Config{URL: "webdavs://cloud.example.org/remote.php/dav/files/backup/archives", Username: "backup", PasswordFile: "/etc/gardien/cloud.pass"}
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		key  string // FieldError.Key, "" for valid
		msg  string
	}{
		{"valid", func(c *dest.Config) {}, "", ""},
		{"password", func(c *dest.Config) { c.PasswordFile, c.Password = "", "x" }, "", ""},
		{"port and ca_file", func(c *dest.Config) { c.URL, c.CAFile = "webdavs://nas:8443/dav", "/etc/gardien/ca.pem" }, "", ""},
		{"user in url", func(c *dest.Config) { c.URL, c.Username = "webdavs://backup@nas/dav", "" }, "", ""},
		{"same user twice", func(c *dest.Config) { c.URL = "webdavs://backup@nas/dav" }, "", ""},
		{"server root", func(c *dest.Config) { c.URL = "webdavs://nas" }, "", ""},
		{"anonymous", func(c *dest.Config) { c.Username, c.PasswordFile = "", "" }, "", ""},
		{"plain allowed", func(c *dest.Config) { c.URL, c.AllowInsecure = "webdav://nas/dav", true }, "", ""},
		{"plain refused", func(c *dest.Config) { c.URL = "webdav://nas/dav" }, "url", "plain HTTP"},
		{"plain with ca_file", func(c *dest.Config) { c.URL, c.AllowInsecure, c.CAFile = "webdav://nas/dav", true, "/ca.pem" }, "ca_file", "does not use TLS"},
		{"insecure on https", func(c *dest.Config) { c.AllowInsecure = true }, "allow_insecure", "always verified"},
		{"no host", func(c *dest.Config) { c.URL = "webdavs:///dav" }, "url", "no host"},
		{"bad port", func(c *dest.Config) { c.URL = "webdavs://nas:99999/dav" }, "url", "invalid port"},
		{"ipv6", func(c *dest.Config) { c.URL = "webdavs://[::1]:8443/dav" }, "url", "IPv6"},
		{"query", func(c *dest.Config) { c.URL = "webdavs://nas/dav?x=1" }, "url", "query"},
		{"two users", func(c *dest.Config) { c.URL = "webdavs://other@nas/dav" }, "username", "differs"},
		{"no password", func(c *dest.Config) { c.PasswordFile = "" }, "password", `user "backup" has no password`},
		{"no username", func(c *dest.Config) { c.Username = "" }, "username", "no username"},
		{"ssh key", func(c *dest.Config) { c.KeyFile = "/etc/gardien/id_ed25519" }, "key_file", "sftp://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			desttest.WantCheck(t, c, tc.key, tc.msg, "")
		})
	}
}

// The whole configuration path: a [[job.destination]] with a webdavs url loads,
// and a plain webdav url without allow_insecure is refused with its line.
func TestWebDAVConfigLoad(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "cloud.pass")
	os.WriteFile(pass, []byte(testPassword+"\n"), 0o600)
	write := func(url string) string {
		p := filepath.Join(dir, "gardien.toml")
		text := "[[job]]\nname = \"db\"\n  [job.source]\n  url = \"https://exports.example.org/dump.zip\"\n  expect = \"dump.sql\"\n" +
			"  [[job.destination]]\n  url = \"" + url + "\"\n  username = \"backup\"\n  password_file = \"" + pass + "\"\n"
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := config.Load(write("webdavs://cloud.example.org/remote.php/dav/files/backup/archives"), dest.Check)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if d := cfg.Jobs[0].Destinations[0]; d.Password != testPassword || d.Name != "cloud.example.org" {
		t.Errorf("destination = %+v", d)
	}
	_, err = config.Load(write("webdav://cloud.example.org/dav"), dest.Check)
	if err == nil || !strings.Contains(err.Error(), "gardien.toml:7") || !strings.Contains(err.Error(), "webdavs://") {
		t.Errorf("Load of a plain url = %v, want an error on line 7 with the fix", err)
	}
}
