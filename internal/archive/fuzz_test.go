package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds the restore path arbitrary archives: it must never panic and
// never write outside its target directory, whatever the entry names say.
func FuzzExtract(f *testing.F) {
	f.Add(build(&testing.T{}, "gzip", map[string][]byte{"dump.sql": []byte("COPY t FROM stdin;\n")}))
	f.Add(rawTgz(&testing.T{}, []tar.Header{{Name: "../../etc/passwd", Typeflag: tar.TypeReg}}, []string{"x"}))
	f.Add(rawTgz(&testing.T{}, []tar.Header{{Name: "a/../../b", Typeflag: tar.TypeReg}, {Name: "MANIFEST", Typeflag: tar.TypeReg}}, []string{"x", "format: 1\nfiles:\n"}))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "restore")
		Extract(bytes.NewReader(data), dir)
		filepath.Walk(parent, func(p string, info os.FileInfo, err error) error {
			if err == nil && p != parent && p != dir && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Fatalf("wrote %s outside %s", p, dir)
			}
			return nil
		})
	})
}
