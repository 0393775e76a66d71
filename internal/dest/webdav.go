package dest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/studio-b12/gowebdav"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/tlsutil"
	"github.com/gardien/gardien/internal/version"
)

// WebDAV is a collection on a WebDAV server: webdavs://host[:port]/path over HTTPS,
// or webdav://host[:port]/path over plain HTTP when allow_insecure is set. A
// Nextcloud folder is such a path: /remote.php/dav/files/USER/folder.
//
// Each operation runs a gowebdav client of its own, bound to the operation's
// context and to a watchdog that cancels it when nothing moved for timeout. The
// clients share one HTTP transport (its kept-alive connections) and one authorizer
// (the Basic or Digest scheme negotiated with the server).
type WebDAV struct {
	t    *davTarget
	log  *slog.Logger
	tr   *http.Transport
	auth gowebdav.Authorizer
}

var (
	_ Destination = (*WebDAV)(nil)
	_ Renamer     = (*WebDAV)(nil)
)

// davTarget is what the connection needs, built from the configuration by
// parseWebDAV. The password only lives inside the authorizer.
type davTarget struct {
	base    string // scheme://host[:port]/, gowebdav's root: paths are absolute
	dir     string // absolute path of the collection, "/" for the server's root
	user    string
	caFile  string
	plain   bool // webdav://: plain HTTP
	timeout time.Duration
}

const davExample = `"webdavs://cloud.example.org/remote.php/dav/files/backup/archives"`

func checkWebDAV(c Config, u *url.URL) error {
	_, _, err := parseWebDAV(c, u)
	return err
}

// parseWebDAV checks the configuration (it reads no file) and returns the target
// and the password.
func parseWebDAV(c Config, u *url.URL) (*davTarget, string, error) {
	host := u.Hostname()
	if u.Opaque != "" || host == "" {
		return nil, "", &config.FieldError{Key: "url", Msg: "no host in the webdav url", Fix: "write it like " + davExample}
	}
	if strings.Contains(host, ":") {
		return nil, "", &config.FieldError{Key: "url", Msg: fmt.Sprintf("the IPv6 address %s cannot be used in a webdav url", host),
			Fix: "use the server's host name (add it to /etc/hosts if needed)"}
	}
	if port := u.Port(); port != "" {
		if !validPort(port) {
			return nil, "", &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid port %q", port), Fix: "use a port number between 1 and 65535, or none for the default (443 for webdavs://)"}
		}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, "", &config.FieldError{Key: "url", Msg: "the webdav url has a query (?…) or a fragment (#…)",
			Fix: "remove it: the url names a folder, like " + davExample}
	}
	t := &davTarget{caFile: c.CAFile, dir: path.Clean("/" + u.Path)}
	scheme := "https"
	switch {
	case u.Scheme == "webdav" && !c.AllowInsecure:
		return nil, "", &config.FieldError{Key: "url", Msg: "webdav:// is plain HTTP: the password and the archives would cross the network in clear",
			Fix: "use webdavs:// (HTTPS), or set allow_insecure = true if this network is trusted"}
	case u.Scheme == "webdav" && c.CAFile != "":
		return nil, "", &config.FieldError{Key: "ca_file", Msg: "ca_file is set but webdav:// does not use TLS", Fix: "use webdavs://, or remove ca_file"}
	case u.Scheme == "webdav":
		t.plain, scheme = true, "http"
	case c.AllowInsecure:
		return nil, "", &config.FieldError{Key: "allow_insecure", Msg: "allow_insecure only permits plain http (webdav://); the certificate of a webdavs:// server is always verified",
			Fix: "remove allow_insecure; for a certificate from a private authority, set ca_file to that authority's certificate (PEM)"}
	}
	t.base = scheme + "://" + u.Host + "/"
	for _, k := range []struct{ key, val string }{{"key_file", c.KeyFile}, {"known_hosts", c.KnownHosts}, {"host_key", c.HostKey}} {
		if k.val != "" {
			return nil, "", &config.FieldError{Key: k.key, Msg: k.key + " is for sftp:// destinations", Fix: "remove it: webdav logs in with username and password (password_file)"}
		}
	}

	user, err := loginUser(c, u)
	if err != nil {
		return nil, "", err
	}
	t.user = user
	password := c.Password
	if p, ok := u.User.Password(); ok && password == "" && u.User.Username() != "" {
		password = p // the config loader moves it out of the url; Check may see it still
	}
	hasPassword := password != "" || c.PasswordFile != ""
	switch {
	case t.user != "" && !hasPassword:
		return nil, "", &config.FieldError{Key: "password", Msg: fmt.Sprintf("user %q has no password", t.user),
			Fix: `set password_file to a file holding the password (mode 600), or password = "${WEBDAV_PASSWORD}"`}
	case t.user == "" && hasPassword:
		return nil, "", &config.FieldError{Key: "username", Msg: "a password is set but no username",
			Fix: `set username, or put it in the url ("webdavs://backup@` + u.Host + u.EscapedPath() + `")`}
	}
	t.timeout = timeoutOf(c)
	return t, password, nil
}

func openWebDAV(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error) {
	t, password, err := parseWebDAV(c, u)
	if err != nil {
		return nil, err
	}
	log := env.logger()
	tc, err := tlsutil.Config(t.caFile, "")
	if err != nil {
		return nil, fault.Permanent(fault.WithHint(fmt.Errorf("ca_file: %w", err),
			"set ca_file to the PEM certificate of the authority that signed the server's certificate, readable by the user gardien runs as"))
	}
	if t.plain {
		log.Warn("webdav:// is plain HTTP: the password and the archives cross the network in clear", "url", Redact(c.URL), "fix", "use webdavs://")
	}
	d := &net.Dialer{Timeout: t.timeout, KeepAlive: 30 * time.Second}
	w := &WebDAV{
		t:   t,
		log: log,
		tr: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           d.DialContext,
			TLSClientConfig:       tc,
			TLSHandshakeTimeout:   t.timeout,
			ResponseHeaderTimeout: t.timeout,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       time.Minute,
			MaxIdleConnsPerHost:   2,
			// An archive is read back byte for byte: never let a Content-Encoding
			// decode it on the way.
			DisableCompression: true,
		},
		auth: davAuthorizer(t.user, password),
	}
	if err := w.connect(ctx); err != nil {
		w.tr.CloseIdleConnections()
		return nil, err
	}
	return w, nil
}

