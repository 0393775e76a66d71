package dest

import (
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/version"
)

// ErrAuth is returned (wrapped) when the server refuses the credentials.
var ErrAuth = errors.New("authentication failed")

// ErrHostKeyMismatch is returned (wrapped) when the SSH server presents a host key
// other than the one configured in known_hosts or host_key: the server was
// reinstalled, or the connection is intercepted.
var ErrHostKeyMismatch = errors.New("ssh host key does not match")

// ErrUnknownHost is returned (wrapped) when known_hosts has no key for the server.
var ErrUnknownHost = errors.New("ssh host key is not known")

// cancelGrace is how long an operation whose context was cancelled may take to stop
// by itself (and remove its temporary file) before its connection is cut.
const cancelGrace = 2 * time.Second

// SFTP is a directory on an SSH server: sftp://user@host:port/path.
//
// It holds one SSH session and opens a new one when the previous was lost (server
// restarted, network cut, watchdog), so that a retried upload can succeed.
type SFTP struct {
	t   *sftpTarget
	log *slog.Logger

	mu   sync.Mutex
	sess *sftpSession
}

var (
	_ Destination = (*SFTP)(nil)
	_ Renamer     = (*SFTP)(nil)
)

// sftpTarget is what a connection needs; it is built from the configuration by
// parseSFTP. The password only lives inside client's auth callbacks.
type sftpTarget struct {
	host, port string
	addr       string // host:port, as given to known_hosts
	user       string
	dir        string
	keyFile    string
	password   bool // whether a password is set (never the password itself)
	timeout    time.Duration
	client     *ssh.ClientConfig
}

// checkSFTP checks the configuration without touching any file: `gardien init`
// writes an example whose key_file does not exist yet. openSFTP reads the files.
func checkSFTP(c Config, u *url.URL) error {
	_, err := parseSFTP(c, u, false)
	return err
}

func openSFTP(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error) {
	t, err := parseSFTP(c, u, true)
	if err != nil {
		return nil, openFieldError(err) // a key_file or known_hosts that cannot be used
	}
	log := env.logger()
	if t.keyFile != "" {
		if st, err := os.Stat(t.keyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			log.Warn("key_file is readable by other users", "file", t.keyFile, "mode", fmt.Sprintf("%04o", st.Mode().Perm()), "fix", "chmod 600 "+t.keyFile)
		}
	}
	s := &SFTP{t: t, log: log}
	if _, err := s.session(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// parseSFTP checks the configuration and builds the SSH client configuration. With
// files, it reads key_file and known_hosts; without, it only checks the keys (and
// returns no usable client configuration).
func parseSFTP(c Config, u *url.URL, files bool) (*sftpTarget, error) {
	host := u.Hostname()
	if host == "" {
		return nil, &config.FieldError{Key: "url", Msg: "no host in the sftp url",
			Fix: `write it like "sftp://backup@nas.example.org:22/srv/archives"`}
	}
	port := u.Port()
	if port == "" {
		port = "22"
	}
	if !validPort(port) {
		return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid port %q", port), Fix: "use a port number between 1 and 65535, usually 22"}
	}
	t := &sftpTarget{host: host, port: port, addr: net.JoinHostPort(host, port), keyFile: c.KeyFile}

	user, err := loginUser(c, u)
	if err != nil {
		return nil, err
	}
	t.user = user
	if t.user == "" {
		return nil, &config.FieldError{Key: "username", Msg: "no user to log in as",
			Fix: `put it in the url ("sftp://backup@` + host + `/path") or set username`}
	}

	t.dir = "."
	if u.Path != "" {
		t.dir = path.Clean(u.Path)
	}
	t.timeout = timeoutOf(c)

	if c.KeyFile == "" && c.Password == "" && c.PasswordFile == "" {
		return nil, &config.FieldError{Key: "key_file", Msg: "no way to log in: neither key_file nor password is set",
			Fix: "set key_file to a private key without passphrase (or password_file)"}
	}
	var auth []ssh.AuthMethod
	if c.KeyFile != "" && files {
		signer, err := readPrivateKey(c.KeyFile)
		if err != nil {
			return nil, err
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		t.password = true
		pw := c.Password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = pw
			}
			return answers, nil
		}))
	}

	cb, algos, err := hostKeyCheck(c, host, port, files)
	if err != nil {
		return nil, err
	}
	t.client = &ssh.ClientConfig{
		User:              t.user,
		Auth:              auth,
		HostKeyCallback:   cb,
		HostKeyAlgorithms: algos,
		ClientVersion:     clientVersion(),
		Timeout:           t.timeout,
	}
	return t, nil
}

// clientVersion is the SSH identification string; the software version may not
// hold spaces nor '-'.
func clientVersion() string {
	v := strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f && r != '-' {
			return r
		}
		return '_'
	}, version.String())
	return "SSH-2.0-gardien_" + v
}

func readPrivateKey(file string) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, &config.FieldError{Key: "key_file", Msg: err.Error(),
			Fix: "check the path, and that the file is readable by the user gardien runs as"}
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var pass *ssh.PassphraseMissingError
	if errors.As(err, &pass) {
		return nil, &config.FieldError{Key: "key_file", Msg: fmt.Sprintf("%s is protected by a passphrase, which gardien cannot type", file),
			Fix: fmt.Sprintf("use a key without passphrase, readable only by gardien's user: ssh-keygen -t ed25519 -N '' -f %s && chmod 600 %s (or remove the passphrase with ssh-keygen -p -N '' -f %s)", file, file, file)}
	}
	if err != nil {
		return nil, &config.FieldError{Key: "key_file", Msg: fmt.Sprintf("%s is not a private key: %v", file, err),
			Fix: "give the private key (not the .pub), in OpenSSH or PEM format"}
	}
	return signer, nil
}

// hostKeyCheck returns the callback that verifies the server's key, and the host key
// algorithms to ask for (so that a server holding several keys presents the one we
// know).
func hostKeyCheck(c Config, host, port string, files bool) (ssh.HostKeyCallback, []string, error) {
	addr := net.JoinHostPort(host, port)
	switch {
	case c.KnownHosts != "" && c.HostKey != "":
		return nil, nil, &config.FieldError{Key: "host_key", Msg: "both known_hosts and host_key are set", Fix: "keep only one of them"}
	case c.KnownHosts != "" && !files:
		return nil, nil, nil
	case c.KnownHosts != "":
		kh, err := knownhosts.New(c.KnownHosts)
		if err != nil {
			return nil, nil, &config.FieldError{Key: "known_hosts", Msg: err.Error(),
				Fix: fmt.Sprintf("create it with ssh-keyscan -p %s %s >> %s, and compare the fingerprint with the server's", port, host, c.KnownHosts)}
		}
		cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := kh(hostname, remote, key)
			if err == nil {
				return nil
			}
			var ke *knownhosts.KeyError
			var re *knownhosts.RevokedError
			got := key.Type() + " " + ssh.FingerprintSHA256(key)
			switch {
			case errors.As(err, &ke) && len(ke.Want) > 0:
				var want []string
				for _, k := range ke.Want {
					want = append(want, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
				}
				return mismatch(fmt.Errorf("%w for %s: the server presented %s, known_hosts has %s", ErrHostKeyMismatch, knownhosts.Normalize(hostname), got, strings.Join(want, ", ")))
			case errors.As(err, &ke):
				return &hostKeyError{fault.WithHint(
					fmt.Errorf("%w: %s is not in %s; the server presented %s", ErrUnknownHost, knownhosts.Normalize(hostname), c.KnownHosts, got),
					fmt.Sprintf("run ssh-keyscan -p %s %s >> %s, compare the fingerprint (ssh-keygen -lf %s) with the server's, and run again", port, host, c.KnownHosts, c.KnownHosts))}
			case errors.As(err, &re):
				return mismatch(fmt.Errorf("%w for %s: the server presented %s, which %s:%d marks as revoked", ErrHostKeyMismatch, knownhosts.Normalize(hostname), got, re.Revoked.Filename, re.Revoked.Line))
			}
			return err
		}
		return cb, knownAlgorithms(kh, addr, port), nil
	case c.HostKey != "":
		return parseHostKey(c.HostKey)
	}
	return nil, nil, &config.FieldError{Key: "known_hosts", Msg: "no host key to verify the server against",
		Fix: fmt.Sprintf("run ssh-keyscan -p %s %s >> /etc/gardien/known_hosts, compare the fingerprint with the server's, and set known_hosts", port, host)}
}

