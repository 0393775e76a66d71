package dest_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
)

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

func TestFile(t *testing.T) {
	desttest.Run(t, func(t *testing.T) dest.Destination {
		// A directory that does not exist yet: opening creates it.
		dir := filepath.Join(t.TempDir(), "mnt", "archives")
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
	dir := filepath.Join(t.TempDir(), "a", "b")
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
