package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// severalSources is a job that archives a database and its media folder together.
const severalSources = `
[log]
file = "-"

[[job]]
name = "biomaid"
  [[job.source]]
  type = "postgres"
  host = "127.0.0.1"
  port = 5432
  username = "backup"
  password = "${GARDIEN_TEST_PG_PW}"
  databases = "Specibike*"

  [[job.source]]
  type = "directory"
  path = "/srv/biomaid/media"
  exclude = ["*.tmp", "cache/"]

  [[job.source]]
  type = "command"
  name = "mysql"
  command = ["mysqldump", "--single-transaction", "shop"]
  filename = "shop.sql"
  env = { MYSQL_PWD = "${GARDIEN_TEST_PG_PW}" }

  [[job.destination]]
  url = "file:///srv/archives"

  [job.verify]
  schedule = "0 5 * * 0"
  restore_dsn = "postgresql://verify@127.0.0.1/postgres"
  query = "SELECT count(*) FROM res_users"
  expect = "> 0"
`

func TestSeveralSources(t *testing.T) {
	t.Setenv("GARDIEN_TEST_PG_PW", "pw-from-env")
	c, err := parse(t, severalSources)
	if err != nil {
		t.Fatal(err)
	}
	j := &c.Jobs[0]
	if len(j.Sources) != 3 {
		t.Fatalf("%d sources", len(j.Sources))
	}
	pgs, dir, cmd := j.Sources[0], j.Sources[1], j.Sources[2]
	checks := []struct {
		name      string
		got, want any
	}{
		{"postgres name", pgs.Name, "db"},
		{"postgres password from env", pgs.Password, "pw-from-env"},
		{"databases", strings.Join(pgs.Databases, ","), "Specibike*"},
		{"pg_dump", pgs.PgDump, "pg_dump"},
		{"postgres timeout", pgs.Timeout.D(), 2 * time.Hour},
		{"directory name", dir.Name, "media"},
		{"directory timeout", dir.Timeout.D(), time.Duration(0)},
		{"command name", cmd.Name, "mysql"},
		{"command argv", strings.Join(cmd.Command.Argv, " "), "mysqldump --single-transaction shop"},
		{"command env", cmd.Env["MYSQL_PWD"], "pw-from-env"},
		{"Source is the first", j.Source.Type, "postgres"},
		{"source path", j.SourcePath(1), "source.1"},
		{"verify pg_restore", j.Verify.PgRestore, "pg_restore"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestOneSourceTableOfEachType(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pg.pass")
	os.WriteFile(pw, []byte("pg-secret\n"), 0o600)
	scenarios := []struct {
		name   string
		source string
		check  func(*testing.T, Source)
	}{
		{"postgres by dsn", `type = "postgres"
  dsn = "postgresql://backup@db.example.org/postgres"
  password_file = "` + pw + `"
  databases = ["odoo", "Specibike*"]
  pg_dump = "/usr/lib/postgresql/16/bin/pg_dump"
  pg_dump_args = ["--no-comments"]`, func(t *testing.T, s Source) {
			if s.Password != "pg-secret" || len(s.Databases) != 2 || s.PgDump != "/usr/lib/postgresql/16/bin/pg_dump" || s.Name != "db" {
				t.Errorf("source = %+v", s)
			}
		}},
		{"directory", `type = "directory"
  path = "/srv/app/media/"
  strict = true`, func(t *testing.T, s Source) {
			if s.Name != "media" || !s.Strict {
				t.Errorf("source = %+v", s)
			}
		}},
		{"command as a shell string", `type = "command"
  command = "odoo-bin db dump specibike | cat"
  filename = "specibike.zip"
  timeout = "30m"`, func(t *testing.T, s Source) {
			if s.Command.Shell != "odoo-bin db dump specibike | cat" || s.Command.String() != s.Command.Shell || s.Timeout.D() != 30*time.Minute || s.Name != "command" {
				t.Errorf("source = %+v", s)
			}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			text := "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"\n  [job.source]\n  " + sc.source + "\n  [[job.destination]]\n  url = \"file:///srv/archives\"\n"
			c, err := parse(t, text)
			if err != nil {
				t.Fatal(err)
			}
			j := c.Jobs[0]
			if len(j.Sources) != 1 || j.SourcePath(0) != "source" {
				t.Fatalf("sources = %+v", j.Sources)
			}
			sc.check(t, j.Source)
		})
	}
}

func TestSourceErrors(t *testing.T) {
	t.Setenv("GARDIEN_TEST_PG_PW", "x")
	// [job.source] is on line 5: a missing key is reported there, a wrong one on its own line.
	base := "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"\n  [job.source]\n"
	dest := "\n  [[job.destination]]\n  name = \"nas\"\n  url = \"file:///srv/archives\"\n"
	scenarios := []struct {
		name string
		text string
		line int
		want []string
	}{
		{"unknown type", base + "  type = \"mysql\"" + dest, 6,
			[]string{"job[0].source.type", `unknown source type "mysql"`, `"https-zip", "postgres", "directory" or "command"`}},
		{"key of another type", base + "  type = \"postgres\"\n  databases = \"x\"\n  expect = \"dump.sql\"" + dest, 8,
			[]string{"job[0].source.expect", "expect is a key of https-zip sources, not of a postgres source", `set type = "https-zip"`}},
		{"postgres without databases", base + "  type = \"postgres\"" + dest, 5,
			[]string{"job[0].source.databases", "missing databases", `databases = "Specibike*"`}},
		{"bad glob", base + "  type = \"postgres\"\n  databases = [\"ok\", \"Speci[bike\"]" + dest, 7,
			[]string{`invalid pattern "Speci[bike"`}},
		{"databases not strings", base + "  type = \"postgres\"\n  databases = [1, 2]" + dest, 7,
			[]string{"list of strings"}},
		{"sslmode that verifies nothing", base + "  type = \"postgres\"\n  databases = \"x\"\n  host = \"db.example.org\"\n  sslmode = \"require\"" + dest, 9,
			[]string{"job[0].source.sslmode", "does not verify", "verify-full"}},
		{"dsn with sslmode=prefer", base + "  type = \"postgres\"\n  databases = \"x\"\n  dsn = \"host=db.example.org sslmode=prefer\"" + dest, 8,
			[]string{"job[0].source.dsn", "does not verify"}},
		{"bad dsn, password not quoted", base + "  type = \"postgres\"\n  databases = \"x\"\n  dsn = \"postgresql://u:Hunter2@db:port/x\"" + dest, 8,
			[]string{"job[0].source.dsn", "not a valid URL"}},
		{"pg_dump_args that would prompt", base + "  type = \"postgres\"\n  databases = \"x\"\n  pg_dump_args = [\"-W\"]" + dest, 8,
			[]string{"job[0].source.pg_dump_args", "-W: it would wait for a password"}},
		{"directory without path", base + "  type = \"directory\"" + dest, 5,
			[]string{"job[0].source.path", "missing path"}},
		{"relative directory", base + "  type = \"directory\"\n  path = \"media\"" + dest, 7,
			[]string{`path "media" is relative`}},
		{"bad exclude", base + "  type = \"directory\"\n  path = \"/srv/media\"\n  exclude = [\"[\"]" + dest, 8,
			[]string{"job[0].source.exclude", `invalid pattern "["`}},
		{"command without command", base + "  type = \"command\"\n  filename = \"x.sql\"" + dest, 5,
			[]string{"job[0].source.command", "missing command"}},
		{"command without filename", base + "  type = \"command\"\n  command = [\"mysqldump\"]" + dest, 5,
			[]string{"job[0].source.filename", "missing filename"}},
		{"filename outside the archive", base + "  type = \"command\"\n  command = [\"mysqldump\"]\n  filename = \"../x.sql\"" + dest, 8,
			[]string{`invalid filename "../x.sql"`}},
		{"command of the wrong type", base + "  type = \"command\"\n  command = 42\n  filename = \"x\"" + dest, 7,
			[]string{"shell command string"}},
		{"bad env name", base + "  type = \"command\"\n  command = [\"x\"]\n  filename = \"x\"\n  env = { \"MY-VAR\" = \"1\" }" + dest, 9,
			[]string{`invalid variable name "MY-VAR"`}},
		{"no source", "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"" + dest, 3,
			[]string{`job "j" has no source`, "[job.source]"}},
		{"two sources with one name", "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"\n  [[job.source]]\n  type = \"directory\"\n  path = \"/a/media\"\n  [[job.source]]\n  type = \"directory\"\n  path = \"/b/media\"" + dest, 8,
			[]string{"job[0].source[1].name", `two sources are named "media"`}},
		{"unknown key in the second source", "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"\n  [[job.source]]\n  type = \"directory\"\n  path = \"/a\"\n  [[job.source]]\n  type = \"directory\"\n  pth = \"/b\"" + dest, 10,
			[]string{"job.source.pth", "unknown key"}},
		{"bad value in the second source", "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"\n  [[job.source]]\n  type = \"directory\"\n  path = \"/a\"\n  [[job.source]]\n  type = \"directory\"\n  path = \"/b\"\n  timeout = \"soon\"" + dest, 11,
			[]string{"not a duration"}},
		{"source of the wrong kind", "[log]\nfile = \"-\"\n[[job]]\nname = \"j\"\nsource = \"x\"" + dest, 5,
			[]string{"[[job.source]] before each"}},
		{"query without restore_dsn", base + "  url = \"https://x/dump.zip\"\n  expect = \"dump.sql\"" + dest + "  [job.verify]\n  query = \"SELECT 1\"\n", 11,
			[]string{"job[0].verify.restore_dsn", "query without restore_dsn"}},
		{"bad expect", base + "  url = \"https://x/dump.zip\"\n  expect = \"dump.sql\"" + dest + "  [job.verify]\n  restore_dsn = \"postgresql://v@127.0.0.1/postgres\"\n  query = \"SELECT 1\"\n  expect = \"> many\"\n", 14,
			[]string{"job[0].verify.expect", `> needs a number, not "many"`}},
		{"verify from an unknown destination", base + "  url = \"https://x/dump.zip\"\n  expect = \"dump.sql\"" + dest + "  [job.verify]\n  from = \"cloud\"\n", 12,
			[]string{`no destination named "cloud"`}},
		{"verify schedule", base + "  url = \"https://x/dump.zip\"\n  expect = \"dump.sql\"" + dest + "  [job.verify]\n  schedule = \"every sunday\"\n", 12,
			[]string{"job[0].verify.schedule"}},
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
			if strings.Contains(msg, "Hunter2") {
				t.Errorf("the error shows the password: %s", msg)
			}
			var es Errors
			var e *Error
			switch {
			case errors.As(err, &es):
				e = es[0]
			case errors.As(err, &e):
			}
			if e == nil || e.Line != sc.line {
				t.Errorf("line = %v, want %d", e, sc.line)
			}
		})
	}
}

func TestExpect(t *testing.T) {
	scenarios := []struct {
		expect, got string
		match       bool
	}{
		{"> 0", "3", true},
		{"> 0", "0", false},
		{">=3", "3", true},
		{"< 10", "12", false},
		{"<= 10", "10.0", true},
		{"!= 0", "0", false},
		{"!= 0", "NULL", true},
		{"3", "3", true},
		{"= 3", "4", false},
		{"== admin", "admin", true},
		{"admin", "root", false},
		{"!= admin", "root", true},
		{"> 0", "NULL", false},
	}
	for _, sc := range scenarios {
		e, err := ParseExpect(sc.expect)
		if err != nil {
			t.Errorf("%q: %v", sc.expect, err)
			continue
		}
		if got := e.Match(sc.got); got != sc.match {
			t.Errorf("%q matches %q = %v, want %v", sc.expect, sc.got, got, sc.match)
		}
	}
	for _, bad := range []string{"", ">", ">= lots"} {
		if _, err := ParseExpect(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// commentedBlocks returns the commented examples of example.toml that start with
// header ("[job.source]"), uncommented.
func commentedBlocks(header string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, l := range strings.Split(string(Example), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "# "+header):
			if in {
				blocks = append(blocks, strings.Join(cur, "\n"))
			}
			in, cur = true, []string{"  " + header}
		case in && strings.HasPrefix(t, "# ") && strings.Contains(t, "="):
			cur = append(cur, "  "+strings.TrimPrefix(t, "# "))
		case in:
			blocks = append(blocks, strings.Join(cur, "\n"))
			in = false
		}
	}
	if in {
		blocks = append(blocks, strings.Join(cur, "\n"))
	}
	return blocks
}

// Each commented source and the [job.verify] of example.toml load once uncommented.
func TestExampleCommentedSourcesAreValid(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"pg.pass", "verify.pass"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o600)
	}
	t.Setenv("MYSQL_PWD", "x")
	example := string(Example)
	start, end := strings.Index(example, "  [job.source]"), strings.Index(example, "  [job.archive]")
	active := example[start:end]
	sources := commentedBlocks("[job.source]")
	verify := commentedBlocks("[job.verify]")
	if len(sources) != 3 || len(verify) != 1 {
		t.Fatalf("found %d commented sources and %d [job.verify] in example.toml", len(sources), len(verify))
	}
	types := map[string]bool{}
	for _, src := range append(sources, strings.Replace(strings.Join(sources, "\n"), "[job.source]", "[[job.source]]", -1)) {
		text := strings.Replace(example, active, src+"\n\n", 1) + "\n" + verify[0] + "\n"
		text = strings.ReplaceAll(text, "/etc/gardien/", dir+"/")
		c, err := parse(t, text)
		if err != nil {
			t.Fatalf("%s\n\ndoes not load: %v", src, err)
		}
		for _, s := range c.Jobs[0].Sources {
			types[s.Type] = true
		}
		if v := c.Jobs[0].Verify; v.Query == "" || v.Schedule == "" || v.Password != "x" {
			t.Errorf("verify = %+v", v)
		}
	}
	if len(types) != 3 {
		t.Errorf("types loaded: %v", types)
	}
}
