package dest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/textproto"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/tlsutil"
)

// FTPS is a directory on an FTP server over TLS: ftps://user@host[:21]/path (explicit
// TLS, AUTH TLS on the control connection) or ftps+implicit://user@host[:990]/path
// (implicit TLS); plain ftp://user@host/path only with allow_insecure = true.
//
// It holds one control connection and opens one passive data connection (EPSV, else
// PASV) per transfer; each data connection resumes the TLS session of the control
// connection, as vsftpd requires by default (require_ssl_reuse). When the session is
// lost (server restarted, network cut, idle timeout), the next operation logs in again.
//
// The path of the url is absolute as the FTP user sees it: on a server that chroots
// its users (vsftpd's chroot_local_user), / is the user's home directory.
type FTPS struct {
	t   *ftpTarget
	log *slog.Logger

	mu   sync.Mutex
	sess *ftpSession
}

var (
	_ Destination = (*FTPS)(nil)
	_ Renamer     = (*FTPS)(nil)
)

type ftpMode int

const (
	ftpExplicit ftpMode = iota // ftps://: AUTH TLS
	ftpImplicit                // ftps+implicit://: TLS from the first byte
	ftpPlain                   // ftp://: no TLS (allow_insecure)
)

// ftpIdleCheck is how long a session may sit unused before the next operation checks
// with NOOP that the server did not close it meanwhile (a variable for the tests).
var ftpIdleCheck = 5 * time.Second

// ftpBufSize is the size of the writes and reads of the data connections.
const ftpBufSize = 1 << 20

// ftpTarget is what a session needs; parseFTP builds it from the configuration.
type ftpTarget struct {
	mode     ftpMode
	host     string
	addr     string // host:port
	user     string
	password string
	dir      string // "" is the login directory
	timeout  time.Duration
	tls      *tls.Config // nil for plain ftp
}

// checkFTPS checks the configuration without reading ca_file: `gardien init` writes an
// example whose files do not exist yet. openFTPS reads it.
func checkFTPS(c Config, u *url.URL) error {
	_, err := parseFTP(c, u, false)
	return err
}

func openFTPS(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error) {
	t, err := parseFTP(c, u, true)
	if err != nil {
		return nil, openFieldError(err) // a ca_file that cannot be used
	}
	log := env.logger()
	if t.mode == ftpPlain {
		log.Warn("plain ftp: the password and the archives cross the network unencrypted",
			"remote", t.addr, "fix", "use ftps:// if the server offers TLS")
	}
	s := &FTPS{t: t, log: log}
	if _, err := s.session(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// parseFTP checks the configuration and, with files, builds the TLS configuration from
// ca_file.
func parseFTP(c Config, u *url.URL, files bool) (*ftpTarget, error) {
	t := &ftpTarget{mode: ftpExplicit}
	defPort := "21"
	switch u.Scheme {
	case "ftps+implicit":
		t.mode, defPort = ftpImplicit, "990"
	case "ftp":
		t.mode = ftpPlain
	}
	example := fmt.Sprintf(`write it like "%s://backup@nas.example.org/srv/archives"`, u.Scheme)
	if t.mode == ftpPlain && !c.AllowInsecure {
		return nil, &config.FieldError{Key: "url", Msg: "plain ftp sends the password and the archives unencrypted",
			Fix: `use "ftps://" (explicit TLS, port 21) or "ftps+implicit://" (implicit TLS, port 990); only if the server truly has no TLS, set allow_insecure = true`}
	}
	if t.mode == ftpPlain && c.CAFile != "" {
		return nil, &config.FieldError{Key: "ca_file", Msg: "ca_file is set, but plain ftp has no TLS",
			Fix: `use "ftps://" so that the server's certificate is checked against ca_file, or remove ca_file`}
	}
	t.host = u.Hostname()
	if t.host == "" {
		return nil, &config.FieldError{Key: "url", Msg: "no host in the " + u.Scheme + " url", Fix: example}
	}
	port := u.Port()
	if port == "" {
		port = defPort
	}
	if !validPort(port) {
		return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid port %q", port),
			Fix: "use a port number between 1 and 65535, usually 21 (ftps://) or 990 (ftps+implicit://)"}
	}
	t.addr = net.JoinHostPort(t.host, port)

	user, err := loginUser(c, u)
	if err != nil {
		return nil, err
	}
	t.user = user
	if t.user == "" {
		return nil, &config.FieldError{Key: "username", Msg: "no user to log in as",
			Fix: fmt.Sprintf(`put it in the url ("%s://backup@%s/path") or set username`, u.Scheme, t.host)}
	}
	if c.Password == "" && c.PasswordFile == "" {
		return nil, &config.FieldError{Key: "password_file", Msg: "no password to log in with",
			Fix: `set password_file to a file readable only by gardien's user that holds the password (or password = "${FTP_PASSWORD}")`}
	}
	t.password = c.Password
	for _, k := range []struct{ key, val string }{{"key_file", c.KeyFile}, {"known_hosts", c.KnownHosts}, {"host_key", c.HostKey}} {
		if k.val != "" {
			return nil, &config.FieldError{Key: k.key, Msg: k.key + " is for sftp; an ftps server is checked by its TLS certificate",
				Fix: "remove it; for a certificate from a private CA, set ca_file"}
		}
	}
	if u.Path != "" {
		t.dir = path.Clean(u.Path)
	}
	t.timeout = timeoutOf(c)
	if t.mode != ftpPlain && files {
		tc, err := tlsutil.Config(c.CAFile, t.host)
		if err != nil {
			return nil, &config.FieldError{Key: "ca_file", Msg: err.Error(),
				Fix: "give a PEM file, readable by gardien's user, holding the certificate of the authority that signed the server's certificate"}
		}
		// The data connections resume the control connection's session: the cache is
		// keyed by the server name, the same for both.
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		t.tls = tc
	}
	return t, nil
}

// ftpSession is one control connection, logged in, in the destination's directory.
type ftpSession struct {
	t      *ftpTarget
	c      *ftp.ServerConn
	ctrl   *ftpConn
	broken atomic.Bool // the control connection failed: the session is dead

	// alive ends when the session is cut or closed: it stops data connections being
	// dialled for a session that is going away.
	alive context.Context
	stop  context.CancelFunc

	mu     sync.Mutex
	data   map[*ftpConn]bool // open data connections
	used   time.Time         // end of the last operation
	reader *ftpReader        // an Open whose reader is not closed yet
}

// session returns the live session, logging in again if the previous one was lost.
// A reader left open by Open is finished first: FTP does one thing at a time.
func (s *FTPS) session(ctx context.Context) (*ftpSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sess; ss != nil {
		if ss.reader != nil {
			ss.reader.Close()
		}
		if !ss.broken.Load() && time.Since(ss.lastUsed()) > ftpIdleCheck {
			o := ss.begin(ctx)
			if err := ss.c.NoOp(); err != nil {
				ss.broken.Store(true)
			}
			o.end()
		}
		if !ss.broken.Load() {
			return ss, nil
		}
		ss.close()
		s.sess = nil
		s.log.Info("connection lost, reconnecting", "remote", s.t.addr)
	}
	ss, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.sess = ss
	return ss, nil
}

func (s *FTPS) dial(ctx context.Context) (*ftpSession, error) {
	t := s.t
	d := net.Dialer{Timeout: t.timeout}
	raw, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	ss := &ftpSession{t: t, data: map[*ftpConn]bool{}, used: time.Now()}
	ss.alive, ss.stop = context.WithCancel(context.Background())
	ss.ctrl = &ftpConn{Conn: raw, ss: ss, control: true}
	// The FTP client takes no context: cancelling ctx cuts the connections.
	stop := context.AfterFunc(ctx, ss.cut)
	err = ss.login(ctx)
	if !stop() {
		ss.close()
		return nil, fmt.Errorf("connect to %s: %w", t.addr, ctx.Err())
	}
	if err != nil {
		ss.close()
		return nil, err
	}
	s.log.Debug("logged in", "remote", t.addr, "user", t.user, "dir", t.dir, "mlsd", ss.c.IsTimePreciseInList())
	return ss, nil
}

func (ss *ftpSession) login(ctx context.Context) error {
	t := ss.t
	var ctrl net.Conn = ss.ctrl
	var opts []ftp.DialOption
	switch t.mode {
	case ftpImplicit:
		tc := tls.Client(ss.ctrl, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return t.tlsError(err)
		}
		ctrl = tc
		opts = append(opts, ftp.DialWithTLS(t.tls))
	case ftpExplicit:
		opts = append(opts, ftp.DialWithExplicitTLS(t.tls))
	}
	// The first connection the client asks for is the control connection, already
	// dialled; the others are data connections.
	opts = append(opts, ftp.DialWithDialFunc(func(network, addr string) (net.Conn, error) {
		if c := ctrl; c != nil {
			ctrl = nil
			return c, nil
		}
		return ss.dialData(network, addr)
	}))
	c, err := ftp.Dial(t.addr, opts...)
	if err != nil {
		return t.greetingError(err)
	}
	ss.c = c
	if err := c.Login(t.user, t.password); err != nil {
		return t.loginError(err)
	}
	return ss.chdir()
}

// dialData opens a data connection to the port the server gave in its EPSV (or PASV)
// reply, on the address of the control connection. The TLS handshake waits for the
// first read or write: the server starts it only once it has the transfer command.
func (ss *ftpSession) dialData(network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: ss.t.timeout}
	raw, err := d.DialContext(ss.alive, network, addr)
	if err != nil {
		return nil, fault.WithHint(fmt.Errorf("open data connection to %s: %w", addr, err),
			"the control connection works but the passive data connection does not: a firewall probably blocks the server's passive ports (vsftpd: pasv_min_port to pasv_max_port); open them between this machine and the server")
	}
	c := &ftpConn{Conn: raw, ss: ss}
	ss.mu.Lock()
	ss.data[c] = true
	ss.mu.Unlock()
	if ss.t.tls != nil {
		return &ftpTLSData{Conn: tls.Client(c, ss.t.tls)}, nil
	}
	return c, nil
}

// ftpTLSData is a TLS data connection. It closes gracefully: with TLS 1.3, the server
// sends session tickets on the connection after the handshake, which an upload never
// reads; closing a socket with unread bytes resets it, and the reset throws away the
// end of the file that still waits in the server's socket (vsftpd answers 426). So
// after an upload it sends close_notify, reads until the server closes its side, and
// only then closes. A download stopped early is closed at once.
type ftpTLSData struct {
	*tls.Conn
	upload bool
}

// ftpDrainTime bounds the wait for the server to close a data connection.
const ftpDrainTime = 10 * time.Second

func (c *ftpTLSData) Write(b []byte) (int, error) {
	c.upload = true
	return c.Conn.Write(b)
}

// Handshake is what the client calls to upload an empty file.
func (c *ftpTLSData) Handshake() error {
	c.upload = true
	return c.Conn.Handshake()
}

func (c *ftpTLSData) Close() error {
	if c.upload && c.ConnectionState().HandshakeComplete && c.CloseWrite() == nil {
		t := time.AfterFunc(ftpDrainTime, func() { c.NetConn().Close() })
		io.Copy(io.Discard, c.Conn)
		if !t.Stop() {
			return nil // the server kept it open: it is closed now, and the reply says how the upload went
		}
	}
	return c.Conn.Close()
}

