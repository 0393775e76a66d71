package config

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/schedule"
)

// Defaults, exported so that documentation and `gardien init` show the same values.
const (
	DefaultLogFile     = "/var/log/gardien/gardien.log"
	DefaultStateDir    = "/var/lib/gardien"
	DefaultStagingDir  = "/var/tmp/gardien"
	DefaultArchiveName = "%Y%m%d.tgz"
	DefaultSubject     = "[gardien] {status} {job} {date}"
	DefaultSourceTmo   = 10 * time.Minute
	DefaultSourceIdle  = 2 * time.Minute
	DefaultDestTmo     = 2 * time.Minute
	DefaultMaxShrink   = 50
	DefaultKeepMin     = 3
	DefaultRetries     = 2 // retries after the first attempt
	DefaultNotifyTmo   = 10 * time.Second
	DefaultDumpTmo     = 2 * time.Hour // each pg_dump, command or pg_restore
)

// FieldError is returned by a check on one table (a destination) for one of its keys;
// Load turns it into an Error located in the file.
type FieldError struct {
	Key string // the key inside the table, e.g. "known_hosts"
	Msg string
	Fix string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// DestinationCheck validates what only the destination's protocol knows (its scheme,
// its required keys). The dest package provides it; config does not import dest.
type DestinationCheck func(Destination) error

var jobNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (c *Config) readSecrets(v *validator, data []byte) {
	secretAs := func(key, name string, pw *string, file string) {
		if file == "" {
			return
		}
		if *pw != "" {
			v.fail(key+"."+name, fmt.Sprintf("keep only one of %s and %s_file", name, name), "both %s and %s_file are set", name, name)
			return
		}
		*pw = v.readSecret(key+"."+name+"_file", file)
	}
	secret := func(key string, pw *string, file string) { secretAs(key, "password", pw, file) }
	secret("mail", &c.Mail.Password, c.Mail.PasswordFile)
	for i := range c.Jobs {
		j := &c.Jobs[i]
		for k := range j.Sources {
			secret(fmt.Sprintf("job.%d.%s", i, j.SourcePath(k)), &j.Sources[k].Password, j.Sources[k].PasswordFile)
		}
		secret(fmt.Sprintf("job.%d.verify", i), &j.Verify.Password, j.Verify.PasswordFile)
		for k := range j.Destinations {
			d := &j.Destinations[k]
			key := fmt.Sprintf("job.%d.destination.%d", i, k)
			if u, err := url.Parse(d.URL); err == nil && u.User != nil {
				if p, ok := u.User.Password(); ok {
					if d.Password == "" && d.PasswordFile == "" {
						d.Password = p
					}
					if d.Username == "" {
						d.Username = u.User.Username()
					}
					u.User = url.User(u.User.Username())
					d.URL = u.String()
				}
			}
			secret(key, &d.Password, d.PasswordFile)
			secretAs(key, "secret_key", &d.SecretKey, d.SecretKeyFile)
		}
	}
	// A password written in the file itself (not through ${VAR} or *_file) makes the
	// file a secret too.
	literal := regexp.MustCompile(`(?m)^\s*(password|secret_key)\s*=\s*"[^$"][^"]*"`)
	inURL := regexp.MustCompile(`(?m)^\s*(url|dsn|restore_dsn)\s*=\s*"[a-z+]+://[^/"@]*:[^/"@$]+@`)
	inDSN := regexp.MustCompile(`(?m)^\s*(dsn|restore_dsn)\s*=\s*"[^"]*password\s*=\s*[^$\s"]`)
	if literal.Match(data) || inURL.Match(data) || inDSN.Match(data) {
		v.checkPrivate(c.Path)
	}
}

// setDefaults fills in what the file leaves out. written tells whether a key (a
// path with array indexes, "job.0.retention.keep_min") is in the file, for the
// values where 0 means something of its own.
func (c *Config) setDefaults(written func(path string) bool) {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.Log.File, DefaultLogFile)
	def(&c.Log.Level, "info")
	if c.Log.MaxSize == 0 {
		c.Log.MaxSize = 10 << 20
	}
	if c.Log.MaxFiles == 0 {
		c.Log.MaxFiles = 10
	}
	def(&c.State.Dir, DefaultStateDir)

	m := &c.Mail
	if m.Transport == "" {
		switch {
		case m.Host != "":
			m.Transport = "smtp"
		case len(m.To) > 0:
			m.Transport = "sendmail"
		default:
			m.Transport = "none"
		}
	}
	if m.Security == "" {
		m.Security = "starttls"
		if m.Port == 465 {
			m.Security = "tls"
		}
	}
	if m.Port == 0 {
		m.Port = map[string]int{"tls": 465, "starttls": 587, "none": 25}[m.Security]
	}
	def(&m.Sendmail, "/usr/sbin/sendmail")
	def(&m.Subject, DefaultSubject)
	def(&m.SendOn, "always")
	def(&m.Language, "fr")
	if m.Timeout == 0 {
		m.Timeout = Duration(time.Minute)
	}
	n := &c.Notify
	n.Method = strings.ToUpper(n.Method)
	def(&n.Method, "GET")
	if n.Timeout == 0 {
		n.Timeout = Duration(DefaultNotifyTmo)
	}

	for i := range c.Jobs {
		j := &c.Jobs[i]
		for k := range j.Sources {
			setSourceDefaults(&j.Sources[k], len(j.Sources) > 1, written(fmt.Sprintf("job.%d.%s.retries", i, j.SourcePath(k))))
		}
		vf := &j.Verify
		def(&vf.PgRestore, "pg_restore")
		if vf.Timeout == 0 {
			vf.Timeout = Duration(DefaultDumpTmo)
		}
		a := &j.Archive
		def(&a.Compression, "gzip")
		if a.Compression == "zstd" {
			def(&a.Name, "%Y%m%d.tar.zst")
		}
		def(&a.Name, DefaultArchiveName)
		def(&a.OnUnchanged, "skip")
		def(&a.StagingDir, DefaultStagingDir)
		for k := range j.Destinations {
			d := &j.Destinations[k]
			if d.Name == "" {
				if u, err := url.Parse(d.URL); err == nil {
					d.Name = u.Hostname()
					if d.Name == "" {
						d.Name = u.Scheme
					}
				}
			}
			if d.Timeout == 0 {
				d.Timeout = Duration(DefaultDestTmo)
			}
		}
		if j.Retention.KeepMin == 0 && !written(fmt.Sprintf("job.%d.retention.keep_min", i)) {
			j.Retention.KeepMin = DefaultKeepMin
		}
	}
}

