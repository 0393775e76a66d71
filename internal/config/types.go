// Package config loads gardien's TOML configuration: it decodes the file, refuses
// unknown keys, expands ${ENV} references, reads *_file secrets, applies defaults and
// validates every section, naming the file, the line and the fix in each error.
package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration file.
type Config struct {
	Log    Log    `toml:"log"`
	State  State  `toml:"state"`
	Mail   Mail   `toml:"mail"`
	Notify Notify `toml:"notify"`
	Jobs   []Job  `toml:"job"`

	// Path is the file the configuration was read from.
	Path string `toml:"-"`
	// Warnings are problems that do not stop a run (a world-readable password file).
	Warnings []string `toml:"-"`
}

// Log is the [log] section.
type Log struct {
	File     string `toml:"file"` // "-" means stderr only
	Level    string `toml:"level"`
	MaxSize  Size   `toml:"max_size"`
	MaxFiles int    `toml:"max_files"`
}

// State is the [state] section.
type State struct {
	Dir string `toml:"dir"`
}

// Mail is the [mail] section.
type Mail struct {
	Transport    string   `toml:"transport"` // smtp | sendmail | none
	Host         string   `toml:"host"`
	Port         int      `toml:"port"`
	Security     string   `toml:"security"` // none | starttls | tls
	Username     string   `toml:"username"`
	Password     string   `toml:"password" secret:"true"`
	PasswordFile string   `toml:"password_file"`
	CAFile       string   `toml:"ca_file"`
	Sendmail     string   `toml:"sendmail"`
	Timeout      Duration `toml:"timeout"`
	From         string   `toml:"from"`
	To           []string `toml:"to"`
	Subject      string   `toml:"subject"`
	SendOn       string   `toml:"send_on"` // always | failure | never
	AttachLog    bool     `toml:"attach_log"`
	Language     string   `toml:"language"` // fr | en
	PerJob       bool     `toml:"per_job"`
}

// Notify is the [notify] section: URLs pinged at the start and the end of each
// `gardien run` (healthchecks.io, Uptime Kuma push, any GET/POST endpoint), so that an
// outside monitor notices a run that never happened.
type Notify struct {
	Start   string   `toml:"start"`
	Success string   `toml:"success"`
	Warning string   `toml:"warning"` // "": the success URL
	Failure string   `toml:"failure"`
	Method  string   `toml:"method"` // GET | POST (the status and the summary as body)
	Timeout Duration `toml:"timeout"`
	CAFile  string   `toml:"ca_file"`
}

// Job is one [[job]]: one or more sources archived to one or more destinations.
type Job struct {
	Name     string `toml:"name"`
	Schedule string `toml:"schedule"`
	// Sources are where the job's data comes from: the one [job.source] table, or
	// the [[job.source]] array of tables when one archive holds several (a database
	// and its media folder). Both spellings decode through RawSource, because
	// BurntSushi/toml cannot decode a table and an array of tables into one Go type
	// while still reporting unknown keys: a toml.Primitive is decoded as either, and
	// the keys it decodes count as used.
	Sources []Source `toml:"-"`
	// Source is the first source. For a job of one source it is the one that
	// counts (code and tests that know one source may change it); Sources then
	// holds its copy as loaded.
	Source       Source         `toml:"-"`
	RawSource    toml.Primitive `toml:"source"`
	Archive      Archive        `toml:"archive"`
	Destinations []Destination  `toml:"destination"`
	Retention    Retention      `toml:"retention"`
	Verify       Verify         `toml:"verify"`

	// sourceArray is set when the sources were written [[job.source]].
	sourceArray bool
}

// SourcePath is the dotted key of the job's i-th source in the file, as validation
// errors name it: "source" for [job.source], "source.1" for the second [[job.source]].
func (j *Job) SourcePath(i int) string {
	if j.sourceArray {
		return fmt.Sprintf("source.%d", i)
	}
	return "source"
}

// AllSources returns the job's sources: Source alone for a job of one source.
func (j *Job) AllSources() []Source {
	if len(j.Sources) <= 1 {
		return []Source{j.Source}
	}
	return j.Sources
}

// Source types.
const (
	SourceHTTPSZip  = "https-zip"
	SourcePostgres  = "postgres"
	SourceDirectory = "directory"
	SourceCommand   = "command"
)