// davAuthorizer answers the server's challenge with Basic or Digest (gowebdav's
// automatic one also speaks Passport, which sends the password to another site).
func davAuthorizer(user, password string) gowebdav.Authorizer {
	a := gowebdav.NewEmptyAuth()
	a.AddAuthenticator("basic", func(*http.Client, *http.Response, string) (gowebdav.Authenticator, error) {
		return &davBasic{user: user, password: password}, nil
	})
	a.AddAuthenticator("digest", func(_ *http.Client, rs *http.Response, _ string) (gowebdav.Authenticator, error) {
		return gowebdav.NewDigestAuth(user, password, rs)
	})
	return streamAuthorizer{a}
}

// davBasic is HTTP Basic authentication (gowebdav's own cannot be built outside
// its automatic authorizer).
type davBasic struct{ user, password string }

func (b *davBasic) Authorize(_ *http.Client, rq *http.Request, _ string) error {
	rq.SetBasicAuth(b.user, b.password)
	return nil
}

func (b *davBasic) Verify(_ *http.Client, rs *http.Response, p string) (bool, error) {
	if rs.StatusCode == http.StatusUnauthorized {
		return false, gowebdav.NewPathError("Authorize", p, rs.StatusCode)
	}
	return false, nil
}

func (b *davBasic) Clone() gowebdav.Authenticator { return b }
func (b *davBasic) Close() error                  { return nil }
func (b *davBasic) String() string                { return "basic auth as " + b.user }

// streamAuthorizer keeps gowebdav from holding an upload in memory: to send a body
// again after an authentication challenge, its authorizer copies any body it cannot
// seek into a buffer as it goes. An upload is sent once, with the scheme negotiated
// by the requests before it; a challenge in its middle fails the attempt, which can
// be retried.
type streamAuthorizer struct{ gowebdav.Authorizer }

func (a streamAuthorizer) NewAuthenticator(body io.Reader) (gowebdav.Authenticator, io.Reader) {
	if up, ok := body.(*davUpload); ok {
		auth, _ := a.Authorizer.NewAuthenticator(nil)
		return onceAuth{auth}, up
	}
	return a.Authorizer.NewAuthenticator(body)
}

// onceAuth refuses the second round that would send the body again.
type onceAuth struct{ gowebdav.Authenticator }

func (o onceAuth) Verify(c *http.Client, rs *http.Response, p string) (bool, error) {
	redo, err := o.Authenticator.Verify(c, rs, p)
	if redo {
		return false, fault.WithHint(&lostError{fmt.Errorf("the server asked for a new login in the middle of the upload (HTTP %d)", rs.StatusCode)},
			"the login expired during the upload (a Digest nonce, or a session): the run can be retried")
	}
	return false, err
}

// connect checks that the collection exists, creating it (and its parents) when it
// does not; it is also the first request, which negotiates the authentication.
func (w *WebDAV) connect(ctx context.Context) error {
	var fi os.FileInfo
	err := w.do(ctx, "open", w.t.dir, func(cl *gowebdav.Client) error {
		var err error
		fi, err = cl.Stat(w.t.dir)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return w.mkdirAll(ctx, w.t.dir)
	}
	if err != nil {
		return err
	}
	if f, ok := fi.(*gowebdav.File); ok && f != nil && !f.IsDir() {
		return fault.Permanent(fault.WithHint(fmt.Errorf("open %s: a file, not a folder", w.t.dir),
			"the url must name a folder (a WebDAV collection): check its path"))
	}
	return nil
}

// mkdirAll creates the collection dir and the missing ones above it (MKCOL), from
// the deepest that exists: the top of a Nextcloud url (/remote.php/dav) is no
// folder one may create.
func (w *WebDAV) mkdirAll(ctx context.Context, dir string) error {
	if dir == "/" {
		return nil
	}
	mkcol := func(cl *gowebdav.Client) error { return cl.Mkdir(dir, 0) } // 405: it exists
	err := w.do(ctx, "mkdir", dir, mkcol)
	var he *httpError
	if errors.As(err, &he) && he.code == http.StatusConflict {
		if err := w.mkdirAll(ctx, path.Dir(dir)); err != nil {
			return err
		}
		err = w.do(ctx, "mkdir", dir, mkcol)
	}
	return err
}

func (w *WebDAV) remote(name string) string { return path.Join(w.t.dir, name) }

// Put implements Destination: PUT of the temporary name with its Content-Length,
// PROPFIND of its size, then a MOVE to the final name that never loses a previous
// file of that name (rename).
func (w *WebDAV) Put(ctx context.Context, name string, r io.Reader, size int64) (err error) {
	if err := checkName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, final := w.remote(namefmt.TempName(name)), w.remote(name)
	// The folder may have been removed since the connection.
	if err := w.mkdirAll(ctx, w.t.dir); err != nil {
		return err
	}
	defer func() {
		// A refused login stored nothing, and would refuse the DELETE too.
		if err != nil && !errors.Is(err, ErrAuth) {
			w.removeTemp(ctx, tmp)
		}
	}()
	up := &davUpload{r: &ctxReader{ctx: ctx, r: r}, size: size}
	cl, c := w.call(ctx)
	up.kick = c.kick
	err = cl.WriteStreamWithLength(tmp, up, size, 0)
	c.end()
	if up.err != nil && ctx.Err() == nil {
		// The source ended early, had more than announced, or failed: that is the
		// cause, whatever the server made of the cut request.
		var mismatch *sizeError
		if errors.As(up.err, &mismatch) {
			return mismatch.at(tmp)
		}
		return fmt.Errorf("upload %s: read the archive: %w", tmp, up.err)
	}
	if err != nil {
		return w.failure(c, "upload", tmp, err)
	}
	if up.n != size {
		return sizeMismatch(tmp, up.n, size)
	}
	var fi os.FileInfo
	if err := w.do(ctx, "stat", tmp, func(cl *gowebdav.Client) error {
		var err error
		fi, err = cl.Stat(tmp)
		return err
	}); err != nil {
		return err
	}
	if f, ok := fi.(*gowebdav.File); !ok || f == nil {
		return fmt.Errorf("stat %s: the server gave no size", tmp)
	}
	if fi.Size() != size {
		return sizeMismatch(tmp, fi.Size(), size)
	}
	return w.rename(ctx, tmp, final)
}

// Rename implements Renamer.
func (w *WebDAV) Rename(ctx context.Context, from, to string) error {
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	src, dst := w.remote(from), w.remote(to)
	// A missing source must fail before anything touches to (some servers, such as
	// golang.org/x/net/webdav, would act on to first). Put has just checked its
	// temporary file; here the source is checked first.
	err := w.do(ctx, "stat", src, func(cl *gowebdav.Client) error {
		_, err := cl.Stat(src)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return fault.Permanent(notFound(&fs.PathError{Op: "rename", Path: src + " to " + dst, Err: fs.ErrNotExist}))
	}
	if err != nil {
		return err
	}
	return w.rename(ctx, src, dst)
}

// rename moves from to to, replacing to without ever losing it: a MOVE with
// Overwrite: T has the server delete the destination first (RFC 4918), and a server
// that then failed to move the source would have lost both. So the MOVE is made
// with Overwrite: F, and when a file is in the way replaceByRename moves it aside,
// moves the source, and puts it back if that fails.
func (w *WebDAV) rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rename %s: not done: %w", from, err)
	}
	return replaceByRename(w.log, davFiles{ctx: ctx, w: w}, from, to)
}