func setSourceDefaults(s *Source, several, retriesWritten bool) {
	def := func(p *string, d string) {
		if *p == "" {
			*p = d
		}
	}
	def(&s.Type, SourceHTTPSZip)
	if s.Timeout == 0 {
		switch s.Type {
		case SourcePostgres, SourceCommand:
			s.Timeout = Duration(DefaultDumpTmo)
		case SourceDirectory: // local: no timeout
		default:
			s.Timeout = Duration(DefaultSourceTmo)
		}
	}
	if s.Type == SourceHTTPSZip && s.IdleTimeout == 0 {
		s.IdleTimeout = Duration(DefaultSourceIdle)
	}
	if s.MaxShrink == 0 {
		s.MaxShrink = DefaultMaxShrink
	}
	def(&s.OnShrink, "warn")
	if s.Retries == 0 && !retriesWritten {
		s.Retries = DefaultRetries
	}
	switch s.Type {
	case SourcePostgres:
		def(&s.PgDump, "pg_dump")
		def(&s.Name, "db")
	case SourceDirectory:
		if b := filepath.Base(filepath.Clean(s.Path)); s.Path != "" && b != "/" && b != "." {
			def(&s.Name, b)
		}
	}
	def(&s.Name, s.Type)
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func (c *Config) validate(v *validator, check DestinationCheck) {
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		v.fail("log.level", `use one of "debug", "info", "warn", "error"`, "unknown level %q", c.Log.Level)
	}
	if c.Log.MaxFiles < 0 {
		v.fail("log.max_files", "use a positive number such as 10", "negative count %d", c.Log.MaxFiles)
	}
	c.validateMail(v)
	c.validateNotify(v)

	if len(c.Jobs) == 0 {
		v.fail("job", "add a [[job]] section (see `gardien init`)", "no job is configured")
	}
	names := map[string]bool{}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		p := fmt.Sprintf("job.%d", i)
		switch {
		case j.Name == "":
			v.fail(p+".name", `name the job, e.g. name = "ocpizza-db"`, "missing job name")
		case !jobNameRe.MatchString(j.Name):
			v.fail(p+".name", "use letters, digits, '.', '_' and '-' only (the name is used in file names)", "invalid job name %q", j.Name)
		case names[j.Name]:
			v.fail(p+".name", "give each job its own name", "job %q is defined twice", j.Name)
		}
		names[j.Name] = true
		if j.Schedule != "" {
			if _, err := schedule.Parse(j.Schedule); err != nil {
				v.fail(p+".schedule", schedule.Fix, "schedule %q: %v", j.Schedule, err)
			}
		}
		validateSources(v, p, j)
		validateArchive(v, p+".archive", &j.Archive)
		if len(j.Destinations) == 0 {
			v.fail(p, `add a [[job.destination]] with url = "sftp://…" or "file:///…"`, "job %q has no destination", j.Name)
		}
		dnames := map[string]bool{}
		for k := range j.Destinations {
			d := &j.Destinations[k]
			dp := fmt.Sprintf("%s.destination.%d", p, k)
			if dnames[d.Name] {
				v.fail(dp+".name", "give each destination of a job its own name", "destination %q is defined twice", d.Name)
			}
			dnames[d.Name] = true
			if d.URL == "" {
				v.fail(dp+".url", `set url, e.g. "sftp://backup@nas.example.org/srv/archives"`, "missing destination url")
				continue
			}
			if check == nil {
				continue
			}
			if err := check(*d); err != nil {
				if fe, ok := err.(*FieldError); ok {
					v.fail(dp+"."+fe.Key, fe.Fix, "%s", fe.Msg)
				} else {
					v.fail(dp+".url", "", "%v", err)
				}
			}
		}
		validateVerify(v, p+".verify", j)
		c.checkSharedDestinations(v, i)
		r := j.Retention
		if r.KeepDays < 0 {
			v.fail(p+".retention.keep_days", "use 0 to keep every archive, or a number of days", "negative keep_days %d", r.KeepDays)
		}
		if r.KeepMin < 0 {
			v.fail(p+".retention.keep_min", "use a number of archives, such as 3", "negative keep_min %d", r.KeepMin)
		}
	}
}

