package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

// ErrShareNotFound is returned (wrapped) when the server has no share of that name.
var ErrShareNotFound = errors.New("share not found")

// SMB is a directory on a Windows or Samba share: smb://user@host[:445]/share/path.
//
// It speaks SMB 2 and 3 with an NTLMv2 login, always requires message signing (so
// that no one can alter the data on the way), and encrypts when the server or the
// share asks for it ("smb encrypt = required"). It holds one session and opens a
// new one when the previous was lost (server restarted, idle session closed,
// network cut), so that a retried upload can succeed.
type SMB struct {
	t   *smbTarget
	log *slog.Logger

	mu   sync.Mutex
	sess *smbSession
}

var (
	_ Destination = (*SMB)(nil)
	_ Renamer     = (*SMB)(nil)
)

// smbTarget is what a connection needs; it is built from the configuration by
// parseSMB. The password only lives inside the initiator function.
type smbTarget struct {
	host, port string
	addr       string // host:port
	user       string
	domain     string
	share      string
	dir        string // inside the share, '/'-separated, "" for its root
	timeout    time.Duration
	initiator  func() smb2.Initiator
}

func checkSMB(c Config, u *url.URL) error {
	_, err := parseSMB(c, u)
	return err
}

func openSMB(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error) {
	t, err := parseSMB(c, u)
	if err != nil {
		return nil, err
	}
	log := env.logger()
	s := &SMB{t: t, log: log}
	if _, err := s.session(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

const smbExample = `write it like "smb://backup@nas.example.org/archives/gardien": the share, then the directory inside it`

// smbReserved are the characters that Windows (and Samba, by default) refuse in a
// share or file name.
const smbReserved = `\/:*?"<>|`

// parseSMB checks the configuration and builds the target.
func parseSMB(c Config, u *url.URL) (*smbTarget, error) {
	if u.Opaque != "" {
		return nil, &config.FieldError{Key: "url", Msg: "an smb url needs two slashes before the host", Fix: smbExample}
	}
	host := u.Hostname()
	if host == "" {
		return nil, &config.FieldError{Key: "url", Msg: "no host in the smb url", Fix: smbExample}
	}
	port := u.Port()
	if port == "" {
		port = "445"
	}
	if !validPort(port) {
		return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid port %q", port), Fix: "use a port number between 1 and 65535, usually 445"}
	}
	t := &smbTarget{host: host, port: port, addr: net.JoinHostPort(host, port)}

	// The share is the first element of the path, the directory the rest.
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, &config.FieldError{Key: "url", Msg: "an smb url has no query nor fragment", Fix: smbExample}
	}
	p := strings.Trim(u.Path, "/")
	t.share, t.dir, _ = strings.Cut(p, "/")
	if t.share == "" {
		return nil, &config.FieldError{Key: "url", Msg: "no share in the smb url", Fix: smbExample}
	}
	if strings.ContainsAny(t.share, smbReserved+"[];,+=") {
		return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid share name %q", t.share), Fix: smbExample}
	}
	for _, e := range strings.Split(t.dir, "/") {
		switch {
		case t.dir == "":
		case e == "" || e == "." || e == "..":
			return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("the directory %q inside the share is not a clean path", t.dir),
				Fix: "name the directory from the share's root, without '.', '..' or '//'"}
		case strings.ContainsAny(e, smbReserved):
			return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("the directory %q holds a character that SMB refuses", t.dir),
				Fix: `leave out \ : * ? " < > |`}
		}
	}

	// The user: "user" or "DOMAIN;user" in the url (as smbclient writes it), or the
	// username key, which may be "DOMAIN\user".
	user, domain := c.Username, c.Domain
	if i := strings.IndexByte(user, '\\'); i >= 0 {
		if domain != "" && !strings.EqualFold(domain, user[:i]) {
			return nil, &config.FieldError{Key: "domain", Msg: fmt.Sprintf("domain %q differs from the one in username %q", domain, user), Fix: "give the domain in one place only"}
		}
		domain, user = user[:i], user[i+1:]
	}
	if u.User != nil && u.User.Username() != "" {
		uu := u.User.Username()
		if d, n, ok := strings.Cut(uu, ";"); ok {
			if domain != "" && !strings.EqualFold(domain, d) {
				return nil, &config.FieldError{Key: "domain", Msg: fmt.Sprintf("domain %q differs from the domain %q in url", domain, d), Fix: "give the domain in one place only"}
			}
			domain, uu = d, n
		}
		if user != "" && user != uu {
			return nil, usersDiffer(user, uu)
		}
		user = uu
	}
	if user == "" {
		return nil, &config.FieldError{Key: "username", Msg: "no user to log in as",
			Fix: `put it in the url ("smb://backup@` + host + `/share/path") or set username`}
	}
	t.user, t.domain = user, domain

	password := c.Password
	if pw, ok := u.User.Password(); ok && password == "" {
		password = pw
	}
	if password == "" && c.PasswordFile == "" {
		return nil, &config.FieldError{Key: "password_file", Msg: "no password to log in with",
			Fix: fmt.Sprintf("set password_file to a file readable only by gardien's user that holds the password of %s on the server", user)}
	}
	t.initiator = func() smb2.Initiator {
		return &smb2.NTLMInitiator{User: user, Password: password, Domain: domain}
	}

	// Keys of other protocols: say so rather than ignore them.
	for _, k := range []struct {
		key, why string
		set      bool
	}{
		{"key_file", "smb logs in with username and password", c.KeyFile != ""},
		{"known_hosts", "smb has no SSH host key", c.KnownHosts != ""},
		{"host_key", "smb has no SSH host key", c.HostKey != ""},
		{"ca_file", "smb does not use TLS certificates: SMB3 signs (and, when the share requires it, encrypts) with keys derived from the login", c.CAFile != ""},
		{"allow_insecure", "gardien always requires SMB signing", c.AllowInsecure},
		{"require_mount", "require_mount is for file:// destinations", c.RequireMount},
	} {
		if k.set {
			return nil, &config.FieldError{Key: k.key, Msg: fmt.Sprintf("%s has no meaning for an smb destination: %s", k.key, k.why), Fix: "remove it"}
		}
	}

	t.timeout = timeoutOf(c)
	return t, nil
}

