package source

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/progress"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/tlsutil"
	"github.com/gardien/gardien/internal/version"
)

// HTTPSZip is the seed's source: a fixed URL serving a .zip that holds a dump with a
// fixed name.
type HTTPSZip struct {
	cfg    config.Source
	url    *url.URL
	client *http.Client
	log    *slog.Logger
}

var _ Source = (*HTTPSZip)(nil)

func newHTTPSZip(c config.Source, log *slog.Logger) (Source, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("source url: %w", err)
	}
	tc, err := tlsutil.Config(c.CAFile, "")
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.Proxy = http.ProxyFromEnvironment
	tr.ResponseHeaderTimeout = c.Timeout.D()
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		// net/http keeps credentials on a redirect to the same host whatever the
		// scheme: an https URL that redirects to http would send them in clear.
		if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" && !c.AllowInsecure {
			return fault.Permanent(fault.WithHint(fmt.Errorf("redirected from https to %s", config.RedactURL(req.URL.String())),
				"the server redirects to plain http: fix its configuration, or set allow_insecure = true if you accept that"))
		}
		// net/http drops Authorization and cookies on a redirect to another host,
		// but not the headers of the configuration: an X-Api-Key given for the export
		// server is not for the next one.
		if req.URL.Host != via[0].URL.Host {
			for k := range c.Headers {
				req.Header.Del(k)
			}
		}
		return nil
	}}
	return &HTTPSZip{cfg: c, url: u, client: client, log: log}, nil
}

func (s *HTTPSZip) String() string { return "https-zip " + config.RedactURL(s.url.String()) }

// httpStatusError is a non-2xx answer.
type httpStatusError struct {
	code   int
	status string
}

func (e *httpStatusError) Error() string { return "HTTP " + e.status }

// Retryable: a 5xx or 429 may pass; a 4xx will not.
func (e *httpStatusError) Retryable() bool {
	return e.code >= 500 || e.code == http.StatusTooManyRequests || e.code == http.StatusRequestTimeout
}

func (e *httpStatusError) Hint() string {
	switch {
	case e.code == http.StatusUnauthorized || e.code == http.StatusForbidden:
		return "the server refused the credentials: check username and password (or the Authorization header) of [job.source]"
	case e.code == http.StatusNotFound || e.code == http.StatusGone:
		return "nothing at that URL: check the url of [job.source], and that the export was produced last night"
	case e.code >= 500:
		return "the server failed: check the web application's logs on the source server"
	}
	return "the server did not send the dump: open the URL in a browser to see its answer"
}

// download is the outcome of the GET.
type download struct {
	status  string
	length  int64 // Content-Length, -1 when not given
	written int64
	elapsed time.Duration
}

