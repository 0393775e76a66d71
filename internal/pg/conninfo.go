// Package pg is what gardien needs of PostgreSQL: connection settings read the way
// libpq reads them, a connection through pgx to list databases and create scratch
// ones, and the pg_dump and pg_restore programs run with the password in their
// environment only, their errors turned into a cause and a hint.
package pg

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Conninfo is a set of libpq connection keywords (host, port, user, password,
// dbname, sslmode, sslrootcert, …), the common ground of pgx and pg_dump.
type Conninfo map[string]string

// Settings are the connection keys of a gardien configuration. DSN is read first;
// the other keys, when set, override what it says.
type Settings struct {
	DSN      string
	Host     string // a name, an address, or a socket directory (/var/run/postgresql)
	Port     int
	User     string
	Password string
	SSLMode  string
	CAFile   string // sslrootcert
	// MaxWait, when set, bounds connect_timeout: connecting never takes longer than
	// this (a source's timeout), whatever the dsn says.
	MaxWait time.Duration
}

// DefaultConnectTimeout is how long opening a connection may take when the dsn does
// not say (connect_timeout): reaching the server, TLS and the login. A server that
// accepts the TCP connection and then says nothing is given up then, and the
// connection tried again, instead of holding the run and the job's lock.
const DefaultConnectTimeout = 10 * time.Second

// SSLModes are the sslmode values gardien accepts: the ones that either verify the
// server's certificate or do not pretend to use TLS at all.
var SSLModes = []string{"disable", "verify-ca", "verify-full"}

// systemCAs are where Debian and its relatives keep the system's trusted
// certificates, in the order they are looked for: libpq before version 16 has no
// sslrootcert=system, so the bundle is named.
var systemCAs = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}

// New builds the connection keywords of s. Without sslmode, a connection over a
// socket or to the loopback is not encrypted, and any other uses TLS with the server's
// certificate verified (verify-full): a libpq default of "prefer" would accept any
// certificate.
func New(s Settings) (Conninfo, error) {
	ci := Conninfo{}
	if s.DSN != "" {
		var err error
		if ci, err = ParseDSN(s.DSN); err != nil {
			return nil, err
		}
	}
	set := func(k, v string) {
		if v != "" {
			ci[k] = v
		}
	}
	set("host", s.Host)
	if s.Port != 0 {
		ci["port"] = strconv.Itoa(s.Port)
	}
	set("user", s.User)
	set("password", s.Password)
	set("sslmode", s.SSLMode)
	set("sslrootcert", s.CAFile)
	if ci["sslmode"] == "" {
		ci["sslmode"] = "verify-full"
		if ci.Local() {
			ci["sslmode"] = "disable"
		}
	}
	if m := ci["sslmode"]; !oneOf(m, SSLModes...) {
		return nil, fmt.Errorf("sslmode %q does not verify the server's certificate", m)
	}
	if ci["sslmode"] != "disable" && ci["sslrootcert"] == "" {
		for _, p := range systemCAs {
			if _, err := os.Stat(p); err == nil {
				ci["sslrootcert"] = p
				break
			}
		}
	}
	wait, err := parseConnectTimeout(ci["connect_timeout"])
	if err != nil {
		return nil, err
	}
	if s.MaxWait > 0 && (wait == 0 || wait > s.MaxWait) {
		wait = s.MaxWait
	}
	if wait == 0 {
		wait = DefaultConnectTimeout
	}
	ci["connect_timeout"] = seconds(wait)
	if ci["application_name"] == "" {
		ci["application_name"] = "gardien"
	}
	return ci, nil
}

// parseConnectTimeout reads libpq's connect_timeout, whole seconds: the default when
// it is not set, 0 when it says to wait for ever (0 or less, for libpq).
func parseConnectTimeout(v string) (time.Duration, error) {
	if v == "" {
		return DefaultConnectTimeout, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, errors.New("connect_timeout in dsn is not a whole number of seconds")
	}
	return time.Duration(max(n, 0)) * time.Second, nil
}

// seconds is d as libpq's connect_timeout: whole seconds, rounded up, at least 1.
func seconds(d time.Duration) string {
	return strconv.FormatInt(max(int64((d+time.Second-1)/time.Second), 1), 10)
}

// ConnectTimeout is how long opening a connection to ci may take: its
// connect_timeout, or DefaultConnectTimeout when it has none or says to wait for
// ever. Connect and the children of Tool never wait longer.
func (ci Conninfo) ConnectTimeout() time.Duration {
	d, err := parseConnectTimeout(ci["connect_timeout"])
	if err != nil || d == 0 {
		return DefaultConnectTimeout
	}
	return d
}

