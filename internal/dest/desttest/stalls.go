package desttest

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
)

// Stalls describes a destination to the stall tests, StallMidUpload,
// CancelWhileStalled and StallMidRead: a server that stops answering in the middle
// of an operation. The destination gives up after its timeout with a timeout worth
// retrying, a cancelled context ends an operation promptly whatever the server
// does, and the destination works again afterwards. Each protocol runs the three
// as tests of its own (TestSFTPStallMidUpload…), which docs/reliability.md cites.
type Stalls struct {
	// Open returns a destination on an empty directory whose connections go through
	// a Freezer (or anything else that silences the server without closing the
	// connections), with timeout as the destination's timeout, and the function
	// that freezes them. The test closes the destination.
	Open func(t *testing.T, timeout time.Duration) (d dest.Destination, freeze func())
	// UploadSize is the size of the uploads that stall (64 MiB when 0), ReadSize the
	// size of the archive whose reading back stalls (16 MiB when 0).
	UploadSize, ReadSize int64
	// FreezeAfter is how many bytes of an upload, or of the read back, go through
	// before the freeze (2 MiB when 0).
	FreezeAfter int64
	// FreezeBeforeRead freezes the read back as soon as the archive is open, before
	// anything is read.
	FreezeBeforeRead bool
	// AfterStall checks that the destination works again after the stalled upload of
	// a.tgz. When nil, a new Put of a.tgz must succeed at once, as the job's retry
	// does.
	AfterStall func(t *testing.T, d dest.Destination)
}

// StallMidUpload: a server that stops answering in the middle of an upload. The
// watchdog (or the protocol's deadlines) cuts the connection after timeout, the
// error is a timeout worth retrying, and the retry connects again.
func StallMidUpload(t *testing.T, s Stalls) {
	s = s.withDefaults()
	d, freeze := s.open(t, time.Second)
	r := NewHookReader(io.LimitReader(newStream(4), s.UploadSize), s.FreezeAfter, freeze)
	t0 := time.Now()
	err := d.Put(context.Background(), "a.tgz", r, s.UploadSize)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("Put took %s to notice a stall with timeout 1s", el)
	}
	if !fault.Retryable(err) {
		t.Errorf("a stall is not retryable: %v", err)
	}
	t.Logf("err = %v; hint = %s", err, fault.Hint(err))
	if s.AfterStall != nil {
		s.AfterStall(t, d)
		return
	}
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("retry"), 5); err != nil {
		t.Fatalf("Put after the stall: %v", err)
	}
}

// CancelWhileStalled: cancelling the context of an upload to a hung server returns
// promptly, long before the timeout.
func CancelWhileStalled(t *testing.T, s Stalls) {
	s = s.withDefaults()
	d, freeze := s.open(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewHookReader(io.LimitReader(newStream(5), s.UploadSize), s.FreezeAfter, func() {
		freeze()
		time.AfterFunc(200*time.Millisecond, cancel)
	})
	t0 := time.Now()
	err := d.Put(ctx, "a.tgz", r, s.UploadSize)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("Put took %s to return after its context was cancelled", el)
	}
	t.Logf("err = %v", err)
}

// StallMidRead: reading an archive back (verify, restore) from a hung server times
// out too.
func StallMidRead(t *testing.T, s Stalls) {
	s = s.withDefaults()
	d, freeze := s.open(t, time.Second)
	if err := d.Put(context.Background(), "a.tgz", io.LimitReader(newStream(6), s.ReadSize), s.ReadSize); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Open(context.Background(), "a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	after := s.FreezeAfter
	if s.FreezeBeforeRead {
		after = 0 // the hook runs at the first Read, before it reads
	}
	t0 := time.Now()
	_, err = io.Copy(io.Discard, NewHookReader(rc, after, freeze))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read from a frozen server: err = %v, want a timeout", err)
	}
	if el := time.Since(t0); el > 10*time.Second {
		t.Errorf("the read took %s to notice a stall with timeout 1s", el)
	}
	t.Logf("err = %v", err)
}

func (s Stalls) withDefaults() Stalls {
	s.UploadSize = cmp.Or(s.UploadSize, 64<<20)
	s.ReadSize = cmp.Or(s.ReadSize, 16<<20)
	s.FreezeAfter = cmp.Or(s.FreezeAfter, 2<<20)
	return s
}

func (s Stalls) open(t *testing.T, timeout time.Duration) (dest.Destination, func()) {
	t.Helper()
	d, freeze := s.Open(t, timeout)
	// A destination whose server froze may fail to close: that is not checked.
	t.Cleanup(func() { d.Close() })
	return d, freeze
}
