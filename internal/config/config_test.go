package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const minimal = `
[log]
file = "-"

[[job]]
name = "db"
  [job.source]
  url = "https://exports.example.org/dump.zip"
  expect = "dump.sql"
  [[job.destination]]
  url = "file:///srv/archives"
`

func parse(t *testing.T, text string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gardien.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(p, nil)
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	j := c.Jobs[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"source type", j.Source.Type, "https-zip"},
		{"timeout", j.Source.Timeout.D(), 10 * time.Minute},
		{"max_shrink", float64(j.Source.MaxShrink), 50.0},
		{"archive name", j.Archive.Name, "%Y%m%d.tgz"},
		{"compression", j.Archive.Compression, "gzip"},
		{"on_unchanged", j.Archive.OnUnchanged, "skip"},
		{"destination name", j.Destinations[0].Name, "file"},
		{"mail transport", c.Mail.Transport, "none"},
		{"mail language", c.Mail.Language, "fr"},
		{"state dir", c.State.Dir, DefaultStateDir},
		{"keep_days", j.Retention.KeepDays, 0},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestExampleIsValid(t *testing.T) {
	c, err := parse(t, string(Example))
	if err != nil {
		t.Fatalf("the example written by gardien init does not load: %v", err)
	}
	if c.Jobs[0].Retention.KeepDays != 30 || c.Jobs[0].Retention.KeepMin != 3 {
		t.Errorf("retention = %+v", c.Jobs[0].Retention)
	}
}

func TestErrors(t *testing.T) {
	scenarios := []struct {
		name string
		text string
		line int
		want []string // substrings of the error
	}{
		{
			name: "unknown key names the key and its line",
			text: strings.Replace(minimal, `expect = "dump.sql"`, "expect = \"dump.sql\"\n  expcet = \"x\"", 1),
			line: 10, want: []string{"job.source.expcet", "unknown key", "fix:"},
		},
		{
			name: "unknown table",
			text: minimal + "\n[mial]\nto = [\"a@b\"]\n",
			line: 13, want: []string{"mial", "unknown key"},
		},
		{
			name: "plain http refused",
			text: strings.Replace(minimal, "https://", "http://", 1),
			line: 8, want: []string{"job[0].source.url", "allow_insecure"},
		},
		{
			name: "bad archive pattern",
			text: minimal + "  [job.archive]\n  name = \"backup.tgz\"\n",
			line: 13, want: []string{"job[0].archive.name", "no year", "%Y%d%m.tgz"},
		},
		{
			name: "bad duration",
			text: strings.Replace(minimal, `expect = "dump.sql"`, "expect = \"dump.sql\"\n  timeout = \"ten minutes\"", 1),
			line: 10, want: []string{"not a duration"},
		},
		{
			name: "bad on_unchanged",
			text: minimal + "  [job.archive]\n  on_unchanged = \"ignore\"\n",
			line: 13, want: []string{"on_unchanged", `"skip", "archive" or "fail"`},
		},
		{
			name: "second destination's problem is located",
			text: minimal + "  [[job.destination]]\n  name = \"file\"\n  url = \"file:///b\"\n",
			line: 13, want: []string{"job[0].destination[1].name", "defined twice"},
		},
		{
			name: "no job",
			text: "[log]\nfile = \"-\"\n",
			want: []string{"no job is configured"},
		},
		{
			name: "unset environment variable",
			text: strings.Replace(minimal, `expect = "dump.sql"`, "expect = \"dump.sql\"\n  password = \"${GARDIEN_TEST_UNSET_VAR}\"", 1),
			line: 10, want: []string{"GARDIEN_TEST_UNSET_VAR is not set"},
		},
		{
			name: "toml syntax",
			text: "[log\nfile = \"-\"\n",
			line: 2, want: []string{"gardien.toml:2", "table name"},
		},
		{
			name: "secret_key and secret_key_file",
			text: strings.Replace(minimal, `url = "file:///srv/archives"`, "url = \"file:///srv/archives\"\n  secret_key = \"x\"\n  secret_key_file = \"/nonexistent\"", 1),
			want: []string{"both secret_key and secret_key_file"},
		},
		{
			name: "password and password_file",
			text: strings.Replace(minimal, `url = "file:///srv/archives"`, "url = \"file:///srv/archives\"\n  password = \"x\"\n  password_file = \"/nonexistent\"", 1),
			want: []string{"both password and password_file"},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := parse(t, sc.text)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range sc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if sc.line > 0 {
				var es Errors
				var e *Error
				switch {
				case errors.As(err, &es):
					e = es[0]
				case errors.As(err, &e):
				}
				if e == nil || e.Line != sc.line {
					t.Errorf("line = %v, want %d (%v)", e, sc.line, err)
				}
			}
		})
	}
}

func TestEnvAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pass")
	if err := os.WriteFile(pw, []byte("s3cret-from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GARDIEN_TEST_URL", "https://exports.example.org/x.zip")
	text := strings.Replace(minimal, `"https://exports.example.org/dump.zip"`, `"${GARDIEN_TEST_URL}"`, 1)
	text = strings.Replace(text, `url = "file:///srv/archives"`, "url = \"sftp://backup:inline-pw@nas/srv\"\n  [[job.destination]]\n  url = \"file:///b\"\n  password_file = \""+pw+"\""+
		"\n  [[job.destination]]\n  name = \"s3\"\n  url = \"file:///c\"\n  secret_key_file = \""+pw+"\"", 1)
	c, err := parse(t, text)
	if err != nil {
		t.Fatal(err)
	}
	j := c.Jobs[0]
	if j.Source.URL != "https://exports.example.org/x.zip" {
		t.Errorf("url = %q", j.Source.URL)
	}
	if d := j.Destinations[0]; d.Password != "inline-pw" || d.Username != "backup" || strings.Contains(d.URL, "inline-pw") {
		t.Errorf("password in url not moved out: %+v", d)
	}
	if got := j.Destinations[1].Password; got != "s3cret-from-file" {
		t.Errorf("password_file read %q", got)
	}
	if got := j.Destinations[2].SecretKey; got != "s3cret-from-file" {
		t.Errorf("secret_key_file read %q", got)
	}
	var warned bool
	for _, w := range c.Warnings {
		if strings.Contains(w, pw) && strings.Contains(w, "chmod 600") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the world-readable password file: %q", c.Warnings)
	}
}

func TestWorldReadableConfigWithPassword(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gardien.toml")
	text := strings.Replace(minimal, `url = "file:///srv/archives"`, "url = \"file:///srv/archives\"\n  password = \"inline\"", 1)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "readable by other users") {
		t.Errorf("warnings = %q", c.Warnings)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(p, nil); err != nil || len(c.Warnings) != 0 {
		t.Errorf("mode 600: warnings %q, err %v", c.Warnings, err)
	}
}

func TestDestinationCheckIsLocated(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gardien.toml")
	if err := os.WriteFile(p, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, func(d Destination) error {
		return &FieldError{Key: "known_hosts", Msg: "no host key", Fix: "run ssh-keyscan"}
	})
	if err == nil || !strings.Contains(err.Error(), "gardien.toml:10: job[0].destination[0].known_hosts: no host key (fix: run ssh-keyscan)") {
		t.Errorf("err = %v", err)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"10MB": 10e6, "1.5GB": 1.5e9, "512KiB": 512 << 10, "1024": 1024, "2 gb": 2e9} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ten", "-1MB", "MB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, sc := range []struct{ in, want string }{
		{"https://exports.example.org/dump.zip", "https://exports.example.org/dump.zip"},
		{"https://user:pw@exports.example.org/dump.zip", "https://user:xxxxx@exports.example.org/dump.zip"},
		{"https://exports.example.org/dump.zip?token=abc&db=odoo", "https://exports.example.org/dump.zip?db=***&token=***"},
		{"sftp://backup@nas/srv", "sftp://backup@nas/srv"},
		{"https://h/x?%zz", "https://h/x?…"},
	} {
		if got := RedactURL(sc.in); got != sc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", sc.in, got, sc.want)
		}
	}
	got := URLSecrets("https://u:pw1@h/x?token=t1&a=b")
	if strings.Join(got, ",") != "pw1,b,t1" && strings.Join(got, ",") != "pw1,t1,b" {
		t.Errorf("URLSecrets = %q", got)
	}
}

