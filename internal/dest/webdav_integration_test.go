//go:build integration

package dest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// apacheVars are the coordinates scripts/it.d/apache.sh prints.
func apacheVars(t *testing.T) map[string]string {
	return testutil.ITVars(t, "GARDIEN_IT_WEBDAV_URL", "GARDIEN_IT_WEBDAV_DIGEST_URL", "GARDIEN_IT_WEBDAV_RO_URL", "GARDIEN_IT_WEBDAV_PLAIN_URL",
		"GARDIEN_IT_WEBDAV_USER", "GARDIEN_IT_WEBDAV_PASSWORD", "GARDIEN_IT_WEBDAV_CA", "GARDIEN_IT_WEBDAV_ROOT")
}

// apacheConfig returns a destination on a new folder (which does not exist yet) under
// the location of base, and where that folder lies on the server's disk.
func apacheConfig(t *testing.T, v map[string]string, base string) (dest.Config, string) {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	sub := "desttest/" + filepath.Base(t.TempDir()) + "/archives"
	disk := filepath.Join(v["GARDIEN_IT_WEBDAV_ROOT"], filepath.FromSlash(u.Path), filepath.FromSlash(sub))
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(disk)) })
	c := dest.Config{Name: "apache", URL: base + "/" + sub, Username: v["GARDIEN_IT_WEBDAV_USER"], Password: v["GARDIEN_IT_WEBDAV_PASSWORD"],
		Timeout: config.Duration(20 * time.Second)}
	if u.Scheme == "webdavs" {
		c.CAFile = v["GARDIEN_IT_WEBDAV_CA"]
	} else {
		c.AllowInsecure = true
	}
	return c, disk
}

// TestIntegrationWebDAVApache runs the conformance suite against Apache's mod_dav:
// HTTPS with Basic, HTTPS with Digest, and plain HTTP.
func TestIntegrationWebDAVApache(t *testing.T) {
	v := apacheVars(t)
	for name, base := range map[string]string{
		"basic":  v["GARDIEN_IT_WEBDAV_URL"],
		"digest": v["GARDIEN_IT_WEBDAV_DIGEST_URL"],
		"plain":  v["GARDIEN_IT_WEBDAV_PLAIN_URL"],
	} {
		t.Run(name, func(t *testing.T) {
			desttest.Run(t, func(t *testing.T) dest.Destination {
				c, _ := apacheConfig(t, v, base)
				return desttest.Open(t, c)
			})
		})
	}
}

func TestIntegrationWebDAVApacheWrongPassword(t *testing.T) {
	v := apacheVars(t)
	for name, base := range map[string]string{"basic": v["GARDIEN_IT_WEBDAV_URL"], "digest": v["GARDIEN_IT_WEBDAV_DIGEST_URL"]} {
		t.Run(name, func(t *testing.T) {
			c, _ := apacheConfig(t, v, base)
			c.Password = "not-the-password"
			_, err := dest.Open(context.Background(), c, dest.Env{})
			if !errors.Is(err, dest.ErrAuth) || fault.Retryable(err) {
				t.Fatalf("err = %v, want a permanent ErrAuth", err)
			}
			if strings.Contains(err.Error(), c.Password) {
				t.Errorf("the password shows: %v", err)
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		})
	}
}

func TestIntegrationWebDAVApacheUntrustedCertificate(t *testing.T) {
	v := apacheVars(t)
	c, _ := apacheConfig(t, v, v["GARDIEN_IT_WEBDAV_URL"])
	c.CAFile = ""
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "x509") || !strings.Contains(fault.Hint(err), "ca_file") || fault.Retryable(err) {
		t.Fatalf("err = %v (hint %q), want a permanent certificate error with a hint about ca_file", err, fault.Hint(err))
	}
}

