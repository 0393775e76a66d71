package archive

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gardien/gardien/internal/demo"
)

// deflate returns data as a raw deflate stream, as a zip entry holds it.
func deflate(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildDeflated archives a small file, then dump (given deflated), then another
// small file, and returns the archive.
func buildDeflated(t *testing.T, compression string, dump, raw []byte) []byte {
	t.Helper()
	return buildDeflatedFrom(t, compression, dump, bytes.NewReader(raw), crc32.ChecksumIEEE(dump))
}

// buildDeflatedFrom is buildDeflated with the deflate data read from raw, and the
// CRC-32 that the zip declares.
func buildDeflatedFrom(t *testing.T, compression string, dump []byte, raw io.Reader, crc uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, compression, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add("before.txt", 6, created, strings.NewReader("before")); err != nil {
		t.Fatal(err)
	}
	sum, err := w.AddDeflated(Entry{Name: "dump.sql", Size: int64(len(dump)), Mode: 0o600, ModTime: created}, raw, crc)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(dump)
	if sum.SHA256 != hex.EncodeToString(h[:]) || sum.Size != int64(len(dump)) || sum.Name != "dump.sql" {
		t.Errorf("sum = %+v", sum)
	}
	if _, err := w.Add("after.txt", 5, created, strings.NewReader("after")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(&Manifest{Gardien: "test", Job: "db", Run: "ab12", Created: created}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The deflate data is kept as it is, and the archive holds the dump, checked
// against the MANIFEST by Extract and opened by the system's tar and gzip.
func TestAddDeflatedRoundTrip(t *testing.T) {
	var dump bytes.Buffer
	if err := demo.WriteDump(&dump, 3<<20, 1); err != nil {
		t.Fatal(err)
	}
	raw := deflate(t, dump.Bytes(), 6)
	for _, comp := range []string{"gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			tgz := buildDeflated(t, comp, dump.Bytes(), raw)
			if comp == "gzip" {
				if !bytes.Contains(tgz, raw) {
					t.Error("the deflate data is not in the archive as it was given")
				}
				// The dump's member is the raw data and 18 bytes; the tar headers,
				// the MANIFEST and the two small files take a few hundred more.
				if extra := len(tgz) - len(raw); extra < 18 || extra > 2048 {
					t.Errorf("archive is %d bytes for %d of deflate data", len(tgz), len(raw))
				}
			}
			dir := t.TempDir()
			m, err := Extract(bytes.NewReader(tgz), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Files) != 3 {
				t.Errorf("manifest files = %+v", m.Files)
			}
			for name, want := range map[string][]byte{"before.txt": []byte("before"), "dump.sql": dump.Bytes(), "after.txt": []byte("after")} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes, %v", name, len(got), err)
				}
			}
		})
	}
	for _, tool := range []string{"tar", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on this machine", tool)
		}
	}
	tgz := filepath.Join(t.TempDir(), "20261122.tgz")
	if err := os.WriteFile(tgz, buildDeflated(t, "gzip", dump.Bytes(), raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("gzip", "-t", tgz).CombinedOutput(); err != nil {
		t.Fatalf("gzip -t: %v: %s", err, b)
	}
	out := t.TempDir()
	if b, err := exec.Command("tar", "xzf", tgz, "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar xzf: %v: %s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "dump.sql"))
	if err != nil || !bytes.Equal(got, dump.Bytes()) {
		t.Fatalf("dump.sql extracted by tar differs (%d bytes, %v)", len(got), err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "after.txt")); err != nil || string(b) != "after" {
		t.Errorf("after.txt = %q, %v", b, err)
	}
}

// An empty dump is a deflate stream too.
func TestAddDeflatedEmpty(t *testing.T) {
	tgz := buildDeflated(t, "gzip", nil, deflate(t, nil, 6))
	dir := t.TempDir()
	if _, err := Extract(bytes.NewReader(tgz), dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "dump.sql")); err != nil || len(b) != 0 {
		t.Errorf("dump.sql = %d bytes, %v", len(b), err)
	}
}

// A damaged stream fails as a damaged source, with what is wrong.
func TestAddDeflatedBadStream(t *testing.T) {
	dump := bytes.Repeat([]byte("COPY public.t (a, b) FROM stdin;\n1\tabc\n\\.\n"), 20000)
	raw := deflate(t, dump, 6)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 0x55
	crc := crc32.ChecksumIEEE(dump)
	scenarios := []struct {
		name string
		raw  []byte
		size int64
		crc  uint32
		want string
	}{
		{"truncated", raw[:len(raw)/2], int64(len(dump)), crc, "unexpected EOF"},
		{"a flipped byte", flipped, int64(len(dump)), crc, ""},
		{"wrong CRC-32", raw, int64(len(dump)), crc ^ 1, "CRC-32"},
		{"shorter than announced", raw, int64(len(dump)) + 1, crc, "got"},
		{"longer than announced", raw, int64(len(dump)) - 1, crc, "longer than"},
		{"not deflate at all", []byte("PK\x03\x04 this is not deflate data"), 10, 0, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, "gzip", 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.AddDeflated(Entry{Name: "dump.sql", Size: sc.size, Mode: 0o600, ModTime: created}, bytes.NewReader(sc.raw), sc.crc)
			var se *SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), sc.want) {
				t.Errorf("err = %v (%T), want a SourceError with %q", err, err, sc.want)
			}
		})
	}
}