// Source is [job.source], or one [[job.source]]. Which keys apply depends on Type;
// validation refuses a key of another type (sourceKeys).
type Source struct {
	Type string `toml:"type"` // https-zip | postgres | directory | command
	// Name is the folder of the archive that holds this source's files when the job
	// has several sources, or when the source is a directory (whose files would
	// otherwise mix with the MANIFEST). Default: the folder's base name for a
	// directory, the type otherwise.
	Name string `toml:"name"`

	// https-zip
	URL           string            `toml:"url"`
	Expect        string            `toml:"expect"`
	IdleTimeout   Duration          `toml:"idle_timeout"`
	Username      string            `toml:"username"` // https-zip and postgres
	Password      string            `toml:"password" secret:"true"`
	PasswordFile  string            `toml:"password_file"`
	CAFile        string            `toml:"ca_file"` // https-zip and postgres (sslrootcert)
	Headers       map[string]string `toml:"headers" secret:"true"`
	AllowInsecure bool              `toml:"allow_insecure"`
	MaxSize       Size              `toml:"max_size"`
	// ConfirmUnchanged reads a dump whose size and CRC-32 equal the last run's
	// again, to confirm with SHA-256 that it is unchanged.
	ConfirmUnchanged bool `toml:"confirm_unchanged"`

	// postgres
	DSN        string     `toml:"dsn" secret:"true"` // postgresql://… or key=value pairs
	Host       string     `toml:"host"`              // a name, an address or a socket directory
	Port       int        `toml:"port"`
	SSLMode    string     `toml:"sslmode"`   // disable | verify-ca | verify-full
	Databases  StringList `toml:"databases"` // "Specibike*", or a list of names and globs
	PgDump     string     `toml:"pg_dump"`   // the program; default "pg_dump" in $PATH
	PgDumpArgs []string   `toml:"pg_dump_args"`

	// directory
	Path    string   `toml:"path"`
	Exclude []string `toml:"exclude"`
	Strict  bool     `toml:"strict"` // an unreadable file fails the run instead of warning

	// command
	Command  Command           `toml:"command"`
	Filename string            `toml:"filename"` // the name of its output in the archive
	Env      map[string]string `toml:"env" secret:"true"`

	// every type
	Timeout   Duration `toml:"timeout"`
	MinSize   Size     `toml:"min_size"`
	MaxShrink Percent  `toml:"max_shrink"`
	OnShrink  string   `toml:"on_shrink"` // warn | fail
	Retries   int      `toml:"retries"`   // after the first attempt; 0 never retries
}

// sourceKeys are the keys each source type accepts besides the common ones (type,
// name, timeout, min_size, max_shrink, on_shrink, retries).
var sourceKeys = map[string][]string{
	SourceHTTPSZip:  {"url", "expect", "idle_timeout", "username", "password", "password_file", "ca_file", "headers", "allow_insecure", "max_size", "confirm_unchanged"},
	SourcePostgres:  {"dsn", "host", "port", "username", "password", "password_file", "ca_file", "sslmode", "databases", "pg_dump", "pg_dump_args"},
	SourceDirectory: {"path", "exclude", "strict"},
	SourceCommand:   {"command", "filename", "env"},
}

var commonSourceKeys = []string{"type", "name", "timeout", "min_size", "max_shrink", "on_shrink", "retries"}

// StringList is a list of strings that may be written as a single string:
// databases = "Specibike*" or databases = ["Specibike", "Odoo*"].
type StringList []string

// UnmarshalTOML accepts a string or an array of strings.
func (l *StringList) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		*l = StringList{x}
		return nil
	case []any:
		out := make(StringList, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("expected a list of strings, found a %T in it", e)
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	return fmt.Errorf(`expected a string such as "Specibike*" or a list such as ["a", "b*"], not %T`, v)
}

// Command is what a command source runs: a list of arguments, run as is
// (command = ["mysqldump", "--single-transaction", "shop"]), or one string run by
// /bin/sh -c, for pipes and redirections (command = "odoo-bin db dump x | cat").
type Command struct {
	Argv  []string `toml:"argv"`
	Shell string   `toml:"shell"`
}