// Two jobs that send archives named alike to the same directory would replace and
// delete each other's archives: refused, with the fix.
func TestSharedDestination(t *testing.T) {
	second := func(url, name string) string {
		s := minimal + "\n[[job]]\nname = \"media\"\n  [job.source]\n  url = \"https://exports.example.org/media.zip\"\n  expect = \"media.tar\"\n"
		if name != "" {
			s += "  [job.archive]\n  name = \"" + name + "\"\n"
		}
		return s + "  [[job.destination]]\n  url = \"" + url + "\"\n"
	}
	for _, sc := range []struct {
		name, url, pattern string
		refused            bool
	}{
		{"same directory, same default name", "file:///srv/archives", "", true},
		{"same directory written differently", "file:///srv//archives/", "", true},
		{"same day and month read both ways", "file:///srv/archives", "%Y%d%m.tgz", true},
		{"same directory, names apart", "file:///srv/archives", "media-%Y%m%d.tgz", false},
		{"another directory", "file:///srv/media", "", false},
	} {
		t.Run(sc.name, func(t *testing.T) {
			_, err := parse(t, second(sc.url, sc.pattern))
			if !sc.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `jobs "db" and "media" both send archives`) || !strings.Contains(err.Error(), `media-%Y%m%d.tgz`) {
				t.Fatalf("err = %v, want the two jobs named and the fix", err)
			}
		})
	}
}

// A value of the wrong type or form names its file, line and key, and says how to
// write it.
func TestValueErrors(t *testing.T) {
	for _, sc := range []struct{ name, line, want string }{
		{"duration", `timeout = "10 minutes"`, `job.source.timeout: "10 minutes" is not a duration: write it like "90s"`},
		{"size", `max_size = "lots"`, `job.source.max_size: "lots" is not a size: write it like "500MB"`},
		{"quoted number", `retries = "3"`, `job.source.retries: a text where a whole number is expected (fix: write the number without quotes)`},
	} {
		t.Run(sc.name, func(t *testing.T) {
			text := strings.Replace(minimal, `expect = "dump.sql"`, "expect = \"dump.sql\"\n  "+sc.line, 1)
			_, err := parse(t, text)
			if err == nil || !strings.Contains(err.Error(), "gardien.toml:10: "+sc.want) {
				t.Errorf("err = %v\nwant gardien.toml:10: %s", err, sc.want)
			}
			if err != nil && strings.Contains(err.Error(), "TOML syntax") {
				t.Errorf("a value error blamed on the syntax: %v", err)
			}
		})
	}
}

// 0 written in the file is a value, not "unset": retries = 0 never retries,
// keep_min = 0 lets keep_days alone decide.
func TestZeroIsAValue(t *testing.T) {
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if j := c.Jobs[0]; j.Source.Retries != DefaultRetries || j.Retention.KeepMin != DefaultKeepMin {
		t.Errorf("defaults: retries %d keep_min %d", j.Source.Retries, j.Retention.KeepMin)
	}
	text := strings.Replace(minimal, `expect = "dump.sql"`, "expect = \"dump.sql\"\n  retries = 0", 1) + "  [job.retention]\n  keep_days = 30\n  keep_min = 0\n"
	c, err = parse(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if j := c.Jobs[0]; j.Source.Retries != 0 || j.Retention.KeepMin != 0 {
		t.Errorf("written zeros: retries %d keep_min %d", j.Source.Retries, j.Retention.KeepMin)
	}
}

// A password on a command's command line is masked where the command is shown, and
// the configuration is warned about (ps shows it to every user).
func TestCommandPasswordMasked(t *testing.T) {
	for _, sc := range []struct {
		cmd  Command
		want string
	}{
		{Command{Argv: []string{"mysqldump", "-uroot", "-pS3cr3t!", "shop"}}, "mysqldump -uroot -p*** shop"},
		{Command{Argv: []string{"mysqldump", "--password=S3cr3t!", "shop"}}, "mysqldump --password=*** shop"},
		{Command{Shell: "mysqldump -uroot -pS3cr3t! shop | gzip"}, "mysqldump -uroot -p*** shop | gzip"},
		{Command{Argv: []string{"pg_dumpall", "--globals-only"}}, "pg_dumpall --globals-only"},
	} {
		if got := sc.cmd.String(); got != sc.want {
			t.Errorf("String() = %q, want %q", got, sc.want)
		}
	}
	text := strings.Replace(minimal, "  url = \"https://exports.example.org/dump.zip\"\n  expect = \"dump.sql\"\n",
		"  type = \"command\"\n  command = [\"mysqldump\", \"-pS3cr3t!\", \"shop\"]\n  filename = \"shop.sql\"\n", 1)
	c, err := parse(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "password on its command line") || strings.Contains(c.Warnings[0], "S3cr3t") {
		t.Errorf("warnings = %q", c.Warnings)
	}
}