// chdir makes the url's directory (and its parents) if missing, and enters it: every
// operation then names plain files.
func (ss *ftpSession) chdir() error {
	dir := ss.t.dir
	if dir == "" {
		return nil
	}
	if err := ss.c.ChangeDir(dir); err == nil {
		return nil
	} else if ss.broken.Load() {
		return ss.failure(context.Background(), "cd", dir, err)
	}
	p := ""
	if strings.HasPrefix(dir, "/") {
		p = "/"
	}
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		p = path.Join(p, part)
		err := ss.c.MakeDir(p)
		if err == nil {
			continue
		}
		if ss.broken.Load() {
			return ss.failure(context.Background(), "mkdir", p, err)
		}
		if ss.c.ChangeDir(p) == nil {
			continue // it exists
		}
		return fault.Permanent(fault.WithHint(&fs.PathError{Op: "mkdir", Path: p, Err: err},
			fmt.Sprintf("%s does not exist and user %q cannot create it: create it on the server and let the user write there, or correct the path of the url (on a server that chroots its users, / is the user's home)", dir, ss.t.user)))
	}
	if err := ss.c.ChangeDir(dir); err != nil {
		return ss.failure(context.Background(), "cd", dir, err)
	}
	return nil
}

// cut ends the session at once: every pending call returns.
func (ss *ftpSession) cut() {
	ss.broken.Store(true)
	ss.stop()
	ss.ctrl.Conn.Close()
	ss.mu.Lock()
	for c := range ss.data {
		c.Conn.Close()
	}
	ss.mu.Unlock()
}

func (ss *ftpSession) close() error {
	if ss.reader != nil {
		ss.reader.Close()
	}
	if ss.broken.Load() || ss.c == nil {
		ss.cut()
		return nil
	}
	err := ss.c.Quit()
	ss.cut()
	return err
}

func (ss *ftpSession) lastUsed() time.Time {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.used
}

// ftpOp is one operation in progress: when its context is cancelled, it has
// cancelGrace to stop by itself (and remove its temporary file) before the
// connections are cut.
type ftpOp struct {
	ss   *ftpSession
	stop func() bool

	mu    sync.Mutex
	timer *time.Timer
	done  bool
}

func (ss *ftpSession) begin(ctx context.Context) *ftpOp {
	o := &ftpOp{ss: ss}
	o.stop = context.AfterFunc(ctx, func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		if !o.done {
			o.timer = time.AfterFunc(cancelGrace, ss.cut)
		}
	})
	return o
}

func (o *ftpOp) end() {
	o.stop()
	o.mu.Lock()
	o.done = true
	if o.timer != nil {
		o.timer.Stop()
	}
	o.mu.Unlock()
	o.ss.mu.Lock()
	o.ss.used = time.Now()
	o.ss.mu.Unlock()
}

// ftpConn is a TCP connection of a session. The client takes no timeouts: every read
// and write gets a deadline of timeout from its start, so a server that stops
// answering, or stops reading, fails the operation after timeout.
type ftpConn struct {
	net.Conn
	ss      *ftpSession
	control bool
}

func (c *ftpConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.ss.t.timeout))
	n, err := c.Conn.Read(b)
	if err != nil && c.control {
		c.ss.broken.Store(true)
	}
	return n, err
}

func (c *ftpConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.ss.t.timeout))
	n, err := c.Conn.Write(b)
	if err != nil && c.control {
		c.ss.broken.Store(true)
	}
	return n, err
}

func (c *ftpConn) Close() error {
	if !c.control {
		c.ss.mu.Lock()
		delete(c.ss.data, c)
		c.ss.mu.Unlock()
	}
	return c.Conn.Close()
}

func (s *FTPS) remote(name string) string {
	if s.t.dir == "" {
		return name
	}
	return path.Join(s.t.dir, name)
}

func (s *FTPS) dirName() string {
	if s.t.dir == "" {
		return "(login directory)"
	}
	return s.t.dir
}

// Put implements Destination.
func (s *FTPS) Put(ctx context.Context, name string, r io.Reader, size int64) (err error) {
	if err := checkName(name); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.begin(ctx)
	defer o.end()
	tmp := namefmt.TempName(name)
	defer func() {
		if err != nil && !ss.broken.Load() {
			ss.c.Delete(tmp) // if this fails too, retention removes it later
		}
	}()
	cr := &countReader{r: &ctxReader{ctx: ctx, r: r}}
	if err := ss.c.Stor(tmp, bigReader{cr}); err != nil {
		return ss.failure(ctx, "upload", s.remote(tmp), err)
	}
	if cr.n != size {
		return sizeMismatch(s.remote(tmp), cr.n, size)
	}
	got, err := ss.size(tmp)
	if err != nil {
		return ss.failure(ctx, "size", s.remote(tmp), err)
	}
	if got != size {
		return sizeMismatch(s.remote(tmp), got, size)
	}
	return s.rename(ctx, ss, tmp, name)
}

// Rename implements Renamer.
func (s *FTPS) Rename(ctx context.Context, from, to string) error {
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.begin(ctx)
	defer o.end()
	return s.rename(ctx, ss, from, to)
}

// rename gives the file from (a plain name in the session's directory) the name to,
// with replaceByRename: RNFR/RNTO replaces the target on Unix servers and not on
// others. The caller runs it under an operation of ss (begin).
func (s *FTPS) rename(ctx context.Context, ss *ftpSession, from, to string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rename %s: not done: %w", s.remote(from), err)
	}
	if err := replaceByRename(s.log, ftpFiles{ss}, from, to); err != nil {
		return withAsideHint(ss.failure(ctx, "rename", s.remote(from)+" to "+to, err))
	}
	return nil
}

// size asks the server for the size of a file (SIZE, in binary mode), or finds it in
// the listing when the server has no SIZE.
func (ss *ftpSession) size(name string) (int64, error) {
	n, err := ss.c.FileSize(name)
	if err == nil || !isReply(err, 500, 502, 504) {
		return n, err
	}
	entries, lerr := ss.list()
	if lerr != nil {
		return 0, lerr
	}
	for _, e := range entries {
		if e.Name == name && e.Type == ftp.EntryTypeFile {
			return int64(e.Size), nil
		}
	}
	return 0, err
}

// ftpFiles is a session as replaceByRename sees it: RNFR/RNTO, which servers on Unix
// let replace the target and others (IIS, some NAS) refuse to; DELE; and SIZE (or
// the listing) to tell whether a file is there.
type ftpFiles struct{ ss *ftpSession }

func (f ftpFiles) rename(from, to string) error { return f.ss.c.Rename(from, to) }
func (f ftpFiles) remove(name string) error     { return f.ss.c.Delete(name) }
func (f ftpFiles) exists(name string) bool {
	if f.ss.broken.Load() {
		return false
	}
	_, err := f.ss.size(name)
	return err == nil
}

// list lists the current directory: MLSD where the server has it, else LIST -a (so
// that the hidden temporary files show), else plain LIST.
func (ss *ftpSession) list() ([]*ftp.Entry, error) {
	if ss.c.IsTimePreciseInList() {
		return ss.c.List("")
	}
	entries, err := ss.c.List("-a")
	if err != nil && isReply(err, 500, 501, 502, 504, 550) {
		return ss.c.List("")
	}
	return entries, err
}

// List implements Destination.
func (s *FTPS) List(ctx context.Context) ([]Object, error) {
	ss, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	o := ss.begin(ctx)
	defer o.end()
	entries, err := ss.list()
	if err != nil {
		if isReply(err, 450, 550) && s.t.dir != "" && ss.c.ChangeDir(s.t.dir) != nil {
			// The directory was removed since the login: the next session makes it again.
			ss.broken.Store(true)
			return nil, nil
		}
		return nil, ss.failure(ctx, "list", s.dirName(), err)
	}
	var objs []Object
	for _, e := range entries {
		if e.Type != ftp.EntryTypeFile || checkName(e.Name) != nil {
			continue
		}
		objs = append(objs, Object{Name: e.Name, Size: int64(e.Size), ModTime: e.Time})
	}
	return objs, nil
}