// UnmarshalTOML accepts a string or an array of strings.
func (c *Command) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		*c = Command{Shell: x}
		return nil
	case []any:
		var l StringList
		if err := l.UnmarshalTOML(x); err != nil {
			return err
		}
		*c = Command{Argv: l}
		return nil
	}
	return fmt.Errorf(`expected a list such as ["mysqldump", "shop"] or a shell command string, not %T`, v)
}

// IsZero reports whether no command is set.
func (c Command) IsZero() bool { return c.Shell == "" && len(c.Argv) == 0 }

// String is the command as a person would type it.
//
// A password written on the command line (--password=…, -p… as mysqldump takes it)
// is shown as ***: this string goes to the log, the mail and the MANIFEST.
func (c Command) String() string {
	if c.Shell != "" {
		s := c.Shell
		for _, p := range c.Secrets() {
			s = strings.ReplaceAll(s, p, "***")
		}
		return s
	}
	q := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]#~") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		if m := argSecret.FindStringSubmatch(a); m != nil {
			q[i] = strings.ReplaceAll(q[i], m[1], "***")
		}
	}
	return strings.Join(q, " ")
}

// argSecret matches a command-line argument that carries a password: its value is
// the first group. "--password=x", "--pass=x", "-px" (mysqldump, mysql).
var argSecret = regexp.MustCompile(`^(?:--?[A-Za-z-]*(?:pass|pwd|secret|token)[A-Za-z-]*=|-p)(.+)$`)

