package job

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/demo"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// zipRaw returns the compressed data of name in the zip z.
func zipRaw(t *testing.T, z []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			r, err := f.OpenRaw()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no %s in the zip", name)
	return nil
}

// extracted returns the dump of the archive the destination received.
func (f *fixture) extracted(name string) []byte {
	f.t.Helper()
	a, err := os.Open(filepath.Join(f.dest, name))
	if err != nil {
		f.t.Fatal(err)
	}
	defer a.Close()
	out := f.t.TempDir()
	if _, err := archive.Extract(a, out); err != nil {
		f.t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "dump.sql"))
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// By default the zip's deflate data goes into the .tgz as it is; recompress = true
// compresses the dump again. Both archives hold the dump.
func TestArchiveKeepsTheZipsDeflateData(t *testing.T) {
	d := dump("1", 50000)
	z := testutil.Zip(t, map[string][]byte{"dump.sql": d})
	raw := zipRaw(t, z, "dump.sql")
	for _, recompress := range []bool{false, true} {
		f := newFixture(t, z)
		f.job().Archive.Recompress = recompress
		res := f.run()
		if res.Outcome() != report.Success {
			t.Fatalf("recompress=%v: outcome %v: %v", recompress, res.Outcome(), stepNames(res))
		}
		tgz, err := os.ReadFile(filepath.Join(f.dest, "20261122.tgz"))
		if err != nil {
			t.Fatal(err)
		}
		if kept := bytes.Contains(tgz, raw); kept == recompress {
			t.Errorf("recompress=%v: the zip's deflate data is in the archive: %v", recompress, kept)
		}
		if got := f.extracted("20261122.tgz"); !bytes.Equal(got, d) {
			t.Errorf("recompress=%v: the archived dump differs from the source's (%d bytes, want %d)", recompress, len(got), len(d))
		}
	}
}

// A zip whose entry has data after the end of its deflate stream is read by unzip
// and Go's archive/zip, which ignore that data; gardien leaves it out of the
// archive's gzip member, which holds the stream alone.
func TestArchiveDataAfterTheDeflateStream(t *testing.T) {
	d := dump("2", 30000)
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, 6)
	fw.Write(d)
	fw.Close()
	stream := bytes.Clone(raw.Bytes())
	raw.WriteString("junk after the stream")
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "dump.sql", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(d),
		CompressedSize64: uint64(raw.Len()), UncompressedSize64: uint64(len(d))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// What the source server sent is a zip that readers accept.
	zr, _ := zip.NewReader(bytes.NewReader(z.Bytes()), int64(z.Len()))
	rc, _ := zr.File[0].Open()
	if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, d) {
		t.Fatalf("archive/zip reads %d bytes, %v", len(b), err)
	}

	f := newFixture(t, z.Bytes())
	res := f.run()
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	tgz, err := os.ReadFile(filepath.Join(f.dest, "20261122.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(tgz, stream) || bytes.Contains(tgz, raw.Bytes()) {
		t.Error("the archive does not hold the deflate stream without what follows it")
	}
	if got := f.extracted("20261122.tgz"); !bytes.Equal(got, d) {
		t.Errorf("the archived dump differs from the source's (%d bytes, want %d)", len(got), len(d))
	}
}

// A zip bomb that lies about its size: the entry declares 1000 bytes and inflates to
// 64 MB. Kept as deflate data, it is still inflated on the way: reading stops just
// past the declared size, the source's check fails, and nothing reaches the
// destination.
func TestArchiveDeflatedBombThatLies(t *testing.T) {
	big := make([]byte, 64<<20)
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, 9)
	fw.Write(big)
	fw.Close()
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "dump.sql", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(big[:1000]),
		CompressedSize64: uint64(raw.Len()), UncompressedSize64: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	zw.Close()
	f := newFixture(t, z.Bytes())
	res := f.run()
	s := findStep(t, res, report.StepExpected)
	if res.Outcome() != report.Failure || s.Status != report.Failed || !strings.Contains(s.Cause, "longer than the 1000 bytes announced") {
		t.Errorf("outcome %v, %q: %+v", res.Outcome(), report.StepExpected, s)
	}
	if files := f.files(); len(files) != 0 {
		t.Errorf("the destination received %v", files)
	}
	if ents, _ := os.ReadDir(f.job().Archive.StagingDir); len(ents) != 0 {
		t.Errorf("staging left %v", ents)
	}
}

// The zips that servers really send, made by the programs that make them: Info-ZIP's
// zip (export scripts) at its default and fastest levels, and Python's zipfile (Odoo's
// backups). Each archive holds the zip's deflate data as it is, passes gzip -t, and
// gives back the dump with the system's tar. (.ci/run installs zip and python3.)
func TestArchiveFromRealZipProducers(t *testing.T) {
	for _, tool := range []string{"tar", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on this machine", tool)
		}
	}
	var d bytes.Buffer
	if err := demo.WriteDump(&d, 4<<20, 7); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	sql := filepath.Join(work, "dump.sql")
	if err := os.WriteFile(sql, d.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	producers := []struct {
		name string
		argv []string
	}{
		{"zip -6", []string{"zip", "-q", "-6", "-j", "-X", "{out}", sql}},
		{"zip -1", []string{"zip", "-q", "-1", "-j", "-X", "{out}", sql}},
		{"python zipfile", []string{"python3", "-c", "import sys, zipfile\n" +
			"with zipfile.ZipFile(sys.argv[1], 'w', compression=zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[2], 'dump.sql')", "{out}", sql}},
	}
	ran := 0
	for i, p := range producers {
		t.Run(p.name, func(t *testing.T) {
			if _, err := exec.LookPath(p.argv[0]); err != nil {
				t.Skipf("no %s on this machine", p.argv[0])
			}
			out := filepath.Join(work, fmt.Sprintf("%d.zip", i))
			argv := slices.Clone(p.argv)
			for k := range argv {
				argv[k] = strings.ReplaceAll(argv[k], "{out}", out)
			}
			if b, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", p.name, err, b)
			}
			z, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, z)
			if res := f.run(); res.Outcome() != report.Success {
				t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
			}
			tgz := filepath.Join(f.dest, "20261122.tgz")
			b, err := os.ReadFile(tgz)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, zipRaw(t, z, "dump.sql")) {
				t.Error("the archive does not hold the zip's deflate data")
			}
			if out, err := exec.Command("gzip", "-t", tgz).CombinedOutput(); err != nil {
				t.Fatalf("gzip -t: %v: %s", err, out)
			}
			dir := t.TempDir()
			if out, err := exec.Command("tar", "xzf", tgz, "-C", dir).CombinedOutput(); err != nil {
				t.Fatalf("tar xzf: %v: %s", err, out)
			}
			if got, err := os.ReadFile(filepath.Join(dir, "dump.sql")); err != nil || !bytes.Equal(got, d.Bytes()) {
				t.Errorf("tar xzf gives a dump.sql of %d bytes (%v), want the %d of the source", len(got), err, d.Len())
			}
			ran++
		})
	}
	if ran == 0 {
		t.Skip("neither zip nor python3 on this machine")
	}
}