// exists tells whether name is a file of the directory, to tell a missing file from a
// refusal: FTP answers 550 to both.
func (ss *ftpSession) exists(name string) (bool, error) {
	entries, err := ss.list()
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// Open implements Destination. The operation lasts until the reader is closed; any
// other operation on the destination closes it first.
func (s *FTPS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	o := ss.begin(ctx)
	p := s.remote(name)
	resp, err := ss.c.Retr(name)
	if err != nil {
		defer o.end()
		if isReply(err, 450, 550) && !ss.broken.Load() {
			if ok, lerr := ss.exists(name); lerr == nil && !ok {
				return nil, notFound(&fs.PathError{Op: "open", Path: p, Err: err})
			}
		}
		return nil, ss.failure(ctx, "open", p, err)
	}
	r := &ftpReader{ss: ss, o: o, resp: resp, br: bufio.NewReaderSize(resp, ftpBufSize), path: p}
	ss.reader = r
	return r, nil
}

// Delete implements Destination.
func (s *FTPS) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.begin(ctx)
	defer o.end()
	err = ss.c.Delete(name)
	if err == nil {
		return nil
	}
	if isReply(err, 450, 550) && !ss.broken.Load() {
		if ok, lerr := ss.exists(name); lerr == nil && !ok {
			return nil // already gone
		}
	}
	return ss.failure(ctx, "delete", s.remote(name), err)
}

// Close implements Destination: it ends the session with QUIT.
func (s *FTPS) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.close()
	s.sess = nil
	return err
}

// ftpReader is a file being downloaded. The end of the data connection does not say
// that the whole file came: only the server's reply after it does, so the reader
// reports EOF only once that reply is a success.
type ftpReader struct {
	ss   *ftpSession
	o    *ftpOp
	resp *ftp.Response
	br   *bufio.Reader
	path string

	eof  bool  // the data connection ended
	done bool  // the transfer is finished (the reply read, the operation ended)
	err  error // the result of finishing
}

func (r *ftpReader) Read(p []byte) (int, error) {
	if r.done {
		if r.err != nil {
			return 0, r.err
		}
		if r.eof {
			return 0, io.EOF
		}
		return 0, fmt.Errorf("read %s: %w", r.path, fs.ErrClosed)
	}
	n, err := r.br.Read(p)
	if err == io.EOF {
		r.eof = true
		if ferr := r.finish(); ferr != nil {
			return n, ferr
		}
		return n, io.EOF
	}
	if err != nil {
		err = r.ss.failure(context.Background(), "read", r.path, err)
	}
	return n, err
}

// finish closes the data connection and reads the server's reply.
func (r *ftpReader) finish() error {
	if r.done {
		return r.err
	}
	r.done = true
	err := r.resp.Close()
	r.o.end()
	r.ss.reader = nil
	if err != nil && (r.eof || r.ss.broken.Load()) {
		r.err = r.ss.failure(context.Background(), "read", r.path, err)
	}
	// A transfer stopped early is answered with 426 or 451: nothing to report.
	return r.err
}

func (r *ftpReader) Close() error {
	if r.done {
		return nil
	}
	return r.finish()
}

