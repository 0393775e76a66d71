// Package archive writes and reads gardien's archives: a standard tar, compressed with
// gzip (a .tgz that `tar xzf` opens) or zstd, holding the archived files and a MANIFEST
// with the SHA-256 of each. Everything streams: a dump is never held in memory.
package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Writer streams files into a compressed tar.
type Writer struct {
	out   io.Writer // where the compressed archive goes
	comp  io.WriteCloser
	tw    *tar.Writer
	under target // what tw writes to: comp, or nothing while AddDeflated copies a stream
	files []FileSum
	links []Link
	// gzip: the level of the members this writer compresses itself, 0 with zstd.
	gzipLevel int
	// err is the first error that left the archive unusable: every later call
	// returns it, so that a caller that goes on cannot close a corrupt archive
	// as a good one.
	err error
}

// target is a writer whose destination changes.
type target struct{ w io.Writer }

func (t *target) Write(p []byte) (int, error) { return t.w.Write(p) }

// DefaultGzipLevel is the gzip level when none is configured: the fastest of
// klauspost/compress whose archives of SQL dumps are no larger than `gzip -6`'s
// (its levels trade size for speed differently from zlib's: its default, 5, is about
// 12 % larger than gzip -6 on a plain-SQL dump, its level 8 about 0.4 % smaller; see
// BenchmarkWriter and docs/benchmarks.md).
const DefaultGzipLevel = 8

// gzipBlockSize is the size of the blocks that pgzip compresses in parallel, two per
// core. Each block in flight holds about three buffers of this size (its input, its
// output, the tail the next block uses as dictionary) and a compressor (about 1 MB
// at level 8): 512 KB keeps that near 5 MB per core, where 1 MB doubled the buffers
// for no measurable speed (BenchmarkWriter) and 0.04 % of archive size.
const gzipBlockSize = 512 << 10

// NewWriter returns a writer of a compressed tar to w. compression is "gzip" or
// "zstd"; level 0 is DefaultGzipLevel for gzip, the encoder's default for zstd. gzip
// is compressed in parallel blocks on every core and stays a standard gzip stream.
func NewWriter(w io.Writer, compression string, level int) (*Writer, error) {
	var comp io.WriteCloser
	switch compression {
	case "gzip", "":
		if level == 0 {
			level = DefaultGzipLevel
		}
		gz, err := newGzip(w, level)
		if err != nil {
			return nil, err
		}
		aw := &Writer{out: w, comp: gz, gzipLevel: level}
		aw.under.w = gz
		aw.tw = tar.NewWriter(&aw.under)
		return aw, nil
	case "zstd":
		opts := []zstd.EOption{zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0))}
		if level > 0 {
			opts = append(opts, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)))
		}
		zw, err := zstd.NewWriter(w, opts...)
		if err != nil {
			return nil, err
		}
		comp = zw
	default:
		return nil, fmt.Errorf("unknown compression %q", compression)
	}
	aw := &Writer{out: w, comp: comp}
	aw.under.w = comp
	aw.tw = tar.NewWriter(&aw.under)
	return aw, nil
}

// newGzip returns a gzip member writer that compresses in parallel blocks.
func newGzip(w io.Writer, level int) (*pgzip.Writer, error) {
	gz, err := pgzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("gzip level %d: %w", level, err)
	}
	if err := gz.SetConcurrency(gzipBlockSize, 2*runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	// No time in the member header (0), as gzip -n writes it: pgzip would write the
	// zero time.Time's, which is not 0.
	gz.ModTime = time.Unix(0, 0)
	return gz, nil
}

// SourceError is a failure to read a file being archived: the source is at fault (a
// corrupt zip entry), not the archive.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &SourceError{err}
	}
	return n, err
}

// Add archives size bytes read from r as name (mode 0600), and returns their
// checksum. The whole of r is read, up to its EOF, so that a reader that verifies its
// data at the end (a zip entry's CRC-32) does so. A read error is a *SourceError.
func (w *Writer) Add(name string, size int64, mod time.Time, r io.Reader) (FileSum, error) {
	return w.AddEntry(Entry{Name: name, Size: size, Mode: 0o600, ModTime: mod}, r)
}

// Entry is what the tar header of one archived file, directory or symbolic link
// keeps: the type and permission bits of Mode, the modification time, and the target
// of a link.
type Entry struct {
	Name    string
	Size    int64       // regular files only
	Mode    fs.FileMode // fs.ModeDir, fs.ModeSymlink or neither, with the permission bits
	ModTime time.Time
	Link    string // the target of a symbolic link, stored as is
}

// AddEntry archives e. A regular file's content is size bytes read from r, as for
// Add; a directory or a symbolic link has none (r is nil). Links are listed in the
// manifest with their target, so that a restore can check them too.
func (w *Writer) AddEntry(e Entry, r io.Reader) (_ FileSum, err error) {
	if w.err != nil {
		return FileSum{}, w.err
	}
	defer func() { w.fail(err) }()
	hdr, err := w.writeHeader(e)
	if err != nil {
		return FileSum{}, err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return FileSum{Name: e.Name}, nil
	case tar.TypeSymlink:
		w.links = append(w.links, Link{Name: e.Name, Target: e.Link})
		return FileSum{Name: e.Name}, nil
	}
	return w.copyContent(e.Name, e.Size, r)
}

// writeHeader writes the tar header of e.
func (w *Writer) writeHeader(e Entry) (*tar.Header, error) {
	hdr, err := tarHeader(e)
	if err != nil {
		return nil, err
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("tar header %s: %w", e.Name, err)
	}
	return hdr, nil
}

// tarHeader is the tar header of e.
func tarHeader(e Entry) (*tar.Header, error) {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     e.Name,
		Size:     e.Size,
		Mode:     tarMode(e.Mode),
		ModTime:  e.ModTime,
		Format:   tar.FormatPAX,
	}
	switch {
	case e.Mode&fs.ModeDir != 0:
		hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		if !strings.HasSuffix(hdr.Name, "/") {
			hdr.Name += "/"
		}
	case e.Mode&fs.ModeSymlink != 0:
		hdr.Typeflag, hdr.Size, hdr.Linkname = tar.TypeSymlink, 0, e.Link
	case !e.Mode.IsRegular():
		return nil, &notArchivable{e.Name, e.Mode}
	}
	return hdr, nil
}

// copyContent copies the size bytes of r, the content of the file whose header was
// just written, into the tar, checks that r ends there, and records the checksum.
func (w *Writer) copyContent(name string, size int64, r io.Reader) (FileSum, error) {
	h := sha256.New()
	src := sourceReader{io.TeeReader(r, h)}
	n, err := io.CopyN(w.tw, src, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return FileSum{}, &SourceError{fmt.Errorf("%s: got %d bytes of %d: %w", name, n, size, io.ErrUnexpectedEOF)}
		}
		return FileSum{}, err
	}
	var one [1]byte
	for {
		m, err := src.Read(one[:])
		if m > 0 {
			return FileSum{}, &SourceError{fmt.Errorf("%s: longer than the %d bytes announced", name, size)}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return FileSum{}, err
		}
	}
	fs := FileSum{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
	w.files = append(w.files, fs)
	return fs, nil
}

// tarMode is the mode field of a tar header: the permission bits, with setuid,
// setgid and sticky at their Unix places.
func tarMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// fail records err, unless it is a refusal that wrote nothing (a file type that
// cannot be archived).
func (w *Writer) fail(err error) {
	var ne *notArchivable
	if err != nil && w.err == nil && !errors.As(err, &ne) {
		w.err = err
	}
}

// notArchivable is an entry refused before anything was written.
type notArchivable struct {
	name string
	mode fs.FileMode
}

func (e *notArchivable) Error() string {
	return fmt.Sprintf("%s: cannot archive a %v", e.name, e.mode.Type())
}

// Files returns the checksums of the files added so far.
func (w *Writer) Files() []FileSum { return w.files }

// Close writes the manifest (its Files are set from what was added), then closes the
// tar and the compressor, in that order, checking each.
func (w *Writer) Close(m *Manifest) error {
	if w.err != nil {
		return w.err
	}
	m.Files = w.files
	m.Links = w.links
	var buf bytes.Buffer // a few hundred bytes
	if _, err := m.WriteTo(&buf); err != nil {
		return err
	}
	body := buf.Bytes()
	if err := w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Size: int64(len(body)), Mode: 0o644, ModTime: m.Created, Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("tar header %s: %w", ManifestName, err)
	}
	if _, err := w.tw.Write(body); err != nil {
		return fmt.Errorf("write %s: %w", ManifestName, err)
	}
	if err := w.tw.Close(); err != nil {
		return fmt.Errorf("close tar: %w", err)
	}
	if err := w.comp.Close(); err != nil {
		return fmt.Errorf("close compressor: %w", err)
	}
	return nil
}
