package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Decompress detects gzip or zstd from the first bytes of r and returns the tar stream.
func Decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(4)
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not a gzip or zstd archive: only %d bytes", len(head))
	}
	if err != nil {
		return nil, fmt.Errorf("read archive header: %w", err)
	}
	switch {
	case head[0] == 0x1f && head[1] == 0x8b:
		return pgzip.NewReader(br)
	case bytes.Equal(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return nil, errors.New("not a gzip or zstd archive")
}

// ChecksumError is a file whose content differs from the manifest.
type ChecksumError struct {
	Name, Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: sha256 %s, the manifest says %s", e.Name, e.Got, e.Want)
}

// MismatchError is an archive whose content differs from its MANIFEST: a file
// missing, or a link pointing elsewhere (a *ChecksumError is the other case).
type MismatchError struct{ Msg string }

func (e *MismatchError) Error() string { return e.Msg }

// Extract unpacks the archive read from r into dir and checks every file against the
// MANIFEST. It refuses entries that would land outside dir (absolute paths, "..")
// and anything but regular files, directories and symbolic links; a link is
// restored as a link, and nothing is ever written through one (dir is opened as an
// os.Root). Files are given the permission bits and modification time of their tar
// header (setuid and setgid are dropped; owners are not restored).
//
// Files wait under temporary names, and links are not made, until every entry
// matched the MANIFEST (which comes last in the archive): a damaged or altered
// archive leaves no file under a final name, and nothing that was in dir is replaced
// by it. It returns the manifest.
func Extract(r io.Reader, dir string) (man *Manifest, err error) {
	tr0, err := Decompress(r)
	if err != nil {
		return nil, err
	}
	defer tr0.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	tr := tar.NewReader(tr0)
	got := map[string]FileSum{}
	links := map[string]string{} // made once the MANIFEST checked out
	var linkNames []string       // in archive order
	var staged []string          // files written at tempName(name) so far
	defer func() {
		if err != nil {
			for _, n := range staged {
				root.Remove(tempName(n))
			}
		}
	}()
	var dirs []*tar.Header
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		name, err := safeName(hdr.Name)
		if err != nil {
			return nil, err
		}
		if l, ok := throughLink(links, filepath.ToSlash(name)); ok {
			return nil, fmt.Errorf("archive entry %q goes through the symbolic link %q: refused, it could escape the target directory", hdr.Name, l)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o700); err != nil {
				return nil, err
			}
			h := *hdr
			h.Name = name
			dirs = append(dirs, &h)
			continue
		case tar.TypeSymlink:
			if hdr.Linkname == "" {
				return nil, fmt.Errorf("archive entry %q: a symbolic link without target", hdr.Name)
			}
			if _, dup := links[filepath.ToSlash(name)]; dup {
				return nil, fmt.Errorf("archive entry %q appears twice: refused", hdr.Name)
			}
			if st, err := root.Lstat(name); err == nil && st.IsDir() {
				return nil, fmt.Errorf("archive entry %q: a symbolic link where the archive has a directory: refused, it could escape the target directory", hdr.Name)
			}
			links[filepath.ToSlash(name)] = hdr.Linkname
			linkNames = append(linkNames, name)
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("archive entry %q: type %q refused (only files, directories and symbolic links are restored)", hdr.Name, hdr.Typeflag)
		}
		if name == ManifestName {
			if man, err = ParseManifest(io.LimitReader(tr, 1<<20)); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := got[filepath.ToSlash(name)]; dup {
			return nil, fmt.Errorf("archive entry %q appears twice: refused", hdr.Name)
		}
		fs, err := extractFile(root, name, tr)
		if err != nil {
			return nil, err
		}
		staged = append(staged, name)
		if err := setMeta(root, tempName(name), hdr); err != nil {
			return nil, err
		}
		got[filepath.ToSlash(name)] = fs
	}
	if man == nil {
		return nil, errors.New("the archive has no MANIFEST: it was not made by gardien, or it is truncated")
	}
	for _, f := range man.Files {
		g, ok := got[path.Clean(f.Name)]
		if !ok {
			return man, &MismatchError{fmt.Sprintf("%s is listed in the MANIFEST but missing from the archive", f.Name)}
		}
		if g.SHA256 != f.SHA256 || g.Size != f.Size {
			return man, &ChecksumError{Name: f.Name, Want: f.SHA256, Got: g.SHA256}
		}
	}
	for _, l := range man.Links {
		target, ok := links[path.Clean(l.Name)]
		if !ok {
			return man, &MismatchError{fmt.Sprintf("link %s is listed in the MANIFEST but missing from the archive", l.Name)}
		}
		if target != l.Target {
			return man, &MismatchError{fmt.Sprintf("link %s points to %q, the MANIFEST says %q", l.Name, target, l.Target)}
		}
	}
	// Nothing may be in the archive that its MANIFEST does not vouch for.
	listed := make(map[string]bool, len(man.Files)+len(man.Links))
	for _, f := range man.Files {
		listed[path.Clean(f.Name)] = true
	}
	for _, l := range man.Links {
		listed[path.Clean(l.Name)] = true
	}
	for _, n := range append(append([]string(nil), staged...), linkNames...) {
		if !listed[filepath.ToSlash(n)] {
			return man, &MismatchError{fmt.Sprintf("%s is in the archive but not in its MANIFEST: the archive was altered", filepath.ToSlash(n))}
		}
	}
	for len(staged) > 0 {
		n := staged[0]
		if err := root.Rename(tempName(n), n); err != nil {
			return man, fmt.Errorf("extract %s: %w", n, err)
		}
		staged = staged[1:]
	}
	for _, n := range linkNames {
		if err := extractLink(root, n, links[filepath.ToSlash(n)]); err != nil {
			return man, err
		}
	}
	// Directories get their mode and time last, deepest first: writing their
	// files changed their time, and a read-only mode would have refused the files.
	sort.SliceStable(dirs, func(a, b int) bool { return len(dirs[a].Name) > len(dirs[b].Name) })
	for _, h := range dirs {
		if err := setMeta(root, h.Name, h); err != nil {
			return man, err
		}
	}
	return man, nil
}

