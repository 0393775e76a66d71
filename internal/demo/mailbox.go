package demo

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// maxMail bounds what the demo's mailbox accepts from one message.
const maxMail = 32 << 20

// mailbox is a small SMTP server on 127.0.0.1 that stands for the organisation's mail
// server: it accepts every message and writes it, as received, to its own .eml file,
// so that the report of each demo run can be opened in a mail client or read as text.
type mailbox struct {
	dir  string
	srv  *smtp.Server
	addr *net.TCPAddr

	mu sync.Mutex
	n  int
}

func startMailbox(dir string) (*mailbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailbox{dir: dir, addr: ln.Addr().(*net.TCPAddr)}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{box: m}, nil
	}))
	m.srv.Domain = "localhost"
	m.srv.ReadTimeout, m.srv.WriteTimeout = 30*time.Second, 30*time.Second
	m.srv.MaxMessageBytes = maxMail
	m.srv.ErrorLog = log.New(io.Discard, "", 0)
	go m.srv.Serve(ln)
	return m, nil
}

// Files returns the messages written so far, oldest first.
func (m *mailbox) Files() []string {
	files, _ := filepath.Glob(filepath.Join(m.dir, "*.eml"))
	return files
}

func (m *mailbox) close() error { return m.srv.Close() }

func (m *mailbox) store(data io.Reader) error {
	m.mu.Lock()
	m.n++
	name := filepath.Join(m.dir, fmt.Sprintf("%03d.eml", m.n))
	m.mu.Unlock()
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, data); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}

type mailSession struct{ box *mailbox }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error               { return s.box.store(r) }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }
