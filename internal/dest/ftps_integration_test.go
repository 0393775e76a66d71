//go:build integration

package dest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// vsftpdIT holds the coordinates of the vsftpd servers that scripts/it.d/vsftpd.sh
// starts: explicit TLS and implicit TLS, one user chrooted in GARDIEN_IT_FTP_ROOT.
type vsftpdIT map[string]string

func vsftpdVars(t *testing.T) vsftpdIT {
	return testutil.ITVars(t, "GARDIEN_IT_FTP_ADDR", "GARDIEN_IT_FTPS_IMPLICIT_ADDR", "GARDIEN_IT_FTP_USER",
		"GARDIEN_IT_FTP_PASSWORD", "GARDIEN_IT_FTPS_CA", "GARDIEN_IT_FTP_ROOT")
}

var vsftpdDirs atomic.Int32

// dir returns a new directory name under the user's root (as the FTP user sees it,
// chrooted) and removes it when the test ends.
func (v vsftpdIT) dir(t *testing.T) string {
	rel := fmt.Sprintf("/desttest/%d-%d", os.Getpid(), vsftpdDirs.Add(1))
	t.Cleanup(func() { os.RemoveAll(filepath.Join(v["GARDIEN_IT_FTP_ROOT"], rel)) })
	return rel
}

// config returns a destination on a new directory: scheme ftps or ftps+implicit.
func (v vsftpdIT) config(t *testing.T, scheme string) config.Destination {
	addr := v["GARDIEN_IT_FTP_ADDR"]
	if scheme == "ftps+implicit" {
		addr = v["GARDIEN_IT_FTPS_IMPLICIT_ADDR"]
	}
	return config.Destination{
		Name:     "vsftpd",
		URL:      scheme + "://" + v["GARDIEN_IT_FTP_USER"] + "@" + addr + v.dir(t),
		Password: v["GARDIEN_IT_FTP_PASSWORD"],
		CAFile:   v["GARDIEN_IT_FTPS_CA"],
		Timeout:  config.Duration(20 * time.Second),
	}
}

// TestIntegrationFTPSVsftpd runs the conformance suite against vsftpd, with explicit
// and implicit TLS. vsftpd runs with require_ssl_reuse=YES: every data connection must
// resume the control connection's TLS session.
func TestIntegrationFTPSVsftpd(t *testing.T) {
	v := vsftpdVars(t)
	for _, scheme := range []string{"ftps", "ftps+implicit"} {
		t.Run(scheme, func(t *testing.T) {
			desttest.Run(t, func(t *testing.T) dest.Destination {
				c := v.config(t, scheme)
				return desttest.Open(t, c)
			})
		})
	}
}