// failure dresses an error from an operation: cancellation first, then a lost
// connection (worth retrying on a new session), then the server's reply code.
func (ss *ftpSession) failure(ctx context.Context, op, p string, err error) error {
	err = oneLine(err)
	pe := &fs.PathError{Op: op, Path: p, Err: err}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return pe
		}
		return fmt.Errorf("%w (%w)", cerr, pe)
	}
	var te *textproto.Error
	if !errors.As(err, &te) {
		var ne net.Error
		timeout := errors.As(err, &ne) && ne.Timeout()
		if !ss.broken.Load() && !timeout && ss.c != nil && ss.c.NoOp() != nil {
			// No reply explains the failure, and the control connection no longer
			// answers: a vsftpd whose session process was killed has its parent write
			// "500 OOPS" in clear into the TLS stream, which is then unusable.
			ss.broken.Store(true)
		}
		if ss.broken.Load() && !timeout {
			return &lostError{pe}
		}
		return pe
	}
	switch te.Code {
	case ftp.StatusNotAvailable:
		ss.broken.Store(true)
		return &ftpTransient{pe, "the server ended the session (421): it is restarting, overloaded, or closed an idle session; the run can be retried"}
	case ftp.StatusCanNotOpenDataConnection, ftp.StatusTransfertAborted, ftp.StatusFileActionIgnored, ftp.StatusActionAborted:
		return &ftpTransient{pe, "the server could not complete the transfer: its log says why; the run can be retried"}
	case ftp.Status452, ftp.StatusExceededStorage:
		return fault.Permanent(fault.WithHint(pe, "the FTP server's disk is full, or the user's quota is used up: free space there, or lower keep_days"))
	case ftp.StatusNotLoggedIn, ftp.StatusStorNeedAccount:
		return fault.Permanent(fault.WithHint(pe, "the server says the session is not logged in: check the user and the password"))
	case ftp.StatusFileUnavailable, ftp.StatusBadFileName:
		return fault.Permanent(fault.WithHint(pe, fmt.Sprintf("the server refused: check that user %q may write in %s (owner and mode of the directory; vsftpd needs write_enable=YES)", ss.t.user, ss.t.dirOrHome())))
	}
	return pe
}

func (t *ftpTarget) dirOrHome() string {
	if t.dir == "" {
		return "its login directory"
	}
	return t.dir
}

// greetingError explains a failure before the login: no greeting, or AUTH TLS refused.
func (t *ftpTarget) greetingError(err error) error {
	if isTLSFailure(err) {
		return t.tlsError(err)
	}
	var te *textproto.Error
	var ne net.Error
	switch {
	case errors.As(err, &te) && te.Code == ftp.StatusNotAvailable:
		return &ftpTransient{fmt.Errorf("connect to %s: %w", t.addr, err), "the server turned the session away (421): too many connections, or it is shutting down; the run can be retried"}
	case errors.As(err, &te) && t.mode == ftpExplicit && (te.Code >= 500 || te.Code == 431):
		return fault.Permanent(fault.WithHint(fmt.Errorf("%s refuses AUTH TLS: %w", t.addr, err),
			"the server does not offer explicit TLS: enable it (vsftpd: ssl_enable=YES); if it uses implicit TLS (usually port 990), write ftps+implicit://; only if it truly has no TLS, write ftp:// with allow_insecure = true"))
	case errors.As(err, &ne) && ne.Timeout() && t.mode != ftpImplicit:
		return fault.WithHint(fmt.Errorf("no ftp greeting from %s: %w", t.addr, err),
			"the server accepted the connection but said nothing: if it expects implicit TLS (usually port 990), write ftps+implicit://; otherwise check that an FTP server listens there and is not overloaded")
	}
	return fmt.Errorf("connect to %s: %w", t.addr, err)
}

// loginError explains a failed login: refused credentials, a certificate that does not
// verify (the explicit TLS handshake happens with the first command), or a server that
// will not encrypt the data connections.
func (t *ftpTarget) loginError(err error) error {
	if isTLSFailure(err) {
		return t.tlsError(err)
	}
	var te *textproto.Error
	isReplyErr := errors.As(err, &te)
	switch {
	case t.mode == ftpPlain && !isConnError(err) && mentionsTLS(err.Error()):
		return fault.Permanent(fault.WithHint(fmt.Errorf("%s refuses a login without TLS: %w", t.addr, err),
			"the server requires TLS: write ftps:// (explicit TLS, port 21) or ftps+implicit:// (port 990), and remove allow_insecure"))
	case isReplyErr && (te.Code == ftp.StatusNotLoggedIn || te.Code == ftp.StatusInvalidCredentials || te.Code == ftp.StatusLoginNeedAccount),
		// The client turns a refusal of USER into an error without its code.
		!isReplyErr && !isConnError(err):
		return fault.Permanent(fault.WithHint(fmt.Errorf("%w for user %q on %s: %w", ErrAuth, t.user, t.addr, err),
			"check the user and the password (password_file); the server's log (vsftpd: /var/log/vsftpd.log) says why it refused"))
	case isReplyErr && t.mode != ftpPlain && isReply(err, 431, 522, 533, 534, 536):
		return fault.Permanent(fault.WithHint(fmt.Errorf("%s refuses to encrypt the data connections (PROT P): %w", t.addr, err),
			"let the server protect data connections with TLS (vsftpd: ssl_enable=YES)"))
	case isReplyErr && te.Code == ftp.StatusNotAvailable:
		return &ftpTransient{fmt.Errorf("login on %s: %w", t.addr, err), "the server turned the session away (421): too many connections, or it is shutting down; the run can be retried"}
	}
	return fmt.Errorf("login as %q on %s: %w", t.user, t.addr, err)
}