// who is the user as the server sees it.
func (t *smbTarget) who() string {
	if t.domain != "" {
		return t.domain + `\` + t.user
	}
	return t.user
}

// display is the path of name as a technician would type it for smbclient.
func (t *smbTarget) display(name string) string {
	return "//" + path.Join(t.host, t.share, t.dir, name)
}

// smbSession is one TCP connection with its SMB session and tree connection.
type smbSession struct {
	t     *smbTarget
	conn  *watchConn
	sess  *smb2.Session
	share *smb2.Share
}

// session returns the live session, connecting again if the previous one was lost.
func (s *SMB) session(ctx context.Context) (*smbSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil && !s.sess.conn.broken.Load() {
		return s.sess, nil
	}
	if s.sess != nil {
		s.sess.conn.Close()
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

func (s *SMB) dial(ctx context.Context) (*smbSession, error) {
	d := net.Dialer{Timeout: s.t.timeout}
	raw, err := d.DialContext(ctx, "tcp", s.t.addr)
	if err != nil {
		return nil, err
	}
	// The watchdog bounds the login: a server that stops answering is cut after
	// timeout, and cancelling ctx cuts the connection after cancelGrace.
	wc := newWatchConn(raw, s.t.timeout)
	o := wc.begin(ctx)
	ss, err := s.login(ctx, wc)
	o.end()
	if err != nil {
		raw.Close()
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return nil, fmt.Errorf("connect to %s: %w (%w)", s.t.addr, cerr, err)
		}
		if wc.stalled() {
			return nil, &stallError{err: err, d: s.t.timeout}
		}
		return nil, err
	}
	return ss, nil
}

func (s *SMB) login(ctx context.Context, wc *watchConn) (*smbSession, error) {
	t := s.t
	d := &smb2.Dialer{
		Negotiator: smb2.Negotiator{RequireMessageSigning: true},
		Initiator:  t.initiator(),
	}
	sess, err := d.DialConn(ctx, wc, t.host)
	if err != nil {
		return nil, t.loginError(ctx, wc, err)
	}
	ss := &smbSession{t: t, conn: wc, sess: sess}
	share, err := sess.WithContext(ctx).Mount(t.share)
	if err != nil {
		ss.close()
		return nil, t.mountError(ctx, wc, err)
	}
	ss.share = share
	if t.dir != "" {
		if err := share.WithContext(ctx).MkdirAll(t.dir, 0o750); err != nil {
			err = ss.failure(ctx, "mkdir", t.dir, err)
			ss.close()
			return nil, err
		}
	}
	return ss, nil
}

// NTSTATUS codes that gardien explains (MS-ERREF 2.3.1).
const (
	statusAccessDenied          = 0xC0000022
	statusSharingViolation      = 0xC0000043
	statusQuotaExceeded         = 0xC0000044
	statusWrongPassword         = 0xC000006A
	statusLogonFailure          = 0xC000006D
	statusAccountRestriction    = 0xC000006E
	statusInvalidLogonHours     = 0xC000006F
	statusPasswordExpired       = 0xC0000071
	statusAccountDisabled       = 0xC0000072
	statusDiskFull              = 0xC000007F
	statusMediaWriteProtected   = 0xC00000A2
	statusNetworkNameDeleted    = 0xC00000C9
	statusBadNetworkName        = 0xC00000CC
	statusLogonTypeNotGranted   = 0xC000015B
	statusAccountExpired        = 0xC0000193
	statusUserSessionDeleted    = 0xC0000203
	statusInsuffServerResources = 0xC0000205
	statusPasswordMustChange    = 0xC0000224
	statusAccountLockedOut      = 0xC0000234
	statusNetworkSessionExpired = 0xC000035C
)

var smbStatusNames = map[uint32]string{
	statusAccessDenied:          "STATUS_ACCESS_DENIED",
	statusSharingViolation:      "STATUS_SHARING_VIOLATION",
	statusQuotaExceeded:         "STATUS_QUOTA_EXCEEDED",
	statusWrongPassword:         "STATUS_WRONG_PASSWORD",
	statusLogonFailure:          "STATUS_LOGON_FAILURE",
	statusAccountRestriction:    "STATUS_ACCOUNT_RESTRICTION",
	statusInvalidLogonHours:     "STATUS_INVALID_LOGON_HOURS",
	statusPasswordExpired:       "STATUS_PASSWORD_EXPIRED",
	statusAccountDisabled:       "STATUS_ACCOUNT_DISABLED",
	statusDiskFull:              "STATUS_DISK_FULL",
	statusMediaWriteProtected:   "STATUS_MEDIA_WRITE_PROTECTED",
	statusNetworkNameDeleted:    "STATUS_NETWORK_NAME_DELETED",
	statusBadNetworkName:        "STATUS_BAD_NETWORK_NAME",
	statusLogonTypeNotGranted:   "STATUS_LOGON_TYPE_NOT_GRANTED",
	statusAccountExpired:        "STATUS_ACCOUNT_EXPIRED",
	statusUserSessionDeleted:    "STATUS_USER_SESSION_DELETED",
	statusInsuffServerResources: "STATUS_INSUFF_SERVER_RESOURCES",
	statusPasswordMustChange:    "STATUS_PASSWORD_MUST_CHANGE",
	statusAccountLockedOut:      "STATUS_ACCOUNT_LOCKED_OUT",
	statusNetworkSessionExpired: "STATUS_NETWORK_SESSION_EXPIRED",
}

// smbStatus returns the NTSTATUS the server answered, if err holds one. The library
// turns a few statuses into os errors (not found, exists, permission) and keeps the
// others.
func smbStatus(err error) (uint32, bool) {
	var re *smb2.ResponseError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

func statusName(code uint32) string {
	if n, ok := smbStatusNames[code]; ok {
		return n
	}
	return fmt.Sprintf("NTSTATUS 0x%08X", code)
}

// smbError is a message of gardien's about an error of the server's, which stays in
// the chain (with a sentinel such as ErrAuth) for errors.Is and for the log's cause.
type smbError struct {
	msg  string
	errs []error
}

func (e *smbError) Error() string   { return e.msg }
func (e *smbError) Unwrap() []error { return e.errs }

// loginError dresses an error of the negotiation or the login. Cancellation and a
// stall are dressed by dial.
func (t *smbTarget) loginError(ctx context.Context, wc *watchConn, err error) error {
	if ctx.Err() != nil || wc.stalled() {
		return fmt.Errorf("log in to %s: %w", t.addr, err)
	}
	code, ok := smbStatus(err)
	switch {
	case ok && (code == statusLogonFailure || code == statusWrongPassword):
		return fault.Permanent(fault.WithHint(
			&smbError{fmt.Sprintf("%v for user %q on %s: the server answered %s", ErrAuth, t.who(), t.addr, statusName(code)), []error{ErrAuth, err}},
			"check the user, its password (password_file) and its domain; on a Samba server, `pdbedit -L` lists the users and `smbpasswd -a USER` sets a password; the server's log says why it refused"))
	case ok && (code == statusAccountDisabled || code == statusAccountLockedOut || code == statusAccountExpired ||
		code == statusPasswordExpired || code == statusPasswordMustChange || code == statusAccountRestriction ||
		code == statusInvalidLogonHours || code == statusLogonTypeNotGranted):
		return fault.Permanent(fault.WithHint(
			&smbError{fmt.Sprintf("%v for user %q on %s: the server answered %s", ErrAuth, t.who(), t.addr, statusName(code)), []error{ErrAuth, err}},
			"the password is right but the account may not log in now (disabled, locked out, expired password or restricted hours): ask the server's administrator to unlock it or to set a password that does not expire"))
	case errors.Is(err, smb2.ErrRequestNotAccepted):
		return fault.WithHint(fmt.Errorf("log in to %s: %w", t.addr, err),
			"the server accepts no more connections now: retry later, or raise its connection limit")
	case errors.As(err, new(*smb2.TransportError)) && strings.Contains(err.Error(), "invalid transport format"):
		return fault.Permanent(fault.WithHint(fmt.Errorf("log in to %s: the server does not speak SMB: %w", t.addr, err),
			"check the port: SMB listens on 445"))
	case errors.As(err, new(*smb2.TransportError)):
		return fault.WithHint(&lostError{fmt.Errorf("log in to %s as %q: %w", t.addr, t.who(), err)},
			"the server closed the connection during the login: it may speak only SMB1 (enable SMB2 or SMB3 on it: gardien does not speak SMB1), refuse this machine (\"hosts allow\"), or have restarted; the run can be retried")
	}
	return fmt.Errorf("log in to %s as %q: %w", t.addr, t.who(), err)
}

func (t *smbTarget) mountError(ctx context.Context, wc *watchConn, err error) error {
	if ctx.Err() != nil || wc.stalled() {
		return fmt.Errorf("connect to share //%s/%s: %w", t.host, t.share, err)
	}
	unc := "//" + t.host + "/" + t.share
	code, _ := smbStatus(err)
	switch {
	case code == statusBadNetworkName:
		return fault.Permanent(fault.WithHint(
			&smbError{fmt.Sprintf("%v: %s has no share %q (%s)", ErrShareNotFound, t.addr, t.share, statusName(code)), []error{ErrShareNotFound, err}},
			fmt.Sprintf("the first part of the url's path is the share's name, not a directory on the server's disk: `smbclient -L //%s -p %s -U %s` lists the shares; check its spelling and that the share is enabled", t.host, t.port, t.who())))
	case errors.Is(err, fs.ErrPermission):
		return fault.Permanent(fault.WithHint(
			&smbError{fmt.Sprintf("connect to share %s as %q: access denied (%s)", unc, t.who(), statusName(statusAccessDenied)), []error{err}},
			fmt.Sprintf("the server refuses %s on that share: check its \"valid users\" and ACL; "+
				"if the server does not know %s at all, it may have logged in as guest instead (Samba's \"map to guest = bad user\"), whom the share refuses: create the user (Samba: smbpasswd -a %s) or fix username and domain", t.who(), t.who(), t.user)))
	}
	return fmt.Errorf("connect to share %s: %w", unc, err)
}