// checkSharedDestinations refuses a destination that job i shares with an earlier
// job when the two jobs' archive names can be mistaken for each other: each would
// replace the other's archive of the day, and each one's retention would count and
// delete the other's archives.
func (c *Config) checkSharedDestinations(v *validator, i int) {
	j := &c.Jobs[i]
	pj, err := namefmt.Compile(j.Archive.Name)
	if err != nil {
		return // reported by validateArchive
	}
	for k := range j.Destinations {
		here := sameDir(j.Destinations[k].URL)
		if here == "" {
			continue
		}
		for i2 := 0; i2 < i; i2++ {
			o := &c.Jobs[i2]
			po, err := namefmt.Compile(o.Archive.Name)
			if err != nil || !namesOverlap(pj, po) {
				continue
			}
			for _, od := range o.Destinations {
				if sameDir(od.URL) == here {
					v.fail(fmt.Sprintf("job.%d.archive.name", i),
						fmt.Sprintf(`give the jobs names that differ, e.g. name = "%s-%%Y%%m%%d.tgz" in job %q`, j.Name, j.Name),
						"jobs %q and %q both send archives named like %q to %s: each would replace and delete the other's archives",
						o.Name, j.Name, po.Format(patternProbe), RedactURL(j.Destinations[k].URL))
					return
				}
			}
		}
	}
}

// patternProbe is a date whose names tell whether two patterns overlap.
var patternProbe = time.Date(2026, 11, 22, 2, 0, 4, 0, time.UTC)

// namesOverlap reports whether a name made by one pattern is read as an archive by the
// other, on a day whose day and month differ and on one where they are equal
// ("%Y%m%d" and "%Y%d%m" write the same name on the 1st of January).
func namesOverlap(a, b *namefmt.Pattern) bool {
	for _, t := range []time.Time{patternProbe, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, ok := b.Parse(a.Format(t), time.UTC); ok {
			return true
		}
		if _, ok := a.Parse(b.Format(t), time.UTC); ok {
			return true
		}
	}
	return false
}

// sameDir is a destination URL reduced to what identifies its directory: scheme,
// host, port and cleaned path, without the user. "" when it does not parse.
func sameDir(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	p := path.Clean("/" + u.Path)
	return u.Scheme + "://" + host + ":" + port + p
}