// An empty file: its data connection is closed without data, and vsftpd still sees a
// clean TLS shutdown.
func TestIntegrationFTPSVsftpdEmptyFile(t *testing.T) {
	v := vsftpdVars(t)
	for _, scheme := range []string{"ftps", "ftps+implicit"} {
		d, err := dest.Open(context.Background(), v.config(t, scheme), dest.Env{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Put(context.Background(), "empty.tgz", strings.NewReader(""), 0); err != nil {
			t.Fatalf("%s: Put of an empty file: %v", scheme, err)
		}
	}
}

// The failures a technician meets, from the real daemon: each with its hint.
func TestIntegrationFTPSVsftpdFailures(t *testing.T) {
	v := vsftpdVars(t)
	ctx := context.Background()

	t.Run("wrong password", func(t *testing.T) {
		c := v.config(t, "ftps")
		c.Password = "not-the-password"
		_, err := dest.Open(ctx, c, dest.Env{})
		if !errors.Is(err, dest.ErrAuth) || !strings.Contains(err.Error(), "530") {
			t.Fatalf("err = %v, want ErrAuth with vsftpd's 530", err)
		}
		if fault.Retryable(err) || strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("err = %v: retryable, or shows the password", err)
		}
		t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		for _, scheme := range []string{"ftps", "ftps+implicit"} {
			c := v.config(t, scheme)
			c.CAFile = ""
			_, err := dest.Open(ctx, c, dest.Env{})
			var ua x509.UnknownAuthorityError
			if !errors.As(err, &ua) || !strings.Contains(fault.Hint(err), "ca_file") {
				t.Fatalf("%s: err = %v (hint %q), want an unknown authority with a ca_file hint", scheme, err, fault.Hint(err))
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))
		}
	})

	t.Run("plain ftp to a server that requires TLS", func(t *testing.T) {
		c := v.config(t, "ftps")
		c.URL = strings.Replace(c.URL, "ftps://", "ftp://", 1)
		c.CAFile, c.AllowInsecure = "", true
		_, err := dest.Open(ctx, c, dest.Env{})
		if err == nil || !strings.Contains(fault.Hint(err), "requires TLS") {
			t.Fatalf("err = %v (hint %q), want a hint that the server requires TLS", err, fault.Hint(err))
		}
		t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	})

	t.Run("wrong TLS mode", func(t *testing.T) {
		c := v.config(t, "ftps+implicit")
		c.URL = strings.Replace(c.URL, v["GARDIEN_IT_FTPS_IMPLICIT_ADDR"], v["GARDIEN_IT_FTP_ADDR"], 1)
		_, err := dest.Open(ctx, c, dest.Env{})
		if err == nil || !strings.Contains(fault.Hint(err), "write ftps:// instead") {
			t.Fatalf("err = %v (hint %q), want the hint to write ftps://", err, fault.Hint(err))
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		c := v.config(t, "ftps")
		c.URL = strings.Replace(c.URL, v["GARDIEN_IT_FTP_ADDR"], "127.0.0.1:1", 1)
		_, err := dest.Open(ctx, c, dest.Env{})
		if err == nil || !strings.Contains(err.Error(), "refused") || !fault.Retryable(err) {
			t.Fatalf("err = %v, want a retryable connection refused", err)
		}
	})

	// A directory of the user's root that belongs to root: the user may not write
	// there, nor make the url's directory in it.
	ro := filepath.Join(v["GARDIEN_IT_FTP_ROOT"], fmt.Sprintf("readonly-%d", os.Getpid()))
	if err := os.MkdirAll(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(ro, 0, 0)
	t.Cleanup(func() { os.RemoveAll(ro) })

	t.Run("permission denied", func(t *testing.T) {
		c := v.config(t, "ftps")
		c.URL = "ftps://" + v["GARDIEN_IT_FTP_USER"] + "@" + v["GARDIEN_IT_FTP_ADDR"] + "/" + filepath.Base(ro)
		d, err := dest.Open(ctx, c, dest.Env{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		err = d.Put(ctx, "a.tgz", strings.NewReader("abc"), 3)
		if err == nil || !strings.Contains(fault.Hint(err), "may write in /"+filepath.Base(ro)) || fault.Retryable(err) {
			t.Fatalf("err = %v (hint %q), want a permanent refusal with a permission hint", err, fault.Hint(err))
		}
		if _, serr := os.Stat(filepath.Join(ro, "a.tgz")); !errors.Is(serr, os.ErrNotExist) {
			t.Error("a.tgz exists after a refused upload")
		}
		t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	})

	t.Run("directory cannot be created", func(t *testing.T) {
		c := v.config(t, "ftps")
		c.URL = "ftps://" + v["GARDIEN_IT_FTP_USER"] + "@" + v["GARDIEN_IT_FTP_ADDR"] + "/" + filepath.Base(ro) + "/archives"
		_, err := dest.Open(ctx, c, dest.Env{})
		if err == nil || !strings.Contains(fault.Hint(err), "cannot create it") || fault.Retryable(err) {
			t.Fatalf("err = %v (hint %q), want a permanent mkdir failure with a hint", err, fault.Hint(err))
		}
		t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	})
}

// A whole run of a job to vsftpd (as `gardien check`, then `gardien run` with
// verify = true): the archive arrives byte for byte, and retention removes what an
// interrupted night left.
func TestIntegrationFTPSVsftpdRun(t *testing.T) {
	v := vsftpdVars(t)
	work := t.TempDir()
	var sql bytes.Buffer
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&sql, "INSERT INTO orders VALUES (%d, 'commande payée');\n", i)
	}
	src := testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": sql.Bytes()}))
	remote := v.dir(t)
	local := filepath.Join(v["GARDIEN_IT_FTP_ROOT"], remote)
	text := `
[log]
file = "-"
[state]
dir = "` + filepath.Join(work, "state") + `"
[[job]]
name = "it-db"
  [job.source]
  url = "` + src.URLPath() + `"
  ca_file = "` + src.CAFile + `"
  expect = "dump.sql"
  [job.archive]
  staging_dir = "` + filepath.Join(work, "staging") + `"
  [[job.destination]]
  name = "vsftpd"
  url = "ftps://` + v["GARDIEN_IT_FTP_USER"] + "@" + v["GARDIEN_IT_FTP_ADDR"] + remote + `"
  password = "${GARDIEN_IT_FTP_PASSWORD}"
  ca_file = "` + v["GARDIEN_IT_FTPS_CA"] + `"
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
	var logged bytes.Buffer
	opt := job.Options{Log: slog.New(slog.NewTextHandler(&logged, nil))}
	summary := func(res *report.Result) string {
		var b strings.Builder
		report.Summary(&b, res)
		return b.String()
	}

	if res := job.Check(context.Background(), cfg, &cfg.Jobs[0], opt); res.Outcome() != report.Success {
		t.Fatalf("check:\n%s", summary(res))
	}

	// What an earlier night left: an old archive and a half-sent one.
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"20200101.tgz", ".20200102.tgz.part"} {
		if err := os.WriteFile(filepath.Join(local, n), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := job.Run(context.Background(), cfg, &cfg.Jobs[0], opt)
	t.Log("\n" + summary(res))
	if res.Outcome() != report.Success {
		t.Fatalf("run failed:\n%s", logged.String())
	}
	ents, err := os.ReadDir(local)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != res.Archive {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("remote holds %v, want only %s", names, res.Archive)
	}
	out := t.TempDir()
	if b, err := exec.Command("tar", "xzf", filepath.Join(local, res.Archive), "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar xzf: %v %s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "dump.sql"))
	if err != nil || sha256.Sum256(got) != sha256.Sum256(sql.Bytes()) {
		t.Fatalf("the archived dump differs from the source (%d bytes, %v)", len(got), err)
	}
	if strings.Contains(logged.String(), v["GARDIEN_IT_FTP_PASSWORD"]) {
		t.Error("the password is in the log")
	}
}
