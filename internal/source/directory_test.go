package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
)

var mtime = time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.UTC)

// mediaTree builds a Django-like media folder under a new directory and returns it.
func mediaTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "media")
	files := map[string]string{
		"avatars/léa.png":          "png",
		"avatars/日本語.jpg":          "jpg",
		"documents/rapport 1.pdf":  "pdf",
		"cache/thumb.jpg":          "thumb",
		"documents/draft.tmp":      "tmp",
		"documents/old/notes.txt":  "notes",
		"documents/cache/keep.txt": "kept: cache/ is anchored at the top",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "documents/rapport 1.pdf"), 0o600)
	os.Mkdir(filepath.Join(root, "empty"), 0o750)
	os.Symlink("avatars/léa.png", filepath.Join(root, "logo.png"))
	os.Symlink("/nonexistent/target", filepath.Join(root, "dangling"))
	syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600)
	filepath.Walk(root, func(p string, info fs.FileInfo, err error) error {
		if err == nil && info.Mode()&fs.ModeSymlink == 0 {
			os.Chtimes(p, mtime, mtime)
		}
		return nil
	})
	return root
}

func dirSource(root string, mods ...func(*config.Source)) config.Source {
	c := config.Source{Type: "directory", Name: "media", Path: root, Exclude: []string{"*.tmp", "/cache", "old/"}, Retries: 1}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// readAll reads every item as the job does, and returns the contents by name.
func readAll(t *testing.T, f *Fetched) (map[string]string, error) {
	t.Helper()
	out := map[string]string{}
	for _, it := range f.Items {
		if !it.IsFile() {
			continue
		}
		rc, err := it.Open()
		if errors.Is(err, ErrSkipped) {
			continue
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, it.Size+1))
		rc.Close()
		if err != nil {
			return out, err
		}
		if int64(len(b)) != it.Size {
			t.Errorf("%s: read %d bytes, announced %d", it.Name, len(b), it.Size)
		}
		out[it.Name] = string(b)
	}
	return out, nil
}

func TestDirectoryListing(t *testing.T) {
	root := mediaTree(t)
	r := fetch(t, dirSource(root))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if s := r.last(); s.Name != StepFolderListed || s.Status != report.OK ||
		!strings.Contains(s.Detail, "4 files, 44 B, 5 folders") || !strings.Contains(s.Detail, "2 links") || !strings.Contains(s.Detail, "3 excluded") || !strings.Contains(s.Detail, "1 sockets, pipes or devices left out") {
		t.Errorf("step = %+v", s)
	}
	byName := map[string]Item{}
	var names []string
	for _, it := range r.f.Items {
		byName[it.Name] = it
		names = append(names, it.Name)
	}
	sort.Strings(names)
	want := []string{".", "avatars", "avatars/léa.png", "avatars/日本語.jpg", "dangling", "documents", "documents/cache", "documents/cache/keep.txt", "documents/rapport 1.pdf", "empty", "logo.png"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("items:\n%q\nwant\n%q", names, want)
	}
	if it := byName["logo.png"]; it.Mode&fs.ModeSymlink == 0 || it.Link != "avatars/léa.png" || it.Open != nil {
		t.Errorf("link item = %+v", it)
	}
	if it := byName["dangling"]; it.Link != "/nonexistent/target" {
		t.Errorf("a dangling link is kept as a link: %+v", it)
	}
	if it := byName["documents/rapport 1.pdf"]; it.Mode != 0o600 || !it.ModTime.Equal(mtime) || it.Stamp == "" {
		t.Errorf("file item = %+v", it)
	}
	if it := byName["empty"]; it.Mode != fs.ModeDir|0o750 {
		t.Errorf("empty folder = %+v", it)
	}
	got, err := readAll(t, r.f)
	if err != nil {
		t.Fatal(err)
	}
	if got["avatars/日本語.jpg"] != "jpg" || len(got) != 4 {
		t.Errorf("contents = %v", got)
	}
	var steps []report.Step
	if err := r.f.Finish(func(s report.Step) { steps = append(steps, s) }); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].Name != StepFilesRead || steps[0].Status != report.OK || steps[0].Detail != "4 files, 44 B read" {
		t.Errorf("finish = %+v", steps)
	}
}

// A folder given through a link is walked; links inside it stay links.
func TestDirectoryRootIsALink(t *testing.T) {
	root := mediaTree(t)
	link := filepath.Join(t.TempDir(), "media-link")
	os.Symlink(root, link)
	r := fetch(t, dirSource(link))
	if r.err != nil || len(r.f.Items) != 11 {
		t.Fatalf("err %v, %d items", r.err, len(r.f.Items))
	}
}