// Local reports whether the connection stays on this machine: a Unix socket (no host,
// or a directory) or the loopback.
func (ci Conninfo) Local() bool {
	h := ci["host"]
	if ci["hostaddr"] != "" {
		h = ci["hostaddr"]
	}
	return h == "" || strings.HasPrefix(h, "/") || h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

// With returns a copy of ci with key set to value.
func (ci Conninfo) With(key, value string) Conninfo {
	out := make(Conninfo, len(ci)+1)
	for k, v := range ci {
		out[k] = v
	}
	out[key] = value
	return out
}

// String is ci as a libpq key=value string, without the password: what pg_dump gets
// in --dbname, and what the log may show.
func (ci Conninfo) String() string { return ci.format(false) }

// secret is ci with its password, for pgx only; it never leaves the process.
func (ci Conninfo) secret() string { return ci.format(true) }

func (ci Conninfo) format(withPassword bool) string {
	keys := make([]string, 0, len(ci))
	for k := range ci {
		if k == "password" && !withPassword {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + quote(ci[k])
	}
	return strings.Join(parts, " ")
}

// Describe is a short description for the log and the MANIFEST: user@host:port.
func (ci Conninfo) Describe() string {
	host := ci["host"]
	if host == "" {
		host = "local socket"
	}
	d := host
	if p := ci["port"]; p != "" {
		d += ":" + p
	}
	if u := ci["user"]; u != "" {
		d = u + "@" + d
	}
	return d
}

// Env is the environment of a pg_dump or pg_restore child: the parent's, with the
// password in PGPASSWORD when there is one, so that it never appears on a command
// line (ps shows those to every user of the machine), and ci's connect timeout in
// PGCONNECT_TIMEOUT: a second guard beside the connect_timeout of --dbname, which
// libpq reads where a connection string does not say, in place of the parent's
// (which may be 0: wait for ever).
func (ci Conninfo) Env() []string {
	env := append(os.Environ(), "PGCONNECT_TIMEOUT="+seconds(ci.ConnectTimeout()))
	if pw, ok := ci["password"]; ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	return env
}

func quote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r'\\=") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// ParseDSN reads a connection string in either of libpq's forms: a URL
// (postgresql://user:password@host:5432/dbname?sslmode=verify-full) or key=value
// pairs (host=db.example.org user=backup dbname=postgres). Errors never quote the
// string, which may hold a password.
func ParseDSN(dsn string) (Conninfo, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return parseURL(dsn)
	}
	return parseKeywords(dsn)
}

func parseURL(dsn string) (Conninfo, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("dsn is not a valid URL: %v", err)
	}
	ci := Conninfo{}
	if u.User != nil {
		ci["user"] = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			ci["password"] = pw
		}
	}
	if strings.Contains(u.Host, ",") {
		return nil, errors.New("dsn lists several hosts: name one")
	}
	if h := u.Hostname(); h != "" {
		ci["host"] = h
	}
	if p := u.Port(); p != "" {
		ci["port"] = p
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		ci["dbname"] = db
	}
	for k, vs := range u.Query() {
		if len(vs) > 0 {
			ci[k] = vs[len(vs)-1]
		}
	}
	return ci, nil
}

func parseKeywords(dsn string) (Conninfo, error) {
	ci := Conninfo{}
	s := strings.TrimSpace(dsn)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, errors.New(`dsn is neither a postgresql:// URL nor key=value pairs such as "host=db.example.org user=backup"`)
		}
		key := strings.TrimSpace(s[:eq])
		if strings.ContainsAny(key, " \t'") {
			// The text may be a piece of a password: it is not quoted.
			return nil, errors.New("dsn: expected key=value pairs separated by spaces, with quotes around a value that has spaces ('a value')")
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			i, closed := 1, false
			for ; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					val.WriteByte(s[i])
					continue
				}
				if s[i] == '\'' {
					closed = true
					break
				}
				val.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("dsn: the value of %s has no closing quote", key)
			}
			s = s[i+1:]
		} else {
			i := 0
			for ; i < len(s) && s[i] != ' ' && s[i] != '\t'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			s = s[i:]
		}
		ci[key] = val.String()
		s = strings.TrimLeft(s, " \t")
	}
	return ci, nil
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}