func (c *Config) validateMail(v *validator) {
	m := &c.Mail
	if !oneOf(m.Transport, "smtp", "sendmail", "none") {
		v.fail("mail.transport", `use "smtp", "sendmail" or "none"`, "unknown transport %q", m.Transport)
		return
	}
	if !oneOf(m.SendOn, "always", "failure", "never") {
		v.fail("mail.send_on", `use "always", "failure" or "never"`, "unknown value %q", m.SendOn)
	}
	if !oneOf(m.Language, "fr", "en") {
		v.fail("mail.language", `use "fr" or "en"`, "unknown language %q", m.Language)
	}
	if m.Transport == "none" {
		return
	}
	if len(m.To) == 0 {
		v.fail("mail.to", `list the recipients: to = ["admin@example.org"]`, "no recipient")
	}
	if m.From == "" {
		v.fail("mail.from", `set the sender: from = "gardien@example.org"`, "no sender")
	}
	if m.Transport == "smtp" {
		if m.Host == "" {
			v.fail("mail.host", "set the SMTP server's name or address, or use transport = \"sendmail\"", "no SMTP host")
		}
		if !oneOf(m.Security, "none", "starttls", "tls") {
			v.fail("mail.security", `use "tls" (port 465), "starttls" (port 587) or "none"`, "unknown security %q", m.Security)
		}
		if m.Port <= 0 || m.Port > 65535 {
			v.fail("mail.port", "use a TCP port such as 465 or 587", "invalid port %d", m.Port)
		}
	}
}

func (c *Config) validateNotify(v *validator) {
	n := &c.Notify
	for _, k := range []struct {
		key string
		url string
	}{{"start", n.Start}, {"success", n.Success}, {"warning", n.Warning}, {"failure", n.Failure}} {
		if k.url == "" {
			continue
		}
		u, err := url.Parse(k.url)
		switch {
		case err != nil || u.Host == "":
			v.fail("notify."+k.key, `write a full URL such as "https://hc-ping.com/<uuid>"`, "invalid url %q", RedactURL(k.url))
		case u.Scheme != "https" && u.Scheme != "http":
			v.fail("notify."+k.key, "use an https:// (or http://) URL", "unsupported scheme %q", u.Scheme)
		}
	}
	if !oneOf(n.Method, "GET", "POST") {
		v.fail("notify.method", `use "GET" or "POST" (POST sends the status and the summary as body)`, "unknown method %q", n.Method)
	}
}

// validateSources checks each source of job j, and that several sources have
// distinct names (each is a folder of the archive).
func validateSources(v *validator, p string, j *Job) {
	if len(j.Sources) == 0 {
		v.fail(p, `add a [job.source] section, e.g. type = "https-zip" with url and expect (see gardien init)`, "job %q has no source", j.Name)
		return
	}
	names := map[string]bool{}
	for k := range j.Sources {
		s := &j.Sources[k]
		sp := p + "." + j.SourcePath(k)
		validateSource(v, sp, s)
		switch {
		case !jobNameRe.MatchString(s.Name) || s.Name == ManifestName:
			v.fail(sp+".name", `use letters, digits, '.', '_' and '-' only, e.g. name = "media" (it is a folder of the archive)`, "invalid source name %q", s.Name)
		case names[s.Name]:
			v.fail(sp+".name", `give each source of the job its own name, e.g. name = "media": it is the folder of the archive that holds its files`, "two sources are named %q", s.Name)
		}
		names[s.Name] = true
	}
}

// ManifestName is the name of the manifest inside every archive (archive.ManifestName):
// no source may be called so.
const ManifestName = "MANIFEST"

var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validateSource(v *validator, p string, s *Source) {
	keys, ok := sourceKeys[s.Type]
	if !ok {
		v.fail(p+".type", `use "https-zip", "postgres", "directory" or "command"`, "unknown source type %q", s.Type)
		return
	}
	checkForeignKeys(v, p, s, keys)
	if !oneOf(s.OnShrink, "warn", "fail") {
		v.fail(p+".on_shrink", `use "warn" or "fail"`, "unknown value %q", s.OnShrink)
	}
	if s.Retries < 0 {
		v.fail(p+".retries", "use 0 to never retry, or a small number such as 3", "negative retries")
	}
	switch s.Type {
	case SourceHTTPSZip:
		validateHTTPSZip(v, p, s)
	case SourcePostgres:
		validatePostgres(v, p, s)
	case SourceDirectory:
		validateDirectory(v, p, s)
	case SourceCommand:
		validateCommand(v, p, s)
	}
}