// knownAlgorithms asks known_hosts which keys it holds for addr, by checking a key
// that cannot be there, and returns their algorithms.
func knownAlgorithms(kh ssh.HostKeyCallback, addr, port string) []string {
	pub, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public())
	p, _ := strconv.Atoi(port)
	err := kh(addr, &net.TCPAddr{IP: net.IPv4zero, Port: p}, pub)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range ke.Want {
		for _, a := range keyAlgorithms(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func keyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// parseHostKey reads host_key: one public key line ("ssh-ed25519 AAAA…", optionally
// preceded by the host as ssh-keyscan prints it), or a fingerprint as ssh-keygen -l
// prints it ("SHA256:…", or "MD5:…"), alone or with the rest of that line.
func parseHostKey(s string) (ssh.HostKeyCallback, []string, error) {
	bad := &config.FieldError{Key: "host_key", Msg: fmt.Sprintf("%q is neither a public key line nor a SHA256 fingerprint", s),
		Fix: `paste one line of ssh-keyscan output ("ssh-ed25519 AAAA…"), or the SHA256:… fingerprint that ssh-keygen -l prints`}
	for _, f := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(f, "SHA256:"):
			if b, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(f, "SHA256:")); err != nil || len(b) != 32 {
				return nil, nil, bad
			}
			want := f
			return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
				if got := ssh.FingerprintSHA256(key); got != want {
					return mismatch(fmt.Errorf("%w for %s: the server presented %s %s, host_key is %s", ErrHostKeyMismatch, knownhosts.Normalize(hostname), key.Type(), got, want))
				}
				return nil
			}, nil, nil
		case strings.HasPrefix(f, "MD5:"):
			want := strings.ToLower(strings.TrimPrefix(f, "MD5:"))
			if b, err := hex.DecodeString(strings.ReplaceAll(want, ":", "")); err != nil || len(b) != md5.Size {
				return nil, nil, bad
			}
			return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
				if got := ssh.FingerprintLegacyMD5(key); got != want {
					return mismatch(fmt.Errorf("%w for %s: the server presented %s MD5:%s, host_key is MD5:%s", ErrHostKeyMismatch, knownhosts.Normalize(hostname), key.Type(), got, want))
				}
				return nil
			}, nil, nil
		}
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		_, _, want, _, _, err = ssh.ParseKnownHosts([]byte(s))
	}
	if err != nil {
		return nil, nil, bad
	}
	wantBlob := string(want.Marshal())
	return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
		if string(key.Marshal()) != wantBlob {
			return mismatch(fmt.Errorf("%w for %s: the server presented %s %s, host_key is %s %s", ErrHostKeyMismatch, knownhosts.Normalize(hostname), key.Type(), ssh.FingerprintSHA256(key), want.Type(), ssh.FingerprintSHA256(want)))
		}
		return nil
	}, keyAlgorithms(want.Type()), nil
}

// hostKeyError marks the verdict of our host key check inside ssh's handshake error.
type hostKeyError struct{ error }

func (e *hostKeyError) Unwrap() error { return e.error }

func mismatch(err error) error {
	return &hostKeyError{fault.Permanent(fault.WithHint(err,
		"the server's key is not the one recorded: if the server was reinstalled, get its new fingerprint from its administrator and update known_hosts (or host_key); otherwise the connection may be intercepted, so send nothing there"))}
}

// sftpSession is one SSH connection with its SFTP client.
type sftpSession struct {
	conn *watchConn
	ssh  *ssh.Client
	sftp *sftp.Client
}

// session returns the live session, connecting again if the previous one was lost.
func (s *SFTP) session(ctx context.Context) (*sftpSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil && !s.sess.conn.broken.Load() {
		return s.sess, nil
	}
	if s.sess != nil {
		s.sess.close()
		s.sess = nil
		s.log.Info("connection lost, reconnecting", "remote", s.t.addr)
	}
	sess, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.sess = sess
	return sess, nil
}

func (s *SFTP) dial(ctx context.Context) (*sftpSession, error) {
	d := net.Dialer{Timeout: s.t.timeout}
	raw, err := d.DialContext(ctx, "tcp", s.t.addr)
	if err != nil {
		return nil, err
	}
	// The handshake and the SFTP start have no context of their own: a deadline
	// bounds them, and cancelling ctx cuts the connection.
	raw.SetDeadline(time.Now().Add(s.t.timeout))
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	wc := newWatchConn(raw, s.t.timeout)
	sess, err := s.handshake(wc)
	if !stop() {
		if sess != nil {
			sess.close()
		}
		return nil, fmt.Errorf("connect to %s: %w", s.t.addr, ctx.Err())
	}
	if err != nil {
		raw.Close()
		return nil, err
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		sess.close()
		return nil, err
	}
	return sess, nil
}

