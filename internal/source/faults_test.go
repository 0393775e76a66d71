package source

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/report"
)

// The faults a source server or the local disk can throw at a download, each refused
// with a located step, a cause and a hint.

// rawResponse writes a response by hand on the hijacked connection, so that a test
// can send what net/http's server never would (a Content-Length that lies), then
// closes the connection unless hold is set, in which case it stays open and silent
// until the client goes.
func rawResponse(head string, body []byte, hold bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		buf.WriteString(head)
		buf.Write(body)
		buf.Flush()
		if hold {
			io.Copy(io.Discard, conn) // until the client hangs up
		}
	}
}

func TestFetchStalledServer(t *testing.T) {
	good := makeZip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 4000)})
	var n atomic.Int32
	// The answer and half the body come, then nothing: the connection stays open.
	_, c := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rawResponse(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(good)), good[:len(good)/2], true)(w, r)
	}))
	c.Timeout = config.Duration(time.Minute) // the whole download: far away
	c.IdleTimeout = config.Duration(300 * time.Millisecond)
	c.Retries = 1
	t0 := time.Now()
	r := fetch(t, c)
	if took := time.Since(t0); took > 20*time.Second {
		t.Errorf("took %v to give up on a stalled server with idle_timeout 300ms", took)
	}
	if r.err == nil {
		t.Fatalf("a stalled download passed; steps %+v", r.steps)
	}
	s := r.last()
	if s.Name != report.StepDownloaded || s.Status != report.Failed {
		t.Fatalf("last step = %+v, want %q failed", s, report.StepDownloaded)
	}
	for _, want := range []string{"download interrupted after", "the server sent nothing for 300ms (idle_timeout)", "after 2 attempts"} {
		if !strings.Contains(s.Cause, want) {
			t.Errorf("cause %q lacks %q", s.Cause, want)
		}
	}
	if !strings.Contains(s.Hint, "raise idle_timeout") {
		t.Errorf("hint = %q", s.Hint)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2 (a stall is retried)", n.Load())
	}
}

// A server that is slow but keeps sending is not cut by idle_timeout, however long
// the whole download takes.
func TestFetchSlowServerNotCut(t *testing.T) {
	good := makeZip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 4000)})
	_, c := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(good)))
		chunk := len(good)/8 + 1
		for i := 0; i < len(good); i += chunk {
			w.Write(good[i:min(i+chunk, len(good))])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond) // 8 × 100ms: longer than idle_timeout in all
		}
	}))
	c.IdleTimeout = config.Duration(400 * time.Millisecond)
	r := fetch(t, c)
	if r.err != nil {
		t.Fatalf("a slow but steady download was cut: %v", r.err)
	}
}

func TestFetchContentLengthLies(t *testing.T) {
	good := makeZip(t, map[string][]byte{"dump.sql": bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 4000)})
	scenarios := []struct {
		name    string
		handler http.HandlerFunc
		cause   string
		hint    string
	}{
		{
			// The server announces more than it sends, and hangs up.
			name:    "more announced than sent",
			handler: rawResponse(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(good)+5000), good, false),
			cause:   "unexpected EOF", hint: "connection broke off",
		},
		{
			// The server announces more than it sends, and keeps the connection open.
			name:    "more announced than sent, then silence",
			handler: rawResponse(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(good)+5000), good, true),
			cause:   "sent nothing for", hint: "idle_timeout",
		},
		{
			// The server announces less than it sends: the client reads what was
			// announced, and the zip is cut short of its central directory.
			name:    "less announced than sent",
			handler: rawResponse(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(good)-200), good, false),
			cause:   "open zip", hint: "truncated or damaged",
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, c := tlsServer(t, sc.handler)
			c.IdleTimeout = config.Duration(300 * time.Millisecond)
			r := fetch(t, c)
			if r.err == nil {
				t.Fatalf("no error; steps %+v", r.steps)
			}
			s := r.last()
			if s.Name != report.StepDownloaded || s.Status != report.Failed {
				t.Fatalf("last step = %+v, want %q failed", s, report.StepDownloaded)
			}
			if !strings.Contains(s.Cause, sc.cause) || !strings.Contains(s.Hint, sc.hint) {
				t.Errorf("cause %q, hint %q; want %q and %q", s.Cause, s.Hint, sc.cause, sc.hint)
			}
		})
	}
}