func TestDirectoryMissing(t *testing.T) {
	r := fetch(t, dirSource(filepath.Join(t.TempDir(), "nope")))
	s := r.last()
	if r.err == nil || s.Name != StepFolderListed || s.Status != report.Failed || !strings.Contains(s.Hint, "is the share it lives on mounted?") {
		t.Errorf("err %v, step %+v", r.err, s)
	}
	src, _ := New(dirSource(filepath.Join(t.TempDir(), "nope")), slog.New(slog.DiscardHandler))
	if _, err := src.Check(context.Background()); err == nil || !strings.Contains(fault.Hint(err), "does not exist") {
		t.Errorf("check: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if r := fetch(t, dirSource(file)); r.err == nil || !strings.Contains(r.err.Error(), "is not a folder") {
		t.Errorf("a file as path: %v", r.err)
	}
}

// A live folder: a file that shrinks between the listing and its reading is padded
// with zeros, one that grows is cut to its listed size, one that vanishes is left
// out; all are reported as a warning, and the tar entries keep their announced sizes.
func TestDirectoryChangesWhileRead(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "shrinks"), []byte("0123456789"), 0o644)
	os.WriteFile(filepath.Join(root, "grows"), []byte("abc"), 0o644)
	os.WriteFile(filepath.Join(root, "vanishes"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "becomes-a-link"), []byte("x"), 0o644)
	r := fetch(t, dirSource(root))
	if r.err != nil {
		t.Fatal(r.err)
	}
	os.WriteFile(filepath.Join(root, "shrinks"), []byte("0123"), 0o644)
	os.WriteFile(filepath.Join(root, "grows"), []byte("abcdef"), 0o644)
	os.Remove(filepath.Join(root, "vanishes"))
	os.Remove(filepath.Join(root, "becomes-a-link"))
	os.Symlink("/etc/passwd", filepath.Join(root, "becomes-a-link"))
	got, err := readAll(t, r.f)
	if err != nil {
		t.Fatal(err)
	}
	if got["shrinks"] != "0123\x00\x00\x00\x00\x00\x00" || got["grows"] != "abc" {
		t.Errorf("contents = %q", got)
	}
	if _, ok := got["becomes-a-link"]; ok {
		t.Error("a file replaced by a link was followed")
	}
	var steps []report.Step
	r.f.Finish(func(s report.Step) { steps = append(steps, s) })
	s := steps[0]
	if s.Status != report.Warning || s.Detail != "1 file, 7 B read; 4 changed while they were read" {
		t.Fatalf("finish = %+v", s)
	}
	for _, want := range []string{"shrinks (shrank by 6 bytes", "grows (grew", "vanishes (removed or replaced", "becomes-a-link (removed or replaced"} {
		if !strings.Contains(s.Cause, want) {
			t.Errorf("cause %q lacks %q", s.Cause, want)
		}
	}
}

// Unreadable files are left out with a warning, or fail the run with strict. Root
// reads everything, so as root the test runs itself again as nobody.
func TestDirectoryUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		rerunAsNobody(t, "TestDirectoryUnreadable")
		return
	}
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644)
	os.WriteFile(filepath.Join(root, "secret.txt"), []byte("no"), 0o000)
	os.Mkdir(filepath.Join(root, "private"), 0o755)
	os.WriteFile(filepath.Join(root, "private", "x"), []byte("x"), 0o644)
	os.Chmod(filepath.Join(root, "private"), 0o000)
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "private"), 0o755) })

	t.Run("warning", func(t *testing.T) {
		r := fetch(t, dirSource(root))
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !strings.Contains(r.last().Detail, "1 unreadable") {
			t.Errorf("listing = %+v", r.last())
		}
		got, err := readAll(t, r.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got["ok.txt"] != "ok" {
			t.Errorf("read %v", got)
		}
		var steps []report.Step
		r.f.Finish(func(s report.Step) { steps = append(steps, s) })
		s := steps[0]
		if s.Status != report.Warning || !strings.Contains(s.Cause, "secret.txt (permission denied)") || !strings.Contains(s.Cause, "private/ (permission denied)") ||
			!strings.Contains(s.Hint, "strict = true") {
			t.Errorf("finish = %+v", s)
		}
	})
	t.Run("strict", func(t *testing.T) {
		r := fetch(t, dirSource(root, func(c *config.Source) { c.Strict = true }))
		if r.err == nil || r.last().Status != report.Failed || !strings.Contains(r.err.Error(), "private: permission denied") {
			t.Fatalf("err %v, step %+v", r.err, r.last())
		}
		os.Chmod(filepath.Join(root, "private"), 0o755)
		r = fetch(t, dirSource(root, func(c *config.Source) { c.Strict = true }))
		if r.err != nil {
			t.Fatal(r.err)
		}
		_, err := readAll(t, r.f)
		if err == nil || err.Error() != "permission denied" || errors.Is(err, ErrSkipped) || !strings.Contains(fault.Hint(err), "read access") {
			t.Errorf("err = %v", err)
		}
	})
}

// rerunAsNobody runs the test named in a copy of the test binary as the user nobody,
// and fails when it fails there.
func rerunAsNobody(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("GARDIEN_TEST_AS_NOBODY") == "1" {
		t.Fatal("still root")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "gardien-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "source.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), "GARDIEN_TEST_AS_NOBODY=1", "TMPDIR="+dir, "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "--- PASS: "+name) {
		t.Fatalf("as nobody, the test did not pass:\n%s", out.String())
	}
}