// Secrets returns the passwords written on the command line: they are masked in the
// log, and a configuration that has some is warned about (ps shows them to every
// user of the machine).
func (c Command) Secrets() []string {
	args := c.Argv
	if c.Shell != "" {
		args = strings.Fields(c.Shell)
	}
	var out []string
	for _, a := range args {
		if m := argSecret.FindStringSubmatch(strings.Trim(a, `'"`)); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// Verify is [job.verify]: how `gardien verify` proves that an archive restores. Every
// PostgreSQL dump of the archive is restored into a scratch database created on the
// server of RestoreDSN, where Query is run; the scratch database is dropped after.
type Verify struct {
	Schedule     string   `toml:"schedule"` // when `gardien cron` runs `gardien verify`
	From         string   `toml:"from"`     // the destination to fetch from; default: the first that has the archive
	RestoreDSN   string   `toml:"restore_dsn" secret:"true"`
	Password     string   `toml:"password" secret:"true"`
	PasswordFile string   `toml:"password_file"`
	CAFile       string   `toml:"ca_file"`
	PgRestore    string   `toml:"pg_restore"` // default "pg_restore" in $PATH
	Query        string   `toml:"query"`      // e.g. "SELECT count(*) FROM res_users"
	Expect       string   `toml:"expect"`     // "> 0", ">= 100", "3"; default: the query returns a row
	Timeout      Duration `toml:"timeout"`    // each restore
}

// Expectation is a parsed expect: a comparison of the query's first value with Value.
type Expectation struct {
	Op    string // = != > >= < <=
	Value string
	num   float64
	isNum bool
}

// ParseExpect reads "> 0", ">= 100", "!= 0", "= 3" or "3" (equal).
func ParseExpect(s string) (Expectation, error) {
	t := strings.TrimSpace(s)
	e := Expectation{Op: "="}
	for _, op := range []string{">=", "<=", "!=", "==", "=", ">", "<"} {
		if strings.HasPrefix(t, op) {
			e.Op, t = op, strings.TrimSpace(t[len(op):])
			if op == "==" {
				e.Op = "="
			}
			break
		}
	}
	if t == "" {
		return e, errors.New("nothing to compare with")
	}
	e.Value = t
	f, err := strconv.ParseFloat(t, 64)
	e.num, e.isNum = f, err == nil
	if !e.isNum && e.Op != "=" && e.Op != "!=" {
		return e, fmt.Errorf("%s needs a number, not %q", e.Op, t)
	}
	return e, nil
}

// Match compares a value the query returned with the expectation.
func (e Expectation) Match(got string) bool {
	if !e.isNum {
		return (got == e.Value) == (e.Op == "=")
	}
	g, err := strconv.ParseFloat(strings.TrimSpace(got), 64)
	if err != nil {
		return e.Op == "!="
	}
	switch e.Op {
	case "=":
		return g == e.num
	case "!=":
		return g != e.num
	case ">":
		return g > e.num
	case ">=":
		return g >= e.num
	case "<":
		return g < e.num
	case "<=":
		return g <= e.num
	}
	return false
}

// String is the expectation as written: "> 0".
func (e Expectation) String() string { return e.Op + " " + e.Value }

// Archive is [job.archive].
type Archive struct {
	Name        string `toml:"name"`        // strftime pattern
	Compression string `toml:"compression"` // gzip | zstd
	Level       int    `toml:"level"`       // 0 = the compressor's default
	Recompress  bool   `toml:"recompress"`  // compress a zip's deflated dump again
	OnUnchanged string `toml:"on_unchanged"`
	StagingDir  string `toml:"staging_dir"`
}

// Destination is one [[job.destination]].
type Destination struct {
	Name          string   `toml:"name"`
	URL           string   `toml:"url"`
	Username      string   `toml:"username"`
	Password      string   `toml:"password" secret:"true"`
	PasswordFile  string   `toml:"password_file"`
	KeyFile       string   `toml:"key_file"`
	KnownHosts    string   `toml:"known_hosts"`
	HostKey       string   `toml:"host_key"`
	CAFile        string   `toml:"ca_file"`
	AllowInsecure bool     `toml:"allow_insecure"`
	Verify        bool     `toml:"verify"`
	Timeout       Duration `toml:"timeout"`

	// file://: refuse to write unless the path is on a mounted file system other
	// than the root's, so that an unmounted NAS does not silently fill the local disk.
	RequireMount bool `toml:"require_mount"`

	// smb://: the Windows domain (workgroup) of the user, when it has one.
	Domain string `toml:"domain"`

	// s3://bucket/prefix
	Endpoint      string `toml:"endpoint"` // host[:port] or https://host[:port]; empty for AWS
	Region        string `toml:"region"`
	AccessKey     string `toml:"access_key"`
	SecretKey     string `toml:"secret_key" secret:"true"`
	SecretKeyFile string `toml:"secret_key_file"`
	PathStyle     bool   `toml:"path_style"` // bucket in the path, not the host name (MinIO, Garage)
}

// Retention is [job.retention].
type Retention struct {
	KeepDays int `toml:"keep_days"` // 0 keeps everything
	KeepMin  int `toml:"keep_min"`
}

// Duration is a Go duration written as a string ("90s", "10m").
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return valueError{fmt.Sprintf("%q is not a duration: write it like \"90s\", \"10m\" or \"1h30m\"", string(b))}
	}
	if v < 0 {
		return valueError{fmt.Sprintf("%q is negative: write it like \"90s\"", string(b))}
	}
	*d = Duration(v)
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written as an integer or with a unit ("10MB", "2GB", "512KiB").
type Size int64

// UnmarshalTOML accepts an integer (bytes) or a string with a unit.
func (s *Size) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return valueError{fmt.Sprintf("size %d is negative: write it like \"500MB\"", x)}
		}
		*s = Size(x)
		return nil
	case string:
		n, err := ParseSize(x)
		if err != nil {
			return valueError{err.Error()}
		}
		*s = Size(n)
		return nil
	}
	return valueError{fmt.Sprintf("a size is a number of bytes or a text, not a %T: write it like \"10MB\"", v)}
}

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
}

// ParseSize reads "10MB", "1.5GB", "512KiB" or "1024".
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a size: write it like \"500MB\" or \"2GB\"", s)
	}
	return int64(f * mult), nil
}

// Percent is a share of 100, written as 50 or "50%".
type Percent float64

// UnmarshalTOML accepts a number of percent or a string ending in %.
func (p *Percent) UnmarshalTOML(v any) error {
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case string:
		var err error
		f, err = strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(x), "%")), 64)
		if err != nil {
			return valueError{fmt.Sprintf("%q is not a percentage: write it like \"50%%\"", x)}
		}
	default:
		return valueError{fmt.Sprintf("a percentage is a number or a text, not a %T: write it like \"50%%\"", v)}
	}
	if f < 0 || f > 100 {
		return valueError{fmt.Sprintf("percentage %v is outside 0..100: write it like \"50%%\"", f)}
	}
	*p = Percent(f)
	return nil
}
