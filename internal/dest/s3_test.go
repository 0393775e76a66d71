package dest_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
)

const (
	s3TestBucket = "gardien-test"
	s3TestAccess = "GARDIENTESTKEY"
	s3TestSecret = "gardien-test-secret-0123456789abcdef"
)

// s3Fixture is an in-process S3 server: gofakes3 with its memory backend, behind
// httptest (TLS or plain) and a check of the requests' signatures, which gofakes3
// does not make.
type s3Fixture struct {
	t       testing.TB
	backend *s3mem.Backend
	handler http.Handler
	tls     bool
	srvp    atomic.Pointer[httptest.Server] // replaced by a restart while handlers run
	caFile  string
	n       atomic.Int32
	// stallPut, while set, makes the server stop reading the bodies of the uploads
	// it receives, until the test ends (release).
	stallPut atomic.Bool
	release  chan struct{}
	// cut, when set, is called once the server has received cutAfter bytes of
	// upload bodies (all requests together): it kills the server or cancels the
	// upload while data flows.
	cut      atomic.Pointer[func()]
	cutAfter atomic.Int64
	// keepPartial makes the server store what arrived of a body cut short, as if it
	// were whole: versitygw 1.8 does that for a single PUT.
	keepPartial atomic.Bool
	// failParts, when set, answers that many part uploads with an S3 error.
	failParts atomic.Pointer[s3Failure]
}

type s3Failure struct {
	status int
	code   string
	left   atomic.Int32
}