// failure dresses an error from an operation on path (relative to the share):
// cancellation first, then a lost or stalled connection or an ended session, which
// are worth retrying on a new session, then what the server answered.
func (ss *smbSession) failure(ctx context.Context, op, p string, err error) error {
	t := ss.t
	disp := "//" + path.Join(t.host, t.share, p)
	err = &fs.PathError{Op: op, Path: disp, Err: unwrapSMBPath(err)}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return err
		}
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	if ss.conn.stalled() {
		return &stallError{err: err, d: ss.conn.timeout}
	}
	code, _ := smbStatus(err)
	var te *smb2.TransportError
	switch {
	case code == statusNetworkNameDeleted || code == statusUserSessionDeleted || code == statusNetworkSessionExpired:
		ss.conn.broken.Store(true) // the next operation logs in again
		return fault.WithHint(&lostError{&smbError{fmt.Sprintf("%s %s: the server ended the session (%s)", op, disp, statusName(code)), []error{err}}},
			"the server closed the session (idle timeout, restart or an administrator): the run can be retried")
	case ss.conn.broken.Load() || errors.As(err, &te):
		ss.conn.broken.Store(true)
		return &lostError{err}
	case code == statusDiskFull || code == statusQuotaExceeded:
		what := "no space left on the share"
		if code == statusQuotaExceeded {
			what = "the user's quota on the share is exhausted"
		}
		return fault.Permanent(fault.WithHint(
			&smbError{fmt.Sprintf("%s %s: %s (%s)", op, disp, what, statusName(code)), []error{syscall.ENOSPC, err}},
			fmt.Sprintf("free space on the share //%s/%s (or raise %s's quota there), or lower keep_days", t.host, t.share, t.who())))
	case code == statusMediaWriteProtected:
		return fault.Permanent(fault.WithHint(err, "the share's storage is write-protected: check the server's disk"))
	case code == statusSharingViolation:
		return fault.WithHint(&smbBusy{&smbError{fmt.Sprintf("%s %s: the file is held open on the server (%s)", op, disp, statusName(code)), []error{err}}},
			"another program holds that file open on the server, or an earlier connection of gardien that was cut while it wrote the file and that the server has not closed yet: wait a few minutes (or close that session on the server: smbstatus lists them) and run again")
	case code == statusInsuffServerResources || errors.Is(err, smb2.ErrRequestNotAccepted):
		return fault.WithHint(&lostError{err}, "the server is out of resources or connections: retry later")
	case errors.Is(err, fs.ErrPermission):
		return fault.Permanent(fault.WithHint(err,
			fmt.Sprintf("%s may not do that on the share //%s/%s: check that the share is not \"read only\" (and its \"write list\"), its ACL, and the permissions of the directory on the server's disk", t.who(), t.host, t.share)))
	}
	return err
}