// tlsError explains a failed TLS handshake; a certificate that does not verify is not
// worth retrying.
func (t *ftpTarget) tlsError(err error) error {
	err = fmt.Errorf("tls handshake with %s: %w", t.addr, err)
	probe := "openssl s_client -connect " + t.addr + " -showcerts"
	if t.mode == ftpExplicit {
		probe = "openssl s_client -starttls ftp -connect " + t.addr + " -showcerts"
	}
	var rh tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var cv *tls.CertificateVerificationError
	switch {
	case errors.As(err, &rh) && t.mode == ftpImplicit:
		return fault.Permanent(fault.WithHint(err,
			"the server answered without TLS: it probably expects explicit TLS (AUTH TLS, usually port 21): write ftps:// instead of ftps+implicit://"))
	case errors.As(err, &ua):
		return fault.Permanent(fault.WithHint(err,
			"the server's certificate is not signed by an authority this machine trusts: set ca_file to the PEM certificate of the authority that signed it (`"+probe+"` shows the chain)"))
	case errors.As(err, &cv):
		return fault.Permanent(err) // fault.Hint explains a wrong name or an expired certificate
	}
	return err
}

func isTLSFailure(err error) bool {
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &ae) || strings.Contains(err.Error(), "tls: ")
}

// mentionsTLS tells whether a server's refusal is about the lack of encryption, as
// vsftpd's "530 Non-anonymous sessions must use encryption."
func mentionsTLS(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "encrypt") || strings.Contains(msg, "ssl") || strings.Contains(msg, "tls")
}

func isConnError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// isReply tells whether err is an FTP reply with one of codes.
func isReply(err error, codes ...int) bool {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, c := range codes {
		if te.Code == c {
			return true
		}
	}
	return false
}

// ftpTransient is a reply that a later attempt may not get (421, 425, 426, 450, 451).
type ftpTransient struct {
	err  error
	hint string
}

func (e *ftpTransient) Error() string   { return e.err.Error() }
func (e *ftpTransient) Unwrap() error   { return e.err }
func (e *ftpTransient) Retryable() bool { return true }
func (e *ftpTransient) Hint() string    { return e.hint }

// oneLine makes one line of the errors that the client joins after a transfer (the
// data connection's, its closing's, the server's reply): the reply comes first, as it
// says most; the complaint about TLS's closing alert goes, as it only repeats the
// data connection's error.
func oneLine(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	errs := j.Unwrap()
	var replies, others []string
	for _, e := range errs {
		var te *textproto.Error
		switch {
		case errors.As(e, &te):
			replies = append(replies, e.Error())
		case strings.Contains(e.Error(), "closeNotify") && len(errs) > 1:
		default:
			others = append(others, e.Error())
		}
	}
	return &joinedError{msg: strings.Join(append(replies, others...), "; "), errs: errs}
}

type joinedError struct {
	msg  string
	errs []error
}

func (e *joinedError) Error() string   { return e.msg }
func (e *joinedError) Unwrap() []error { return e.errs }

// countReader counts the bytes read.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bigReader makes io.Copy write in chunks of ftpBufSize rather than 32 KiB.
type bigReader struct{ r io.Reader }

func (b bigReader) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b bigReader) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(w, struct{ io.Reader }{b.r}, make([]byte, ftpBufSize))
}