// checkForeignKeys refuses a key that belongs to another source type: it would be
// silently ignored, and the technician believes it applies.
func checkForeignKeys(v *validator, p string, s *Source, keys []string) {
	allowed := map[string]bool{}
	for _, k := range append(append([]string{}, commonSourceKeys...), keys...) {
		allowed[k] = true
	}
	rv := reflect.ValueOf(s).Elem()
	for i := 0; i < rv.NumField(); i++ {
		tag := rv.Type().Field(i).Tag.Get("toml")
		if tag == "" || allowed[tag] || rv.Field(i).IsZero() {
			continue
		}
		var owners []string
		for _, t := range []string{SourceHTTPSZip, SourcePostgres, SourceDirectory, SourceCommand} {
			if slices.Contains(sourceKeys[t], tag) {
				owners = append(owners, t)
			}
		}
		v.fail(p+"."+tag, fmt.Sprintf("remove it, or set type = %q if that is the source meant", owners[0]),
			"%s is a key of %s sources, not of a %s source", tag, strings.Join(owners, " and "), s.Type)
	}
}

func validateHTTPSZip(v *validator, p string, s *Source) {
	if s.URL == "" {
		v.fail(p+".url", `set url = "https://…/dump.zip"`, "missing source url")
	} else if u, err := url.Parse(s.URL); err != nil || u.Host == "" {
		v.fail(p+".url", `write a full URL such as "https://exports.example.org/dump.zip"`, "invalid url %q", RedactURL(s.URL))
	} else if u.Scheme == "http" && !s.AllowInsecure {
		v.fail(p+".url", "use https://, or set allow_insecure = true if the server truly has no TLS", "plain http sends the dump unencrypted")
	} else if u.Scheme != "https" && u.Scheme != "http" {
		v.fail(p+".url", "use an https:// URL", "unsupported scheme %q", u.Scheme)
	}
	if s.Expect == "" {
		v.fail(p+".expect", `name the file that must be inside the zip, e.g. expect = "dump.sql"`, "missing expect")
	}
}

func validatePostgres(v *validator, p string, s *Source) {
	_, err := pg.New(pg.Settings{DSN: s.DSN, Host: s.Host, Port: s.Port, User: s.Username, Password: s.Password, SSLMode: s.SSLMode, CAFile: s.CAFile})
	switch {
	case err != nil && s.SSLMode != "":
		v.fail(p+".sslmode", `use "verify-full" (with ca_file for a private authority), "verify-ca", or "disable" on a trusted network`, "%v", err)
	case err != nil && strings.Contains(err.Error(), "sslmode"):
		v.fail(p+".dsn", `use sslmode=verify-full (with ca_file for a private authority), or sslmode=disable on a trusted network`, "%v", err)
	case err != nil:
		v.fail(p+".dsn", `write it like "postgresql://backup@db.example.org:5432/postgres" or "host=db.example.org user=backup", with the password in password_file`, "%v", err)
	}
	if s.Port < 0 || s.Port > 65535 {
		v.fail(p+".port", "use a TCP port such as 5432", "invalid port %d", s.Port)
	}
	if len(s.Databases) == 0 {
		v.fail(p+".databases", `name the databases to dump: databases = "Specibike*" (a glob) or ["odoo", "shop"]`, "missing databases")
	}
	for _, g := range s.Databases {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			v.fail(p+".databases", `write a database name, or a glob with * and ? such as "Specibike*"`, "invalid pattern %q", g)
		}
	}
	if err := pg.CheckDumpArgs(s.PgDumpArgs); err != nil {
		v.fail(p+".pg_dump_args", "remove that option", "%v", err)
	}
}

func validateDirectory(v *validator, p string, s *Source) {
	switch {
	case s.Path == "":
		v.fail(p+".path", `name the folder to archive, e.g. path = "/srv/app/media"`, "missing path")
	case !filepath.IsAbs(s.Path):
		v.fail(p+".path", `write the absolute path, e.g. "/srv/app/media"`, "path %q is relative", s.Path)
	}
	for _, g := range s.Exclude {
		if _, err := path.Match(strings.Trim(g, "/"), ""); err != nil || strings.Trim(g, "/") == "" {
			v.fail(p+".exclude", `write globs such as "*.tmp", "cache" (any depth) or "cache/thumbs/*" (from the folder's top)`, "invalid pattern %q", g)
		}
	}
}