func (s *SFTP) handshake(wc *watchConn) (*sftpSession, error) {
	conn, chans, reqs, err := ssh.NewClientConn(wc, s.t.addr, s.t.client)
	if err != nil {
		var hk *hostKeyError
		if errors.As(err, &hk) {
			return nil, hk.error
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			how := []string{}
			if s.t.keyFile != "" {
				how = append(how, "key_file "+s.t.keyFile)
			}
			if s.t.password {
				how = append(how, "password")
			}
			hint := "check the user"
			if s.t.keyFile != "" {
				hint += "; the public key of key_file must be in ~" + s.t.user + "/.ssh/authorized_keys on the server"
			}
			if s.t.password {
				hint += "; check the password (password_file)"
			}
			hint += "; the server's auth log (/var/log/auth.log) says why it refused"
			return nil, fault.Permanent(fault.WithHint(
				fmt.Errorf("%w for user %q on %s with %s: %w", ErrAuth, s.t.user, s.t.addr, strings.Join(how, " and "), err), hint))
		}
		return nil, err
	}
	sc := ssh.NewClient(conn, chans, reqs)
	cl, err := sftp.NewClient(sc, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		sc.Close()
		return nil, fault.WithHint(fmt.Errorf("start sftp on %s: %w", s.t.addr, err),
			"the server accepted the login but does not offer SFTP: check the Subsystem sftp line of its sshd_config")
	}
	sess := &sftpSession{conn: wc, ssh: sc, sftp: cl}
	if s.t.dir != "." {
		if err := cl.MkdirAll(s.t.dir); err != nil {
			sess.close()
			return nil, pathErr("mkdir", s.t.dir, err)
		}
	}
	return sess, nil
}

func (ss *sftpSession) close() error {
	err := ss.sftp.Close()
	if cerr := ss.ssh.Close(); err == nil {
		err = cerr
	}
	if ss.conn.broken.Load() {
		return nil // closing a dead session only reports that it is dead
	}
	return err
}

// failure dresses an error from an operation: cancellation first, then a lost or
// stalled connection, which are worth retrying (on a new session).
func (ss *sftpSession) failure(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	if ss.conn.stalled() {
		return &stallError{err: err, d: ss.conn.timeout}
	}
	if ss.conn.broken.Load() {
		return &lostError{connCause(err, ss.conn.firstErr())}
	}
	return err
}

// connCause adds to err what broke the connection under it: pkg/sftp only says
// "connection lost", where the technician wants to read "connection reset by peer"
// or that the server closed it.
func connCause(err, cause error) error {
	switch {
	case cause == nil || strings.Contains(err.Error(), cause.Error()):
		return err
	case errors.Is(cause, io.EOF):
		return fmt.Errorf("%w (the server closed the connection)", err)
	}
	return fmt.Errorf("%w (%w)", err, cause)
}

func (s *SFTP) remote(name string) string { return path.Join(s.t.dir, name) }

// Put implements Destination.
func (s *SFTP) Put(ctx context.Context, name string, r io.Reader, size int64) (err error) {
	if err := checkName(name); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.conn.begin(ctx)
	defer o.end()
	tmp, final := s.remote(namefmt.TempName(name)), s.remote(name)
	f, err := ss.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return ss.failure(ctx, pathErr("create", tmp, err))
	}
	defer func() {
		if err != nil {
			f.Close() // a second Close only reports ErrClosed
			if !ss.conn.broken.Load() {
				ss.sftp.Remove(tmp)
			}
		}
	}()
	// A database dump is for the backup account only, whatever the server's umask.
	// Some servers (Windows ones) refuse SETSTAT: the archive is still worth sending.
	if err := f.Chmod(0o600); err != nil {
		s.log.Warn("cannot make the archive private on the server", "file", tmp, "cause", err.Error(),
			"hint", "check the directory's permissions: the archive may be readable by other users of the server")
	}
	// ReadFrom would write sequentially for a reader of unknown length: ask for
	// the concurrent writes explicitly (0 = the client's maximum).
	n, err := f.ReadFromWithConcurrency(&ctxReader{ctx: ctx, r: r}, 0)
	if err != nil {
		return ss.failure(ctx, writeFailure(pathErr("write", tmp, err)))
	}
	if n != size {
		return sizeMismatch(tmp, n, size)
	}
	if v, ok := ss.sftp.HasExtension("fsync@openssh.com"); ok && v == "1" {
		if err := f.Sync(); err != nil {
			return ss.failure(ctx, writeFailure(pathErr("fsync", tmp, err)))
		}
	}
	if err := f.Close(); err != nil {
		return ss.failure(ctx, writeFailure(pathErr("close", tmp, err)))
	}
	st, err := ss.sftp.Stat(tmp)
	if err != nil {
		return ss.failure(ctx, pathErr("stat", tmp, err))
	}
	if st.Size() != size {
		return sizeMismatch(tmp, st.Size(), size)
	}
	return s.rename(ctx, ss, tmp, final)
}

