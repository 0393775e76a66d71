//go:build integration

package dest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// s3ITVars are the coordinates of the S3 server (versitygw) that
// scripts/it.d/s3server.sh starts.
func s3ITVars(t *testing.T) map[string]string {
	return testutil.ITVars(t, "GARDIEN_IT_S3_ENDPOINT", "GARDIEN_IT_S3_REGION", "GARDIEN_IT_S3_ACCESS_KEY",
		"GARDIEN_IT_S3_SECRET_KEY", "GARDIEN_IT_S3_BUCKET", "GARDIEN_IT_S3_CA_FILE", "GARDIEN_IT_S3_ROOT")
}

// s3ITPrefix returns a new prefix, removed from the server's directory after the test.
func s3ITPrefix(t *testing.T, v map[string]string, dir string) string {
	p := dir + "/" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { os.RemoveAll(filepath.Join(v["GARDIEN_IT_S3_ROOT"], v["GARDIEN_IT_S3_BUCKET"], p)) })
	return p
}

// s3ITConfig returns a destination on a new prefix of the test bucket.
func s3ITConfig(t *testing.T, v map[string]string) dest.Config {
	return dest.Config{
		Name:      "versitygw",
		URL:       "s3://" + v["GARDIEN_IT_S3_BUCKET"] + "/" + s3ITPrefix(t, v, "desttest"),
		Endpoint:  v["GARDIEN_IT_S3_ENDPOINT"],
		Region:    v["GARDIEN_IT_S3_REGION"],
		AccessKey: v["GARDIEN_IT_S3_ACCESS_KEY"],
		SecretKey: v["GARDIEN_IT_S3_SECRET_KEY"],
		CAFile:    v["GARDIEN_IT_S3_CA_FILE"],
		Timeout:   config.Duration(20 * time.Second),
	}
}

