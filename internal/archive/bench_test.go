package archive

import (
	"bytes"
	"hash/crc32"
	"io"
	"testing"

	"github.com/gardien/gardien/internal/demo"
)

// benchDumpSize is the dump each iteration archives: large enough for every core to
// get blocks (pgzip cuts 512 KB blocks), small enough to be generated at once.
const benchDumpSize = 32 << 20

// BenchmarkWriter measures the archive writer alone on a realistic plain-SQL dump
// (demo.WriteDump: COPY blocks of mixed text and numbers), the output thrown away.
// The throughput is of the dump, not of the archive; allocs/op shows a buffer that
// grows with the dump. Run with -benchmem.
func BenchmarkWriter(b *testing.B) {
	var dump bytes.Buffer
	if err := demo.WriteDump(&dump, benchDumpSize, 1); err != nil {
		b.Fatal(err)
	}
	data := dump.Bytes()
	for _, tc := range []struct {
		name        string
		compression string
		level       int
	}{
		{"gzip", "gzip", 0}, // DefaultGzipLevel
		{"gzip-5", "gzip", 5},
		{"gzip-1", "gzip", 1},
		{"zstd", "zstd", 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var out countingDiscard
			for b.Loop() {
				out = 0
				w, err := NewWriter(&out, tc.compression, tc.level)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := w.Add("dump.sql", int64(len(data)), created, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(&Manifest{Gardien: "bench", Job: "db", Run: "ab12", Created: created}); err != nil {
					b.Fatal(err)
				}
			}
			// The ratio, so that a faster writer that compresses less shows it.
			b.ReportMetric(float64(out)/float64(len(data))*100, "%size")
		})
	}
}

// countingDiscard counts what it throws away.
type countingDiscard int64

func (c *countingDiscard) Write(p []byte) (int, error) {
	*c += countingDiscard(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingDiscard)(nil)

// BenchmarkAddDeflated measures the archive writer on a dump that a zip holds
// deflated (zlib's default level, as the zip command writes it): the deflate data is
// copied, and inflated only to be checked and hashed. The throughput is of the dump.
func BenchmarkAddDeflated(b *testing.B) {
	var dump bytes.Buffer
	if err := demo.WriteDump(&dump, benchDumpSize, 1); err != nil {
		b.Fatal(err)
	}
	data := dump.Bytes()
	raw := deflate(b, data, 6)
	crc := crc32.ChecksumIEEE(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var out countingDiscard
	for b.Loop() {
		out = 0
		w, err := NewWriter(&out, "gzip", 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.AddDeflated(Entry{Name: "dump.sql", Size: int64(len(data)), Mode: 0o600, ModTime: created}, bytes.NewReader(raw), crc); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(&Manifest{Gardien: "bench", Job: "db", Run: "ab12", Created: created}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out)/float64(len(data))*100, "%size")
}