// unwrapSMBPath removes the library's own PathError, whose path uses backslashes and
// lacks the host and share: failure puts a complete one around the cause.
func unwrapSMBPath(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// close ends the tree connection and the session, then the connection.
func (ss *smbSession) close() error {
	if ss.conn.broken.Load() {
		ss.conn.Close()
		return nil // a dead session has nothing to say
	}
	ctx, cancel := context.WithTimeout(context.Background(), ss.t.timeout)
	defer cancel()
	o := ss.conn.begin(ctx)
	var err error
	if ss.share != nil {
		err = ss.share.WithContext(ctx).Umount()
	}
	if lerr := ss.sess.WithContext(ctx).Logoff(); err == nil {
		err = lerr
	}
	o.end()
	ss.conn.Close()
	if err != nil {
		return fmt.Errorf("log off from %s: %w", ss.t.addr, err)
	}
	return nil
}

// checkSMBName refuses what checkName refuses, and the characters that an SMB server
// refuses or silently replaces ("mangled names"), so that List finds what Put wrote.
func checkSMBName(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if i := strings.IndexAny(name, smbReserved); i >= 0 {
		return fault.Permanent(fault.WithHint(fmt.Errorf("invalid file name %q for an smb share: %q is not allowed", name, name[i:i+1]),
			`change the archive name: an SMB share refuses \ / : * ? " < > |`))
	}
	for _, r := range name {
		if r < ' ' {
			return fault.Permanent(fmt.Errorf("invalid file name %q for an smb share: control characters are not allowed", name))
		}
	}
	return nil
}

// handles returns the share for one operation. Its calls do not see ctx's
// cancellation: an operation cut short could not close its handles, and a cancelled
// upload could not remove its temporary file. The watchdog (begin) enforces ctx
// instead, cutting the connection cancelGrace after ctx is done.
func (ss *smbSession) handles(ctx context.Context) *smb2.Share {
	return ss.share.WithContext(context.WithoutCancel(ctx))
}

func (s *SMB) remote(name string) string { return path.Join(s.t.dir, name) }

// Put implements Destination.
func (s *SMB) Put(ctx context.Context, name string, r io.Reader, size int64) (err error) {
	if err := checkSMBName(name); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.conn.begin(ctx)
	sh := ss.handles(ctx)
	tmp := s.remote(namefmt.TempName(name))
	// A temporary file left by an earlier attempt may still be open in a session
	// that the server has not closed yet (the connection was cut mid-upload): the
	// final rename would then fail with STATUS_SHARING_VIOLATION. Removing it
	// first finds out before the whole archive is sent.
	if err := sh.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		o.end()
		return ss.failure(ctx, "remove", tmp, err)
	}
	f, err := sh.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		o.end()
		return ss.failure(ctx, "create", tmp, err)
	}
	open := true
	defer func() {
		o.end()
		if err == nil || ss.conn.broken.Load() {
			return
		}
		// Remove the temporary file, even when ctx was cancelled; the watchdog
		// still cuts a server that stops answering.
		c := ss.conn.begin(context.Background())
		if open {
			f.Close()
		}
		sh.Remove(tmp)
		c.end()
	}()
	// Write through a plain writer, by 1 MiB: File.ReadFrom would write by the
	// server's maximum (8 MiB for Samba), and the watchdog sees progress only
	// between writes.
	n, err := io.CopyBuffer(struct{ io.Writer }{f}, &ctxReader{ctx: ctx, r: r}, make([]byte, 1<<20))
	if err != nil {
		return ss.failure(ctx, "write", tmp, err)
	}
	if n != size {
		return sizeMismatch(s.t.display(namefmt.TempName(name)), n, size)
	}
	if err := f.Sync(); err != nil {
		return ss.failure(ctx, "flush", tmp, err)
	}
	open = false
	if err := f.Close(); err != nil {
		return ss.failure(ctx, "close", tmp, err)
	}
	st, err := sh.Stat(tmp)
	if err != nil {
		return ss.failure(ctx, "stat", tmp, err)
	}
	if st.Size() != size {
		return sizeMismatch(s.t.display(namefmt.TempName(name)), st.Size(), size)
	}
	return s.rename(ctx, ss, sh, namefmt.TempName(name), name)
}