// s3ITClient is the test's own view of the server.
func s3ITClient(t *testing.T, v map[string]string) minio.Core {
	t.Helper()
	pem, err := os.ReadFile(v["GARDIEN_IT_S3_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	u, err := url.Parse(v["GARDIEN_IT_S3_ENDPOINT"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.NewCore(u.Host, &minio.Options{
		Creds:     credentials.NewStaticV4(v["GARDIEN_IT_S3_ACCESS_KEY"], v["GARDIEN_IT_S3_SECRET_KEY"], ""),
		Secure:    u.Scheme == "https",
		Transport: tr,
		Region:    v["GARDIEN_IT_S3_REGION"],
	})
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

// TestIntegrationS3Versity runs the conformance suite against versitygw over https
// with a private CA, with the region given and asked from the server.
func TestIntegrationS3Versity(t *testing.T) {
	v := s3ITVars(t)
	for _, region := range []string{v["GARDIEN_IT_S3_REGION"], ""} {
		t.Run("region="+region, func(t *testing.T) {
			desttest.Run(t, func(t *testing.T) dest.Destination {
				c := s3ITConfig(t, v)
				c.Region = region
				return desttest.Open(t, c)
			})
		})
	}
}

// TestIntegrationS3VersityFailures checks the errors of a real server: each names
// the cause, carries its hint, and is not retried.
func TestIntegrationS3VersityFailures(t *testing.T) {
	v := s3ITVars(t)
	for _, tc := range []struct {
		name string
		mod  func(c *dest.Config)
		code string // the S3 error codes (| between), "" for a TLS failure
		hint string
	}{
		{"wrong secret", func(c *dest.Config) { c.SecretKey = "not-the-secret-key-4242" }, "SignatureDoesNotMatch", "secret_key"},
		// versitygw answers XAdminUserNotFound where AWS says InvalidAccessKeyId.
		{"unknown access key", func(c *dest.Config) { c.AccessKey = "NOSUCHKEY" }, "InvalidAccessKeyId|XAdminUserNotFound", "access_key"},
		{"missing bucket", func(c *dest.Config) { c.URL = "s3://no-such-bucket-gardien/archives" }, "NoSuchBucket", "bucket not found: create it or check the name and region"},
		{"untrusted certificate", func(c *dest.Config) { c.CAFile = "" }, "", "not signed by a known authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s3ITConfig(t, v)
			tc.mod(&c)
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			var resp minio.ErrorResponse
			if tc.code != "" && (!errors.As(err, &resp) || !slices.Contains(strings.Split(tc.code, "|"), resp.Code)) {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
			if h := fault.Hint(err); !strings.Contains(h, tc.hint) {
				t.Errorf("hint = %q, want %q", h, tc.hint)
			}
			if fault.Retryable(err) {
				t.Errorf("err = %v is retryable", err)
			}
			if strings.Contains(err.Error(), c.SecretKey) {
				t.Errorf("the error shows the secret key: %v", err)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

// TestIntegrationS3VersityCancel checks on a real server that a cancelled multipart
// upload is aborted: no object, no parts left.
func TestIntegrationS3VersityCancel(t *testing.T) {
	v := s3ITVars(t)
	c := s3ITConfig(t, v)
	d, err := dest.Open(context.Background(), c, dest.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const size = 40 << 20
	r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(6), size), 20<<20, cancel)
	if err := d.Put(ctx, "20261122.tgz", r, size); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	u, _ := url.Parse(c.URL)
	prefix := strings.TrimPrefix(u.Path, "/") + "/"
	res, err := s3ITClient(t, v).ListMultipartUploads(context.Background(), v["GARDIEN_IT_S3_BUCKET"], prefix, "", "", "", 1000)
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(res.Uploads) != 0 {
		t.Errorf("incomplete uploads left after a cancellation: %+v", res.Uploads)
	}
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 0 {
		t.Errorf("List = %v, want nothing", objs)
	}
}

// TestIntegrationS3VersityCutMidTransfer cuts uploads while their data flows, through
// a TCP proxy in front of versitygw, which stores the truncated body of a request
// cut short. A cancelled upload must leave no object and no parts; a connection cut
// (a network failure) is retried part by part, and the object must be whole.
func TestIntegrationS3VersityCutMidTransfer(t *testing.T) {
	v := s3ITVars(t)
	u, err := url.Parse(v["GARDIEN_IT_S3_ENDPOINT"])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		cancel bool // cancel the context, or cut the connections
	}{
		{"cancel", true},
		{"connection cut", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newCutProxy(t, u.Host)
			c := s3ITConfig(t, v)
			c.Endpoint = "https://" + p.addr
			d, err := dest.Open(context.Background(), c, dest.Env{Log: slog.New(slog.NewTextHandler(tWriter{t}, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cut := p.cutAll
			if tc.cancel {
				cut = cancel
			}
			const size = 20 << 20 // two parts
			p.arm(18<<20, cut)
			sent := sha256.New()
			err = d.Put(ctx, "20261122.tgz", io.TeeReader(io.LimitReader(desttest.NewStream(7), size), sent), size)
			if !p.fired.Load() {
				t.Fatal("the upload was not cut while its data flowed")
			}
			t.Logf("err = %v", err)
			time.Sleep(500 * time.Millisecond) // let versitygw finish with the cut request
			pu, _ := url.Parse(c.URL)
			prefix := strings.TrimPrefix(pu.Path, "/") + "/"
			cl := s3ITClient(t, v)
			res, lerr := cl.ListMultipartUploads(context.Background(), v["GARDIEN_IT_S3_BUCKET"], prefix, "", "", "", 1000)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if len(res.Uploads) != 0 {
				t.Errorf("incomplete uploads left: %+v", res.Uploads)
			}
			objs, lerr := cl.ListObjectsV2(v["GARDIEN_IT_S3_BUCKET"], prefix, "", "", "", 100)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tc.cancel {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				for _, o := range objs.Contents {
					t.Errorf("%s is on the server (%d bytes) after a cancelled upload", o.Key, o.Size)
				}
				return
			}
			if err != nil {
				t.Fatalf("Put through a connection cut: %v, want the part sent again", err)
			}
			rc, err := d.Open(context.Background(), "20261122.tgz")
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got := sha256.New()
			if n, err := io.Copy(got, rc); err != nil || n != size || !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
				t.Errorf("read back %d bytes (%v) with sha256 %x, sent %d with %x", n, err, got.Sum(nil), size, sent.Sum(nil))
			}
		})
	}
}

// cutProxy forwards TCP connections to a server and calls a function once the
// client has sent a given number of bytes.
type cutProxy struct {
	addr   string
	target string
	ln     net.Listener
	left   atomic.Int64
	cut    atomic.Pointer[func()]
	fired  atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String(), target: target, ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cutAll() })
	return p
}

func (p *cutProxy) arm(after int64, cut func()) {
	p.left.Store(after)
	p.cut.Store(&cut)
}

func (p *cutProxy) serve(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go func() { io.Copy(c, s); c.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := s.Write(buf[:n]); werr != nil {
				break
			}
			if cut := p.cut.Load(); cut != nil && p.left.Add(-int64(n)) <= 0 && p.cut.CompareAndSwap(cut, nil) {
				p.fired.Store(true)
				(*cut)()
			}
		}
		if err != nil {
			break
		}
	}
	s.Close()
}

// cutAll cuts every connection made so far, as a network failure would.
func (p *cutProxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestIntegrationS3WholeRun runs a job end to end to versitygw, from a configuration
// file as a technician writes it (secret_key_file, ca_file): check, run with
// verify and retention, restore; then a wrong secret fails the run with its hint.
func TestIntegrationS3WholeRun(t *testing.T) {
	v := s3ITVars(t)
	work := t.TempDir()
	var dumpSQL bytes.Buffer
	for i := 0; i < 50000; i++ {
		dumpSQL.WriteString("INSERT INTO orders VALUES (42, 'commande payée');\n")
	}
	src := testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": dumpSQL.Bytes()}))
	secretFile := filepath.Join(work, "s3.secret")
	prefix := s3ITPrefix(t, v, "wholerun")

	// An old archive and a file of someone else's, as earlier nights left them.
	seed := s3ITConfig(t, v)
	seed.URL = "s3://" + v["GARDIEN_IT_S3_BUCKET"] + "/" + prefix
	d, err := dest.Open(context.Background(), seed, dest.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"20200101.tgz", "notes.txt"} {
		if err := d.Put(context.Background(), n, strings.NewReader("old"), 3); err != nil {
			t.Fatal(err)
		}
	}

	load := func(secret string) *config.Config {
		t.Helper()
		if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		text := `
[log]
file = "-"
[state]
dir = "` + filepath.Join(work, "state") + `"
[[job]]
name = "it-s3"
  [job.source]
  url = "` + src.URLPath() + `"
  ca_file = "` + src.CAFile + `"
  expect = "dump.sql"
  [job.archive]
  staging_dir = "` + filepath.Join(work, "staging") + `"
  [[job.destination]]
  name = "versitygw"
  url = "s3://` + v["GARDIEN_IT_S3_BUCKET"] + "/" + prefix + `"
  endpoint = "` + v["GARDIEN_IT_S3_ENDPOINT"] + `"
  region = "` + v["GARDIEN_IT_S3_REGION"] + `"
  access_key = "` + v["GARDIEN_IT_S3_ACCESS_KEY"] + `"
  secret_key_file = "` + secretFile + `"
  ca_file = "` + v["GARDIEN_IT_S3_CA_FILE"] + `"
  verify = true
  [job.retention]
  keep_days = 30
  keep_min = 1
`
		p := filepath.Join(work, "gardien.toml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(p, dest.Check)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	var logBuf bytes.Buffer
	opt := job.Options{Log: slog.New(slog.NewTextHandler(&logBuf, nil))}
	summary := func(r *report.Result) string {
		var b strings.Builder
		report.Summary(&b, r)
		return b.String()
	}

	cfg := load(v["GARDIEN_IT_S3_SECRET_KEY"])
	if r := job.Check(context.Background(), cfg, &cfg.Jobs[0], opt); r.Outcome() != report.Success {
		t.Fatalf("check: %s\n%s", r.Outcome(), summary(r))
	}
	r := job.Run(context.Background(), cfg, &cfg.Jobs[0], opt)
	t.Log("\n" + summary(r))
	if r.Outcome() != report.Success {
		t.Fatalf("run: %s", r.Outcome())
	}
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	today := time.Now().Format("20060102") + ".tgz"
	if strings.Join(names, " ") != today+" notes.txt" {
		t.Errorf("the prefix holds %v, want %s and notes.txt (the 2020 archive deleted by retention)", names, today)
	}
	restored, err := job.Restore(context.Background(), &cfg.Jobs[0], "", "", filepath.Join(work, "restored"), opt)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(work, "restored", "dump.sql"))
	if err != nil || !bytes.Equal(got, dumpSQL.Bytes()) {
		t.Errorf("restored %s: %d bytes that differ from the dump (%v)", restored.Archive, len(got), err)
	}

	src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": []byte("a new dump\n")}))
	cfg = load("not-the-secret-key-4242")
	r = job.Run(context.Background(), cfg, &cfg.Jobs[0], opt)
	t.Log("\n" + summary(r))
	fs := r.FailedStep()
	if r.Outcome() != report.Failure || fs == nil || fs.Name != report.StepDestLogin || !strings.Contains(fs.Hint, "secret_key") {
		t.Errorf("run with a wrong secret: %s, failed step %+v; want a failure at destination reachable with a secret_key hint", r.Outcome(), fs)
	}
	if strings.Contains(logBuf.String(), "not-the-secret-key-4242") || strings.Contains(logBuf.String(), v["GARDIEN_IT_S3_SECRET_KEY"]) {
		t.Error("a secret key is in the log")
	}
	d.Close()
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