func validateCommand(v *validator, p string, s *Source) {
	switch {
	case s.Command.IsZero():
		v.fail(p+".command", `set command = ["mysqldump", "--single-transaction", "shop"], or a string run by /bin/sh -c`, "missing command")
	case len(s.Command.Argv) > 0 && s.Command.Argv[0] == "":
		v.fail(p+".command", `start the list with the program, e.g. ["mysqldump", "shop"]`, "the program is empty")
	}
	clean := path.Clean(s.Filename)
	switch {
	case s.Filename == "":
		v.fail(p+".filename", `name the command's output in the archive, e.g. filename = "shop.sql"`, "missing filename")
	case path.IsAbs(s.Filename) || clean == ".." || strings.HasPrefix(clean, "../") || clean != s.Filename || clean == ManifestName:
		v.fail(p+".filename", `write a plain file name such as "shop.sql"`, "invalid filename %q", s.Filename)
	}
	for k := range s.Env {
		if !envNameRe.MatchString(k) {
			v.fail(p+".env", "use environment variable names: letters, digits and _", "invalid variable name %q", k)
		}
	}
	if len(s.Command.Secrets()) > 0 {
		v.warn("%s: the command holds a password on its command line, which every user of the machine sees with ps: "+
			"pass it in env (MYSQL_PWD, PGPASSWORD) or in a file the program reads (mysqldump --defaults-extra-file)", displayKey(p+".command"))
	}
}

func validateVerify(v *validator, p string, j *Job) {
	vf := &j.Verify
	if vf.Schedule != "" {
		if _, err := schedule.Parse(vf.Schedule); err != nil {
			v.fail(p+".schedule", schedule.Fix, "schedule %q: %v", vf.Schedule, err)
		}
	}
	if vf.From != "" && !slices.ContainsFunc(j.Destinations, func(d Destination) bool { return d.Name == vf.From }) {
		v.fail(p+".from", "name one of the job's destinations", "no destination named %q", vf.From)
	}
	if vf.RestoreDSN != "" {
		if _, err := pg.New(pg.Settings{DSN: vf.RestoreDSN, Password: vf.Password, CAFile: vf.CAFile}); err != nil {
			v.fail(p+".restore_dsn", `write it like "postgresql://verify@127.0.0.1/postgres" (a role that may create databases), with the password in password_file`, "%v", err)
		}
	} else if vf.Query != "" {
		v.fail(p+".restore_dsn", `set restore_dsn = "postgresql://verify@127.0.0.1/postgres": the query runs in the dump restored there`, "query without restore_dsn")
	}
	if vf.Expect != "" {
		if vf.Query == "" {
			v.fail(p+".expect", `set query = "SELECT count(*) FROM res_users"; expect compares its result`, "expect without query")
		} else if _, err := ParseExpect(vf.Expect); err != nil {
			v.fail(p+".expect", `write a value such as "3", or a comparison such as "> 0" or ">= 100"`, "%v", err)
		}
	}
}

func validateArchive(v *validator, p string, a *Archive) {
	if err := namefmt.Validate(a.Name); err != nil {
		v.fail(p+".name", `use a strftime pattern with the date, e.g. "%Y%m%d.tgz" (the seed's AAAADDMM is "%Y%d%m.tgz")`, "%v", err)
	}
	if !oneOf(a.Compression, "gzip", "zstd") {
		v.fail(p+".compression", `use "gzip" or "zstd"`, "unknown compression %q", a.Compression)
	}
	if !oneOf(a.OnUnchanged, "skip", "archive", "fail") {
		v.fail(p+".on_unchanged", `use "skip", "archive" or "fail"`, "unknown value %q", a.OnUnchanged)
	}
	if a.Level < 0 || a.Level > 22 {
		v.fail(p+".level", "use 0 for the default, 1 (fast) to 9 (small) for gzip, 1 to 22 for zstd", "invalid level %d", a.Level)
	}
}

// RedactURL returns a URL fit for a log, a mail or a MANIFEST: the password is
// removed, and so is every value of the query string, where export servers take
// their tokens (https://exports.example.org/dump.zip?token=…). The keys stay, so
// that the URL is still recognisable.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndex(s, "@"); i > 0 {
			return "…" + s[i:]
		}
		if i := strings.Index(s, "?"); i >= 0 {
			return s[:i] + "?…"
		}
		return s
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = ""
			return u.Redacted() + "?…"
		}
		for k := range q {
			q[k] = []string{"***"}
		}
		u.RawQuery = strings.ReplaceAll(q.Encode(), "%2A%2A%2A", "***")
	}
	return u.Redacted()
}

// URLSecrets returns what a URL holds that must never be printed: its password and
// the values of its query string.
func URLSecrets(s string) []string {
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	var out []string
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	for _, vs := range u.Query() {
		out = append(out, vs...)
	}
	return out
}
