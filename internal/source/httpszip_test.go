package source

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// makeZip returns a zip holding the given files, stored (not deflated) so that tests
// can corrupt their bytes in place.
func makeZip(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tlsServer serves h over TLS on 127.0.0.1 and returns a source configuration that
// trusts its certificate through ca_file.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, config.Source) {
	t.Helper()
	srv, ca := testutil.TLSServer(t, h)
	return srv, config.Source{
		Type: "https-zip", URL: srv.URL + "/dump.zip", Expect: "dump.sql",
		Timeout: config.Duration(10 * time.Second), Retries: 0, CAFile: ca,
	}
}

type fetchResult struct {
	steps []report.Step
	f     *Fetched
	err   error
}

func fetch(t *testing.T, c config.Source) fetchResult {
	t.Helper()
	src, err := New(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var r fetchResult
	r.f, r.err = src.Fetch(context.Background(), t.TempDir(), func(s report.Step) { r.steps = append(r.steps, s) })
	if r.f != nil {
		t.Cleanup(func() { r.f.Close() })
	}
	return r
}

// last returns the last recorded step.
func (r fetchResult) last() report.Step {
	if len(r.steps) == 0 {
		return report.Step{}
	}
	return r.steps[len(r.steps)-1]
}

// bomb returns a small zip whose dump.sql inflates to n bytes of zeros.
func bomb(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("dump.sql")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, n))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func serveBytes(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}
}

func TestFetchOK(t *testing.T) {
	dump := []byte("COPY t FROM stdin;\n1\tx\n\\.\n")
	_, c := tlsServer(t, serveBytes(makeZip(t, map[string][]byte{"dump.sql": dump, "README": []byte("hi")})))
	r := fetch(t, c)
	if r.err != nil {
		t.Fatalf("fetch: %v (steps %+v)", r.err, r.steps)
	}
	if len(r.steps) != 2 || r.steps[0].Name != report.StepReachable || r.steps[1].Name != report.StepDownloaded {
		t.Fatalf("steps = %+v", r.steps)
	}
	if !strings.HasPrefix(r.steps[0].Detail, "HTTP 200 OK") {
		t.Errorf("reachable detail = %q", r.steps[0].Detail)
	}
	it := r.f.Items[0]
	if it.Name != "dump.sql" || it.Size != int64(len(dump)) || it.CRC32 != crc32.ChecksumIEEE(dump) || it.Step != report.StepExpected {
		t.Errorf("item = %+v", it)
	}
	rc, err := it.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, dump) {
		t.Errorf("content = %q, %v", got, err)
	}
}

func TestFetchEntryInFolder(t *testing.T) {
	_, c := tlsServer(t, serveBytes(makeZip(t, map[string][]byte{"export/2026/dump.sql": []byte("x")})))
	r := fetch(t, c)
	if r.err != nil || r.f.Items[0].Name != "dump.sql" {
		t.Fatalf("err %v, items %+v", r.err, r.f)
	}
}