// davFiles is the renamer of replaceByRename over WebDAV requests.
type davFiles struct {
	ctx context.Context
	w   *WebDAV
}

func (f davFiles) rename(from, to string) error {
	return f.w.do(f.ctx, "rename", from+" to "+to, func(cl *gowebdav.Client) error {
		return cl.Rename(from, to, false)
	})
}

func (f davFiles) remove(name string) error {
	return f.w.do(f.ctx, "delete", name, func(cl *gowebdav.Client) error { return cl.Remove(name) })
}

func (f davFiles) exists(name string) bool {
	var fi os.FileInfo
	err := f.w.do(f.ctx, "stat", name, func(cl *gowebdav.Client) error {
		var err error
		fi, err = cl.Stat(name)
		return err
	})
	return err == nil && !fi.IsDir()
}

// removeTemp deletes what a failed upload left, without waiting long: the server
// may be the reason of the failure.
func (w *WebDAV) removeTemp(ctx context.Context, tmp string) {
	grace := min(w.t.timeout, 10*time.Second)
	if ctx.Err() != nil {
		grace = cancelGrace
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	var err error
	for {
		err = w.do(c, "delete", tmp, func(cl *gowebdav.Client) error { return cl.Remove(tmp) })
		// The server may still hold the file for the request that was cut.
		var he *httpError
		if !errors.As(err, &he) || he.code != http.StatusLocked || c.Err() != nil {
			break
		}
		select {
		case <-c.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		w.log.Info("temporary file not removed: the retention removes it later", "file", tmp, "cause", err.Error())
	}
}

// List implements Destination.
func (w *WebDAV) List(ctx context.Context) ([]Object, error) {
	var fis []os.FileInfo
	err := w.do(ctx, "list", w.t.dir, func(cl *gowebdav.Client) error {
		var err error
		fis, err = cl.ReadDir(w.t.dir)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var objs []Object
	for _, fi := range fis {
		if !fi.IsDir() {
			objs = append(objs, Object{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
		}
	}
	return objs, nil
}

// Open implements Destination. The watchdog stays armed until the returned reader
// is closed.
func (w *WebDAV) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := w.remote(name)
	cl, c := w.call(ctx)
	rc, err := cl.ReadStream(p)
	if err != nil {
		c.end()
		err = w.failure(c, "open", p, err)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(err)
		}
		return nil, err
	}
	return &davReader{rc: rc, w: w, c: c, path: p}, nil
}

// Delete implements Destination.
func (w *WebDAV) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	p := w.remote(name)
	return w.do(ctx, "delete", p, func(cl *gowebdav.Client) error { return cl.Remove(p) })
}

// Close implements Destination; HTTP has no session to end, only idle connections.
func (w *WebDAV) Close() error {
	w.tr.CloseIdleConnections()
	return nil
}

// call returns a client for one operation and the call that watches it.
func (w *WebDAV) call(ctx context.Context) (*gowebdav.Client, *davCall) {
	c := newDavCall(ctx, w.tr, w.t.timeout)
	cl := gowebdav.NewAuthClient(w.t.base, w.auth)
	cl.SetTransport(c)
	cl.SetHeader("User-Agent", "gardien/"+version.String())
	return cl, c
}

// do runs one operation on path p and dresses its error.
func (w *WebDAV) do(ctx context.Context, op, p string, fn func(cl *gowebdav.Client) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, p, err)
	}
	cl, c := w.call(ctx)
	err := fn(cl)
	c.end()
	if err == nil {
		return nil
	}
	return w.failure(c, op, p, err)
}

// failure turns what gowebdav returned into an error that names the operation and
// the path, says whether a retry may help, and carries a hint: cancellation first,
// then a stall, then what the transport saw (gowebdav drops some of it), then the
// server's answer.
func (w *WebDAV) failure(c *davCall, op, p string, err error) error {
	if cerr := c.parent.Err(); cerr != nil {
		return fmt.Errorf("%s %s: %w", op, p, cerr)
	}
	if context.Cause(c.ctx) == errStalled {
		return &stallError{err: &fs.PathError{Op: op, Path: p, Err: errStalled}, d: c.timeout}
	}
	c.mu.Lock()
	terr, challenge := c.err, c.challenge
	c.mu.Unlock()
	var pe *os.PathError
	var se gowebdav.StatusError
	switch {
	case terr != nil:
		err = terr
	case errors.As(err, &pe) && errors.As(pe.Err, &se):
		return w.status(op, p, se.Status, pe.Op == "NoAuthenticator", challenge)
	}
	var he *httpError
	if errors.As(err, &he) {
		he.op, he.path = op, p
		return he.classify(w)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it repeats the url, which op and path say
	}
	err = &fs.PathError{Op: op, Path: p, Err: err}
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknownCA) && w.t.caFile != "":
		return fault.Permanent(fault.WithHint(err, "the server's certificate is not signed by the authority in ca_file "+w.t.caFile+": set ca_file to the certificate (PEM) of the authority that signed it"))
	case errors.As(err, &unknownCA):
		return fault.Permanent(fault.WithHint(err, "the server's certificate is not signed by an authority this machine knows: set ca_file to the certificate (PEM) of the private authority that signed it"))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return &lostError{err}
	}
	return err
}

