// Package desttest is the conformance suite that every destination passes: each
// protocol's test runs it against an in-process server, and the integration suite
// against the real daemon.
package desttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
)

// LargeSize is the size of the streamed upload test in the unit suite.
const LargeSize = 32 << 20

// ITLargeSize is its size against the real servers of the integration suite
// (GARDIEN_IT=1), where the client's memory is measured too.
const ITLargeSize = 200 << 20

// MaxHeapGrowth bounds how much the heap may grow during the large upload against a
// real server: a destination that held the archive in memory would pass it.
const MaxHeapGrowth = 64 << 20

// Run runs the suite. open returns a destination on an empty directory (a new one
// for each call); Run closes it.
func Run(t *testing.T, open func(t *testing.T) dest.Destination) {
	fresh := func(t *testing.T) dest.Destination {
		t.Helper()
		d := open(t)
		t.Cleanup(func() {
			if err := d.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return d
	}

	t.Run("EmptyList", func(t *testing.T) {
		d := fresh(t)
		objs, err := d.List(ctx(t))
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(objs) != 0 {
			t.Errorf("List of a new destination = %v, want nothing", objs)
		}
	})

	t.Run("PutList", func(t *testing.T) {
		d := fresh(t)
		body := []byte("the first archive\n")
		put(t, d, "20261122.tgz", body)
		objs := list(t, d)
		if len(objs) != 1 {
			t.Fatalf("List = %v, want only 20261122.tgz", objs)
		}
		o := objs[0]
		if o.Name != "20261122.tgz" || o.Size != int64(len(body)) {
			t.Errorf("List = %+v, want 20261122.tgz of %d bytes", o, len(body))
		}
		if o.ModTime.IsZero() || time.Since(o.ModTime) > time.Hour || time.Until(o.ModTime) > time.Hour {
			t.Errorf("ModTime = %v, want about now", o.ModTime)
		}
	})

	t.Run("Open", func(t *testing.T) {
		d := fresh(t)
		body := bytes.Repeat([]byte("0123456789abcdef"), 4096+7)
		put(t, d, "a.tgz", body)
		if got := read(t, d, "a.tgz"); !bytes.Equal(got, body) {
			t.Errorf("Open returned %d bytes that differ from the %d sent", len(got), len(body))
		}
	})

	t.Run("Replace", func(t *testing.T) {
		d := fresh(t)
		put(t, d, "a.tgz", []byte("old content, longer than the new"))
		put(t, d, "a.tgz", []byte("new"))
		if got := string(read(t, d, "a.tgz")); got != "new" {
			t.Errorf("after a second Put, Open = %q, want %q", got, "new")
		}
		objs := list(t, d)
		if len(objs) != 1 || objs[0].Size != 3 {
			t.Errorf("List = %v, want one file of 3 bytes", objs)
		}
	})

	t.Run("SizeMismatch", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body string
			size int64
		}{
			{"short", "ten bytes!", 20},
			{"long", "more than five", 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := fresh(t)
				err := d.Put(ctx(t), "a.tgz", strings.NewReader(tc.body), tc.size)
				if !errors.Is(err, dest.ErrSizeMismatch) {
					t.Fatalf("Put of %d bytes announced as %d: err = %v, want ErrSizeMismatch", len(tc.body), tc.size, err)
				}
				absent(t, d, "a.tgz", namefmt.TempName("a.tgz"))
			})
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		d := fresh(t)
		c, cancel := context.WithCancel(ctx(t))
		defer cancel()
		const size = 16 << 20
		r := &hookReader{r: io.LimitReader(newStream(1), size), after: 1 << 20, hook: cancel}
		done := make(chan error, 1)
		go func() { done <- d.Put(c, "a.tgz", r, size) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("Put did not return within 30s of its context being cancelled")
		}
		if err == nil {
			t.Fatal("Put with a context cancelled mid-stream succeeded")
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want one that wraps context.Canceled", err)
		}
		absent(t, d, "a.tgz")
		for _, o := range list(t, d) {
			if o.Name == namefmt.TempName("a.tgz") {
				t.Logf("the temporary file stays after the cancellation (%d bytes): retention removes it", o.Size)
			}
		}
		t.Logf("err = %v", err)
	})

	t.Run("Delete", func(t *testing.T) {
		d := fresh(t)
		put(t, d, "a.tgz", []byte("a"))
		put(t, d, "b.tgz", []byte("b"))
		if err := d.Delete(ctx(t), "a.tgz"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		objs := list(t, d)
		if len(objs) != 1 || objs[0].Name != "b.tgz" {
			t.Errorf("after Delete, List = %v, want only b.tgz", objs)
		}
		if err := d.Delete(ctx(t), "a.tgz"); err != nil {
			t.Errorf("Delete of a deleted file: %v, want nil", err)
		}
		if err := d.Delete(ctx(t), "never-was.tgz"); err != nil {
			t.Errorf("Delete of a missing file: %v, want nil", err)
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		d := fresh(t)
		rc, err := d.Open(ctx(t), "missing.tgz")
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, dest.ErrNotFound) {
			t.Errorf("Open of a missing file: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("Unicode", func(t *testing.T) {
		d := fresh(t)
		const name = "archive 2026 é.tgz"
		put(t, d, name, []byte("accents"))
		objs := list(t, d)
		if len(objs) != 1 || objs[0].Name != name {
			t.Errorf("List = %v, want %q", objs, name)
		}
		if got := string(read(t, d, name)); got != "accents" {
			t.Errorf("Open = %q", got)
		}
		if err := d.Delete(ctx(t), name); err != nil {
			t.Errorf("Delete: %v", err)
		}
	})

	// List shows every regular file, archives or not: only the retention sorts them
	// (foreign files are never touched, stale temporary files are removed).
	t.Run("ListShowsForeignNames", func(t *testing.T) {
		d := fresh(t)
		for _, n := range []string{"README.txt", namefmt.TempName("20261121.tgz"), "20261122.tgz"} {
			put(t, d, n, []byte(n))
		}
		var got []string
		for _, o := range list(t, d) {
			got = append(got, o.Name)
		}
		slices.Sort(got)
		want := []string{namefmt.TempName("20261121.tgz"), "20261122.tgz", "README.txt"}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("List = %q, want %q", got, want)
		}
	})

	t.Run("NotAPath", func(t *testing.T) {
		d := fresh(t)
		for _, name := range []string{"", "../escape.tgz", "sub/a.tgz", ".."} {
			if err := d.Put(ctx(t), name, strings.NewReader("x"), 1); err == nil {
				t.Errorf("Put(%q) succeeded, want an error: names are not paths", name)
			}
		}
	})

	// Rename, for the destinations that have it (dest.Renamer): the job uploads a
	// copy under a hidden name, reads it back, and only then renames it, so the
	// rename must replace an archive of that name without ever losing it.
	t.Run("Rename", func(t *testing.T) {
		if d := fresh(t); !isRenamer(d) {
			t.Skipf("%T has no Rename: the job reads its archives back after Put", d)
		}
		renamer := func(t *testing.T) (dest.Destination, dest.Renamer) {
			t.Helper()
			d := fresh(t)
			return d, d.(dest.Renamer)
		}
		hidden := namefmt.VerifyName("20261122.tgz")
		t.Run("OntoMissing", func(t *testing.T) {
			d, rn := renamer(t)
			put(t, d, hidden, []byte("checked copy"))
			if err := rn.Rename(ctx(t), hidden, "20261122.tgz"); err != nil {
				t.Fatalf("Rename: %v", err)
			}
			if got := string(read(t, d, "20261122.tgz")); got != "checked copy" {
				t.Errorf("after Rename, 20261122.tgz = %q, want %q", got, "checked copy")
			}
			only(t, d, "20261122.tgz", int64(len("checked copy")))
		})
		t.Run("OntoExisting", func(t *testing.T) {
			d, rn := renamer(t)
			put(t, d, "20261122.tgz", []byte("the earlier archive of the day, longer"))
			put(t, d, hidden, []byte("newer"))
			if err := rn.Rename(ctx(t), hidden, "20261122.tgz"); err != nil {
				t.Fatalf("Rename onto an existing file: %v", err)
			}
			if got := string(read(t, d, "20261122.tgz")); got != "newer" {
				t.Errorf("after Rename, 20261122.tgz = %q, want the renamed file's %q", got, "newer")
			}
			// Nothing left aside (.NAME.old) nor under the old name.
			only(t, d, "20261122.tgz", int64(len("newer")))
		})
		t.Run("MissingSource", func(t *testing.T) {
			d, rn := renamer(t)
			const earlier = "the earlier archive of the day"
			put(t, d, "20261122.tgz", []byte(earlier))
			err := rn.Rename(ctx(t), hidden, "20261122.tgz")
			if err == nil {
				t.Fatal("Rename of a missing file succeeded")
			}
			t.Logf("err = %v", err)
			if got := string(read(t, d, "20261122.tgz")); got != earlier {
				t.Errorf("after a failed Rename, 20261122.tgz = %q, want it untouched: %q", got, earlier)
			}
			only(t, d, "20261122.tgz", int64(len(earlier)))
		})
		t.Run("NotAPath", func(t *testing.T) {
			d, rn := renamer(t)
			put(t, d, "a.tgz", []byte("a"))
			for _, p := range [][2]string{{"a.tgz", "../escape.tgz"}, {"a.tgz", "sub/a.tgz"}, {"../a.tgz", "b.tgz"}, {"a.tgz", ""}} {
				if err := rn.Rename(ctx(t), p[0], p[1]); err == nil {
					t.Errorf("Rename(%q, %q) succeeded, want an error: names are not paths", p[0], p[1])
				}
			}
			only(t, d, "a.tgz", 1)
		})
	})

	t.Run("Large", func(t *testing.T) {
		d := fresh(t)
		size := int64(LargeSize)
		// Against a real server (out of this process), the heap is the client's alone:
		// it must stay flat whatever the size.
		real := os.Getenv("GARDIEN_IT") == "1"
		if real {
			size = ITLargeSize
		}
		sent := sha256.New()
		r := io.TeeReader(io.LimitReader(newStream(2), size), sent)
		var peak uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		if real {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			go func() {
				defer close(sampled)
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
							peak = ms.HeapAlloc - base
						}
					}
				}
			}()
		} else {
			close(sampled)
		}
		err := d.Put(ctx(t), "large.tgz", r, size)
		close(stop)
		<-sampled
		if err != nil {
			t.Fatalf("Put of %d bytes: %v", size, err)
		}
		if real {
			t.Logf("heap growth during the upload of %d MB: %d MB at most", size>>20, peak>>20)
			if peak > MaxHeapGrowth {
				t.Errorf("the heap grew by %d MB during the upload of %d MB (bound %d MB): the upload is not streamed", peak>>20, size>>20, MaxHeapGrowth>>20)
			}
		}
		objs := list(t, d)
		if len(objs) != 1 || objs[0].Size != size {
			t.Fatalf("List = %v, want large.tgz of %d bytes", objs, size)
		}
		rc, err := d.Open(ctx(t), "large.tgz")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		got := sha256.New()
		n, err := io.Copy(got, rc)
		if err != nil {
			rc.Close()
			t.Fatalf("read back: %v", err)
		}
		if n != size || !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
			t.Errorf("read back %d bytes with sha256 %x, sent %d with %x", n, got.Sum(nil), size, sent.Sum(nil))
		}
		if err := rc.Close(); err != nil {
			t.Errorf("Close of the reader: %v", err)
		}
	})
}