// Data after the end of the deflate stream (zip readers ignore it) is left out of
// the archive, whatever its length: the member holds the stream alone, and the
// archive extracts to the dump.
func TestAddDeflatedDataAfterTheStream(t *testing.T) {
	var dump bytes.Buffer
	if err := demo.WriteDump(&dump, 1<<20, 3); err != nil {
		t.Fatal(err)
	}
	raw := deflate(t, dump.Bytes(), 6)
	readers := []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		iotest.OneByteReader,
		iotest.HalfReader,
	}
	for i, n := range []int{1, 2, 3, 4, 7, 8, 9, 16, 4096, 300 << 10} {
		junk := bytes.Repeat([]byte{0xa5}, n)
		in := readers[i%len(readers)](bytes.NewReader(append(bytes.Clone(raw), junk...)))
		tgz := buildDeflatedFrom(t, "gzip", dump.Bytes(), in, crc32.ChecksumIEEE(dump.Bytes()))
		if !bytes.Contains(tgz, raw) {
			t.Errorf("%d bytes after the stream: the deflate data is not in the archive", n)
		}
		if extra := len(tgz) - len(raw); extra > 2048 {
			t.Errorf("%d bytes after the stream: the archive is %d bytes for %d of deflate data", n, len(tgz), len(raw))
		}
		dir := t.TempDir()
		if _, err := Extract(bytes.NewReader(tgz), dir); err != nil {
			t.Fatalf("%d bytes after the stream: %v", n, err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, "dump.sql")); err != nil || !bytes.Equal(got, dump.Bytes()) {
			t.Errorf("%d bytes after the stream: dump.sql is %d bytes, %v", n, len(got), err)
		}
	}
}

// failAfter accepts n bytes, then fails like a full disk.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errors.New("no space left on device")
	}
	f.n -= len(p)
	return len(p), nil
}

// A failed write of the archive is the archive's error, not the source's, whether it
// comes while the inflater still reads (the disk fills up mid-dump) or at the end;
// and the writer is then unusable: Close does not finish a corrupt archive.
func TestAddDeflatedWriteError(t *testing.T) {
	small := bytes.Repeat([]byte("0123456789abcdef\n"), 200000) // 20 KB deflated
	big := make([]byte, 2<<20)                                  // incompressible
	rand.NewChaCha8([32]byte{1}).Read(big)
	for _, sc := range []struct {
		name string
		dump []byte
	}{{"mid-stream", big}, {"at the end", small}} {
		t.Run(sc.name, func(t *testing.T) {
			w, err := NewWriter(&failAfter{n: 4096}, "gzip", 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.AddDeflated(Entry{Name: "dump.sql", Size: int64(len(sc.dump)), Mode: 0o600, ModTime: created}, bytes.NewReader(deflate(t, sc.dump, 1)), crc32.ChecksumIEEE(sc.dump))
			var se *SourceError
			if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), "no space left") {
				t.Errorf("err = %v, want the write error, not a SourceError", err)
			}
			if err := w.Close(&Manifest{Gardien: "test", Job: "db", Run: "ab12", Created: created}); err == nil {
				t.Error("Close succeeded after a failed AddDeflated")
			}
		})
	}
}

