package fault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHint(t *testing.T) {
	scenarios := []struct {
		name string
		err  error
		want string
	}{
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "nothing listens"},
		{"disk full", fmt.Errorf("write x: %w", syscall.ENOSPC), "disk is full"},
		{"permission", fmt.Errorf("open x: %w", os.ErrPermission), "permission denied"},
		{"dns", &net.DNSError{Err: "no such host", Name: "nas.example.invalid", IsNotFound: true}, "does not resolve"},
		{"timeout", context.DeadlineExceeded, "did not answer in time"},
		{"cut", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "broke off"},
		{"own hint wins", WithHint(syscall.ENOSPC, "free space on nas"), "free space on nas"},
		{"unknown", errors.New("strange"), "gardien check"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if got := Hint(sc.err); !strings.Contains(got, sc.want) {
				t.Errorf("Hint = %q, want %q", got, sc.want)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	if !Retryable(fmt.Errorf("x: %w", syscall.ECONNRESET)) || !Retryable(io.ErrUnexpectedEOF) {
		t.Error("transient errors not retryable")
	}
	if Retryable(Permanent(io.ErrUnexpectedEOF)) || Retryable(context.Canceled) || Retryable(errors.New("auth failed")) {
		t.Error("permanent errors retryable")
	}
}

func TestRetry(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	n := 0
	err := retry(context.Background(), log, 3, time.Millisecond, "x", func(context.Context) error {
		n++
		if n < 3 {
			return syscall.ECONNRESET
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("transient then ok: err %v after %d tries", err, n)
	}
	n = 0
	err = retry(context.Background(), log, 3, time.Millisecond, "x", func(context.Context) error { n++; return syscall.ECONNRESET })
	if n != 3 || !strings.Contains(fmt.Sprint(err), "after 3 attempts") {
		t.Errorf("always failing: %v after %d tries", err, n)
	}
	n = 0
	err = retry(context.Background(), log, 3, time.Millisecond, "x", func(context.Context) error { n++; return errors.New("bad password") })
	if n != 1 || err == nil {
		t.Errorf("permanent error tried %d times", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n = 0
	retry(ctx, log, 3, time.Hour, "x", func(context.Context) error { n++; return syscall.ECONNRESET })
	if n != 1 {
		t.Errorf("cancelled context retried %d times", n)
	}
}