// A location where the user may read but not write: the upload gets 403.
func TestIntegrationWebDAVApachePermissionDenied(t *testing.T) {
	v := apacheVars(t)
	c := dest.Config{URL: v["GARDIEN_IT_WEBDAV_RO_URL"], Username: v["GARDIEN_IT_WEBDAV_USER"], Password: v["GARDIEN_IT_WEBDAV_PASSWORD"], CAFile: v["GARDIEN_IT_WEBDAV_CA"]}
	d := desttest.Open(t, c)
	defer d.Close()
	err := d.Put(context.Background(), "a.tgz", strings.NewReader("x"), 1)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "403") || fault.Retryable(err) {
		t.Fatalf("err = %v, want a permanent 403", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "permission denied") {
		t.Errorf("hint = %q", h)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// A folder outside any WebDAV location (a missing share).
func TestIntegrationWebDAVApacheNotAShare(t *testing.T) {
	v := apacheVars(t)
	u, _ := url.Parse(v["GARDIEN_IT_WEBDAV_URL"])
	c := dest.Config{URL: "webdavs://" + u.Host + "/nodav/archives", Username: v["GARDIEN_IT_WEBDAV_USER"], Password: v["GARDIEN_IT_WEBDAV_PASSWORD"], CAFile: v["GARDIEN_IT_WEBDAV_CA"]}
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "/nodav/archives") || fault.Retryable(err) {
		t.Fatalf("err = %v, want a permanent error naming the folder", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "WebDAV folder") {
		t.Errorf("hint = %q", h)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// The connection to Apache is cut in the middle of an upload, as a crash of the
// server would: Put fails with an error worth retrying, no file has the final name
// (nor the temporary one: mod_dav_fs writes a PUT aside and only moves it into place
// when it is complete), and the retry succeeds.
func TestIntegrationWebDAVApacheCutMidUpload(t *testing.T) {
	v := apacheVars(t)
	c, disk := apacheConfig(t, v, v["GARDIEN_IT_WEBDAV_URL"])
	u, _ := url.Parse(c.URL)
	p := newCutter(t, u.Host)
	c.URL = strings.Replace(c.URL, u.Host, p.addr(), 1)
	d := desttest.Open(t, c)
	defer d.Close()
	const size = 32 << 20
	r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(8), size), 8<<20, p.cut)
	err := d.Put(context.Background(), "20261122.tgz", r, size)
	if err == nil || !fault.Retryable(err) {
		t.Fatalf("err = %v, want an error worth retrying", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	for _, n := range []string{"20261122.tgz", namefmt.TempName("20261122.tgz")} {
		if _, err := os.Stat(filepath.Join(disk, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is on the server's disk after the cut: %v", n, err)
		}
	}
	if err := d.Put(context.Background(), "20261122.tgz", io.LimitReader(desttest.NewStream(8), size), size); err != nil {
		t.Fatalf("Put after the cut: %v", err)
	}
	if st, err := os.Stat(filepath.Join(disk, "20261122.tgz")); err != nil || st.Size() != size {
		t.Fatalf("after the retry: %v, %v", st, err)
	}
}

// cutter is a TCP proxy whose connections can all be cut at once.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutter{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *cutter) addr() string { return p.ln.Addr().String() }

// cut resets every current connection; new ones go through.
func (p *cutter) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, as from a process that died
		}
		c.Close()
	}
	p.conns = nil
}

// TestIntegrationWebDAVApacheJob runs `gardien check` and two nights of a job to
// Apache over HTTPS with Digest, with verify = true: the probe, the upload read back,
// and the retention that removes an old archive and a stale temporary file.
func TestIntegrationWebDAVApacheJob(t *testing.T) {
	v := apacheVars(t)
	c, disk := apacheConfig(t, v, v["GARDIEN_IT_WEBDAV_DIGEST_URL"])
	dir := t.TempDir()
	src := testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("COPY public.orders (id) FROM stdin;\n"), 50000)}))
	pass := filepath.Join(dir, "cloud.pass")
	os.WriteFile(pass, []byte(c.Password+"\n"), 0o600)
	text := `
[log]
file = "-"
[state]
dir = "` + filepath.Join(dir, "state") + `"
[[job]]
name = "it-webdav"
  [job.source]
  url = "` + src.URLPath() + `"
  ca_file = "` + src.CAFile + `"
  expect = "dump.sql"
  [job.archive]
  staging_dir = "` + filepath.Join(dir, "staging") + `"
  [[job.destination]]
  name = "apache"
  url = "` + c.URL + `"
  username = "` + c.Username + `"
  password_file = "` + pass + `"
  ca_file = "` + c.CAFile + `"
  verify = true
  [job.retention]
  keep_days = 30
  keep_min = 1
`
	cfgPath := filepath.Join(dir, "gardien.toml")
	os.WriteFile(cfgPath, []byte(text), 0o600)
	cfg, err := config.Load(cfgPath, dest.Check)
	if err != nil {
		t.Fatal(err)
	}
	j := &cfg.Jobs[0]
	night := time.Date(2026, 11, 22, 2, 0, 4, 0, time.Local)
	opt := job.Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return night }}
	summary := func(res *report.Result) string {
		var b strings.Builder
		report.Summary(&b, res)
		return b.String()
	}

	if res := job.Check(context.Background(), cfg, j, opt); res.Outcome() != report.Success {
		t.Fatalf("check:\n%s", summary(res))
	}
	// What earlier nights left: an archive past keep_days and a stale temporary file.
	if err := os.MkdirAll(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"20201001.tgz", ".20201002.tgz.part"} {
		os.WriteFile(filepath.Join(disk, n), []byte("old"), 0o644)
	}
	res := job.Run(context.Background(), cfg, j, opt)
	if res.Outcome() != report.Success {
		t.Fatalf("run:\n%s", summary(res))
	}
	t.Log("\n" + summary(res))
	ents, _ := os.ReadDir(disk)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "20261122.tgz" {
		t.Fatalf("the folder holds %v, want only 20261122.tgz", names)
	}
	st, _ := os.Stat(filepath.Join(disk, "20261122.tgz"))
	if st == nil || st.Size() != res.ArchiveSize {
		t.Errorf("20261122.tgz on the server: %v, want %d bytes", st, res.ArchiveSize)
	}
}
