package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var created = time.Date(2026, 11, 22, 2, 0, 4, 0, time.UTC)

func build(t *testing.T, compression string, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, compression, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dump.sql", "media/logo é.png"} {
		data, ok := files[name]
		if !ok {
			continue
		}
		sum, err := w.Add(name, int64(len(data)), created, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		if sum.SHA256 != hex.EncodeToString(h[:]) || sum.Size != int64(len(data)) {
			t.Errorf("sum = %+v", sum)
		}
	}
	if err := w.Close(&Manifest{Gardien: "test", Job: "db", Run: "ab12", Host: "h", Source: "https-zip https://x/dump.zip", Created: created}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	files := map[string][]byte{
		"dump.sql":         bytes.Repeat([]byte("COPY public.t (a) FROM stdin;\n1\n\\.\n"), 50000),
		"media/logo é.png": {0x89, 'P', 'N', 'G'},
	}
	for _, comp := range []string{"gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Extract(bytes.NewReader(build(t, comp, files)), dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Job != "db" || m.Run != "ab12" || m.Source != "https-zip https://x/dump.zip" || !m.Created.Equal(created) || len(m.Files) != 2 {
				t.Errorf("manifest = %+v", m)
			}
			for name, want := range files {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes, %v", name, len(got), err)
				}
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// The archive is a standard .tgz: the system's tar opens it.
func TestSystemTarReadsIt(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar on this machine")
	}
	dump := bytes.Repeat([]byte("2026\tx\n"), 100000)
	dir := t.TempDir()
	tgz := filepath.Join(dir, "20261122.tgz")
	if err := os.WriteFile(tgz, build(t, "gzip", map[string][]byte{"dump.sql": dump}), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o700)
	if b, err := exec.Command("tar", "xzf", tgz, "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar xzf: %v: %s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "dump.sql"))
	if err != nil || !bytes.Equal(got, dump) {
		t.Fatalf("dump.sql extracted by tar differs (%d bytes, %v)", len(got), err)
	}
	man, err := os.ReadFile(filepath.Join(out, "MANIFEST"))
	h := sha256.Sum256(dump)
	if err != nil || !strings.Contains(string(man), hex.EncodeToString(h[:])+"  700000  dump.sql") {
		t.Errorf("MANIFEST = %q, %v", man, err)
	}
}

func TestAddSourceErrors(t *testing.T) {
	scenarios := []struct {
		name string
		r    io.Reader
		size int64
		want string
	}{
		{"shorter than announced", strings.NewReader("abc"), 10, "got 3 bytes of 10"},
		{"longer than announced", strings.NewReader("abcdef"), 3, "longer than the 3 bytes"},
		{"read error", io.MultiReader(strings.NewReader("ab"), errReader{errors.New("zip: checksum error")}), 10, "checksum error"},
		{"error after the last byte", io.MultiReader(strings.NewReader("abc"), errReader{errors.New("zip: checksum error")}), 3, "checksum error"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, "gzip", 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.Add("dump.sql", sc.size, created, sc.r)
			var se *SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), sc.want) {
				t.Errorf("err = %v, want a SourceError with %q", err, sc.want)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// rawTgz builds a .tgz by hand, for archives gardien would never write.
func rawTgz(t *testing.T, entries []tar.Header, bodies []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i, h := range entries {
		h.Size = int64(len(bodies[i]))
		if h.Typeflag == tar.TypeSymlink {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, bodies[i])
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestExtractRefuses(t *testing.T) {
	manifest := "format: 1\nfiles:\n" + strings.Repeat("0", 64) + "  1  dump.sql\n"
	scenarios := []struct {
		name    string
		entries []tar.Header
		bodies  []string
		want    string
	}{
		{"parent path", []tar.Header{{Name: "../../etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644}}, []string{"root:x:0:0"}, "outside the target directory"},
		{"absolute path", []tar.Header{{Name: "/etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644}}, []string{"x"}, "outside the target directory"},
		{"hard link", []tar.Header{{Name: "dump.sql", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}}, []string{""}, "refused"},
		{"device", []tar.Header{{Name: "sda", Typeflag: tar.TypeBlock, Devmajor: 8}}, []string{""}, "refused"},
		{"write through a symlink", []tar.Header{{Name: "etc", Typeflag: tar.TypeSymlink, Linkname: ".."}, {Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644}}, []string{"", "root:x:0:0"}, "through the symbolic link"},
		{"directory through a symlink", []tar.Header{{Name: "etc", Typeflag: tar.TypeSymlink, Linkname: "/"}, {Name: "etc/x/", Typeflag: tar.TypeDir, Mode: 0o755}}, []string{"", ""}, "through the symbolic link"},
		{"link over a directory", []tar.Header{{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, {Name: "etc", Typeflag: tar.TypeSymlink, Linkname: "/"}}, []string{"", ""}, "where the archive has a directory"},
		{"no manifest", []tar.Header{{Name: "dump.sql", Typeflag: tar.TypeReg, Mode: 0o644}}, []string{"x"}, "no MANIFEST"},
		{"checksum mismatch", []tar.Header{{Name: "dump.sql", Typeflag: tar.TypeReg, Mode: 0o644}, {Name: "MANIFEST", Typeflag: tar.TypeReg}}, []string{"x", manifest}, "the manifest says"},
		{"file missing", []tar.Header{{Name: "MANIFEST", Typeflag: tar.TypeReg}}, []string{manifest}, "missing from the archive"},
		{"file not in the manifest", []tar.Header{{Name: "dump.sql", Typeflag: tar.TypeReg}, {Name: "extra.sql", Typeflag: tar.TypeReg}, {Name: "MANIFEST", Typeflag: tar.TypeReg}},
			[]string{"x", "y", "format: 1\nfiles:\n" + hex.EncodeToString(sha256sum("x")) + "  1  dump.sql\n"}, "not in its MANIFEST"},
		{"file twice", []tar.Header{{Name: "dump.sql", Typeflag: tar.TypeReg}, {Name: "./dump.sql", Typeflag: tar.TypeReg}}, []string{"x", "y"}, "appears twice"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "restore")
			_, err := Extract(bytes.NewReader(rawTgz(t, sc.entries, sc.bodies)), dir)
			if err == nil || !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("err = %v, want %q", err, sc.want)
			}
			for _, p := range []string{"etc", "passwd", "x", ".passwd.part"} {
				if _, err := os.Lstat(filepath.Join(parent, p)); err == nil {
					t.Errorf("%s was written outside the target directory", p)
				}
			}
			// A refused archive leaves no file behind, not even under a temporary name
			// (the directories it made may stay, empty).
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Errorf("a refused archive left %s", p)
				}
				return nil
			})
		})
	}
}

func sha256sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// A damaged archive does not replace a file already restored under that name.
func TestExtractKeepsExistingOnMismatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.sql"), []byte("yesterday's restore"), 0o600); err != nil {
		t.Fatal(err)
	}
	manifest := "format: 1\nfiles:\n" + strings.Repeat("0", 64) + "  1  dump.sql\n"
	_, err := Extract(bytes.NewReader(rawTgz(t, []tar.Header{{Name: "dump.sql", Typeflag: tar.TypeReg}, {Name: "MANIFEST", Typeflag: tar.TypeReg}}, []string{"x", manifest})), dir)
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ChecksumError", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "dump.sql")); string(got) != "yesterday's restore" {
		t.Errorf("dump.sql = %q: the damaged archive replaced it", got)
	}
}

func TestExtractNotAnArchive(t *testing.T) {
	_, err := Extract(strings.NewReader("<html>not found</html>"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not a gzip or zstd archive") {
		t.Errorf("err = %v", err)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{Gardien: "1.0", Job: "db", Run: "ab12", Host: "srv", Source: "https-zip https://x", Created: created,
		Files: []FileSum{{Name: "dump with spaces.sql", Size: 42, SHA256: strings.Repeat("ab", 32)}}}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Files[0] != m.Files[0] || got.Job != "db" || !got.Created.Equal(created) {
		t.Errorf("got %+v", got)
	}
}

// A folder keeps its tree: modes, times, empty directories, symbolic links (stored as
// links, listed in the MANIFEST with their targets) and unicode names.
func TestEntriesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "gzip", 0)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)
	add := func(e Entry, body string) {
		t.Helper()
		var r io.Reader
		if e.Mode.IsRegular() {
			r, e.Size = strings.NewReader(body), int64(len(body))
		}
		if _, err := w.AddEntry(e, r); err != nil {
			t.Fatal(err)
		}
	}
	add(Entry{Name: "media", Mode: fs.ModeDir | 0o750, ModTime: old}, "")
	add(Entry{Name: "media/photos été", Mode: fs.ModeDir | 0o555, ModTime: old}, "")
	add(Entry{Name: "media/photos été/plage.jpg", Mode: 0o644, ModTime: old}, "jpeg")
	add(Entry{Name: "media/run.sh", Mode: 0o755 | fs.ModeSetuid, ModTime: old}, "#!/bin/sh\n")
	add(Entry{Name: "media/latest.jpg", Mode: fs.ModeSymlink | 0o777, ModTime: old, Link: "photos été/plage.jpg"}, "")
	add(Entry{Name: "media/shared", Mode: fs.ModeSymlink | 0o777, ModTime: old, Link: "/srv/shared"}, "")
	add(Entry{Name: "media/empty", Mode: fs.ModeDir | 0o700, ModTime: old}, "")
	if err := w.Close(&Manifest{Job: "app", Created: created}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddEntry(Entry{Name: "fifo", Mode: fs.ModeNamedPipe}, nil); err == nil {
		t.Error("a named pipe was accepted")
	}

	dir := t.TempDir()
	m, err := Extract(bytes.NewReader(buf.Bytes()), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 2 || len(m.Links) != 2 || m.Links[1] != (Link{Name: "media/shared", Target: "/srv/shared"}) {
		t.Errorf("manifest files %v, links %v", m.Files, m.Links)
	}
	checks := []struct {
		name string
		mode fs.FileMode
	}{
		{"media", fs.ModeDir | 0o750},
		{"media/photos été", fs.ModeDir | 0o555},
		{"media/photos été/plage.jpg", 0o644},
		{"media/run.sh", 0o755}, // setuid dropped
		{"media/empty", fs.ModeDir | 0o700},
	}
	for _, c := range checks {
		st, err := os.Lstat(filepath.Join(dir, c.name))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if st.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.name, st.Mode(), c.mode)
		}
		if !st.ModTime().Equal(old) {
			t.Errorf("%s: time %v, want %v", c.name, st.ModTime(), old)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "media/latest.jpg")); err != nil || target != "photos été/plage.jpg" {
		t.Errorf("link = %q, %v", target, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "media/latest.jpg")); err != nil || string(got) != "jpeg" {
		t.Errorf("reading through the restored link: %q, %v", got, err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "media/shared")); err != nil || target != "/srv/shared" {
		t.Errorf("link = %q, %v", target, err)
	}

	// GNU tar reads the same tree.
	if _, err := exec.LookPath("tar"); err == nil {
		tgz := filepath.Join(t.TempDir(), "a.tgz")
		os.WriteFile(tgz, buf.Bytes(), 0o600)
		out, err := exec.Command("tar", "tzvf", tgz).CombinedOutput()
		if err != nil {
			t.Fatalf("tar tzvf: %v: %s", err, out)
		}
		for _, want := range []string{"media/latest.jpg -> photos été/plage.jpg", "drwxr-x---", "-rwsr-xr-x", "2019-03-04"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("tar tzvf lacks %q:\n%s", want, out)
			}
		}
	}
}

// A manifest altered to another link target is caught.
func TestExtractLinkMismatch(t *testing.T) {
	manifest := "format: 1\nfiles:\nlinks:\n\"a\"  l\n"
	_, err := Extract(bytes.NewReader(rawTgz(t, []tar.Header{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "b"}, {Name: "MANIFEST", Typeflag: tar.TypeReg}}, []string{"", manifest})), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `link l points to "b", the MANIFEST says "a"`) {
		t.Errorf("err = %v", err)
	}
}

func TestManifestLinks(t *testing.T) {
	m := &Manifest{Created: created, Links: []Link{{Name: "a  b", Target: "x  \"y\"\n"}}}
	var buf bytes.Buffer
	m.WriteTo(&buf)
	got, err := ParseManifest(&buf)
	if err != nil || len(got.Links) != 1 || got.Links[0] != m.Links[0] {
		t.Errorf("got %+v, %v from\n%s", got, err, buf.String())
	}
	if _, err := ParseManifest(strings.NewReader("format: 1\nfiles:\nlinks:\nnot quoted\n")); err == nil {
		t.Error("a bad links line was accepted")
	}
}
