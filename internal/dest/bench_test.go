package dest_test

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
)

// putBenchmarks are the destinations BenchmarkPut measures: one line per protocol,
// whose function opens a destination on an empty directory of an in-process server
// (the benchmark closes it).
var putBenchmarks = []struct {
	name string
	open func(b *testing.B) dest.Destination
}{
	{"file", func(b *testing.B) dest.Destination {
		d, err := dest.Open(context.Background(), dest.Config{Name: "disk", URL: fileURL(b.TempDir())}, dest.Env{})
		if err != nil {
			b.Fatal(err)
		}
		return d
	}},
	{"sftp", func(b *testing.B) dest.Destination { f := newSFTPFixture(b); return f.open(f.config()) }},
	{"ftps", func(b *testing.B) dest.Destination {
		s := newFTPServer(b, ftpServerOptions{Mode: "explicit"})
		return s.open(b, s.config())
	}},
	{"webdavs", func(b *testing.B) dest.Destination { f := newDAVFixture(b, "basic"); return f.open(f.config()) }},
	{"s3", func(b *testing.B) dest.Destination {
		f := newS3Fixture(b, true)
		c := f.config()
		c.Endpoint = f.addr()
		return f.open(c)
	}},
}

// BenchmarkPut measures each destination's upload as the job does it: a staged
// archive (incompressible, desttest.LargeSize bytes) read from a local file, sent
// under a temporary name, checked and renamed. Run with -benchmem: the bytes
// allocated per upload must not grow with its size.
func BenchmarkPut(b *testing.B) {
	src := filepath.Join(b.TempDir(), "20261122.tgz")
	data := make([]byte, desttest.LargeSize)
	rand.Read(data)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		b.Fatal(err)
	}
	data = nil
	for _, pb := range putBenchmarks {
		b.Run(pb.name, func(b *testing.B) {
			d := pb.open(b)
			defer d.Close()
			f, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			ctx := context.Background()
			b.SetBytes(desttest.LargeSize)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				if err := d.Put(ctx, "20261122.tgz", f, desttest.LargeSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