// throughLink returns the link of links that p would be written through.
func throughLink(links map[string]string, p string) (string, bool) {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := links[d]; ok {
			return d, true
		}
	}
	return "", false
}

// tempName is where an extracted file waits for the MANIFEST check.
func tempName(name string) string {
	return filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".part")
}

// extractLink creates the symbolic link name → target, replacing a file or a link of
// that name. The target is stored as is: os.Root never follows it out of the
// directory when later entries are written.
func extractLink(root *os.Root, name, target string) error {
	if target == "" {
		return fmt.Errorf("archive entry %q: a symbolic link without target", name)
	}
	if d := filepath.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if st, err := root.Lstat(name); err == nil && !st.IsDir() {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	if err := root.Symlink(target, name); err != nil {
		return fmt.Errorf("extract link %s: %w", name, err)
	}
	return nil
}

// setMeta gives name the permission bits (without setuid and setgid) and the
// modification time of hdr.
func setMeta(root *os.Root, name string, hdr *tar.Header) error {
	mode := fs.FileMode(hdr.Mode).Perm()
	if hdr.Mode&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	if err := root.Chmod(name, mode); err != nil {
		return fmt.Errorf("restore the mode of %s: %w", name, err)
	}
	if !hdr.ModTime.IsZero() {
		if err := root.Chtimes(name, hdr.ModTime, hdr.ModTime); err != nil {
			return fmt.Errorf("restore the time of %s: %w", name, err)
		}
	}
	return nil
}

func extractFile(root *os.Root, name string, r io.Reader) (FileSum, error) {
	if d := filepath.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o700); err != nil {
			return FileSum{}, err
		}
	}
	tmp := tempName(name)
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return FileSum{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(tmp)
		return FileSum{}, fmt.Errorf("extract %s: %w", name, err)
	}
	return FileSum{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// safeName cleans an entry name and refuses one that leaves the target directory.
func safeName(n string) (string, error) {
	c := filepath.Clean(filepath.FromSlash(n))
	if filepath.IsAbs(c) || c == ".." || strings.HasPrefix(c, ".."+string(filepath.Separator)) || c == "." {
		return "", fmt.Errorf("archive entry %q would be written outside the target directory: refused", n)
	}
	return c, nil
}
