//go:build integration

package archive

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/flate"
)

// zeros reads n zero bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// A dump above 4 GiB: the member's trailer holds its size modulo 2^32 (ISIZE), as
// RFC 1952 says, and the archive reads back whole. 4 GiB and 1 byte of zeros deflate
// to a few megabytes, so the test costs the inflating and hashing of 4 GiB (seconds,
// which is why it is in the integration suite, which runs without the race detector).
func TestIntegrationDeflatedOver4GiB(t *testing.T) {
	const size = 4<<30 + 1
	var raw bytes.Buffer
	fw, err := flate.NewWriter(&raw, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.NewIEEE()
	sha := sha256.New()
	if _, err := io.Copy(io.MultiWriter(fw, crc, sha), &zeros{size}); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	tgz := filepath.Join(t.TempDir(), "big.tgz")
	f, err := os.Create(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, "gzip", 0)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := w.AddDeflated(Entry{Name: "dump.sql", Size: size, Mode: 0o600, ModTime: created}, bytes.NewReader(raw.Bytes()), crc.Sum32())
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sha.Sum(nil)); sum.SHA256 != want || sum.Size != size {
		t.Errorf("sum = %+v, want %s", sum, want)
	}
	if err := w.Close(&Manifest{Gardien: "test", Job: "db", Run: "ab12", Created: created}); err != nil {
		t.Fatal(err)
	}
	// The dump's member, read alone: its trailer's ISIZE is the size modulo 2^32.
	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, raw.Bytes())
	if i < 10 {
		t.Fatal("the deflate data is not in the archive")
	}
	trailer := data[i+raw.Len() : i+raw.Len()+8]
	if got := uint32(trailer[4]) | uint32(trailer[5])<<8 | uint32(trailer[6])<<16 | uint32(trailer[7])<<24; got != 1 {
		t.Errorf("ISIZE = %d, want %d (4 GiB + 1 modulo 2^32)", got, 1)
	}
	// The whole archive, through Go's gzip reader (it checks every member's CRC-32
	// and ISIZE) and the MANIFEST.
	a, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	zr, err := gzip.NewReader(a)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatalf("gzip reader, after %d bytes: %v", n, err)
	}
	if n < size {
		t.Errorf("the tar is %d bytes, less than the dump's %d", n, int64(size))
	}
}
