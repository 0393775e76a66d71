package dest_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/fault"
)

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

func TestFile(t *testing.T) {
	desttest.Run(t, func(t *testing.T) dest.Destination {
		// A directory that does not exist yet: opening creates it.
		dir := filepath.Join(t.TempDir(), "archives")
		d, err := dest.Open(context.Background(), dest.Config{Name: "disk", URL: fileURL(dir)}, dest.Env{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return d
	})
}

func TestFileCheck(t *testing.T) {
	for _, tc := range []struct {
		url     string
		wantErr string // "" for valid
	}{
		{"file:///mnt/nfs/archives", ""},
		{"file:///srv/archives%20gardien", ""},
		{"file://mnt/archives", "a file url has no host"},
		{"file:archives", "must be absolute"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := dest.Check(dest.Config{URL: tc.url})
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("Check: %v, want nil", err)
				}
				return
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Key != "url" || !strings.Contains(fe.Msg, tc.wantErr) || fe.Fix == "" {
				t.Errorf("Check = %#v, want a FieldError on url saying %q, with a fix", err, tc.wantErr)
			}
		})
	}
}

func TestFileNotADirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "archives")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := dest.Open(context.Background(), dest.Config{URL: fileURL(p)}, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Open on a regular file: err = %v, want 'not a directory'", err)
	}
}

func TestFileCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archives")
	d, err := dest.Open(context.Background(), dest.Config{URL: fileURL(dir)}, dest.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o007 != 0 {
		t.Errorf("created directory has mode %v, want no access for others", st.Mode().Perm())
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		n := min(len(p), r.n)
		r.n -= n
		return n, nil
	}
	return 0, errors.New("disk read error")
}

func TestFileReaderErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	d, err := dest.Open(context.Background(), dest.Config{URL: fileURL(dir)}, dest.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.Put(context.Background(), "a.tgz", &failingReader{n: 100000}, 200000)
	if err == nil || !strings.Contains(err.Error(), "disk read error") {
		t.Fatalf("Put = %v, want the reader's error", err)
	}
	for _, n := range []string{"a.tgz", namefmt.TempName("a.tgz")} {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a failed Put", n)
		}
	}
}

func TestFileListSkipsDirectories(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	os.Symlink("/etc/hostname", filepath.Join(dir, "link"))
	os.WriteFile(filepath.Join(dir, "a.tgz"), []byte("abc"), 0o600)
	d, err := dest.Open(context.Background(), dest.Config{URL: fileURL(dir)}, dest.Env{})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != "a.tgz" || objs[0].Size != 3 {
		t.Errorf("List = %v, want only a.tgz of 3 bytes", objs)
	}
	rc, err := d.Open(context.Background(), "a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "abc" {
		t.Errorf("Open = %q", b)
	}
}

// sameFS reports whether a and b are on the same file system.
func sameFS(t *testing.T, a, b string) bool {
	t.Helper()
	var sa, sb syscall.Stat_t
	if err := syscall.Stat(a, &sa); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(b, &sb); err != nil {
		t.Fatal(err)
	}
	return sa.Dev == sb.Dev
}

// require_mount refuses a directory on the root file system, the one a share that is
// not mounted leaves behind, and creates nothing there.
func TestFileRequireMountRefusesRootFS(t *testing.T) {
	tmp := t.TempDir()
	if !sameFS(t, tmp, "/") {
		t.Skipf("%s is not on the root file system here", tmp)
	}
	dir := filepath.Join(tmp, "mnt", "nas", "archives")
	_, err := dest.Open(context.Background(), dest.Config{URL: fileURL(dir), RequireMount: true}, dest.Env{})
	if err == nil {
		t.Fatal("Open with require_mount on the root file system succeeded")
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "root file system") {
		t.Errorf("err = %v, want the directory and 'root file system'", err)
	}
	if h := fault.Hint(err); !strings.Contains(h, "the share is not mounted: mount it (mount -a, check /etc/fstab)") {
		t.Errorf("hint = %q", h)
	}
	if fault.Retryable(err) {
		t.Errorf("retryable: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "mnt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused destination created %s", filepath.Join(tmp, "mnt"))
	}
	// Without require_mount, a directory whose parent exists is fine.
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := dest.Open(context.Background(), dest.Config{URL: fileURL(dir)}, dest.Env{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
}

// require_mount accepts a directory on another file system: /dev/shm is a tmpfs
// mount on Linux.
func TestFileRequireMountAcceptsMount(t *testing.T) {
	const shm = "/dev/shm"
	if _, err := os.Stat(shm); err != nil || sameFS(t, shm, "/") {
		t.Skipf("%s is not a mounted file system here", shm)
	}
	base, err := os.MkdirTemp(shm, "gardien-test-")
	if err != nil {
		t.Skipf("cannot write in %s: %v", shm, err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "archives") // not created yet: its parent tells
	d, err := dest.Open(context.Background(), dest.Config{URL: fileURL(dir), RequireMount: true}, dest.Env{})
	if err != nil {
		t.Fatalf("Open with require_mount on %s: %v", shm, err)
	}
	defer d.Close()
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("abc"), 3); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a.tgz")); err != nil || string(b) != "abc" {
		t.Errorf("a.tgz = %q, %v", b, err)
	}
}

// A destination whose parent directory is missing is refused, not created: it is more
// often an unmounted share than a path to make.
func TestFileMissingParentNotCreated(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "mnt", "nfs", "archives")
	_, err := dest.Open(context.Background(), dest.Config{Name: "nfs", URL: fileURL(dir)}, dest.Env{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(fault.Hint(err), "mount -a") || fault.Retryable(err) {
		t.Fatalf("Open = %v (hint %q), want a permanent error with a hint about mounting", err, fault.Hint(err))
	}
	if _, err := os.Stat(filepath.Join(tmp, "mnt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening created %s", filepath.Join(tmp, "mnt"))
	}
}