// status is the error for an answer of the server.
func (w *WebDAV) status(op, p string, code int, noScheme bool, challenge string) error {
	he := &httpError{op: op, path: p, code: code}
	if code == http.StatusUnauthorized && noScheme {
		he.detail = "the server asks for " + authScheme(challenge)
	}
	return he.classify(w)
}

func authScheme(challenge string) string {
	if challenge == "" {
		return "an authentication it does not name"
	}
	s, _, _ := strings.Cut(challenge, " ")
	return s + " authentication"
}

// httpError is an answer of the server that is not a success.
type httpError struct {
	op, path string
	code     int
	detail   string
	hint     string
}

func (e *httpError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d %s", e.op, e.path, e.code, http.StatusText(e.code))
	if e.detail != "" {
		s += " (" + e.detail + ")"
	}
	return s
}

func (e *httpError) Hint() string { return e.hint }

// Unwrap lets callers test the kind of failure with errors.Is.
func (e *httpError) Unwrap() error {
	switch e.code {
	case http.StatusUnauthorized:
		return ErrAuth
	case http.StatusForbidden:
		return fs.ErrPermission
	case http.StatusNotFound:
		return fs.ErrNotExist
	case http.StatusInsufficientStorage:
		return syscall.ENOSPC
	}
	return nil
}

