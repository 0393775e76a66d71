package source

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// FuzzZip serves arbitrary bytes as the zip. The source must never panic nor hang; a
// refusal is a failed step of the source (located: which check, with a cause and a
// hint), and an accepted zip yields the expected entry, within max_size, whose
// reading either gives its declared size or fails. The seed corpus is in
// testdata/fuzz/FuzzZip; `make fuzz` runs it for a bounded time.
func FuzzZip(f *testing.F) {
	dump := bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 50)
	good := makeZip(f, map[string][]byte{"dump.sql": dump, "README": []byte("hi")})
	f.Add(good)
	f.Add(testutil.Zip(f, map[string][]byte{"export/dump.sql": dump}))
	f.Add(zip64(dump, uint64(len(dump))))
	f.Add(good[:len(good)-30])
	f.Add([]byte("<!DOCTYPE html><html><body>Session expired</body></html>"))
	f.Add(makeZip(f, map[string][]byte{"../dump.sql": dump}))
	f.Add(bomb(f, 2<<20))
	f.Add([]byte{})

	// The bytes come through an in-process transport rather than a TLS server: the
	// server's goroutines would make the coverage of each input vary from run to run,
	// which stalls the fuzzer. What is fuzzed is everything after the answer: the
	// staging, the zip's checks and the entry's. The unit tests serve real HTTPS.
	var body []byte
	const maxSize = 1 << 20
	src, err := New(config.Source{
		Type: "https-zip", URL: "https://exports.example.org/dump.zip", Expect: "dump.sql",
		Timeout: config.Duration(10 * time.Second), IdleTimeout: config.Duration(5 * time.Second), MaxSize: maxSize,
	}, discard())
	if err != nil {
		f.Fatal(err)
	}
	src.(*HTTPSZip).client.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Length": {strconv.Itoa(len(body))}}, ContentLength: int64(len(body)),
			Body: io.NopCloser(bytes.NewReader(body)), Request: r,
		}, nil
	})
	stage := f.TempDir() // source.zip is written over by each input
	located := map[string]bool{report.StepReachable: true, report.StepDownloaded: true, report.StepExpected: true}

	f.Fuzz(func(t *testing.T, data []byte) {
		body = data
		var steps []report.Step
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got, err := src.Fetch(ctx, stage, func(s report.Step) { steps = append(steps, s) })
		if err != nil {
			if got != nil {
				t.Fatalf("Fetch returned %+v with its error %v", got, err)
			}
			if len(steps) == 0 {
				t.Fatalf("refused without a step: %v", err)
			}
			s := steps[len(steps)-1]
			if s.Status != report.Failed || !located[s.Name] || s.Cause == "" || s.Hint == "" {
				t.Fatalf("refusal not located: last step %+v (error %v)", s, err)
			}
			return
		}
		defer got.Close()
		if len(got.Items) != 1 {
			t.Fatalf("%d items", len(got.Items))
		}
		it := got.Items[0]
		if it.Name != "dump.sql" || it.Size < 0 || it.Size > maxSize {
			t.Fatalf("item %q of %d bytes accepted (max_size %d)", it.Name, it.Size, maxSize)
		}
		rc, err := it.Open()
		if err != nil {
			return // a damaged entry: the archive step reports it
		}
		defer rc.Close()
		n, err := io.Copy(io.Discard, rc)
		if err == nil && n != it.Size {
			t.Fatalf("read %d bytes of an entry that declares %d, without error", n, it.Size)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