// Entries whose names leave the zip's folder: the expected one is refused; others are
// never read nor written anywhere.
func TestFetchUnsafeEntryNames(t *testing.T) {
	for _, name := range []string{"../dump.sql", "../../etc/dump.sql", "/var/lib/dump.sql", `export\..\dump.sql`} {
		t.Run(name, func(t *testing.T) {
			_, c := tlsServer(t, serveBytes(makeZip(t, map[string][]byte{name: []byte("x")})))
			if strings.Contains(name, `\`) {
				c.Expect = name
			}
			r := fetch(t, c)
			if r.err == nil {
				t.Fatalf("an entry named %q was accepted", name)
			}
			s := r.last()
			if s.Name != report.StepExpected || s.Status != report.Failed {
				t.Fatalf("last step = %+v, want %q failed", s, report.StepExpected)
			}
			if !strings.Contains(s.Cause, fmt.Sprintf("the zip names its entry %q", name)) || !strings.Contains(s.Hint, "hostile export") {
				t.Errorf("cause %q, hint %q", s.Cause, s.Hint)
			}
		})
	}

	t.Run("beside the dump", func(t *testing.T) {
		dump := []byte("COPY t FROM stdin;\n\\.\n")
		_, c := tlsServer(t, serveBytes(makeZip(t, map[string][]byte{"dump.sql": dump, "../../evil.sh": []byte("rm -rf /"), "/etc/cron.d/evil": []byte("* * * * * root sh")})))
		parent := t.TempDir()
		stage := filepath.Join(parent, "stage")
		os.Mkdir(stage, 0o700)
		src, err := New(c, discard())
		if err != nil {
			t.Fatal(err)
		}
		f, err := src.Fetch(t.Context(), stage, func(report.Step) {})
		if err != nil {
			t.Fatalf("a zip with a hostile entry beside the dump was refused: %v", err)
		}
		defer f.Close()
		if len(f.Items) != 1 || f.Items[0].Name != "dump.sql" {
			t.Fatalf("items = %+v, want dump.sql alone", f.Items)
		}
		if ents, _ := os.ReadDir(parent); len(ents) != 1 {
			t.Errorf("%s holds %v, want the staging directory alone", parent, ents)
		}
		if _, err := os.Stat("/etc/cron.d/evil"); err == nil {
			t.Error("/etc/cron.d/evil exists")
		}
	})
}

// A dump larger than 4 GiB comes as zip64: sizes and offsets in the zip64 extra fields
// and end records. A small one, hand-made, reads like any other zip.
func TestFetchZip64(t *testing.T) {
	dump := bytes.Repeat([]byte("INSERT INTO t VALUES (42);\n"), 300)
	z := zip64(dump, uint64(len(dump)))
	_, c := tlsServer(t, serveBytes(z))
	r := fetch(t, c)
	if r.err != nil {
		t.Fatalf("zip64 refused: %v (steps %+v)", r.err, r.steps)
	}
	it := r.f.Items[0]
	if it.Size != int64(len(dump)) || it.CRC32 != crc32.ChecksumIEEE(dump) {
		t.Fatalf("item = %+v", it)
	}
	rc, err := it.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, dump) {
		t.Fatalf("content: %d bytes, %v", len(got), err)
	}

	// The same, whose zip64 field declares 5 GiB: a zip bomb by its declared size.
	_, c = tlsServer(t, serveBytes(zip64(dump, 5<<30)))
	c.MaxSize = 1 << 20
	r = fetch(t, c)
	if r.err == nil || r.last().Name != report.StepExpected || !strings.Contains(r.last().Cause, "declares 5.4 GB uncompressed, more than max_size") {
		t.Fatalf("err %v, last step %+v", r.err, r.last())
	}
}

// zip64 returns a zip64 file holding dump.sql, stored, whose uncompressed size is
// declared as size in its zip64 extra fields.
func zip64(data []byte, size uint64) []byte {
	var b bytes.Buffer
	le := func(v ...any) {
		for _, x := range v {
			binary.Write(&b, binary.LittleEndian, x)
		}
	}
	name := "dump.sql"
	crc := crc32.ChecksumIEEE(data)
	const dosTime, dosDate = uint16(0), uint16(0x5b76) // 2025-11-22
	// Local file header, with a zip64 extra: original size, compressed size.
	le(uint32(0x04034b50), uint16(45), uint16(0), uint16(zip.Store), dosTime, dosDate, crc,
		uint32(0xffffffff), uint32(0xffffffff), uint16(len(name)), uint16(20))
	b.WriteString(name)
	le(uint16(1), uint16(16), size, uint64(len(data)))
	b.Write(data)
	// Central directory, with a zip64 extra: original size, compressed size, offset.
	cdOffset := uint64(b.Len())
	le(uint32(0x02014b50), uint16(45), uint16(45), uint16(0), uint16(zip.Store), dosTime, dosDate, crc,
		uint32(0xffffffff), uint32(0xffffffff), uint16(len(name)), uint16(28), uint16(0),
		uint16(0), uint16(0), uint32(0), uint32(0xffffffff))
	b.WriteString(name)
	le(uint16(1), uint16(24), size, uint64(len(data)), uint64(0))
	cdSize := uint64(b.Len()) - cdOffset
	// Zip64 end of central directory record and locator, then the classic end record
	// with every field saturated, which sends readers to the zip64 one.
	eocd64 := uint64(b.Len())
	le(uint32(0x06064b50), uint64(44), uint16(45), uint16(45), uint32(0), uint32(0),
		uint64(1), uint64(1), cdSize, cdOffset)
	le(uint32(0x07064b50), uint32(0), eocd64, uint32(1))
	le(uint32(0x06054b50), uint16(0), uint16(0), uint16(0xffff), uint16(0xffff),
		uint32(0xffffffff), uint32(0xffffffff), uint16(0))
	return b.Bytes()
}

// An entry that declares a small size but inflates to more is cut off at its declared
// size: reading it fails, so nothing of it is archived.
func TestFetchEntryLargerThanDeclared(t *testing.T) {
	inflated := make([]byte, 8<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(inflated)
	fw.Close()
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "dump.sql", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(inflated),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()

	_, c := tlsServer(t, serveBytes(z.Bytes()))
	c.MaxSize = 1 << 20
	r := fetch(t, c)
	if r.err != nil {
		t.Fatalf("fetch: %v", r.err)
	}
	rc, err := r.f.Items[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if !errors.Is(err, zip.ErrFormat) || n > 1000 {
		t.Errorf("read %d bytes, err %v; want at most the 1000 declared, then zip.ErrFormat", n, err)
	}
}

// A staging disk that fills up during the download: the cause names the local file,
// the hint staging_dir, and the download is not retried (the disk will still be full).
func TestFetchStagingDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatalf("/dev/full: %v", err) // every Linux has it
	}
	var n atomic.Int32
	_, c := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		serveBytes(makeZip(t, map[string][]byte{"dump.sql": []byte("x")}))(w, r)
	}))
	c.Retries = 2
	stage := t.TempDir()
	// The staged zip is written where /dev/full is: every write gets ENOSPC.
	if err := os.Symlink("/dev/full", filepath.Join(stage, "source.zip")); err != nil {
		t.Fatal(err)
	}
	src, err := New(c, discard())
	if err != nil {
		t.Fatal(err)
	}
	var steps []report.Step
	_, err = src.Fetch(t.Context(), stage, func(s report.Step) { steps = append(steps, s) })
	if err == nil {
		t.Fatal("no error")
	}
	s := steps[len(steps)-1]
	if s.Name != report.StepDownloaded || !strings.Contains(s.Cause, "write "+filepath.Join(stage, "source.zip")+": no space left on device") || !strings.Contains(s.Hint, "staging_dir") {
		t.Errorf("step = %+v", s)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests: a full local disk was retried", n.Load())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestUnsafeName(t *testing.T) {
	for name, bad := range map[string]bool{
		"dump.sql": false, "export/2026/dump.sql": false, "a..b/dump..sql": false, "1:dump.sql": false,
		"../dump.sql": true, "a/../../dump.sql": true, "/dump.sql": true, `C:\dump.sql`: true, `a\..\dump.sql`: true, "..": true,
	} {
		if got := unsafeName(name) != ""; got != bad {
			t.Errorf("unsafeName(%q) = %q, want unsafe %v", name, unsafeName(name), bad)
		}
	}
}