// Rename implements Renamer.
func (s *SMB) Rename(ctx context.Context, from, to string) error {
	if err := checkSMBName(from); err != nil {
		return err
	}
	if err := checkSMBName(to); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.conn.begin(ctx)
	defer o.end()
	return s.rename(ctx, ss, ss.handles(ctx), from, to)
}

// rename gives the file from the name to (plain names in the url's directory). The
// rename asks the server to replace an older file of that name. Where it refuses
// (STATUS_OBJECT_NAME_COLLISION from a server that ignores the request,
// STATUS_ACCESS_DENIED for a file held open), the old file is moved aside first,
// and put back if the rename still fails: it is never lost. The caller runs it
// under an operation of ss (begin), with from closed: a file held open cannot be
// renamed.
func (s *SMB) rename(ctx context.Context, ss *smbSession, sh *smb2.Share, from, to string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rename %s: not done: %w", s.t.display(from), err)
	}
	if err := replaceByRename(s.log, smbFiles{ss, sh}, s.remote(from), s.remote(to)); err != nil {
		return withAsideHint(ss.failure(ctx, "rename "+s.t.display(from)+" to", s.remote(to), err))
	}
	return nil
}

// smbFiles is a share as replaceByRename sees it. Its errors are the server's
// answer, without the library's path (in backslashes, without host and share).
type smbFiles struct {
	ss *smbSession
	sh *smb2.Share
}

