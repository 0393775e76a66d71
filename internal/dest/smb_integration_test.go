//go:build integration

package dest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/demo"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/testutil"
)

// sambaVars are the coordinates of the smbd that scripts/it.d/samba.sh starts.
func sambaVars(t *testing.T) map[string]string {
	return testutil.ITVars(t, "GARDIEN_IT_SMB_ADDR", "GARDIEN_IT_SMB_USER", "GARDIEN_IT_SMB_PASSWORD", "GARDIEN_IT_SMB_CONF", "GARDIEN_IT_SMB_ROOT")
}

// sambaConfig is a destination on share/dir of that smbd. dir "" is the share's root.
func sambaConfig(v map[string]string, share, dir string) dest.Config {
	u := "smb://" + v["GARDIEN_IT_SMB_USER"] + "@" + v["GARDIEN_IT_SMB_ADDR"] + "/" + share
	if dir != "" {
		u += "/" + dir
	}
	return dest.Config{Name: "samba", URL: u, Password: v["GARDIEN_IT_SMB_PASSWORD"], Timeout: config.Duration(20 * time.Second)}
}

// newSambaDir returns a directory name, new for this test, inside share; it is
// removed (on the server's disk) at the end of the test.
func newSambaDir(t *testing.T, v map[string]string, share string) string {
	td := t.TempDir() // unique: .../TestName123456/001
	name := "desttest/" + filepath.Base(filepath.Dir(td)) + "-" + filepath.Base(td)
	t.Cleanup(func() { os.RemoveAll(filepath.Join(v["GARDIEN_IT_SMB_ROOT"], share, name)) })
	return name
}

// TestIntegrationSMBSamba runs the conformance suite against Samba's smbd: on a plain
// share (signed), and on a share that requires encryption.
func TestIntegrationSMBSamba(t *testing.T) {
	v := sambaVars(t)
	for _, share := range []string{"archives", "secure"} {
		t.Run(share, func(t *testing.T) {
			desttest.Run(t, func(t *testing.T) dest.Destination {
				return desttest.Open(t, sambaConfig(v, share, newSambaDir(t, v, share)))
			})
		})
	}
}

// smbstatus returns the lines of Samba's smbstatus with these flags, without the
// header.
func smbstatus(t *testing.T, v map[string]string, flags ...string) []string {
	t.Helper()
	out, err := exec.Command("smbstatus", append([]string{"--configfile=" + v["GARDIEN_IT_SMB_CONF"]}, flags...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("smbstatus %v: %v\n%s", flags, err, out)
	}
	return strings.Split(string(out), "\n")
}

// Samba itself says that the session is signed, and that the tree connection to the
// share that requires it is encrypted: the data did not cross in clear.
func TestIntegrationSMBEncryption(t *testing.T) {
	v := sambaVars(t)
	d := desttest.Open(t, sambaConfig(v, "secure", newSambaDir(t, v, "secure")))
	defer d.Close()
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("secret"), 6); err != nil {
		t.Fatal(err)
	}
	var share, sess string
	for _, l := range smbstatus(t, v, "--shares") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "secure" {
			share = l
		}
	}
	for _, l := range smbstatus(t, v, "--processes") {
		if strings.Contains(l, v["GARDIEN_IT_SMB_USER"]) {
			sess = l
		}
	}
	t.Logf("smbstatus: share %q; session %q", share, sess)
	if !strings.Contains(share, "AES-") {
		t.Errorf("the tree connection to the secure share is not encrypted: %q", share)
	}
	if !strings.Contains(sess, "AES-") {
		t.Errorf("the session is neither signed nor encrypted: %q", sess)
	}
}

