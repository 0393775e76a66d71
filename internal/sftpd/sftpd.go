// Package sftpd is a small SFTP server that runs inside gardien: for the tests of the
// sftp destination, and for `gardien demo`, which must work on a machine with
// nothing installed.
//
// It listens on the loopback interface only, accepts one user, by password or by
// public key, and serves the real file system through pkg/sftp: clients use absolute
// paths, and Root is only the sessions' working directory, not a jail. Give clients
// paths under Root (sftp://user@127.0.0.1:PORT/<Root>/archives).
package sftpd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options configure a server.
type Options struct {
	// Root is the sessions' working directory; it must exist. See the package
	// comment: it is not a jail.
	Root string
	// User is the only user accepted; "gardien" when empty.
	User string
	// Password and AuthorizedKey are the accepted credentials; at least one is set.
	Password      string
	AuthorizedKey ssh.PublicKey
	// HostKey is the server's key; an ed25519 key is generated when nil. Give the
	// same key to a restarted server so that clients still recognise it.
	HostKey ssh.Signer
	// Addr is where to listen: "127.0.0.1:0" (any free port) when empty. It must be
	// a loopback address; set it to restart a server on the port of a stopped one.
	Addr string
}

// Server is a running SFTP server.
type Server struct {
	// Addr is the address it listens on, "127.0.0.1:PORT".
	Addr string
	// HostKey is the public half of the server's host key.
	HostKey ssh.PublicKey
	// User is the user it accepts.
	User string
	// Root is the sessions' working directory.
	Root string

	signer ssh.Signer
	cfg    *ssh.ServerConfig
	ln     net.Listener
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Start listens and serves in the background until Stop.
func Start(opts Options) (*Server, error) {
	if opts.Password == "" && opts.AuthorizedKey == nil {
		return nil, errors.New("sftpd: set a password or an authorized key")
	}
	st, err := os.Stat(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("sftpd: root: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("sftpd: root %s is not a directory", opts.Root)
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	s := &Server{User: opts.User, Root: root, signer: opts.HostKey, conns: map[net.Conn]struct{}{}}
	if s.User == "" {
		s.User = "gardien"
	}
	if s.signer == nil {
		if s.signer, err = NewKey(); err != nil {
			return nil, err
		}
	}
	s.HostKey = s.signer.PublicKey()

	s.cfg = &ssh.ServerConfig{ServerVersion: "SSH-2.0-gardien_sftpd"}
	s.cfg.AddHostKey(s.signer)
	if opts.Password != "" {
		want := []byte(opts.Password)
		s.cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			okUser := subtle.ConstantTimeCompare([]byte(c.User()), []byte(s.User))
			okPw := subtle.ConstantTimeCompare(pw, want)
			if okUser&okPw == 1 {
				return nil, nil
			}
			return nil, errors.New("wrong user or password")
		}
	}
	if opts.AuthorizedKey != nil {
		want := opts.AuthorizedKey.Marshal()
		s.cfg.PublicKeyCallback = func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == s.User && bytes.Equal(key.Marshal(), want) {
				return nil, nil
			}
			return nil, errors.New("key not authorized")
		}
	}

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sftpd: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("sftpd: %s is not a loopback address", addr)
	}
	s.ln, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sftpd: %w", err)
	}
	s.Addr = s.ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// URL returns the sftp url of dir (an absolute path) on this server.
func (s *Server) URL(dir string) string {
	return fmt.Sprintf("sftp://%s@%s%s", s.User, s.Addr, filepath.ToSlash(dir))
}

// KnownHostsLine is the server's line for a known_hosts file
// ("[127.0.0.1]:PORT ssh-ed25519 AAAA…").
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey)
}

// WriteKnownHosts writes a known_hosts file holding the server's line.
func (s *Server) WriteKnownHosts(path string) error {
	return os.WriteFile(path, []byte(s.KnownHostsLine()+"\n"), 0o644)
}

// Stop closes the listener and every live connection at once, as a server that
// dies would, and waits for the sessions to end. It may be called more than once.
func (s *Server) Stop() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed by Stop
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	sconn, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	defer sconn.Close()
	c.SetDeadline(time.Time{})
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions are served")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.session(ch, creqs)
		}()
	}
}

// session serves the sftp subsystem and refuses everything else (shells, commands).
func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "subsystem" || subsystem(req.Payload) != "sftp" {
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		go ssh.DiscardRequests(reqs) // ends when the channel closes
		srv, err := sftp.NewServer(ch, sftp.WithServerWorkingDirectory(s.Root))
		if err != nil {
			return
		}
		srv.Serve()
		return
	}
}

// subsystem reads the name in a "subsystem" request: an SSH string.
func subsystem(payload []byte) string {
	if len(payload) < 4 {
		return ""
	}
	n := binary.BigEndian.Uint32(payload)
	if uint64(n) != uint64(len(payload)-4) {
		return ""
	}
	return string(payload[4:])
}

// NewKey generates an ed25519 key in memory, for a host key or a client key.
func NewKey() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

// GenerateKeyFile generates an ed25519 key pair and writes the private key, without
// passphrase and in OpenSSH format, to path with mode 0600: what a key_file holds.
// The public key, for the server's authorized keys, is the signer's PublicKey.
func GenerateKeyFile(path string) (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "gardien")
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil { // the file may have existed with another mode
		f.Close()
		return nil, err
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}