// Rename implements Renamer.
func (s *SFTP) Rename(ctx context.Context, from, to string) error {
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
	o := ss.conn.begin(ctx)
	defer o.end()
	return s.rename(ctx, ss, s.remote(from), s.remote(to))
}

// rename gives the remote file from the name to, replacing it: with posix-rename
// where the server has it (OpenSSH), which replaces at once; else with
// replaceByRename, as SFTP version 3's rename refuses to replace a file. The
// caller runs it under an operation of ss (begin).
func (s *SFTP) rename(ctx context.Context, ss *sftpSession, from, to string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rename %s: not done: %w", from, err)
	}
	var err error
	if _, ok := ss.sftp.HasExtension("posix-rename@openssh.com"); ok {
		err = ss.sftp.PosixRename(from, to)
	} else {
		err = replaceByRename(s.log, sftpFiles{ss.sftp}, from, to)
	}
	if err != nil {
		return withAsideHint(ss.failure(ctx, fmt.Errorf("rename %s to %s: %w", from, to, unwrapPath(err))))
	}
	return nil
}

// writeFailure gives a write that the server refused with the generic SSH_FX_FAILURE
// its likely cause: SFTP version 3 has no code for a full disk, and OpenSSH's
// sftp-server answers "Failure" for it, as for an exhausted quota.
func writeFailure(err error) error {
	var se *sftp.StatusError
	if errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxFailure {
		return fault.WithHint(err, "the server could not write the file, most often because its disk is full or the user's quota is used up: check the free space there (df), or lower keep_days")
	}
	return err
}

// sftpFiles is an SFTP client as replaceByRename sees it.
type sftpFiles struct{ c *sftp.Client }

func (f sftpFiles) rename(from, to string) error { return unwrapPath(f.c.Rename(from, to)) }
func (f sftpFiles) remove(name string) error     { return unwrapPath(f.c.Remove(name)) }
func (f sftpFiles) exists(name string) bool {
	st, err := f.c.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// List implements Destination.
func (s *SFTP) List(ctx context.Context) ([]Object, error) {
	ss, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	o := ss.conn.begin(ctx)
	defer o.end()
	fis, err := ss.sftp.ReadDirContext(ctx, s.t.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, ss.failure(ctx, pathErr("readdir", s.t.dir, err))
	}
	return regularFiles(fis), nil
}

// Open implements Destination. The connection's watchdog stays armed until the
// returned reader is closed.
func (s *SFTP) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	o := ss.conn.begin(ctx)
	p := s.remote(name)
	f, err := ss.sftp.Open(p)
	if err != nil {
		o.end()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(pathErr("open", p, err))
		}
		return nil, ss.failure(ctx, pathErr("open", p, err))
	}
	fail := func(ctx context.Context, op string, err error) error { return ss.failure(ctx, pathErr(op, p, err)) }
	return &sftpReader{watchedReader: watchedReader{f: f, o: o, ctx: context.Background(), fail: fail}, file: f}, nil
}

// Delete implements Destination.
func (s *SFTP) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	ss, err := s.session(ctx)
	if err != nil {
		return err
	}
	o := ss.conn.begin(ctx)
	defer o.end()
	p := s.remote(name)
	err = ss.sftp.Remove(p)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return ss.failure(ctx, pathErr("remove", p, err))
}

// Close implements Destination: it ends the SFTP session, then the SSH connection.
func (s *SFTP) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.close()
	s.sess = nil
	return err
}

// sftpReader is a remote file being read. The caller's context is enforced by the
// watchdog (begin), which cuts the connection; errors are dressed without it.
type sftpReader struct {
	watchedReader
	file *sftp.File
}

// WriteTo lets io.Copy use the client's concurrent reads.
func (r *sftpReader) WriteTo(w io.Writer) (int64, error) {
	n, err := r.file.WriteTo(kickWriter{w, r.o.c})
	if err == nil || err == io.EOF {
		return n, err
	}
	return n, r.fail(r.ctx, "read", err)
}

type kickWriter struct {
	w io.Writer
	c *watchConn
}

func (k kickWriter) Write(p []byte) (int, error) {
	n, err := k.w.Write(p)
	k.c.kick()
	return n, err
}