// After a damaged source, the writer refuses to go on: nothing can close the
// archive as a good one.
func TestWriterUnusableAfterAFailure(t *testing.T) {
	dump := []byte("COPY t FROM stdin;\n1\n\\.\n")
	for _, sc := range []struct {
		name string
		add  func(w *Writer) error
	}{
		{"AddDeflated with a wrong CRC-32", func(w *Writer) error {
			_, err := w.AddDeflated(Entry{Name: "dump.sql", Size: int64(len(dump)), Mode: 0o600, ModTime: created}, bytes.NewReader(deflate(t, dump, 6)), crc32.ChecksumIEEE(dump)+1)
			return err
		}},
		{"Add of a short file", func(w *Writer) error {
			_, err := w.Add("dump.sql", 100, created, bytes.NewReader(dump))
			return err
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, "gzip", 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.add(w); err == nil {
				t.Fatal("no error")
			}
			if _, err := w.Add("other.txt", 2, created, strings.NewReader("ok")); err == nil {
				t.Error("Add succeeded after a failure")
			}
			if err := w.Close(&Manifest{Gardien: "test", Job: "db", Run: "ab12", Created: created}); err == nil {
				t.Error("Close succeeded after a failure")
			}
		})
	}
}

// A zip that declares the CRC-32 0 is not checked against it, as archive/zip does
// not; the member's trailer then holds the CRC-32 computed, and the archive reads.
func TestAddDeflatedCRCNotDeclared(t *testing.T) {
	dump := bytes.Repeat([]byte("2026\tcommande\n"), 5000)
	tgz := buildDeflatedFrom(t, "gzip", dump, bytes.NewReader(deflate(t, dump, 6)), 0)
	dir := t.TempDir()
	if _, err := Extract(bytes.NewReader(tgz), dir); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "dump.sql")); err != nil || !bytes.Equal(got, dump) {
		t.Errorf("dump.sql = %d bytes, %v", len(got), err)
	}
}

// Every member header says "no time" (0), as gzip -n does.
func TestGzipMembersWithoutTime(t *testing.T) {
	dump := bytes.Repeat([]byte("x"), 1000)
	tgz := buildDeflated(t, "gzip", dump, deflate(t, dump, 6))
	n := 0
	for i := 0; i+10 <= len(tgz); i++ {
		if tgz[i] == 0x1f && tgz[i+1] == 0x8b && tgz[i+2] == 8 && tgz[i+3] == 0 {
			n++
			if mtime := tgz[i+4 : i+8]; !bytes.Equal(mtime, []byte{0, 0, 0, 0}) {
				t.Errorf("member header at %d has the time %x", i, mtime)
			}
		}
	}
	if n < 3 {
		t.Errorf("%d member headers found, want 3", n)
	}
}

// FuzzAddDeflated: whatever the raw stream, AddDeflated either fails or writes an
// archive that holds exactly what the stream inflates to.
func FuzzAddDeflated(f *testing.F) {
	f.Add(deflate(f, []byte("COPY t FROM stdin;\n1\n\\.\n"), 6), int64(24))
	f.Add(deflate(f, nil, 0), int64(0))
	f.Add([]byte{0x01, 0x00, 0x00, 0xff, 0xff}, int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, size int64) {
		want, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 1<<20))
		if err != nil || size < 0 || size > 1<<20 {
			size = int64(len(want))
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, "gzip", 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddDeflated(Entry{Name: "dump.sql", Size: size, Mode: 0o600, ModTime: created}, bytes.NewReader(raw), crc32.ChecksumIEEE(want)); err != nil {
			return
		}
		if err := w.Close(&Manifest{Gardien: "test", Job: "db", Run: "ab12", Created: created}); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := Extract(bytes.NewReader(buf.Bytes()), dir); err != nil {
			t.Fatalf("the archive does not extract: %v", err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "dump.sql"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("dump.sql is %d bytes (%v), the stream inflates to %d", len(got), err, len(want))
		}
	})
}