func newS3Fixture(t testing.TB, tls bool) *s3Fixture {
	t.Helper()
	f := &s3Fixture{t: t, backend: s3mem.New(), tls: tls, release: make(chan struct{})}
	if err := f.backend.CreateBucket(s3TestBucket); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(f.backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	s3 := decodeChunkedParts(faker.Server())
	f.handler = sigV4(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && f.stallPut.Load() {
			<-f.release // read nothing: the server hangs
			return
		}
		if fail := f.failParts.Load(); fail != nil && r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && fail.left.Add(-1) >= 0 {
			io.Copy(io.Discard, r.Body)
			s3ErrorReply(w, r, fail.status, fail.code, "injected by the test")
			return
		}
		if r.Method == http.MethodPut && r.ContentLength > 0 {
			if cut := f.cut.Load(); cut != nil {
				r.Body = &cutBody{ReadCloser: r.Body, f: f, cut: *cut}
			}
			if f.keepPartial.Load() {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				r.ContentLength = int64(len(b))
				r.Header.Set("Content-Length", strconv.Itoa(len(b)))
				r.Header.Del("Content-Md5") // which would reveal the cut
			}
		}
		s3.ServeHTTP(w, r)
	}), s3TestAccess, s3TestSecret)
	f.start("")
	t.Cleanup(func() { close(f.release) }) // before the server's Close
	if tls {
		f.caFile = filepath.Join(t.TempDir(), "ca.pem")
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv().Certificate().Raw})
		if err := os.WriteFile(f.caFile, pemCert, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// start starts the server, on addr when it is set (a restart: the same storage and
// the same certificate).
func (f *s3Fixture) start(addr string) {
	f.t.Helper()
	srv := httptest.NewUnstartedServer(f.handler)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			f.t.Fatalf("listen again on %s: %v", addr, err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	if f.tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	f.srvp.Store(srv)
	f.t.Cleanup(srv.Close)
}

// cutBody counts the bytes the server receives and calls cut once past cutAfter.
type cutBody struct {
	io.ReadCloser
	f   *s3Fixture
	cut func()
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.f.cutAfter.Add(-int64(n)) <= 0 && b.f.cut.CompareAndSwap(b.f.cut.Load(), nil) {
		b.cut()
	}
	return n, err
}

// cutAt makes the server call cut once it has received after bytes of uploads.
func (f *s3Fixture) cutAt(after int64, cut func()) {
	f.cutAfter.Store(after)
	f.cut.Store(&cut)
}

// kill stops the server as a crash would: its connections are cut, and nothing
// listens on its port any more.
func (f *s3Fixture) kill() {
	f.srv().Listener.Close()
	f.srv().CloseClientConnections()
}

func (f *s3Fixture) addr() string { return f.srv().Listener.Addr().String() }

// srv is the running server (the last one started).
func (f *s3Fixture) srv() *httptest.Server { return f.srvp.Load() }

// config returns a destination on a new prefix of the test bucket.
func (f *s3Fixture) config() dest.Config {
	c := dest.Config{
		Name:      "s3",
		URL:       fmt.Sprintf("s3://%s/archives/%d", s3TestBucket, f.n.Add(1)),
		Endpoint:  f.srv().URL, // https://127.0.0.1:port
		AccessKey: s3TestAccess,
		SecretKey: s3TestSecret,
		CAFile:    f.caFile,
		Timeout:   config.Duration(10 * time.Second),
	}
	if !f.tls {
		c.AllowInsecure = true
	}
	return c
}

func (f *s3Fixture) open(c dest.Config) dest.Destination {
	f.t.Helper()
	return desttest.Open(f.t, c)
}

// client is the test's own view of the bucket, to see what the destination hides.
func (f *s3Fixture) client() minio.Core {
	f.t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if f.tls {
		pool := f.srv().Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		tr.TLSClientConfig.RootCAs = pool
	}
	c, err := minio.NewCore(f.addr(), &minio.Options{
		Creds:     credentials.NewStaticV4(s3TestAccess, s3TestSecret, ""),
		Secure:    f.tls,
		Transport: tr,
		Region:    "us-east-1",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return *c
}

// incomplete returns the keys of the multipart uploads in progress under prefix.
func (f *s3Fixture) incomplete(prefix string) []string {
	f.t.Helper()
	res, err := f.client().ListMultipartUploads(context.Background(), s3TestBucket, prefix, "", "", "", 1000)
	if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
		return nil // gofakes3's answer for a bucket that never had one
	}
	if err != nil {
		f.t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range res.Uploads {
		keys = append(keys, u.Key)
	}
	return keys
}

func prefixOf(t *testing.T, c dest.Config) string {
	u, err := url.Parse(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/") + "/"
}

func TestS3(t *testing.T) {
	t.Run("https prefix", func(t *testing.T) {
		f := newS3Fixture(t, true)
		desttest.Run(t, func(t *testing.T) dest.Destination {
			c := f.config()
			c.Endpoint = f.addr() // host:port means https
			return f.open(c)
		})
	})
	t.Run("https bucket root", func(t *testing.T) {
		f := newS3Fixture(t, true)
		desttest.Run(t, func(t *testing.T) dest.Destination {
			bucket := fmt.Sprintf("root-%d", f.n.Add(1))
			if err := f.backend.CreateBucket(bucket); err != nil {
				t.Fatal(err)
			}
			c := f.config()
			c.URL = "s3://" + bucket
			c.Region, c.PathStyle = "us-east-1", true
			return f.open(c)
		})
	})
	t.Run("http allow_insecure", func(t *testing.T) {
		f := newS3Fixture(t, false)
		desttest.Run(t, func(t *testing.T) dest.Destination { return f.open(f.config()) })
	})
}

// List shows the direct children of the prefix only: not the keys of deeper
// "directories", of a neighbour prefix, nor the prefix's own marker.
func TestS3ListDirectChildren(t *testing.T) {
	f := newS3Fixture(t, true)
	c := f.config()
	c.URL = "s3://" + s3TestBucket + "/archives/1"
	d := f.open(c)
	defer d.Close()
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("a"), 1); err != nil {
		t.Fatal(err)
	}
	cl := f.client()
	for _, key := range []string{"archives/1/", "archives/1/old/b.tgz", "archives/10/c.tgz", "archives/1.tgz"} {
		if _, err := cl.PutObject(context.Background(), s3TestBucket, key, strings.NewReader("x"), 1, "", "", minio.PutObjectOptions{}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "a.tgz" || objs[0].Size != 1 {
		t.Errorf("List = %+v, want only a.tgz", objs)
	}
}

// An empty archive is stored; data announced as empty is refused.
func TestS3EmptyArchive(t *testing.T) {
	f := newS3Fixture(t, true)
	d := f.open(f.config())
	defer d.Close()
	if err := d.Put(context.Background(), "empty.tgz", strings.NewReader(""), 0); err != nil {
		t.Fatalf("Put of an empty file: %v", err)
	}
	err := d.Put(context.Background(), "x.tgz", strings.NewReader("x"), 0)
	if !errors.Is(err, dest.ErrSizeMismatch) {
		t.Errorf("Put of 1 byte announced as 0: err = %v, want ErrSizeMismatch", err)
	}
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "empty.tgz" || objs[0].Size != 0 {
		t.Errorf("List = %+v, want only empty.tgz of 0 bytes", objs)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	f := newS3Fixture(t, true)
	for _, tc := range []struct {
		name, access, secret, code, hint string
	}{
		{"secret", s3TestAccess, "wrong-secret-4242424242", "SignatureDoesNotMatch", "secret_key"},
		{"access key", "UNKNOWNKEY", s3TestSecret, "InvalidAccessKeyId", "access_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.config()
			c.AccessKey, c.SecretKey = tc.access, tc.secret
			t0 := time.Now()
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if err == nil {
				t.Fatal("Open with wrong credentials succeeded")
			}
			var resp minio.ErrorResponse
			if !errors.As(err, &resp) || resp.Code != tc.code {
				t.Errorf("err = %v, want the server's %s", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.code) || !strings.Contains(err.Error(), "s3://"+s3TestBucket+"/archives/") {
				t.Errorf("err = %q, want the code and the bucket named", err)
			}
			if h := fault.Hint(err); !strings.Contains(h, tc.hint) {
				t.Errorf("hint = %q, want it to name %s", h, tc.hint)
			}
			if fault.Retryable(err) {
				t.Errorf("refused credentials are retryable: %v", err)
			}
			if strings.Contains(err.Error(), tc.secret) || strings.Contains(fault.Hint(err), tc.secret) {
				t.Errorf("the error shows the secret key: %v", err)
			}
			if el := time.Since(t0); el > 5*time.Second {
				t.Errorf("Open took %s: refused credentials should fail at once", el)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

func TestS3UntrustedCertificate(t *testing.T) {
	f := newS3Fixture(t, true)
	c := f.config()
	c.CAFile = ""
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil {
		t.Fatal("Open of a server whose certificate nobody signed succeeded")
	}
	if !strings.Contains(fault.Hint(err), "not signed by a known authority") {
		t.Errorf("err = %v; hint = %q, want the unknown authority hint", err, fault.Hint(err))
	}
	if fault.Retryable(err) {
		t.Errorf("an untrusted certificate is retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

func TestS3BadCAFile(t *testing.T) {
	f := newS3Fixture(t, true)
	c := f.config()
	c.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Fatalf("err = %v, want one about ca_file", err)
	}
	if fault.Retryable(err) {
		t.Errorf("a missing ca_file is retryable")
	}
}

func TestS3HTTPSEndpointIsHTTP(t *testing.T) {
	f := newS3Fixture(t, false)
	c := f.config()
	c.Endpoint, c.AllowInsecure = f.addr(), false // https is assumed
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil {
		t.Fatal("Open succeeded over https against a plain http server")
	}
	if h := fault.Hint(err); !strings.Contains(h, "plain http") {
		t.Errorf("err = %v; hint = %q, want it to say the server speaks plain http", err, h)
	}
}

func TestS3Refused(t *testing.T) {
	f := newS3Fixture(t, true)
	c := f.config()
	f.kill()
	t0 := time.Now()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want connection refused", err)
	}
	if !fault.Retryable(err) {
		t.Errorf("connection refused is not retryable")
	}
	if !strings.Contains(fault.Hint(err), "nothing listens") {
		t.Errorf("hint = %q", fault.Hint(err))
	}
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("Open took %s against a closed port", el)
	}
	t.Logf("err = %v (in %s)", err, time.Since(t0).Round(time.Millisecond))
}

func TestS3MissingBucket(t *testing.T) {
	f := newS3Fixture(t, true)
	for _, region := range []string{"", "us-east-1"} {
		t.Run("region "+region, func(t *testing.T) {
			c := f.config()
			c.URL, c.Region = "s3://no-such-bucket/archives", region
			_, err := dest.Open(context.Background(), c, dest.Env{})
			var resp minio.ErrorResponse
			if !errors.As(err, &resp) || resp.Code != "NoSuchBucket" {
				t.Fatalf("err = %v, want NoSuchBucket", err)
			}
			if h := fault.Hint(err); !strings.Contains(h, "bucket not found: create it or check the name and region") {
				t.Errorf("hint = %q", h)
			}
			if fault.Retryable(err) {
				t.Errorf("a missing bucket is retryable")
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

// An upload cancelled while its data flows leaves nothing: no object under the
// final name, even on a server that stores a body cut short (as versitygw does), and
// no parts (the multipart upload is aborted).
func TestS3CancelMidTransfer(t *testing.T) {
	for _, tc := range []struct {
		name        string
		size, after int64
	}{
		{"first part", 4 << 20, 1 << 20},
		{"third part", 40 << 20, 36 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newS3Fixture(t, true)
			f.keepPartial.Store(true)
			c := f.config()
			d := f.open(c)
			defer d.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.cutAt(tc.after, cancel)
			err := d.Put(ctx, "20261122.tgz", io.LimitReader(desttest.NewStream(4), tc.size), tc.size)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if f.cut.Load() != nil {
				t.Fatal("the upload was not cancelled while its data flowed")
			}
			if keys := f.incomplete(prefixOf(t, c)); len(keys) != 0 {
				t.Errorf("incomplete uploads left after a cancellation: %v", keys)
			}
			objs, err := d.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 0 {
				t.Errorf("List = %v, want nothing", objs)
			}
		})
	}
}

// A server that dies in the middle of an upload (and stores what it received of
// the body in flight): Put fails promptly, no object has the final name, and the
// retry after the restart succeeds and removes the parts that could not be aborted.
func TestS3ServerDiesMidUpload(t *testing.T) {
	for _, tc := range []struct {
		name        string
		size, after int64
	}{
		{"first part", 12 << 20, 4 << 20},
		{"second part", 40 << 20, 20 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newS3Fixture(t, true)
			f.keepPartial.Store(true)
			c := f.config()
			d := f.open(c)
			defer d.Close()
			addr := f.addr()
			f.cutAt(tc.after, f.kill)
			done := make(chan error, 1)
			go func() {
				done <- d.Put(context.Background(), "20261122.tgz", io.LimitReader(desttest.NewStream(3), tc.size), tc.size)
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Put did not return within 30s of the server dying")
			}
			if err == nil {
				t.Fatal("Put succeeded although the server died")
			}
			if f.cut.Load() != nil {
				t.Fatal("the server was not killed while data flowed")
			}
			if !fault.Retryable(err) {
				t.Errorf("err = %v: a lost server should be retryable", err)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))

			f.start(addr) // same storage, same port, same certificate
			prefix := prefixOf(t, c)
			objs, err := d.List(context.Background())
			if err != nil {
				t.Fatalf("List after the restart: %v", err)
			}
			for _, o := range objs {
				if o.Name == "20261122.tgz" {
					t.Fatalf("the final name exists after an interrupted upload: %+v", o)
				}
			}
			if keys := f.incomplete(prefix); len(keys) != 1 {
				t.Errorf("incomplete uploads after the crash = %v, want the interrupted one (its abort could not reach the server)", keys)
			}
			if err := d.Put(context.Background(), "20261122.tgz", io.LimitReader(desttest.NewStream(3), tc.size), tc.size); err != nil {
				t.Fatalf("Put after the restart: %v", err)
			}
			if keys := f.incomplete(prefix); len(keys) != 0 {
				t.Errorf("incomplete uploads after the retry = %v, want none", keys)
			}
			objs, err = d.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 1 || objs[0].Name != "20261122.tgz" || objs[0].Size != tc.size {
				t.Errorf("List = %v, want only 20261122.tgz of %d bytes", objs, tc.size)
			}
		})
	}
}

// The server's error answers: overload and 5xx are worth retrying (minio-go sends
// a part again by itself, then the job retries), the others are permanent, each
// with its hint. No object is left.
func TestS3ServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		code      string
		times     int32
		retryable bool
		hint      string // "" when Put succeeds
	}{
		{"SlowDown once", http.StatusServiceUnavailable, "SlowDown", 1, false, ""},
		{"SlowDown", http.StatusServiceUnavailable, "SlowDown", 100, true, "overloaded"},
		{"InternalError", http.StatusInternalServerError, "InternalError", 100, true, "overloaded or failing (InternalError)"},
		{"unknown 502", http.StatusBadGateway, "BadGateway", 100, true, "overloaded"},
		{"storage full", http.StatusInsufficientStorage, "XMinioStorageFull", 100, false, "no space left"},
		{"quota", http.StatusForbidden, "QuotaExceeded", 100, false, "no space left"},
		{"write denied", http.StatusForbidden, "AccessDenied", 100, false, "s3:PutObject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newS3Fixture(t, true)
			d := f.open(f.config())
			defer d.Close()
			fail := &s3Failure{status: tc.status, code: tc.code}
			fail.left.Store(tc.times)
			f.failParts.Store(fail)
			const size = 1 << 20
			err := d.Put(context.Background(), "a.tgz", io.LimitReader(desttest.NewStream(8), size), size)
			f.failParts.Store(nil)
			if tc.hint == "" {
				if err != nil {
					t.Fatalf("Put after one %s: %v, want it sent again", tc.code, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Put succeeded through %s", tc.code)
			}
			if !strings.Contains(err.Error(), tc.code) {
				t.Errorf("err = %v, want the code %s", err, tc.code)
			}
			if fault.Retryable(err) != tc.retryable {
				t.Errorf("Retryable(%v) = %v, want %v", err, !tc.retryable, tc.retryable)
			}
			if h := fault.Hint(err); !strings.Contains(h, tc.hint) {
				t.Errorf("hint = %q, want %q", h, tc.hint)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
			objs, err := d.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 0 {
				t.Errorf("List = %v, want nothing", objs)
			}
		})
	}
}

// s3Stalls is the in-process server behind a freezing proxy, for the stall tests.
func s3Stalls() desttest.Stalls {
	var f *s3Fixture // the server of the destination under test
	return desttest.Stalls{
		Open: func(t *testing.T, timeout time.Duration) (dest.Destination, func()) {
			f = newS3Fixture(t, true)
			p := desttest.NewFreezer(t, f.addr())
			c := f.config()
			c.Endpoint = strings.Replace(c.Endpoint, f.addr(), p.Addr(), 1)
			c.Timeout = config.Duration(timeout)
			// minio-go sends a stalled part again by itself (s3Retries), on a new
			// connection, which the proxy lets through: the server also stops
			// reading uploads, as a hung server would.
			return f.open(c), func() { p.Freeze(); f.stallPut.Store(true) }
		},
		AfterStall: func(t *testing.T, d dest.Destination) {
			f.stallPut.Store(false)
			if err := d.Put(context.Background(), "a.tgz", strings.NewReader("retry"), 5); err != nil {
				t.Fatalf("Put after the stall: %v", err)
			}
		},
	}
}

func TestS3StallMidUpload(t *testing.T) {
	desttest.StallMidUpload(t, s3Stalls())
}

func TestS3CancelWhileStalled(t *testing.T) {
	desttest.CancelWhileStalled(t, s3Stalls())
}

func TestS3StallMidRead(t *testing.T) {
	desttest.StallMidRead(t, s3Stalls())
}

// A server that accepts connections and never answers: Open fails after timeout.
func TestS3SilentServer(t *testing.T) {
	f := newS3Fixture(t, true)
	c := f.config()
	c.Endpoint = silentServer(t)
	c.Timeout = config.Duration(500 * time.Millisecond)
	t0 := time.Now()
	_, err := dest.Open(context.Background(), c, dest.Env{})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("Open took %s with a timeout of 500ms", el)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c.Timeout = config.Duration(time.Minute)
	t0 = time.Now()
	_, err = dest.Open(ctx, c, dest.Env{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("Open took %s after its context ended", el)
	}
}

func TestS3Check(t *testing.T) {
	const secret = "s3cr3t-VALUE-42"
	base := dest.Config{URL: "s3://archives/db", Endpoint: "minio.example.org:9000", AccessKey: "AKIAEXAMPLE", SecretKey: secret}
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		key  string // FieldError.Key, "" for valid
		msg  string
		fix  string
	}{
		{"valid", func(c *dest.Config) {}, "", "", ""},
		{"aws", func(c *dest.Config) { c.Endpoint, c.Region = "", "eu-west-3" }, "", "", ""},
		{"https endpoint", func(c *dest.Config) { c.Endpoint = "https://s3.fr-par.scw.cloud" }, "", "", ""},
		{"https endpoint slash", func(c *dest.Config) { c.Endpoint = "https://s3.fr-par.scw.cloud/" }, "", "", ""},
		// Check reads no file: `gardien init` writes an example whose files do not exist yet.
		{"ca_file", func(c *dest.Config) { c.CAFile = "/nonexistent/ca.pem" }, "", "", ""},
		{"http allowed", func(c *dest.Config) { c.Endpoint, c.AllowInsecure = "http://10.0.0.5:9000", true }, "", "", ""},
		{"bucket root", func(c *dest.Config) { c.URL = "s3://archives" }, "", "", ""},
		{"bucket root slash", func(c *dest.Config) { c.URL = "s3://archives/" }, "", "", ""},
		{"deep prefix", func(c *dest.Config) { c.URL = "s3://my-archives.example/gardien/db/" }, "", "", ""},
		{"path style", func(c *dest.Config) { c.PathStyle = true }, "", "", ""},
		{"no bucket", func(c *dest.Config) { c.URL = "s3:///db" }, "url", "no bucket", "s3://bucket/prefix"},
		{"short bucket", func(c *dest.Config) { c.URL = "s3://ab/db" }, "url", "invalid bucket name", "3 to 63"},
		{"bucket chars", func(c *dest.Config) { c.URL = "s3://arch!ves/db" }, "url", "invalid bucket name", ""},
		{"bucket port", func(c *dest.Config) { c.URL = "s3://archives:9000/db" }, "url", "has a port", "endpoint"},
		{"user in url", func(c *dest.Config) { c.URL = "s3://AKIAEXAMPLE@archives/db" }, "url", "holds a user", "access_key"},
		{"query", func(c *dest.Config) { c.URL = "s3://archives/db?region=eu" }, "url", "query", "region"},
		{"dot dot", func(c *dest.Config) { c.URL = "s3://archives/a/../b" }, "url", "invalid prefix", ""},
		{"empty segment", func(c *dest.Config) { c.URL = "s3://archives/a//b" }, "url", "invalid prefix", ""},
		{"opaque", func(c *dest.Config) { c.URL = "s3:archives/db" }, "url", "two slashes", ""},
		{"http refused", func(c *dest.Config) { c.Endpoint = "http://minio.example.org:9000" }, "endpoint", "plain http", "allow_insecure = true"},
		{"insecure https", func(c *dest.Config) { c.AllowInsecure = true }, "allow_insecure", "only permits a plain http", "certificates are always verified"},
		{"ca_file on http", func(c *dest.Config) { c.Endpoint, c.AllowInsecure, c.CAFile = "http://minio:9000", true, "/etc/ca.pem" }, "ca_file", "plain http", ""},
		{"endpoint path", func(c *dest.Config) { c.Endpoint = "https://minio.example.org/s3" }, "endpoint", "invalid endpoint", ""},
		{"endpoint user", func(c *dest.Config) { c.Endpoint = "https://me:pw@minio.example.org" }, "endpoint", "invalid endpoint", ""},
		{"endpoint scheme", func(c *dest.Config) { c.Endpoint = "ftp://minio.example.org" }, "endpoint", "unsupported scheme", ""},
		{"endpoint port", func(c *dest.Config) { c.Endpoint = "minio.example.org:99999" }, "endpoint", "invalid port", ""},
		{"region", func(c *dest.Config) { c.Region = "eu west" }, "region", "invalid region", ""},
		{"no credentials", func(c *dest.Config) { c.AccessKey, c.SecretKey = "", "" }, "access_key", "no credentials", "secret_key_file"},
		{"no access key", func(c *dest.Config) { c.AccessKey = "" }, "access_key", "access_key is not", ""},
		{"no secret", func(c *dest.Config) { c.SecretKey = "" }, "secret_key", "secret_key is not", "secret_key_file"},
		{"access key space", func(c *dest.Config) { c.AccessKey = "AKIA EXAMPLE" }, "access_key", "space", ""},
		{"password", func(c *dest.Config) { c.Password = "secret" }, "password", "not used by an s3 destination", "secret_key"},
		{"password_file", func(c *dest.Config) { c.Password, c.PasswordFile = "secret", "/etc/gardien/s3.pass" }, "password_file", "not used", ""},
		{"key_file", func(c *dest.Config) { c.KeyFile = "/etc/gardien/id_ed25519" }, "key_file", "not used", ""},
		{"username", func(c *dest.Config) { c.Username = "backup" }, "username", "not used", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			if fe := desttest.WantCheck(t, c, tc.key, tc.msg, tc.fix); fe != nil && strings.Contains(fe.Msg+fe.Fix, secret) {
				t.Errorf("the message shows the secret key: %#v", fe)
			}
		})
	}
}

// sigV4 checks the AWS Signature Version 4 of each request (the Authorization header
// form, as minio-go sends it) before passing it to h, and answers as S3 does when
// it does not match: gofakes3 accepts any request. It is written from AWS's
// specification ("Create a signed AWS API request"), not from minio-go's signer.
func sigV4(h http.Handler, accessKey, secretKey string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := checkSigV4(r, accessKey, secretKey); code != "" {
			s3ErrorReply(w, r, http.StatusForbidden, code, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// s3ErrorReply answers as S3 does when it refuses a request.
func s3ErrorReply(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>0</RequestId></Error>`, code, html.EscapeString(msg))
	}
}

func checkSigV4(r *http.Request, accessKey, secretKey string) (code, msg string) {
	const algo = "AWS4-HMAC-SHA256"
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), algo+" ")
	if !ok {
		return "AccessDenied", "Access Denied."
	}
	fields := map[string]string{}
	for _, f := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/") // key/date/region/service/aws4_request
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return "AuthorizationHeaderMalformed", "The authorization header is malformed."
	}
	if cred[0] != accessKey {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	path, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "AuthorizationQueryParametersError", err.Error()
	}
	var qs []string
	for k, vs := range query {
		for _, v := range vs {
			qs = append(qs, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(qs)
	var headers strings.Builder
	for _, name := range strings.Split(fields["SignedHeaders"], ";") {
		vals := r.Header.Values(name)
		if name == "host" {
			vals = []string{r.Host}
		}
		for i, v := range vals {
			vals[i] = strings.Join(strings.Fields(v), " ")
		}
		headers.WriteString(name + ":" + strings.Join(vals, ",") + "\n")
	}
	canonical := strings.Join([]string{r.Method, path, strings.Join(qs, "&"), headers.String(), fields["SignedHeaders"], r.Header.Get("X-Amz-Content-Sha256")}, "\n")
	sum := sha256.Sum256([]byte(canonical))
	toSign := algo + "\n" + r.Header.Get("X-Amz-Date") + "\n" + strings.Join(cred[1:], "/") + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secretKey)
	for _, part := range cred[1:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	}
	return "", ""
}

// decodeChunkedParts decodes the aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
// what minio-go sends over plain http) of multipart parts before h: gofakes3 decodes
// it for a single PUT but stores it verbatim for a part.
func decodeChunkedParts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && r.Header.Get("X-Amz-Content-Sha256") == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
			n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
			if err != nil {
				http.Error(w, "bad X-Amz-Decoded-Content-Length", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(&awsChunkedReader{br: bufio.NewReader(r.Body)})
			r.ContentLength = n
			r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		}
		h.ServeHTTP(w, r)
	})
}

// awsChunkedReader reads "<hex size>;chunk-signature=<sig>\r\n<data>\r\n" chunks up to
// the empty one.
type awsChunkedReader struct {
	br   *bufio.Reader
	left int64
	done bool
}

func (c *awsChunkedReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.br.ReadString('\n')
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		size, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil {
			return 0, fmt.Errorf("bad chunk header %q", line)
		}
		if n == 0 {
			c.done = true
			return 0, io.EOF
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if c.left == 0 && err == nil {
		if _, err := c.br.Discard(2); err != nil { // the chunk's "\r\n"
			return n, io.ErrUnexpectedEOF
		}
	}
	return n, err
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// awsEscape is the URI encoding of SigV4: every byte but A-Z a-z 0-9 - _ . ~ as %XX.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
