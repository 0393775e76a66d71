// Package testutil holds helpers shared by the tests of several packages: an HTTPS
// server on 127.0.0.1 that serves a zip whose content a test can change.
package testutil

import (
	"archive/zip"
	"bytes"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Zip returns a zip holding files (deflated).
func Zip(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ZipServer serves a body at /dump.zip over TLS on 127.0.0.1.
type ZipServer struct {
	*httptest.Server
	// CAFile trusts the server's certificate (for ca_file).
	CAFile string
	mu     sync.Mutex
	body   []byte
	status int
}

// TLSServer serves h over TLS on 127.0.0.1 until the test ends, and writes its
// certificate to a PEM file that a client trusts through ca_file.
func TLSServer(t testing.TB, h http.Handler) (srv *httptest.Server, caFile string) {
	t.Helper()
	srv = httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, p, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

// NewZipServer starts a server that serves body; it stops when the test ends.
func NewZipServer(t testing.TB, body []byte) *ZipServer {
	t.Helper()
	zs := &ZipServer{body: body, status: http.StatusOK}
	zs.Server, zs.CAFile = TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zs.mu.Lock()
		body, status := zs.body, zs.status
		zs.mu.Unlock()
		if r.URL.Path != "/dump.zip" {
			http.NotFound(w, r)
			return
		}
		if status != http.StatusOK {
			http.Error(w, http.StatusText(status), status)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	return zs
}

// URLPath is the URL of the zip.
func (zs *ZipServer) URLPath() string { return zs.URL + "/dump.zip" }

// Set changes what the server sends.
func (zs *ZipServer) Set(body []byte) {
	zs.mu.Lock()
	zs.body, zs.status = body, http.StatusOK
	zs.mu.Unlock()
}

// Fail makes the server answer with status.
func (zs *ZipServer) Fail(status int) {
	zs.mu.Lock()
	zs.status = status
	zs.mu.Unlock()
}
