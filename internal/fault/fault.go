// Package fault sorts errors in one place: which are worth retrying, and what a
// technician should check for each. Protocols return wrapped errors; the job asks
// fault for the hint and the retry decision, never the other way round.
package fault

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"
)

// Hinted is an error that carries its own hint for the user.
type Hinted interface {
	error
	Hint() string
}

// WithHint attaches a hint to err.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hint: hint}
}

type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }
func (h *hinted) Hint() string  { return h.hint }

// Permanent marks an error that retrying cannot fix (404, bad credentials).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err}
}

type permanent struct{ error }

func (p *permanent) Unwrap() error { return p.error }

// Hint returns what to check for err, or a generic hint.
func Hint(err error) string {
	var h Hinted
	if errors.As(err, &h) {
		return h.Hint()
	}
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *x509.CertificateInvalidError
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return "the run was interrupted; run it again"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "the server did not answer in time: check that it is up and not overloaded, or raise timeout"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve: check its spelling and the machine's DNS (/etc/resolv.conf)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens on that port: check that the service is running and the port is right"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the host cannot be reached: check the network and firewalls between this machine and the server"
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full: free space there, or lower keep_days"
	case errors.Is(err, syscall.EDQUOT):
		return "the disk quota is exhausted: free space there, or lower keep_days"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EROFS):
		return "permission denied: check the owner and mode of the directory for the user gardien runs as"
	case errors.As(err, &unknownCA):
		return "the server's certificate is not signed by a known authority: install the CA on this machine or set ca_file"
	case errors.As(err, &hostErr):
		return "the certificate does not match the host name: use the name the certificate was issued for"
	case errors.As(err, &certErr):
		return "the server's certificate is invalid (expired or not yet valid): renew it, and check this machine's clock"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection broke off: check the network and the server's logs; the run can be retried"
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return "the TLS handshake failed: check the server's certificate, or set ca_file for a private CA"
	}
	return "see the cause above; `gardien check` tests each connection"
}

// Retryable reports whether err is transient: a broken or refused connection, a
// timeout, an HTTP 5xx. Cancellation and errors marked Permanent are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var p *permanent
	if errors.As(err, &p) {
		return false
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	return isTimeout(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, net.ErrClosed)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Retry calls fn until it succeeds, fails permanently, or has been tried attempts
// times, waiting with exponential backoff and jitter between tries. Each retry is
// logged with its cause.
func Retry(ctx context.Context, log *slog.Logger, attempts int, what string, fn func(ctx context.Context) error) error {
	return retry(ctx, log, attempts, time.Second, what, fn)
}

func retry(ctx context.Context, log *slog.Logger, attempts int, base time.Duration, what string, fn func(ctx context.Context) error) error {
	if attempts < 1 {
		attempts = 1
	}
	var err error
	for i := 1; ; i++ {
		err = fn(ctx)
		if err == nil || i >= attempts || !Retryable(err) || ctx.Err() != nil {
			if err != nil && i > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, i)
			}
			return err
		}
		wait := base << (i - 1)
		wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		log.Warn("retrying", "what", what, "attempt", i+1, "of", attempts, "in", wait.Round(time.Millisecond), "cause", err.Error())
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