func (s *HTTPSZip) Fetch(ctx context.Context, stage string, rec Recorder) (*Fetched, error) {
	zipPath := filepath.Join(stage, "source.zip")
	var dl download
	started := false  // some attempt got the server's answer
	var status string // the status of the last answer
	err := fault.Retry(ctx, s.log, s.cfg.Retries+1, "download "+config.RedactURL(s.url.String()), func(ctx context.Context) error {
		var err error
		var st bool
		dl, st, err = s.get(ctx, zipPath)
		started = started || st
		if dl.status != "" {
			status = dl.status
		}
		return err
	})
	dl.status = status
	if err != nil && !started {
		rec(report.Step{Name: report.StepReachable, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	reach := fmt.Sprintf("HTTP %s", dl.status)
	if err == nil {
		reach += fmt.Sprintf(", %s in %s", report.Bytes(dl.written), report.Duration(dl.elapsed))
	} else if dl.length >= 0 {
		reach += fmt.Sprintf(", announced %s", report.Bytes(dl.length))
	}
	rec(report.Step{Name: report.StepReachable, Status: report.OK, Detail: reach})
	if err != nil {
		rec(report.Step{Name: report.StepDownloaded, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		err = fmt.Errorf("open zip (%s received): %w", report.Bytes(dl.written), err)
		err = fault.WithHint(err, zipHint(zipPath))
		rec(report.Step{Name: report.StepDownloaded, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	// klauspost's inflate: the standard library's takes a tenth of a run's CPU
	// (docs/benchmarks.md), this one about 15 % less of it.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return flate.NewReader(r) })
	rec(report.Step{Name: report.StepDownloaded, Status: report.OK, Detail: fmt.Sprintf("%s, %d entries", report.Bytes(dl.written), len(zr.File))})

	f, err := s.findEntry(zr)
	if err != nil {
		zr.Close()
		rec(report.Step{Name: report.StepExpected, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	item := Item{
		Name:    path.Base(s.cfg.Expect),
		Size:    int64(f.UncompressedSize64),
		ModTime: f.Modified,
		CRC32:   f.CRC32,
		Open:    func() (io.ReadCloser, error) { return f.Open() },
		Step:    report.StepExpected,
		Detail:  fmt.Sprintf("%s, %s, CRC-32 %08x ok", f.Name, report.Bytes(int64(f.UncompressedSize64)), f.CRC32),
	}
	if f.Method == zip.Deflate {
		item.OpenDeflated = func() (io.ReadCloser, error) {
			r, err := f.OpenRaw()
			if err != nil {
				return nil, err
			}
			return io.NopCloser(r), nil
		}
		item.DeflatedSize = int64(f.CompressedSize64)
	}
	return &Fetched{Items: []Item{item}, Close: zr.Close}, nil
}

// Check asks for the zip and reads only the answer's headers.
func (s *HTTPSZip) Check(ctx context.Context) (string, error) {
	resp, err := s.request(ctx)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &httpStatusError{code: resp.StatusCode, status: resp.Status}
	}
	d := "HTTP " + resp.Status
	if resp.ContentLength >= 0 {
		d += ", " + report.Bytes(resp.ContentLength) + " announced"
	}
	return d, nil
}

func (s *HTTPSZip) request(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url.String(), nil)
	if err != nil {
		return nil, fault.Permanent(err)
	}
	if s.cfg.Username != "" {
		req.SetBasicAuth(s.cfg.Username, s.cfg.Password)
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "gardien/"+version.String())
	resp, err := s.client.Do(req)
	if err != nil {
		// The url may hold a password: net/http's errors quote it.
		return nil, redactURLError(err)
	}
	return resp, nil
}

// get downloads the body to dst, checking its length. started reports that the server
// answered with a success status, so that a failure after it belongs to the download
// step, not to reachability.
func (s *HTTPSZip) get(ctx context.Context, dst string) (dl download, started bool, err error) {
	dl.length = -1
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout.D())
	defer cancel()
	ctx, idle := watchIdle(ctx, s.cfg.IdleTimeout.D())
	defer idle.stop()
	t0 := time.Now()
	resp, err := s.request(ctx)
	if err != nil {
		return dl, false, err
	}
	defer resp.Body.Close()
	dl.status = resp.Status
	dl.length = resp.ContentLength
	if resp.StatusCode != http.StatusOK {
		return dl, false, &httpStatusError{code: resp.StatusCode, status: resp.Status}
	}
	if max := int64(s.cfg.MaxSize); max > 0 && dl.length > max {
		return dl, true, fault.Permanent(fault.WithHint(fmt.Errorf("the server announces %s, more than max_size %s", report.Bytes(dl.length), report.Bytes(max)), "raise max_size in [job.source] if the dump really grew"))
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return dl, true, fault.Permanent(fmt.Errorf("stage the download: %w", err))
	}
	task := progress.From(ctx).Start("download", dl.length)
	defer task.Done()
	body := task.Reader(idle.reader(resp.Body))
	if max := int64(s.cfg.MaxSize); max > 0 {
		body = io.LimitReader(body, max+1)
	}
	dl.written, err = io.Copy(&stageWriter{w: out, path: dst}, body)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = stageError(cerr)
	}
	dl.elapsed = time.Since(t0)
	switch {
	case err != nil:
		return dl, true, fmt.Errorf("download interrupted after %s: %w", report.Bytes(dl.written), redactURLError(err))
	case dl.length >= 0 && dl.written != dl.length:
		return dl, true, fmt.Errorf("received %d bytes of the %d announced by Content-Length: %w", dl.written, dl.length, io.ErrUnexpectedEOF)
	case s.cfg.MaxSize > 0 && dl.written > int64(s.cfg.MaxSize):
		return dl, true, fault.Permanent(fmt.Errorf("the zip is larger than max_size %s", report.Bytes(int64(s.cfg.MaxSize))))
	}
	return dl, true, nil
}

// findEntry returns the expected entry: by its exact name, or else the one entry whose
// base name it is (exports often put the dump in a folder).
func (s *HTTPSZip) findEntry(zr *zip.ReadCloser) (*zip.File, error) {
	want := s.cfg.Expect
	var byBase []*zip.File
	var names []string
	for _, f := range zr.File {
		if f.Name == want {
			return s.checkEntry(f)
		}
		if !f.FileInfo().IsDir() {
			names = append(names, f.Name)
			if path.Base(f.Name) == path.Base(want) {
				byBase = append(byBase, f)
			}
		}
	}
	if len(byBase) == 1 {
		return s.checkEntry(byBase[0])
	}
	shown := names
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("… %d more", len(names)-5))
	}
	err := fmt.Errorf("%q is not in the zip (it holds: %s)", want, strings.Join(shown, ", "))
	return nil, fault.Permanent(fault.WithHint(err, "the export changed: fix expect in [job.source] if the dump was renamed, or check the export on the source server"))
}

func (s *HTTPSZip) checkEntry(f *zip.File) (*zip.File, error) {
	if f.FileInfo().IsDir() {
		return nil, fault.Permanent(fmt.Errorf("%q is a directory in the zip", f.Name))
	}
	if why := unsafeName(f.Name); why != "" {
		return nil, fault.Permanent(fault.WithHint(fmt.Errorf("the zip names its entry %q, %s", f.Name, why),
			"a broken or hostile export: gardien archives nothing from it; check how the zip is made on the source server"))
	}
	if max := int64(s.cfg.MaxSize); max > 0 && f.UncompressedSize64 > uint64(max) {
		return nil, fault.Permanent(fault.WithHint(
			fmt.Errorf("%q declares %s uncompressed, more than max_size %s", f.Name, report.Bytes(int64(f.UncompressedSize64)), report.Bytes(max)),
			"a zip bomb or a dump that truly grew: raise max_size in [job.source] only if you expect that size"))
	}
	return f, nil
}

// zipHint looks at the first bytes of what was received to say what it was.
func zipHint(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return "the file received is not a valid zip"
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = bytes.ToLower(head[:n])
	switch {
	case n == 0:
		return "the server sent an empty file: check that the export ran on the source server"
	case bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype")):
		return "the server sent a web page instead of the zip (a login or error page?): open the URL in a browser"
	case bytes.HasPrefix(head, []byte("pk")):
		return "the zip is truncated or damaged: the export may still have been running, or the transfer was cut"
	}
	return "the file received is not a zip: check the url of [job.source]"
}

// redactURLError removes the password that a *url.Error quotes in its URL.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = config.RedactURL(ue.URL)
	}
	return err
}
