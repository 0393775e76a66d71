package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

type hit struct {
	method, path, query, body, ctype string
}

// monitor is a fake healthchecks.io: it records every ping and answers with status.
type monitor struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	status []int // answers in order; the last one repeats
}

func newMonitor(t *testing.T, status ...int) *monitor {
	m := &monitor{status: status}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.hits = append(m.hits, hit{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get("Content-Type")})
		code := http.StatusOK
		if len(m.status) > 0 {
			code = m.status[0]
			if len(m.status) > 1 {
				m.status = m.status[1:]
			}
		}
		m.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *monitor) got() []hit {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]hit(nil), m.hits...)
}

func notifier(t *testing.T, c config.Notify) (*Notifier, *bytes.Buffer) {
	t.Helper()
	if c.Timeout == 0 {
		c.Timeout = config.Duration(2 * time.Second)
	}
	if c.Method == "" {
		c.Method = "GET"
	}
	var log bytes.Buffer
	n, err := New(c, "backup01", slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	n.wait = 10 * time.Millisecond
	return n, &log
}

func TestPingHealthchecksStyle(t *testing.T) {
	m := newMonitor(t)
	base := m.URL + "/ping/0b5e0d3c-uuid"
	n, log := notifier(t, config.Notify{Start: base + "/start", Success: base, Failure: base + "/fail"})
	ctx := context.Background()
	for _, ev := range []Event{Start, Success, Warning, Failure} {
		if err := n.Ping(ctx, ev, "summary"); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
	}
	var paths []string
	for _, h := range m.got() {
		if h.method != "GET" || h.body != "" {
			t.Errorf("ping %+v: want a GET without body", h)
		}
		paths = append(paths, h.path)
	}
	// A warning pings the success URL: the archive was made and stored.
	want := "/ping/0b5e0d3c-uuid/start /ping/0b5e0d3c-uuid /ping/0b5e0d3c-uuid /ping/0b5e0d3c-uuid/fail"
	if strings.Join(paths, " ") != want {
		t.Errorf("pinged %v, want %s", paths, want)
	}
	if strings.Contains(log.String(), "0b5e0d3c") {
		t.Errorf("the log shows the check's secret UUID:\n%s", log)
	}
}

func TestPingPostAndPlaceholders(t *testing.T) {
	m := newMonitor(t)
	n, _ := notifier(t, config.Notify{
		Method:  "POST",
		Success: m.URL + "/api/push/TOKEN?status=up&msg={status}+on+{host}",
		Warning: m.URL + "/api/push/TOKEN?status=down&msg={status}",
	})
	if err := n.Ping(context.Background(), Warning, "== db run 7f3a · WARNING ==\n"); err != nil {
		t.Fatal(err)
	}
	if err := n.Ping(context.Background(), Success, ""); err != nil {
		t.Fatal(err)
	}
	if err := n.Ping(context.Background(), Start, ""); err != nil { // no start URL: nothing
		t.Fatal(err)
	}
	h := m.got()
	if len(h) != 2 {
		t.Fatalf("%d pings", len(h))
	}
	if h[0].method != "POST" || h[0].query != "status=down&msg=WARNING" || h[0].body != "WARNING\n\n== db run 7f3a · WARNING ==\n" || !strings.HasPrefix(h[0].ctype, "text/plain") {
		t.Errorf("warning ping %+v", h[0])
	}
	if h[1].query != "status=up&msg=SUCCESS+on+backup01" || h[1].body != "SUCCESS\n" {
		t.Errorf("success ping %+v", h[1])
	}
}

// Transient errors are retried; a ping that keeps failing is a warning in the log, with
// a cause and a hint, and an error for the caller (the exit code), never a panic.
func TestPingFailures(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String() + "/ping/secret-uuid"
	l.Close()

	scenarios := []struct {
		name   string
		status []int
		url    string
		pings  int
		cause  string
		hint   string
	}{
		{"5xx then ok", []int{503, 200}, "", 2, "", ""},
		{"404 is not retried", []int{404}, "", 1, "HTTP 404", "does not know this URL"},
		{"server down", nil, down, 0, "connection refused", "nothing listens"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := newMonitor(t, sc.status...)
			u := sc.url
			if u == "" {
				u = m.URL + "/ping/secret-uuid"
			}
			n, log := notifier(t, config.Notify{Failure: u})
			err := n.Ping(context.Background(), Failure, "")
			if got := len(m.got()); got != sc.pings {
				t.Errorf("%d pings, want %d", got, sc.pings)
			}
			if sc.cause == "" {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				return
			}
			var ne *Error
			if !errors.As(err, &ne) || !strings.Contains(err.Error(), sc.cause) || !strings.Contains(fault.Hint(err), sc.hint) {
				t.Fatalf("error %v, hint %q; want %q and %q", err, fault.Hint(err), sc.cause, sc.hint)
			}
			if strings.Contains(err.Error(), "secret-uuid") || strings.Contains(log.String(), "secret-uuid") {
				t.Errorf("the secret URL leaked: %v\n%s", err, log)
			}
			if !strings.Contains(log.String(), `level=WARN msg="ping failed" step=notify event=FAILURE`) {
				t.Errorf("log:\n%s", log)
			}
		})
	}
}

func TestPingTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	n, _ := notifier(t, config.Notify{Start: srv.URL + "/x", Timeout: config.Duration(100 * time.Millisecond)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t0 := time.Now()
	err := n.Ping(ctx, Start, "")
	if err == nil || time.Since(t0) > 4*time.Second || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("err %v after %s", err, time.Since(t0))
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hc-ping.com/0b5e0d3c/start":            "https://hc-ping.com/…",
		"https://kuma.example.org/api/push/T?status=up": "https://kuma.example.org/…",
		"https://monitor.example.org":                   "https://monitor.example.org",
		"::":                                            "(invalid url)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNilNotifier(t *testing.T) {
	var n *Notifier
	if err := n.Ping(context.Background(), Start, ""); err != nil {
		t.Error(err)
	}
}
