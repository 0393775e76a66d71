package dest

import (
	"context"
	"log/slog"
	"os"
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
	// This server's rename replaces files. It refuses to replace a directory: an
	// empty one named like the archive makes the first rename fail, as a server
	// without posix-rename would, and takes the way through "aside".
	if err := os.Mkdir(filepath.Join(root, "b.tgz"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The replacement fails (no temporary file): what was there is put back.
	err = replaceByRename(discard, sftpFiles{c}, filepath.Join(root, ".b.tgz.part"), filepath.Join(root, "b.tgz"))
	if err == nil {
		t.Fatal("renaming a missing file succeeded")
	}
	if st, err := os.Stat(filepath.Join(root, "b.tgz")); err != nil || !st.IsDir() {
		t.Errorf("after a failed replacement, b.tgz was not put back: %v", err)
	}
	// The replacement works: the previous one is moved aside, then removed.
	write(".b.tgz.part", "new b")
	if err := replaceByRename(discard, sftpFiles{c}, filepath.Join(root, ".b.tgz.part"), filepath.Join(root, "b.tgz")); err != nil {
		t.Fatal(err)
	}
	if got := read("b.tgz"); got != "new b" {
		t.Errorf("b.tgz = %q, want the new content", got)
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".old") || strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