// Retryable: the server's failures, a lock held by another client and throttling
// may pass; the rest is for a person to fix.
func (e *httpError) Retryable() bool {
	switch e.code {
	case http.StatusRequestTimeout, http.StatusLocked, http.StatusTooManyRequests:
		return true
	case http.StatusInsufficientStorage, http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return e.code >= 500
}

// classify sets the hint and marks what retrying cannot fix.
func (e *httpError) classify(w *WebDAV) error {
	dir := w.t.dir
	switch c := e.code; {
	case c == http.StatusUnauthorized && e.detail != "":
		e.hint = "the server only offers an authentication gardien does not speak: enable Basic or Digest authentication for this folder on the server"
	case c == http.StatusUnauthorized && w.t.user == "":
		e.hint = "the server asks for a login: set username and password_file"
	case c == http.StatusUnauthorized:
		e.hint = fmt.Sprintf("the server refused user %q: check username and password (password_file); with Nextcloud and two-factor authentication, use an app password", w.t.user)
	case c == http.StatusForbidden:
		e.hint = fmt.Sprintf("permission denied: user %q may not do this in %s; check the folder's sharing and permissions on the server", w.t.user, dir)
	case c == http.StatusNotFound && e.op == "open":
		e.hint = fmt.Sprintf("the file is not in %s: `gardien list` shows the archives there", dir)
	case c == http.StatusNotFound || c == http.StatusConflict:
		e.hint = fmt.Sprintf("the folder %s does not exist on the server and could not be created: check the path in url (Nextcloud: /remote.php/dav/files/USER/folder), and that the share exists", dir)
	case c == http.StatusMethodNotAllowed || c == http.StatusNotImplemented:
		e.hint = "the server does not accept this WebDAV request here: check that the url points to a WebDAV folder (Apache: Dav On; Nextcloud: /remote.php/dav/files/USER/…)"
	case c == http.StatusRequestEntityTooLarge:
		e.hint = "the server refuses files this large: raise its limit (Apache LimitRequestBody, nginx client_max_body_size, PHP upload_max_filesize)"
	case c == http.StatusLocked:
		e.hint = "another WebDAV client holds a lock on the file; the run can be retried"
	case c == http.StatusInsufficientStorage:
		e.hint = "the server's disk or the account's quota is full: free space there, or lower keep_days"
	case c >= 300 && c < 400:
		e.hint = "the server redirects elsewhere: put the address it gives in url (webdavs:// for https)"
	case c == http.StatusBadGateway && e.op == "rename":
		e.hint = "the server refused the destination of the MOVE: a reverse proxy in front of it may change the host name or the scheme; use in url the address the server itself answers to"
	case c >= 500:
		e.hint = "the server failed: check its error log; the run can be retried"
	default:
		e.hint = "the server refused the request: its error log says why"
	}
	if e.Retryable() {
		return e
	}
	return fault.Permanent(e)
}

// errStalled is the cause of a call that the watchdog cancelled.
var errStalled = errors.New("connection stalled")

// davCall is one operation: its requests carry its context, which the watchdog
// cancels when nothing was sent or received for timeout. It records what gowebdav
// does not report: the transport's error and the server's authentication challenge.
type davCall struct {
	parent  context.Context // the caller's
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	timeout time.Duration
	base    http.RoundTripper

	mu        sync.Mutex
	err       error
	challenge string
}

func newDavCall(ctx context.Context, base http.RoundTripper, timeout time.Duration) *davCall {
	cctx, cancel := context.WithCancelCause(ctx)
	c := &davCall{parent: ctx, ctx: cctx, cancel: cancel, timeout: timeout, base: base}
	c.timer = time.AfterFunc(timeout, func() { cancel(errStalled) })
	return c
}

// kick records progress: the watchdog waits timeout again.
func (c *davCall) kick() { c.timer.Reset(c.timeout) }

func (c *davCall) end() {
	c.timer.Stop()
	c.cancel(nil)
}

// RoundTrip sends one request of the call.
func (c *davCall) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(c.ctx)
	if r.Method == http.MethodPut && r.Body != nil {
		// The server refuses (login, permission, quota) before the archive is sent.
		r.Header.Set("Expect", "100-continue")
	}
	c.kick()
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		return nil, err
	}
	c.kick()
	if v := resp.Header.Get("WWW-Authenticate"); v != "" {
		c.mu.Lock()
		c.challenge = v
		c.mu.Unlock()
	}
	// gowebdav follows redirects, turning a PROPFIND into a GET, logs a 207 answer
	// to MOVE on the standard logger, and sends a MOVE again for ever while it gets
	// 409: these answers end the call here.
	code := resp.StatusCode
	if (code >= 300 && code < 400 && code != http.StatusNotModified) || (r.Method == "MOVE" && (code == http.StatusConflict || code == http.StatusMultiStatus)) {
		resp.Body.Close()
		he := &httpError{code: code}
		if loc := resp.Header.Get("Location"); loc != "" {
			he.detail = "to " + Redact(loc)
		}
		c.mu.Lock()
		c.err = he
		c.mu.Unlock()
		return nil, he
	}
	resp.Body = &kickBody{ReadCloser: resp.Body, kick: c.kick}
	return resp, nil
}