func TestFetchFailures(t *testing.T) {
	good := makeZip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 1000)})
	scenarios := []struct {
		name     string
		handler  http.HandlerFunc
		step     string
		cause    string
		hint     string
		mutate   func(*config.Source)
		attempts int32 // requests expected, 0 = don't check
	}{
		{
			name:    "404",
			handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			step:    report.StepReachable, cause: "HTTP 404 Not Found", hint: "nothing at that URL", attempts: 1,
		},
		{
			name:    "401",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) },
			step:    report.StepReachable, cause: "HTTP 401", hint: "credentials",
		},
		{
			name:    "500 retried then failed",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
			step:    report.StepReachable, cause: "after 2 attempts", hint: "the server failed",
			mutate: func(c *config.Source) { c.Retries = 1 }, attempts: 2,
		},
		{
			name: "connection cut mid-download",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(good)))
				w.Write(good[:len(good)/2])
				w.(http.Flusher).Flush()
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
			},
			step: report.StepDownloaded, cause: "unexpected EOF", hint: "connection broke off",
		},
		{
			name:    "truncated zip, no Content-Length",
			handler: func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush(); w.Write(good[:len(good)-30]) },
			step:    report.StepDownloaded, cause: "open zip", hint: "truncated or damaged",
		},
		{
			name: "html error page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<!DOCTYPE html><html><body>Session expired</body></html>")
			},
			step: report.StepDownloaded, cause: "not a valid zip", hint: "web page instead of the zip",
		},
		{
			name:    "empty body",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			step:    report.StepDownloaded, hint: "empty file",
		},
		{
			name:    "expected file missing",
			handler: serveBytes(makeZip(t, map[string][]byte{"other.sql": []byte("x"), "notes.txt": nil})),
			step:    report.StepExpected, cause: `"dump.sql" is not in the zip (it holds: `, hint: "fix expect",
		},
		{
			name:    "entry larger than max_size (zip bomb)",
			handler: serveBytes(bomb(t, 20<<20)),
			step:    report.StepExpected, cause: "more than max_size", hint: "zip bomb",
			mutate: func(c *config.Source) { c.MaxSize = 1 << 20 },
		},
		{
			name:    "download larger than max_size",
			handler: serveBytes(good),
			step:    report.StepDownloaded, cause: "more than max_size",
			mutate: func(c *config.Source) { c.MaxSize = 100 },
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var n atomic.Int32
			_, c := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); sc.handler(w, r) }))
			if sc.mutate != nil {
				sc.mutate(&c)
			}
			r := fetch(t, c)
			if r.err == nil {
				t.Fatalf("no error; steps %+v", r.steps)
			}
			s := r.last()
			if s.Name != sc.step || s.Status != report.Failed {
				t.Fatalf("last step = %+v, want %q failed", s, sc.step)
			}
			if !strings.Contains(s.Cause, sc.cause) {
				t.Errorf("cause %q does not contain %q", s.Cause, sc.cause)
			}
			if !strings.Contains(s.Hint, sc.hint) {
				t.Errorf("hint %q does not contain %q", s.Hint, sc.hint)
			}
			if sc.attempts > 0 && n.Load() != sc.attempts {
				t.Errorf("%d requests, want %d", n.Load(), sc.attempts)
			}
		})
	}
}

func TestCorruptEntryFailsOnRead(t *testing.T) {
	dump := bytes.Repeat([]byte("2026\tcommande payée\n"), 200)
	z := makeZip(t, map[string][]byte{"dump.sql": dump})
	i := bytes.Index(z, dump[:20])
	z[i+100] ^= 0xff // stored data: the CRC-32 no longer matches
	_, c := tlsServer(t, serveBytes(z))
	r := fetch(t, c)
	if r.err != nil {
		t.Fatalf("fetch: %v", r.err)
	}
	rc, err := r.f.Items[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, zip.ErrChecksum) {
		t.Errorf("read err = %v, want zip.ErrChecksum", err)
	}
}

func TestUnknownCertificateAuthority(t *testing.T) {
	_, c := tlsServer(t, serveBytes(nil))
	c.CAFile = ""
	r := fetch(t, c)
	if r.err == nil || r.last().Name != report.StepReachable {
		t.Fatalf("err %v steps %+v", r.err, r.steps)
	}
	if !strings.Contains(r.last().Hint, "certificate") {
		t.Errorf("hint = %q", r.last().Hint)
	}
}

func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := fetch(t, config.Source{Type: "https-zip", URL: "https://" + addr + "/dump.zip", Expect: "dump.sql", Timeout: config.Duration(5 * time.Second), Retries: 0})
	if r.err == nil || !strings.Contains(r.last().Cause, "connection refused") || !strings.Contains(r.last().Hint, "nothing listens") {
		t.Fatalf("err %v steps %+v", r.err, r.steps)
	}
}

func TestPasswordNeverInErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	// A password in the URL, and a token in its query string, as export servers take them.
	c := config.Source{Type: "https-zip", URL: "https://user:hunter2-secret@" + addr + "/dump.zip?token=tok-9f8e7d", Expect: "dump.sql", Timeout: config.Duration(5 * time.Second), Retries: 0}
	r := fetch(t, c)
	if r.err == nil {
		t.Fatal("no error")
	}
	for _, s := range r.steps {
		if strings.Contains(s.Cause+s.Detail+s.Hint, "hunter2") || strings.Contains(s.Cause+s.Detail+s.Hint, "tok-9f8e7d") {
			t.Errorf("secret leaked in step %+v", s)
		}
	}
	if strings.Contains(r.err.Error(), "hunter2") || strings.Contains(r.err.Error(), "tok-9f8e7d") {
		t.Errorf("secret leaked in error %v", r.err)
	}
	src, err := New(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := src.String(); strings.Contains(got, "hunter2") || strings.Contains(got, "tok-9f8e7d") || !strings.Contains(got, "token=***") {
		t.Errorf("String() = %q, want the password and the token hidden, the key shown", got)
	}
}

// The headers of the configuration (an API key) are not sent on to another host a
// redirect leads to; they still go with a redirect on the same server.
func TestHeadersNotForwardedToAnotherHost(t *testing.T) {
	body := makeZip(t, map[string][]byte{"dump.sql": []byte("COPY t FROM stdin;\n")})
	var sawKey atomic.Value
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawKey.Store(r.Header.Get("X-Api-Key"))
		w.Write(body)
	}))
	first, ca := testutil.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "k-123456" {
			http.Error(w, "no key", http.StatusForbidden)
			return
		}
		if r.URL.Path == "/dump.zip" {
			http.Redirect(w, r, "/exports/dump.zip", http.StatusFound) // same server: the key goes along
			return
		}
		http.Redirect(w, r, other.URL+"/dump.zip", http.StatusFound)
	}))
	other.StartTLS() // httptest's certificate, which ca trusts too
	t.Cleanup(other.Close)
	r := fetch(t, config.Source{Type: "https-zip", URL: first.URL + "/dump.zip", CAFile: ca, Expect: "dump.sql",
		Headers: map[string]string{"X-Api-Key": "k-123456"}, Timeout: config.Duration(5 * time.Second)})
	if r.err != nil {
		t.Fatalf("fetch: %v", r.err)
	}
	if got, _ := sawKey.Load().(string); got != "" {
		t.Errorf("the other host received X-Api-Key %q", got)
	}
}

// An https source that redirects to plain http is refused: net/http would follow it
// with the credentials of the same host.
func TestRedirectToHTTPRefused(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the plain http server was reached: %s %s (Authorization %q)", r.Method, r.URL, r.Header.Get("Authorization"))
	}))
	defer plain.Close()
	srv, ca := testutil.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/dump.zip", http.StatusFound)
	}))
	r := fetch(t, config.Source{Type: "https-zip", URL: srv.URL + "/dump.zip", CAFile: ca, Username: "export", Password: "pw-123456", Expect: "dump.sql", Timeout: config.Duration(5 * time.Second), Retries: 2})
	if r.err == nil {
		t.Fatal("a redirect to http was followed")
	}
	s := r.steps[len(r.steps)-1]
	if s.Status != report.Failed || !strings.Contains(s.Cause, "redirected from https to http") || !strings.Contains(s.Hint, "allow_insecure") {
		t.Errorf("step = %+v", s)
	}
}

func TestCheck(t *testing.T) {
	z := makeZip(t, map[string][]byte{"dump.sql": []byte("x")})
	_, c := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/dump.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(z)
	}))
	src, err := New(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d, err := src.Check(context.Background())
	if err != nil || !strings.Contains(d, "HTTP 200") {
		t.Errorf("check = %q, %v", d, err)
	}
	c.URL = strings.Replace(c.URL, "dump.zip", "missing.zip", 1)
	c.Expect = "dump.sql"
	srcMissing, _ := New(c, slog.New(slog.DiscardHandler))
	if _, err := srcMissing.Check(context.Background()); err == nil {
		t.Error("check of a 404 passed")
	}
}