func TestIntegrationSMBWrongPassword(t *testing.T) {
	v := sambaVars(t)
	c := sambaConfig(v, "archives", "")
	c.Password = "wrong-password-hunter2"
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if !errors.Is(err, dest.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if !strings.Contains(err.Error(), "STATUS_LOGON_FAILURE") || !strings.Contains(err.Error(), v["GARDIEN_IT_SMB_USER"]) {
		t.Errorf("err = %v, want the user and STATUS_LOGON_FAILURE", err)
	}
	if fault.Retryable(err) {
		t.Errorf("a refused login is retryable: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(fault.Hint(err), "hunter2") {
		t.Errorf("the password shows in %v", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "password_file") {
		t.Errorf("hint = %q, want it to name password_file", h)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// The server maps a user it does not know to its guest account (Samba's "map to
// guest = bad user", as Debian ships it), whom the share refuses: the error says
// so, for good. (The library does not tell whether a session is a guest's.)
func TestIntegrationSMBUnknownUser(t *testing.T) {
	v := sambaVars(t)
	c := sambaConfig(v, "archives", "")
	c.URL = strings.Replace(c.URL, v["GARDIEN_IT_SMB_USER"]+"@", "nobody-knows-me@", 1)
	_, err := dest.Open(context.Background(), c, dest.Env{})
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, dest.ErrAuth) {
		t.Fatalf("err = %v, want access denied or ErrAuth", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "guest") || !strings.Contains(h, "smbpasswd -a nobody-knows-me") {
		t.Errorf("hint = %q, want it to explain the guest mapping and how to create the user", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

func TestIntegrationSMBMissingShare(t *testing.T) {
	v := sambaVars(t)
	_, err := dest.Open(context.Background(), sambaConfig(v, "no-such-share", "x"), dest.Env{})
	if !errors.Is(err, dest.ErrShareNotFound) {
		t.Fatalf("err = %v, want ErrShareNotFound", err)
	}
	if !strings.Contains(err.Error(), `"no-such-share"`) || !strings.Contains(err.Error(), "STATUS_BAD_NETWORK_NAME") {
		t.Errorf("err = %v, want the share's name and STATUS_BAD_NETWORK_NAME", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "smbclient -L") {
		t.Errorf("hint = %q, want how to list the shares", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// A read-only share: the upload is refused (STATUS_ACCESS_DENIED), for good, with a
// hint about the share's settings, and nothing is left.
func TestIntegrationSMBAccessDenied(t *testing.T) {
	v := sambaVars(t)
	d := desttest.Open(t, sambaConfig(v, "readonly", ""))
	defer d.Close()
	err := d.Put(context.Background(), "a.tgz", strings.NewReader("x"), 1)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Put on a read-only share: err = %v, want permission denied", err)
	}
	if !strings.Contains(err.Error(), "//127.0.0.1/readonly/") {
		t.Errorf("err = %v, want the path on the share", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "read only") {
		t.Errorf("hint = %q, want it to name the share's read only setting", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	// A directory that cannot be created is refused when the destination is opened.
	_, err = dest.Open(context.Background(), sambaConfig(v, "readonly", "sub"), dest.Env{})
	if !errors.Is(err, fs.ErrPermission) || fault.Retryable(err) {
		t.Errorf("Open with a directory to create on a read-only share: err = %v, want a permanent permission denied", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
}

// The share "full" is a 2 MiB tmpfs: a 4 MiB upload fails with STATUS_DISK_FULL, and
// the temporary file is removed, which frees the space for the next run.
func TestIntegrationSMBDiskFull(t *testing.T) {
	v := sambaVars(t)
	d := desttest.Open(t, sambaConfig(v, "full", ""))
	defer d.Close()
	const size = 4 << 20
	err := d.Put(context.Background(), "big.tgz", io.LimitReader(desttest.NewStream(6), size), size)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "STATUS_DISK_FULL") {
		t.Fatalf("err = %v, want no space left (STATUS_DISK_FULL)", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "free space") {
		t.Errorf("hint = %q", h)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 0 {
		t.Errorf("after a failed upload, List = %v, want nothing", objs)
	}
	if err := d.Put(context.Background(), "small.tgz", strings.NewReader("fits"), 4); err != nil {
		t.Errorf("Put of 4 bytes after the failure: %v", err)
	}
	d.Delete(context.Background(), "small.tgz")
}

// smbdChildren returns the smbd processes that serve clients of the test's daemon:
// the children of the one whose pid file the script wrote.
func smbdChildren(t *testing.T, v map[string]string) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(v["GARDIEN_IT_SMB_CONF"]), "run", "smbd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	parent := strings.TrimSpace(string(b))
	var pids []int
	for _, l := range smbstatus(t, v, "--processes") {
		f := strings.Fields(l)
		if len(f) > 1 && f[1] == v["GARDIEN_IT_SMB_USER"] {
			pid, err := strconv.Atoi(f[0])
			if err != nil {
				continue
			}
			stat, err := os.ReadFile("/proc/" + f[0] + "/stat")
			// The process serves our daemon's clients: its parent is the daemon.
			if err == nil && strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))[1] == parent {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// The smbd process that serves the upload is killed in the middle of it: Put fails at
// once with a retryable error, no file has the final name, and the same destination
// logs in again for the retry.
func TestIntegrationSMBServerKilledMidUpload(t *testing.T) {
	v := sambaVars(t)
	c := sambaConfig(v, "archives", newSambaDir(t, v, "archives"))
	d := desttest.Open(t, c)
	defer d.Close()
	const size = 32 << 20
	killed := 0
	r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(3), size), 8<<20, func() {
		for _, pid := range smbdChildren(t, v) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
				killed++
			}
		}
	})
	done := make(chan error, 1)
	go func() { done <- d.Put(context.Background(), "20261122.tgz", r, size) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Put did not return within 30s of the server being killed")
	}
	if killed == 0 {
		t.Fatal("found no smbd process to kill")
	}
	if err == nil {
		t.Fatal("Put succeeded although its server was killed")
	}
	if !fault.Retryable(err) {
		t.Errorf("err = %v: a lost connection should be retryable", err)
	}
	t.Logf("killed %d smbd; err = %v; hint = %s", killed, err, fault.Hint(err))

	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatalf("List after the kill (a new session): %v", err)
	}
	for _, o := range objs {
		if o.Name == "20261122.tgz" {
			t.Fatalf("the final name exists after an interrupted upload: %+v", o)
		}
	}
	if err := d.Put(context.Background(), "20261122.tgz", io.LimitReader(desttest.NewStream(3), size), size); err != nil {
		t.Fatalf("Put after the kill: %v", err)
	}
	d2 := desttest.Open(t, c)
	defer d2.Close()
	objs, err = d2.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Name == "20261122.tgz" && o.Size == size {
			return
		}
	}
	t.Errorf("List = %v, want 20261122.tgz of %d bytes", objs, size)
}

// The session ends on the server's side (an administrator, an idle timeout, a
// restart): the next operation logs in again by itself.
func TestIntegrationSMBSessionEndedWhileIdle(t *testing.T) {
	v := sambaVars(t)
	d := desttest.Open(t, sambaConfig(v, "archives", newSambaDir(t, v, "archives")))
	defer d.Close()
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("a"), 1); err != nil {
		t.Fatal(err)
	}
	for _, pid := range smbdChildren(t, v) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(200 * time.Millisecond)
	// The first operation may find the session dead; the job retries it.
	err := fault.Retry(context.Background(), slog.New(slog.DiscardHandler), 3, "list", func(ctx context.Context) error {
		objs, err := d.List(ctx)
		if err == nil && (len(objs) != 1 || objs[0].Name != "a.tgz") {
			t.Errorf("List = %v, want a.tgz", objs)
		}
		return err
	})
	if err != nil {
		t.Fatalf("List after the session ended, with retries: %v", err)
	}
}

// runGardien runs the gardien binary and returns its exit code and output.
func runGardien(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// The whole run with the real binary, from an HTTPS source to the Samba share on
// which the share requires encryption: check, run with verify (read back over SMB),
// list, restore; then a wrong password fails the run at "destination reachable"
// without the password showing anywhere.
func TestIntegrationSMBWholeRun(t *testing.T) {
	v := sambaVars(t)
	work := t.TempDir()
	bin := filepath.Join(work, "gardien")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/gardien/gardien/cmd/gardien").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var dump bytes.Buffer
	if err := demo.WriteDump(&dump, 4<<20, 11); err != nil {
		t.Fatal(err)
	}
	src := testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump.Bytes()}))
	dir := newSambaDir(t, v, "secure")
	logPath := filepath.Join(work, "gardien.log")
	pwFile := filepath.Join(work, "smb.pass")
	config := func(password string) string {
		os.WriteFile(pwFile, []byte(password+"\n"), 0o600)
		p := filepath.Join(work, "gardien.toml")
		text := `
[log]
file = "` + logPath + `"
[state]
dir = "` + filepath.Join(work, "state") + `"
[[job]]
name = "it-smb"
  [job.source]
  url = "` + src.URLPath() + `"
  ca_file = "` + src.CAFile + `"
  expect = "dump.sql"
  [job.archive]
  staging_dir = "` + filepath.Join(work, "staging") + `"
  [[job.destination]]
  name = "samba"
  url = "smb://` + v["GARDIEN_IT_SMB_USER"] + "@" + v["GARDIEN_IT_SMB_ADDR"] + "/secure/" + dir + `"
  password_file = "` + pwFile + `"
  verify = true
  [job.retention]
  keep_days = 30
  keep_min = 1
`
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := config(v["GARDIEN_IT_SMB_PASSWORD"])
	if code, out := runGardien(t, bin, "--config", good, "check"); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	if code, out := runGardien(t, bin, "--config", good, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	ents, err := os.ReadDir(filepath.Join(v["GARDIEN_IT_SMB_ROOT"], "secure", dir))
	if err != nil || len(ents) != 1 || !strings.HasSuffix(ents[0].Name(), ".tgz") {
		t.Fatalf("the share holds %v (%v), want one archive", ents, err)
	}
	if code, out := runGardien(t, bin, "--config", good, "list", "it-smb"); code != 0 || !strings.Contains(out, ents[0].Name()) {
		t.Errorf("list: exit %d, want %s in\n%s", code, ents[0].Name(), out)
	}
	to := filepath.Join(work, "restored")
	if code, out := runGardien(t, bin, "--config", good, "restore", "it-smb", "--to", to); code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, out)
	}
	if got, err := os.ReadFile(filepath.Join(to, "dump.sql")); err != nil || !bytes.Equal(got, dump.Bytes()) {
		t.Fatalf("the restored dump differs from the source (%d bytes, %v)", len(got), err)
	}

	src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": []byte("a new dump\n")}))
	code, out := runGardien(t, bin, "--config", config("not-the-password-4242"), "run")
	if code != 1 || !strings.Contains(out, `FAILURE at "destination reachable" (samba)`) || !strings.Contains(out, "STATUS_LOGON_FAILURE") {
		t.Fatalf("run with a wrong password: exit %d\n%s", code, out)
	}
	logText, _ := os.ReadFile(logPath)
	if strings.Contains(string(logText)+out, "not-the-password-4242") || strings.Contains(string(logText)+out, v["GARDIEN_IT_SMB_PASSWORD"]) {
		t.Error("a password is in the output or the log")
	}
	t.Logf("%s", out)
}

// sambaStalls is smbd behind a freezing proxy, for the stall tests.
func sambaStalls(t *testing.T) desttest.Stalls {
	v := sambaVars(t)
	var p *desttest.Freezer // the proxy of the destination under test
	return desttest.Stalls{
		Open: func(t *testing.T, timeout time.Duration) (dest.Destination, func()) {
			p = desttest.NewFreezer(t, v["GARDIEN_IT_SMB_ADDR"])
			c := sambaConfig(v, "archives", newSambaDir(t, v, "archives"))
			c.URL = strings.Replace(c.URL, v["GARDIEN_IT_SMB_ADDR"], p.Addr(), 1)
			c.Timeout = config.Duration(timeout)
			return desttest.Open(t, c), p.Freeze
		},
		// The server still holds the cut session, and its handle on the temporary
		// file, until it sees the connection end: the next Put says so before sending
		// anything, and succeeds once the network comes back.
		AfterStall: func(t *testing.T, d dest.Destination) {
			const size = 64 << 20
			r := desttest.NewHookReader(io.LimitReader(desttest.NewStream(4), size), 0, func() {
				t.Error("Put read the archive although the temporary file is held by the cut session")
			})
			err := d.Put(context.Background(), "a.tgz", r, size)
			if err == nil || !strings.Contains(err.Error(), "STATUS_SHARING_VIOLATION") || !fault.Retryable(err) || !strings.Contains(fault.Hint(err), "earlier connection") {
				t.Fatalf("Put while the cut session holds the temporary file: err = %v (hint %q), want a retryable sharing violation", err, fault.Hint(err))
			}
			t.Logf("err = %v; hint = %s", err, fault.Hint(err))

			// The network comes back: the server sees the old connection end, closes
			// its session, and the job's retry succeeds.
			p.Cut()
			err = fault.Retry(context.Background(), slog.New(slog.DiscardHandler), 3, "put", func(ctx context.Context) error {
				return d.Put(ctx, "a.tgz", strings.NewReader("retry"), 5)
			})
			if err != nil {
				t.Fatalf("Put after the stall: %v", err)
			}
		},
	}
}

func TestIntegrationSMBStallMidUpload(t *testing.T) {
	desttest.StallMidUpload(t, sambaStalls(t))
}

func TestIntegrationSMBCancelWhileStalled(t *testing.T) {
	desttest.CancelWhileStalled(t, sambaStalls(t))
}

func TestIntegrationSMBStallMidRead(t *testing.T) {
	desttest.StallMidRead(t, sambaStalls(t))
}

// Samba replaces a file on rename, even one that another client holds open (each
// client has its own smbd process, and the rename is a POSIX one), and one marked
// read-only. It refuses when the same client holds the file open (as Windows does
// for any client): STATUS_ACCESS_DENIED, and the previous archive cannot be moved
// aside either (STATUS_SHARING_VIOLATION). Put then fails, worth retrying, with the
// previous archive intact and neither the temporary file nor an aside copy left.
// Once the file is closed, the same Put replaces it.
func TestIntegrationSMBReplaceRefused(t *testing.T) {
	v := sambaVars(t)
	dir := newSambaDir(t, v, "archives")
	disk := filepath.Join(v["GARDIEN_IT_SMB_ROOT"], "archives", dir)
	d := desttest.Open(t, sambaConfig(v, "archives", dir))
	defer d.Close()
	ctx := context.Background()
	files := func() map[string]string {
		t.Helper()
		ents, err := os.ReadDir(disk)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(disk, e.Name()))
			got[e.Name()] = string(b)
		}
		return got
	}
	const prev = "the previous archive"
	if err := d.Put(ctx, "a.tgz", strings.NewReader(prev), int64(len(prev))); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Open(ctx, "a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	err = d.Put(ctx, "a.tgz", strings.NewReader("new"), 3)
	rc.Close()
	if err == nil {
		t.Fatal("Put over a file held open by the same client succeeded; Samba refused it when this test was written")
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	if want := "rename //127.0.0.1/archives/" + dir + "/.a.tgz.part to //127.0.0.1/archives/" + dir + "/a.tgz"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to name the paths: %q", err, want)
	}
	if !strings.Contains(err.Error(), "STATUS_SHARING_VIOLATION") || !fault.Retryable(err) {
		t.Errorf("err = %v, want a retryable STATUS_SHARING_VIOLATION", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "holds that file open") {
		t.Errorf("hint = %q, want it to say that the file is held open", h)
	}
	if got, want := files(), map[string]string{"a.tgz": prev}; !maps.Equal(got, want) {
		t.Errorf("after the refused replacement, the directory holds %q, want %q", got, want)
	}
	if err := d.Put(ctx, "a.tgz", strings.NewReader("new"), 3); err != nil {
		t.Fatalf("Put once the file is closed: %v", err)
	}
	if got, want := files(), map[string]string{"a.tgz": "new"}; !maps.Equal(got, want) {
		t.Errorf("after the replacement, the directory holds %q, want %q", got, want)
	}
}