type kickBody struct {
	io.ReadCloser
	kick func()
}

func (b *kickBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.kick()
	}
	return n, err
}

// davUpload is the body of a PUT: exactly size bytes of r, or an error that cuts
// the request short (a source shorter or longer than announced, or failing). The
// last bytes only go once the source is known to end there, so that the server
// never receives a complete body from a source that holds more.
type davUpload struct {
	r    io.Reader
	size int64
	n    int64
	err  error
	kick func()
}

func (u *davUpload) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	if u.n >= u.size {
		return 0, io.EOF
	}
	if rest := u.size - u.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := u.r.Read(p)
	u.n += int64(n)
	if n > 0 && u.kick != nil {
		u.kick()
	}
	switch {
	case err == io.EOF && u.n < u.size:
		u.err = &sizeError{got: u.n, want: u.size}
		return 0, u.err
	case err == io.EOF:
		return n, nil
	case err != nil:
		u.err = err
		return 0, err
	case u.n == u.size:
		var b [1]byte
		m, err := io.ReadFull(u.r, b[:])
		switch {
		case m > 0:
			u.err = &sizeError{got: u.n + 1, want: u.size, more: true}
		case err != io.EOF:
			u.err = err
		}
		if u.err != nil {
			return 0, u.err
		}
	}
	return n, nil
}

// sizeError is a source that did not hold the size announced.
type sizeError struct {
	got, want int64
	more      bool
}

func (e *sizeError) Error() string {
	if e.more {
		return fmt.Sprintf("%s: more than the %d bytes announced", ErrSizeMismatch, e.want)
	}
	return fmt.Sprintf("%s: %d bytes read, %d announced", ErrSizeMismatch, e.got, e.want)
}

func (e *sizeError) at(p string) error {
	if e.more {
		return fault.WithHint(fmt.Errorf("%s: %w: the source holds more than the %d bytes announced", p, ErrSizeMismatch, e.want),
			"the file changed while it was sent: run again")
	}
	return sizeMismatch(p, e.got, e.want)
}

// davReader is a file being read; closing it ends its call.
type davReader struct {
	rc   io.ReadCloser
	w    *WebDAV
	c    *davCall
	path string
	once sync.Once
}

func (r *davReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = r.w.failure(r.c, "read", r.path, err)
	}
	return n, err
}

func (r *davReader) Close() error {
	err := r.rc.Close()
	r.once.Do(r.c.end)
	return err
}
