// Package demo sets up, on this machine alone, everything a real gardien job talks to:
// an HTTPS server that serves a generated dump in a zip, an SFTP server standing for
// the NAS, and an SMTP server that files each report mail, all on 127.0.0.1, with a
// configuration that points at them. It backs `gardien demo`.
package demo

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/sftpd"
)

// DefaultDumpSize is the size of the generated dump: big enough to show the
// streaming and the compression, small enough to run in seconds.
const DefaultDumpSize = 24 << 20

// marker marks a directory made by the demo, which the demo may therefore wipe.
const marker = ".gardien-demo"

// Env is a running demo.
type Env struct {
	Dir        string // everything lives here
	ConfigPath string
	LogPath    string
	Archives   string // the SFTP server's directory: the "NAS"
	MailDir    string // the report mails, one .eml file each
	zipPath    string
	dumpSize   int64
	https      *httptest.Server
	sftp       *sftpd.Server
	mail       *mailbox
}

// Start wipes dir if an earlier demo made it (refusing any other non-empty
// directory), then starts the servers and writes the configuration.
func Start(dir string, dumpSize int64, now time.Time) (*Env, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := prepare(abs); err != nil {
		return nil, err
	}
	e := &Env{
		Dir:        abs,
		ConfigPath: filepath.Join(abs, "gardien.toml"),
		LogPath:    filepath.Join(abs, "gardien.log"),
		Archives:   filepath.Join(abs, "nas"),
		MailDir:    filepath.Join(abs, "mail"),
		zipPath:    filepath.Join(abs, "source", "dump.zip"),
		dumpSize:   dumpSize,
	}
	for _, d := range []string{"source", "keys", "nas", "state", "staging"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, err
		}
	}
	if err := e.NewDump(1); err != nil {
		return nil, err
	}
	if err := e.seedOldArchives(now); err != nil {
		return nil, err
	}
	if err := e.startHTTPS(); err != nil {
		return nil, err
	}
	if err := e.startSFTP(); err != nil {
		e.Close()
		return nil, err
	}
	if e.mail, err = startMailbox(e.MailDir); err != nil {
		e.Close()
		return nil, err
	}
	if err := os.WriteFile(e.ConfigPath, []byte(e.config()), 0o600); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func prepare(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	case err != nil:
		return err
	case len(ents) > 0:
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return fmt.Errorf("%s exists and was not made by gardien demo: it is left alone (remove it or run the demo elsewhere)", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, marker), []byte("made by gardien demo; safe to delete\n"), 0o600)
}

// NewDump makes the source serve a new dump; the same seed gives the same dump.
func (e *Env) NewDump(seed uint64) error {
	return WriteZip(e.zipPath, "dump.sql", e.dumpSize, seed)
}

// seedOldArchives puts a few archives of past nights on the NAS, so that the first
// run shows the retention at work.
func (e *Env) seedOldArchives(now time.Time) error {
	pat, err := namefmt.Compile("%Y%m%d.tgz")
	if err != nil {
		return err
	}
	for _, days := range []int{45, 38, 31, 20, 10, 1} {
		name := pat.Format(now.AddDate(0, 0, -days))
		if err := os.WriteFile(filepath.Join(e.Archives, name), []byte("archive of an earlier night (demo placeholder)\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) startHTTPS() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/exports/dump.zip", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, e.zipPath)
	})
	e.https = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	e.https.StartTLS()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.https.Certificate().Raw})
	return os.WriteFile(filepath.Join(e.Dir, "keys", "ca.pem"), ca, 0o600)
}

func (e *Env) startSFTP() error {
	keyFile := filepath.Join(e.Dir, "keys", "id_ed25519")
	client, err := sftpd.GenerateKeyFile(keyFile)
	if err != nil {
		return err
	}
	e.sftp, err = sftpd.Start(sftpd.Options{User: "backup", AuthorizedKey: client.PublicKey(), Root: e.Archives})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(e.Dir, "keys", "known_hosts"), []byte(e.sftp.KnownHostsLine()+"\n"), 0o600); err != nil {
		return err
	}
	return nil
}

// Mails returns the report mails received so far, oldest first.
func (e *Env) Mails() []string { return e.mail.Files() }

// StopSFTP stops the SFTP server, as when the NAS is down.
func (e *Env) StopSFTP() {
	if e.sftp != nil {
		e.sftp.Stop()
	}
}

// Close stops everything.
func (e *Env) Close() {
	e.StopSFTP()
	if e.mail != nil {
		e.mail.close()
	}
	if e.https != nil {
		e.https.Close()
	}
}

func (e *Env) config() string {
	r := strings.NewReplacer(
		"{dir}", e.Dir,
		"{url}", e.https.URL+"/exports/dump.zip",
		"{sftp}", e.sftp.Addr,
		"{smtp}", fmt.Sprint(e.mail.addr.Port),
	)
	return r.Replace(`# Written by gardien demo: a real configuration, pointing at the demo's servers.
# Try: gardien --config {dir}/gardien.toml list demo-db

[log]
file = "{dir}/gardien.log"
level = "info"

[state]
dir = "{dir}/state"

[mail]
transport = "smtp"                   # the demo's own mail server files each mail in {dir}/mail
host = "127.0.0.1"
port = {smtp}
security = "none"                    # a real server: "tls" or "starttls", with username and password_file
from = "gardien@localhost"
to = ["admin@localhost"]
send_on = "always"
attach_log = true
language = "fr"                      # fr | en

[[job]]
name = "demo-db"
schedule = "0 2 * * *"

  [job.source]
  type = "https-zip"
  url = "{url}"
  ca_file = "{dir}/keys/ca.pem"       # the demo server's own certificate
  expect = "dump.sql"
  retries = 2

  [job.archive]
  name = "%Y%m%d.tgz"
  staging_dir = "{dir}/staging"

  [[job.destination]]
  name = "nas"
  url = "sftp://backup@{sftp}{dir}/nas"
  key_file = "{dir}/keys/id_ed25519"
  known_hosts = "{dir}/keys/known_hosts"
  timeout = "10s"

  [job.retention]
  keep_days = 30
  keep_min = 3
`)
}
