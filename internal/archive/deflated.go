package archive

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// ErrDeflateTrailing is returned by AddDeflated when the raw stream goes on after the
// end of its deflate data: that stream cannot be a gzip member as it is, and the
// archive written so far is unusable. Archive the file again with AddEntry, in a new
// archive.
var ErrDeflateTrailing = errors.New("data after the end of the deflate stream")

// AddDeflated archives a regular file whose content raw holds as a raw deflate stream
// (RFC 1951, a zip entry's compressed data) that inflates to e.Size bytes with
// CRC-32 crc.
//
// With gzip, the stream is not compressed again: the gzip member under way ends after
// the file's tar header, the stream becomes a gzip member of its own (RFC 1952 allows
// a series of them, and gzip, tar xzf and every gzip reader read them as one), and a
// new member takes the rest of the tar. It is still inflated on the way, to check its
// size and CRC-32 and to compute its SHA-256, so a damaged stream fails as it would
// with AddEntry (a *SourceError), but the work is that of unzip, not of gzip. With
// zstd, it is inflated and compressed as AddEntry does.
func (w *Writer) AddDeflated(e Entry, raw io.Reader, crc uint32) (FileSum, error) {
	if !e.Mode.IsRegular() {
		return FileSum{}, fmt.Errorf("%s: only a regular file can be added deflated", e.Name)
	}
	if w.gzipLevel == 0 {
		fr := flate.NewReader(raw)
		defer fr.Close()
		return w.AddEntry(e, &crcChecker{r: fr, name: e.Name, want: crc, h: crc32.NewIEEE()})
	}
	hdr, err := tarHeader(e)
	if err != nil {
		return FileSum{}, err
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return FileSum{}, fmt.Errorf("tar header %s: %w", e.Name, err)
	}
	// End the member under way: it holds the tar up to this file's header.
	if err := w.comp.Close(); err != nil {
		return FileSum{}, fmt.Errorf("close gzip member: %w", err)
	}
	// A gzip member header: no name, no time, deflate, unknown OS.
	if _, err := w.out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}); err != nil {
		return FileSum{}, err
	}
	// The raw bytes go to the archive as they are read; the tar, which counts the
	// file's bytes and pads it, gets the inflated content and writes it nowhere.
	tee := &rawTee{r: raw, w: w.out}
	br := bufio.NewReaderSize(tee, 256<<10)
	fr := flate.NewReader(br)
	defer fr.Close()
	check := &crcChecker{r: fr, name: e.Name, want: crc, h: crc32.NewIEEE()}
	w.under.w = io.Discard
	sum, err := w.copyContent(e.Name, e.Size, check)
	if tee.werr != nil { // a write to the archive failed: not the source's fault
		return FileSum{}, tee.werr
	}
	if err != nil {
		return FileSum{}, err
	}
	if br.Buffered() > 0 {
		return FileSum{}, fmt.Errorf("%s: %w", e.Name, ErrDeflateTrailing)
	}
	var one [1]byte
	if n, _ := io.ReadFull(raw, one[:]); n > 0 {
		return FileSum{}, fmt.Errorf("%s: %w", e.Name, ErrDeflateTrailing)
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(e.Size)) // ISIZE: the size modulo 2^32
	if _, err := w.out.Write(trailer[:]); err != nil {
		return FileSum{}, err
	}
	gz, err := newGzip(w.out, w.gzipLevel)
	if err != nil {
		return FileSum{}, err
	}
	w.comp, w.under.w = gz, gz
	return sum, nil
}

// rawTee writes to w what is read from r, and keeps the error of that write apart
// from r's.
type rawTee struct {
	r    io.Reader
	w    io.Writer
	werr error
}

func (t *rawTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		if _, werr := t.w.Write(p[:n]); werr != nil {
			t.werr = werr
			return n, werr
		}
	}
	return n, err
}

// crcChecker computes the CRC-32 of what r gives and checks it at r's end.
type crcChecker struct {
	r    io.Reader
	name string
	want uint32
	h    interface {
		io.Writer
		Sum32() uint32
	}
}

func (c *crcChecker) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.h.Sum32() != c.want {
		return n, fmt.Errorf("%s: CRC-32 %08x, the zip says %08x: the data is damaged", c.name, c.h.Sum32(), c.want)
	}
	return n, err
}
