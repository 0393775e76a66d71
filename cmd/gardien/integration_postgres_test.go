//go:build integration

package main

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/testutil"
)

// The PostgreSQL of scripts/it.d/postgres.sh: Specibike1..3 (3, 5 and 7 users) and
// "autre"; gardien_it owns them and may create databases, gardien_ro may not read
// Specibike2's res_users.
func TestIntegrationPostgres(t *testing.T) {
	env := testutil.ITVars(t, "GARDIEN_IT_PG_HOST", "GARDIEN_IT_PG_PORT", "GARDIEN_IT_PG_USER", "GARDIEN_IT_PG_PASSWORD", "GARDIEN_IT_PG_RO_USER", "GARDIEN_IT_PG_RO_PASSWORD")
	bin := binary(t)
	work := t.TempDir()
	secret := func(name, value string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	itPass := secret("it.pass", env["GARDIEN_IT_PG_PASSWORD"])
	roPass := secret("ro.pass", env["GARDIEN_IT_PG_RO_PASSWORD"])
	media := filepath.Join(work, "media")
	os.MkdirAll(filepath.Join(media, "avatars"), 0o755)
	os.WriteFile(filepath.Join(media, "avatars", "léa.png"), []byte("png"), 0o644)
	os.Symlink("avatars/léa.png", filepath.Join(media, "logo.png"))
	dest := filepath.Join(work, "nas")
	logPath := filepath.Join(work, "gardien.log")

	config := func(user, passFile, expect string) string {
		p := filepath.Join(work, "gardien.toml")
		text := `
[log]
file = "` + logPath + `"
[state]
dir = "` + filepath.Join(work, "state") + `"
[[job]]
name = "specibike"
  [[job.source]]
  type = "postgres"
  host = "` + env["GARDIEN_IT_PG_HOST"] + `"
  port = ` + env["GARDIEN_IT_PG_PORT"] + `
  username = "` + user + `"
  password_file = "` + passFile + `"
  databases = "Specibike*"
  retries = 1
  [[job.source]]
  type = "directory"
  path = "` + media + `"
  [job.archive]
  staging_dir = "` + filepath.Join(work, "staging") + `"
  [[job.destination]]
  name = "nas"
  url = "file://` + dest + `"
  [job.verify]
  restore_dsn = "postgresql://` + env["GARDIEN_IT_PG_USER"] + "@" + env["GARDIEN_IT_PG_HOST"] + ":" + env["GARDIEN_IT_PG_PORT"] + `/postgres"
  password_file = "` + itPass + `"
  query = "SELECT count(*) FROM res_users"
  expect = "` + expect + `"
`
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	owner := config(env["GARDIEN_IT_PG_USER"], itPass, ">= 3")
	port, _ := strconv.Atoi(env["GARDIEN_IT_PG_PORT"])
	ci, err := pg.New(pg.Settings{Host: env["GARDIEN_IT_PG_HOST"], Port: port, User: env["GARDIEN_IT_PG_USER"], Password: env["GARDIEN_IT_PG_PASSWORD"]})
	if err != nil {
		t.Fatal(err)
	}
	databases := func() []string {
		t.Helper()
		c, err := pg.Connect(context.Background(), ci)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		dbs, err := c.Databases(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return dbs
	}
	noScratchLeft := func(t *testing.T) {
		t.Helper()
		for _, db := range databases() {
			if strings.HasPrefix(db, "gardien_verify_") {
				t.Errorf("scratch database %s left on the server", db)
			}
		}
	}
	noPassword := func(t *testing.T, texts ...string) {
		t.Helper()
		logText, _ := os.ReadFile(logPath)
		for _, s := range append(texts, string(logText)) {
			for _, pw := range []string{env["GARDIEN_IT_PG_PASSWORD"], env["GARDIEN_IT_PG_RO_PASSWORD"]} {
				if strings.Contains(s, pw) {
					t.Fatal("a password is printed or logged")
				}
			}
		}
	}

	t.Run("check", func(t *testing.T) {
		r := runBinary(t, bin, "--config", owner, "check")
		if r.code != 0 || !strings.Contains(r.stdout, "3 match Specibike*: Specibike1, Specibike2, Specibike3") {
			t.Fatalf("check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	var archiveName string
	t.Run("the archive holds three dumps and the folder", func(t *testing.T) {
		r := runBinary(t, bin, "--config", owner, "run")
		if r.code != 0 {
			t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"ok      database reachable", "db: 3 match Specibike*", "ok      every database dumped  db: 3 of 3", "ok      every file read"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("summary lacks %q:\n%s", want, r.stdout)
			}
		}
		ents, _ := os.ReadDir(dest)
		if len(ents) != 1 {
			t.Fatalf("destination holds %v", ents)
		}
		archiveName = ents[0].Name()
		out, err := exec.Command("tar", "tzf", filepath.Join(dest, archiveName)).CombinedOutput()
		if err != nil {
			t.Fatalf("tar tzf: %v %s", err, out)
		}
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if !strings.HasSuffix(l, "/") {
				names = append(names, l)
			}
		}
		sort.Strings(names)
		want := "MANIFEST,db/Specibike1.dump,db/Specibike2.dump,db/Specibike3.dump,media/avatars/léa.png,media/logo.png"
		if strings.Join(names, ",") != want {
			t.Errorf("archive holds %v\nwant %s", names, want)
		}
		noPassword(t, r.stdout, r.stderr)
	})

	t.Run("unchanged databases and folder are recognised", func(t *testing.T) {
		r := runBinary(t, bin, "--config", owner, "run")
		if r.code != 3 || !strings.Contains(r.stdout, "unchanged since run") || !strings.Contains(r.stdout, "same size and stamp") {
			t.Fatalf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("verify restores them and the query matches", func(t *testing.T) {
		r := runBinary(t, bin, "--config", owner, "verify", "specibike")
		if r.code != 0 {
			t.Fatalf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for i, users := range []string{"3", "5", "7"} {
			want := regexp.MustCompile(`ok      dump restored          db/Specibike` + strconv.Itoa(i+1) + `\.dump: \d+ entries, 2 tables restored in [^;]+; SELECT count\(\*\) FROM res_users → ` + users + ` \(expected >= 3\)`)
			if !want.MatchString(r.stdout) {
				t.Errorf("no restored Specibike%d with %s users:\n%s", i+1, users, r.stdout)
			}
		}
		if !strings.Contains(r.stdout, "ok      checksums verified     4 files, SHA-256 as in the MANIFEST; 1 link, target as in the MANIFEST") {
			t.Errorf("checksums:\n%s", r.stdout)
		}
		noScratchLeft(t)
		noPassword(t, r.stdout, r.stderr)
	})

	t.Run("verify fails when the query does not match, naming the dumps", func(t *testing.T) {
		r := runBinary(t, bin, "--config", config(env["GARDIEN_IT_PG_USER"], itPass, "> 5"), "verify", "specibike", archiveName)
		if r.code != 1 || !strings.Contains(r.stdout, `FAILURE at "dump restored"`) {
			t.Fatalf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{
			"FAILED  dump restored          db/Specibike1.dump: SELECT count(*) FROM res_users returned 3, expected > 5",
			"FAILED  dump restored          db/Specibike2.dump: SELECT count(*) FROM res_users returned 5, expected > 5",
			"ok      dump restored          db/Specibike3.dump",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("summary lacks %q:\n%s", want, r.stdout)
			}
		}
		noScratchLeft(t)
	})

	t.Run("restore a dump into a database after confirmation", func(t *testing.T) {
		t.Cleanup(func() {
			if c, err := pg.Connect(context.Background(), ci); err == nil {
				c.DropDatabase(context.Background(), "specibike1_restored")
				c.Close(context.Background())
			}
		})
		cmd := exec.Command(bin, "--config", owner, "restore", "specibike", "--into-db", "specibike1_restored", "--dump", "Specibike1")
		cmd.Stdin = strings.NewReader("no\n")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "not confirmed: nothing was changed") || !strings.Contains(string(out), `into database "specibike1_restored"`) {
			t.Fatalf("declined: %v\n%s", err, out)
		}
		for _, db := range databases() {
			if db == "specibike1_restored" {
				t.Fatal("a declined restore created the database")
			}
		}
		cmd = exec.Command(bin, "--config", owner, "restore", "specibike", "--into-db", "specibike1_restored", "--dump", "Specibike1")
		cmd.Stdin = strings.NewReader("yes\n")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), `restored db/Specibike1.dump of `+archiveName) {
			t.Fatalf("confirmed: %v\n%s", err, out)
		}
		c, err := pg.Connect(context.Background(), ci.With("dbname", "specibike1_restored"))
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.QueryValue(context.Background(), "SELECT count(*) FROM res_users")
		c.Close(context.Background())
		if err != nil || n != "3" {
			t.Errorf("restored res_users: %q, %v", n, err)
		}
		// Again over the existing database, with --yes.
		r := runBinary(t, bin, "--config", owner, "restore", "specibike", "--into-db", "specibike1_restored", "--dump", "db/Specibike1.dump", "--yes")
		if r.code != 0 || !strings.Contains(r.stdout, "into the existing database") {
			t.Errorf("over the existing database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		// Several dumps and no --dump: the choice is asked for.
		r = runBinary(t, bin, "--config", owner, "restore", "specibike", "--into-db", "x", "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, "holds 3 dumps") || !strings.Contains(r.stderr, "--dump") {
			t.Errorf("no --dump: exit %d\n%s", r.code, r.stderr)
		}
	})

	t.Run("a database whose dump fails makes the step fail and names it", func(t *testing.T) {
		r := runBinary(t, bin, "--config", config(env["GARDIEN_IT_PG_RO_USER"], roPass, ">= 3"), "run")
		if r.code != 1 || !strings.Contains(r.stdout, `FAILURE at "every database dumped"`) {
			t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"db: 2 of 3 dumped: Specibike2: pg_dump exit status 1: pg_dump: error: query failed: ERROR:  permission denied for table res_users", "GRANT pg_read_all_data TO gardien_ro"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("summary lacks %q:\n%s", want, r.stdout)
			}
		}
		logText, _ := os.ReadFile(logPath)
		if !regexp.MustCompile(`msg="step failed" job=specibike run=\w+ step="every database dumped" source="postgres gardien_ro@127\.0\.0\.1:\d+ Specibike\*" detail=.*cause=.*permission denied.* hint=`).Match(logText) {
			t.Errorf("no failure line with step, source, cause and hint in the log:\n%s", logText)
		}
		if ents, _ := os.ReadDir(dest); len(ents) != 1 {
			t.Errorf("the failed run changed the destination: %v", ents)
		}
		noPassword(t, r.stdout, r.stderr)
	})
}

// Over the local socket, as the operating system user postgres (peer
// authentication, no password anywhere): the setup of a Debian server where gardien
// runs as postgres. Run as another user, the same configuration fails with a hint.
func TestIntegrationPostgresSocket(t *testing.T) {
	env := testutil.ITVars(t, "GARDIEN_IT_PG_SOCKET", "GARDIEN_IT_PG_PORT")
	if os.Geteuid() != 0 {
		t.Skip("running gardien as the postgres user needs root")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	bin := binary(t)
	work, err := os.MkdirTemp("", "gardien-it-socket-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	os.Chown(work, uid, gid)
	pgBin := filepath.Join(work, "gardien")
	b, _ := os.ReadFile(bin)
	os.WriteFile(pgBin, b, 0o755)
	cfg := filepath.Join(work, "gardien.toml")
	os.WriteFile(cfg, []byte(`
[log]
file = "`+filepath.Join(work, "gardien.log")+`"
[state]
dir = "`+filepath.Join(work, "state")+`"
[[job]]
name = "local"
  [job.source]
  type = "postgres"
  host = "`+env["GARDIEN_IT_PG_SOCKET"]+`"
  port = `+env["GARDIEN_IT_PG_PORT"]+`
  username = "postgres"
  databases = ["Specibike1", "autre"]
  [job.archive]
  staging_dir = "`+filepath.Join(work, "staging")+`"
  [[job.destination]]
  name = "local"
  url = "file://`+filepath.Join(work, "nas")+`"
`), 0o600)
	os.Chown(cfg, uid, gid)

	cmd := exec.Command(pgBin, "--config", cfg, "run")
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok      every database dumped  2 of 2") {
		t.Fatalf("as postgres: %v\n%s", err, out)
	}
	ents, _ := os.ReadDir(filepath.Join(work, "nas"))
	if len(ents) != 1 {
		t.Fatalf("destination holds %v", ents)
	}
	list, err := exec.Command("tar", "tzf", filepath.Join(work, "nas", ents[0].Name())).CombinedOutput()
	if err != nil || string(list) != "Specibike1.dump\nautre.dump\nMANIFEST\n" {
		t.Errorf("archive holds %q (%v)", list, err)
	}

	// As root, the server refuses: peer authentication wants the postgres user.
	r := runBinary(t, bin, "--config", cfg, "check")
	if r.code != 1 || !strings.Contains(r.stdout, "Peer authentication failed") || !strings.Contains(r.stdout, "run gardien as that user") {
		t.Errorf("as root: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without username, it is the operating system user's name, which has no role.
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(text), `username = "postgres"`, "", 1)), 0o600)
	r = runBinary(t, bin, "--config", cfg, "check")
	if r.code != 1 || !strings.Contains(r.stdout, `role "root" does not exist`) || !strings.Contains(r.stdout, "set username") {
		t.Errorf("as root without username: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