// pathErr gives an SFTP error the operation and path that pkg/sftp only sometimes
// includes.
func pathErr(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lostError is an operation cut by a lost connection; the next operation reconnects,
// so it is worth retrying.
type lostError struct{ err error }

func (e *lostError) Error() string   { return e.err.Error() }
func (e *lostError) Unwrap() error   { return e.err }
func (e *lostError) Retryable() bool { return true }
func (e *lostError) Hint() string {
	return "the connection to the server broke off: check the network and the server's logs; the run can be retried"
}

// stallError is an operation the watchdog cut because the server sent nothing for
// too long. It is a net.Error that reports a timeout.
type stallError struct {
	err error
	d   time.Duration
}

func (e *stallError) Error() string {
	return fmt.Sprintf("%v (the server sent nothing for %s)", e.err, e.d)
}
func (e *stallError) Unwrap() error   { return e.err }
func (e *stallError) Timeout() bool   { return true }
func (e *stallError) Temporary() bool { return true }

var _ net.Error = (*stallError)(nil)

// watchConn is the TCP connection under an SSH session. pkg/sftp's calls take no
// context, so the connection watches them: while an operation runs, it closes itself
// when the server has sent nothing for timeout, or cancelGrace after the operation's
// context is cancelled. Closing the connection makes every pending call return.
type watchConn struct {
	net.Conn
	timeout time.Duration
	broken  atomic.Bool           // a read failed: the session is dead
	err     atomic.Pointer[error] // the first read or write that failed

	mu        sync.Mutex
	busy      int // operations in progress
	timer     *time.Timer
	deadline  time.Time // when the timer cuts the connection, if busy
	cancelled bool      // the deadline is the grace of a cancellation
	stall     bool      // the watchdog cut a stalled connection
}

func newWatchConn(c net.Conn, timeout time.Duration) *watchConn {
	w := &watchConn{Conn: c, timeout: timeout}
	w.timer = time.AfterFunc(time.Hour, w.expire)
	w.timer.Stop()
	return w
}

func (c *watchConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.kick()
	}
	if err != nil {
		c.err.CompareAndSwap(nil, &err)
		c.broken.Store(true)
	}
	return n, err
}

// Write records its error: a reset that a write reports first leaves only an EOF
// for the reads that follow.
func (c *watchConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err != nil {
		c.err.CompareAndSwap(nil, &err)
	}
	return n, err
}

// firstErr is the error of the first read or write that failed, nil while none did.
func (c *watchConn) firstErr() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// kick records progress: the watchdog waits timeout again.
func (c *watchConn) kick() {
	c.mu.Lock()
	if c.busy > 0 && !c.cancelled {
		c.deadline = time.Now().Add(c.timeout)
	}
	c.mu.Unlock()
}

// arm sets the watchdog to fire in d; c.mu is held.
func (c *watchConn) arm(d time.Duration) {
	c.deadline = time.Now().Add(d)
	c.timer.Reset(d)
}

func (c *watchConn) cancel() {
	c.mu.Lock()
	if c.busy > 0 && !c.cancelled {
		c.cancelled = true
		c.arm(cancelGrace)
	}
	c.mu.Unlock()
}

// expire runs when the timer fires: it cuts the connection unless the operations
// ended or progress moved the deadline (then it waits again).
func (c *watchConn) expire() {
	c.mu.Lock()
	if c.busy == 0 {
		c.mu.Unlock()
		return
	}
	if d := time.Until(c.deadline); d > 0 {
		c.timer.Reset(d)
		c.mu.Unlock()
		return
	}
	c.stall = !c.cancelled
	c.mu.Unlock()
	c.broken.Store(true)
	c.Conn.Close()
}

func (c *watchConn) stalled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stall
}

// op is one operation in progress on a connection.
type op struct {
	c    *watchConn
	stop func() bool
}

func (c *watchConn) begin(ctx context.Context) *op {
	c.mu.Lock()
	c.busy++
	switch {
	case c.busy == 1:
		c.cancelled = false
		c.arm(c.timeout)
	case !c.cancelled:
		c.deadline = time.Now().Add(c.timeout)
	}
	c.mu.Unlock()
	return &op{c: c, stop: context.AfterFunc(ctx, c.cancel)}
}

func (o *op) end() {
	o.stop()
	c := o.c
	c.mu.Lock()
	c.busy--
	if c.busy == 0 {
		c.timer.Stop()
	}
	c.mu.Unlock()
}
