package dest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/sftpd"
)

// On servers without posix-rename, the previous archive of the same name is moved
// aside, replaced, and put back if the replacement fails: it is never lost.
func TestReplaceByRename(t *testing.T) {
	root := t.TempDir()
	srv, err := sftpd.Start(sftpd.Options{Root: root, User: "backup", Password: "pw-for-rename"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := srv.WriteKnownHosts(kh); err != nil {
		t.Fatal(err)
	}
	d, err := Open(context.Background(), config.Destination{Name: "nas", URL: srv.URL(root), Password: "pw-for-rename", KnownHosts: kh, Timeout: config.Duration(10 * time.Second)}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ss, err := d.(*SFTP).session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := ss.sftp
	discard := slog.New(slog.DiscardHandler)
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(root, name))
		return string(b)
	}

	// No file of that name yet.
	write(".a.tgz.part", "new a")
	if err := replaceByRename(discard, sftpFiles{c}, filepath.Join(root, ".a.tgz.part"), filepath.Join(root, "a.tgz")); err != nil {
		t.Fatal(err)
	}
	// A file to replace.
	write(".a.tgz.part", "newer a")
	if err := replaceByRename(discard, sftpFiles{c}, filepath.Join(root, ".a.tgz.part"), filepath.Join(root, "a.tgz")); err != nil {
		t.Fatal(err)
	}
	if got := read("a.tgz"); got != "newer a" {
		t.Errorf("a.tgz = %q, want the new content", got)
	}
	// A directory in the way is not a previous archive: it is not moved, and the
	// rename's own error is returned.
	if err := os.Mkdir(filepath.Join(root, "b.tgz"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(".b.tgz.part", "new b")
	if err := replaceByRename(discard, sftpFiles{c}, filepath.Join(root, ".b.tgz.part"), filepath.Join(root, "b.tgz")); err == nil {
		t.Error("renaming a file over a directory succeeded")
	}
	if st, err := os.Stat(filepath.Join(root, "b.tgz")); err != nil || !st.IsDir() {
		t.Errorf("the directory b.tgz was moved: %v", err)
	}
	os.Remove(filepath.Join(root, ".b.tgz.part"))
	// This server's rename replaces files; noReplace refuses to, as an SFTP version 3
	// server without posix-rename does, and makes the rename go through "aside".
	nr := noReplace{sftpFiles: sftpFiles{c}}
	write("c.tgz", "old c")
	// Nothing to rename: the previous file is not even moved aside.
	var renames []string
	spy := noReplace{sftpFiles: sftpFiles{c}, refuse: func(from, to string) bool {
		renames = append(renames, path.Base(from)+" to "+path.Base(to))
		return false
	}}
	err = replaceByRename(discard, spy, filepath.Join(root, ".c.tgz.part"), filepath.Join(root, "c.tgz"))
	if err == nil || len(renames) != 1 || strings.Contains(err.Error(), "previous") {
		t.Errorf("renaming a missing file: err = %v after renames %q, want the rename's own error, and no other rename", err, renames)
	}
	if got := read("c.tgz"); got != "old c" {
		t.Errorf("after renaming a missing file, c.tgz = %q, want the previous content", got)
	}
	// The replacement fails once the previous file is aside: it is put back.
	write(".c.tgz.part", "new c")
	refusing := noReplace{sftpFiles: sftpFiles{c}, refuse: func(from, _ string) bool { return strings.HasSuffix(from, ".part") }}
	err = replaceByRename(discard, refusing, filepath.Join(root, ".c.tgz.part"), filepath.Join(root, "c.tgz"))
	if err == nil || !strings.Contains(err.Error(), "the previous c.tgz is unchanged") {
		t.Errorf("a refused replacement: err = %v, want the previous c.tgz unchanged", err)
	}
	if got := read("c.tgz"); got != "old c" {
		t.Errorf("after a failed replacement, c.tgz = %q, want the previous content", got)
	}
	// The replacement works: the previous file is moved aside, then removed.
	write(".c.tgz.part", "new c")
	if err := replaceByRename(discard, nr, filepath.Join(root, ".c.tgz.part"), filepath.Join(root, "c.tgz")); err != nil {
		t.Fatal(err)
	}
	if got := read("c.tgz"); got != "new c" {
		t.Errorf("c.tgz = %q, want the new content", got)
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".old") || strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// noReplace is an SFTP client whose rename refuses to replace a file, as the SFTP
// version 3 rename does, and refuses the renames that refuse (when set) reports.
type noReplace struct {
	sftpFiles
	refuse func(from, to string) bool
}

func (n noReplace) rename(from, to string) error {
	if n.refuse != nil && n.refuse(from, to) {
		return fmt.Errorf("rename %s: refused by the test", from)
	}
	if n.exists(to) {
		return fmt.Errorf("rename %s: %w", to, os.ErrExist)
	}
	return n.sftpFiles.rename(from, to)
}
