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
	"os"
	"path/filepath"
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

// Extract unpacks the archive read from r into dir and checks every file against the
// MANIFEST. It refuses entries that would land outside dir (absolute paths, "..",
// links) and anything but regular files and directories. Files are written under
// temporary names and renamed only once every one of them matched the MANIFEST
// (which comes last in the archive): a damaged archive leaves no file under a final
// name, and nothing that was in dir is replaced by it. It returns the manifest.
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
	var staged []string // final names, each written at tempName(name) so far
	defer func() {
		if err != nil {
			for _, n := range staged {
				root.Remove(tempName(n))
			}
		}
	}()
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
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o700); err != nil {
				return nil, err
			}
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("archive entry %q: type %q refused (only files and directories are restored)", hdr.Name, hdr.Typeflag)
		}
		if name == ManifestName {
			if man, err = ParseManifest(io.LimitReader(tr, 1<<20)); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := got[name]; dup {
			return nil, fmt.Errorf("archive entry %q appears twice: refused", hdr.Name)
		}
		fs, err := extractFile(root, name, tr)
		if err != nil {
			return nil, err
		}
		staged = append(staged, name)
		got[name] = fs
	}
	if man == nil {
		return nil, errors.New("the archive has no MANIFEST: it was not made by gardien, or it is truncated")
	}
	listed := make(map[string]bool, len(man.Files))
	for _, f := range man.Files {
		listed[filepath.Clean(filepath.FromSlash(f.Name))] = true
		g, ok := got[filepath.Clean(filepath.FromSlash(f.Name))]
		if !ok {
			return man, fmt.Errorf("%s is listed in the MANIFEST but missing from the archive", f.Name)
		}
		if g.SHA256 != f.SHA256 || g.Size != f.Size {
			return man, &ChecksumError{Name: f.Name, Want: f.SHA256, Got: g.SHA256}
		}
	}
	for _, n := range staged {
		if !listed[n] {
			return man, fmt.Errorf("%s is in the archive but not in its MANIFEST: the archive was altered", n)
		}
	}
	for i, n := range staged {
		if err := root.Rename(tempName(n), n); err != nil {
			staged = staged[i:]
			return man, fmt.Errorf("extract %s: %w", n, err)
		}
	}
	return man, nil
}

// tempName is where an extracted file waits for the MANIFEST check.
func tempName(name string) string {
	return filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".part")
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
