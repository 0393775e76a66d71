// Package config loads gardien's TOML configuration: it decodes the file, refuses
// unknown keys, expands ${ENV} references, reads *_file secrets, applies defaults and
// validates every section, naming the file, the line and the fix in each error.
package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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

// Job is one [[job]]: a source archived to one or more destinations.
type Job struct {
	Name         string        `toml:"name"`
	Schedule     string        `toml:"schedule"`
	Source       Source        `toml:"source"`
	Archive      Archive       `toml:"archive"`
	Destinations []Destination `toml:"destination"`
	Retention    Retention     `toml:"retention"`
}

// Source is [job.source].
type Source struct {
	Type          string            `toml:"type"` // https-zip
	URL           string            `toml:"url"`
	Expect        string            `toml:"expect"`
	Timeout       Duration          `toml:"timeout"`
	IdleTimeout   Duration          `toml:"idle_timeout"`
	Username      string            `toml:"username"`
	Password      string            `toml:"password" secret:"true"`
	PasswordFile  string            `toml:"password_file"`
	CAFile        string            `toml:"ca_file"`
	Headers       map[string]string `toml:"headers" secret:"true"`
	AllowInsecure bool              `toml:"allow_insecure"`
	MinSize       Size              `toml:"min_size"`
	MaxSize       Size              `toml:"max_size"`
	MaxShrink     Percent           `toml:"max_shrink"`
	OnShrink      string            `toml:"on_shrink"` // warn | fail
	Retries       int               `toml:"retries"`   // after the first attempt; 0 never retries
	// ConfirmUnchanged reads a dump whose size and CRC-32 equal the last run's
	// again, to confirm with SHA-256 that it is unchanged.
	ConfirmUnchanged bool `toml:"confirm_unchanged"`
}

// Archive is [job.archive].
type Archive struct {
	Name        string `toml:"name"`        // strftime pattern
	Compression string `toml:"compression"` // gzip | zstd
	Level       int    `toml:"level"`       // 0 = the compressor's default
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