func (f smbFiles) rename(from, to string) error { return unwrapSMBPath(f.sh.Rename(from, to)) }
func (f smbFiles) remove(name string) error     { return unwrapSMBPath(f.sh.Remove(name)) }
func (f smbFiles) exists(name string) bool {
	if f.ss.conn.broken.Load() {
		return false
	}
	st, err := f.sh.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// List implements Destination.
func (s *SMB) List(ctx context.Context) ([]Object, error) {
	ss, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	o := ss.conn.begin(ctx)
	defer o.end()
	fis, err := ss.handles(ctx).ReadDir(s.t.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ss.failure(ctx, "readdir", s.t.dir, err)
	}
	return regularFiles(fis), nil
}

// Open implements Destination. The connection's watchdog stays armed until the
// returned reader is closed.
func (s *SMB) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkSMBName(name); err != nil {
		return nil, err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	o := ss.conn.begin(ctx)
	p := s.remote(name)
	f, err := ss.handles(ctx).Open(p)
	if err != nil {
		o.end()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(ss.failure(ctx, "open", p, err))
		}
		return nil, ss.failure(ctx, "open", p, err)
	}
	fail := func(ctx context.Context, op string, err error) error { return ss.failure(ctx, op, p, err) }
	return &smbReader{watchedReader{f: f, o: o, ctx: ctx, fail: fail}}, nil
}

// Delete implements Destination.
func (s *SMB) Delete(ctx context.Context, name string) error {
	if err := checkSMBName(name); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.conn.begin(ctx)
	defer o.end()
	p := s.remote(name)
	err = ss.handles(ctx).Remove(p)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return ss.failure(ctx, "remove", p, err)
}

// Close implements Destination: it leaves the share and logs off.
func (s *SMB) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.close()
	s.sess = nil
	return err
}

// smbBusy is a file that another handle holds open; the server may release it soon.
type smbBusy struct{ err error }

func (e *smbBusy) Error() string   { return e.err.Error() }
func (e *smbBusy) Unwrap() error   { return e.err }
func (e *smbBusy) Retryable() bool { return true }

// smbReader is a remote file being read. The share's calls do not see the
// caller's context (handles): a read after it is done fails at once.
type smbReader struct{ watchedReader }

func (r *smbReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, r.fail(r.ctx, "read", err)
	}
	return r.watchedReader.Read(p)
}