// NewStream returns an endless deterministic stream of pseudo-random bytes, for
// large uploads that are never held in memory.
func NewStream(seed uint64) io.Reader { return newStream(seed) }

func newStream(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

type hookReader struct {
	r     io.Reader
	after int64
	hook  func()
	n     int64
	done  bool
}

// NewHookReader returns a reader that calls hook once, after n bytes of r were read,
// then goes on reading r: it cancels a context or stops a server mid-upload.
func NewHookReader(r io.Reader, n int64, hook func()) io.Reader {
	return &hookReader{r: r, after: n, hook: hook}
}

func (h *hookReader) Read(p []byte) (int, error) {
	if !h.done && h.n >= h.after {
		h.done = true
		h.hook()
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	return n, err
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, d dest.Destination, name string, body []byte) {
	t.Helper()
	if err := d.Put(ctx(t), name, bytes.NewReader(body), int64(len(body))); err != nil {
		t.Fatalf("Put %s: %v", name, err)
	}
}

func list(t *testing.T, d dest.Destination) []dest.Object {
	t.Helper()
	objs, err := d.List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return objs
}

func read(t *testing.T, d dest.Destination, name string) []byte {
	t.Helper()
	rc, err := d.Open(ctx(t), name)
	if err != nil {
		t.Fatalf("Open %s: %v", name, err)
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		rc.Close()
		t.Fatalf("read %s: %v", name, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close %s: %v", name, err)
	}
	return b
}

func isRenamer(d dest.Destination) bool {
	_, ok := d.(dest.Renamer)
	return ok
}

// only fails unless name, of size bytes, is the one file listed.
func only(t *testing.T, d dest.Destination, name string, size int64) {
	t.Helper()
	objs := list(t, d)
	if len(objs) != 1 || objs[0].Name != name || objs[0].Size != size {
		t.Errorf("List = %v, want only %s of %d bytes", objs, name, size)
	}
}

// absent fails unless none of names is listed.
func absent(t *testing.T, d dest.Destination, names ...string) {
	t.Helper()
	for _, o := range list(t, d) {
		for _, n := range names {
			if o.Name == n {
				t.Errorf("%s is on the destination (%d bytes), want it absent", n, o.Size)
			}
		}
	}
}

// Open checks c as `gardien check` and every run do, then opens it: a failure of
// either ends the test. The caller closes the destination.
func Open(t testing.TB, c dest.Config) dest.Destination {
	t.Helper()
	if err := dest.Check(c); err != nil {
		t.Fatalf("Check %s: %v", dest.Redact(c.URL), err)
	}
	d, err := dest.Open(context.Background(), c, dest.Env{})
	if err != nil {
		t.Fatalf("Open %s: %v", dest.Redact(c.URL), err)
	}
	return d
}

// WantCheck runs dest.Check on c, a case of a protocol's table of configurations,
// and fails unless it returns what the case wants: nil when key is "", else a
// config.FieldError with that key, a message holding msg, and a fix (never empty)
// holding fix. It returns that FieldError, nil for a valid case.
func WantCheck(t *testing.T, c dest.Config, key, msg, fix string) *config.FieldError {
	t.Helper()
	err := dest.Check(c)
	if key == "" {
		if err != nil {
			t.Errorf("Check(%s): %v, want nil", dest.Redact(c.URL), err)
		}
		return nil
	}
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Check(%s) = %v, want a FieldError", dest.Redact(c.URL), err)
	}
	if fe.Key != key || !strings.Contains(fe.Msg, msg) || fe.Fix == "" || !strings.Contains(fe.Fix, fix) {
		t.Errorf("Check(%s) = %#v, want key %q, msg with %q, a fix with %q", dest.Redact(c.URL), fe, key, msg, fix)
	}
	return fe
}
