package archive

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// AddDeflated archives a regular file whose content raw holds as a raw deflate stream
// (RFC 1951, a zip entry's compressed data) that inflates to e.Size bytes with
// CRC-32 crc.
//
// With gzip, the stream is not compressed again: the gzip member under way ends after
// the file's tar header, the stream becomes a gzip member of its own (RFC 1952 allows
// a series of them; gzip, tar xzf, zcat and Go's readers read them as one), and a
// new member takes the rest of the tar. It is still inflated on the way, to check its
// size and CRC-32 and to compute its SHA-256, so a damaged stream fails as it would
// with AddEntry (a *SourceError), but the work is that of unzip, not of gzip. Only
// the bytes the inflater consumed go into the archive: data after the end of the
// stream, which zip readers ignore too, is left out. With zstd, the stream is
// inflated and compressed as AddEntry does.
func (w *Writer) AddDeflated(e Entry, raw io.Reader, crc uint32) (_ FileSum, err error) {
	if !e.Mode.IsRegular() {
		return FileSum{}, fmt.Errorf("%s: only a regular file can be added deflated", e.Name)
	}
	if w.gzipLevel == 0 {
		fr := flate.NewReader(raw)
		defer fr.Close()
		return w.AddEntry(e, &crcChecker{r: fr, name: e.Name, want: crc, h: crc32.NewIEEE()})
	}
	if w.err != nil {
		return FileSum{}, w.err
	}
	// Whatever fails from here leaves a member open or the tar inconsistent.
	defer func() { w.fail(err) }()
	if _, err := w.writeHeader(e); err != nil {
		return FileSum{}, err
	}
	// End the member under way: it holds the tar up to this file's header.
	if err := w.comp.Close(); err != nil {
		return FileSum{}, fmt.Errorf("close gzip member: %w", err)
	}
	// A gzip member header: no name, no time, deflate, unknown OS.
	if _, err := w.out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}); err != nil {
		return FileSum{}, err
	}
	// The raw bytes go to the archive once the inflater has consumed them; the tar,
	// which counts the file's bytes and pads it, gets the inflated content and
	// writes it nowhere.
	tee := &consumedTee{r: raw, w: w.out}
	tee.br = bufio.NewReaderSize(tee, 256<<10)
	fr := flate.NewReader(tee.br)
	defer fr.Close()
	check := &crcChecker{r: fr, name: e.Name, want: crc, h: crc32.NewIEEE()}
	w.under.w = io.Discard
	sum, err := w.copyContent(e.Name, e.Size, check)
	if err == nil {
		err = tee.flush() // the end of the stream
	}
	if tee.werr != nil { // a write to the archive failed: not the source's fault
		return FileSum{}, tee.werr
	}
	if err != nil {
		return FileSum{}, err
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], check.h.Sum32()) // the declared one, unless that is 0
	binary.LittleEndian.PutUint32(trailer[4:], uint32(e.Size))  // ISIZE: the size modulo 2^32
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

// consumedTee is the reader under br, the buffer the inflater reads from: it writes
// to w the bytes the inflater consumed, and keeps the error of that write apart
// from r's. br's unread bytes are always the last ones it was given, so what it was
// given but no longer holds has been consumed: at the end of the stream, what br
// still holds, and what is left in r, is data after the stream.
type consumedTee struct {
	r    io.Reader
	w    io.Writer
	br   *bufio.Reader
	held []byte // given to br, not yet written to w
	werr error
}

func (t *consumedTee) Read(p []byte) (int, error) {
	if err := t.flush(); err != nil {
		return 0, err
	}
	n, err := t.r.Read(p)
	t.held = append(t.held, p[:n]...)
	return n, err
}

// flush writes what the inflater consumed of the bytes held.
func (t *consumedTee) flush() error {
	done := len(t.held) - t.br.Buffered()
	if done <= 0 {
		return nil
	}
	if _, err := t.w.Write(t.held[:done]); err != nil {
		t.werr = err
		return err
	}
	t.held = t.held[:copy(t.held, t.held[done:])]
	return nil
}

// crcChecker computes the CRC-32 of what r gives and checks it at r's end against
// want. A zip that declares 0 is not checked, as archive/zip does not check it
// (writers that stream leave it 0 in some headers).
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
	if err == io.EOF && c.want != 0 && c.h.Sum32() != c.want {
		return n, fmt.Errorf("%s: CRC-32 %08x, the zip says %08x: the data is damaged", c.name, c.h.Sum32(), c.want)
	}
	return n, err
}
