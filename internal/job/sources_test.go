package job

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/source"
	"github.com/gardien/gardien/internal/testutil"
)

// sourcesFixture is a job whose sources are given as TOML, sent to a file://
// destination, all under a temporary directory.
func sourcesFixture(t *testing.T, sources string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dest: filepath.Join(dir, "nas"), now: night}
	text := `
[log]
file = "-"
[state]
dir = "` + filepath.Join(dir, "state") + `"
[[job]]
name = "biomaid"
` + sources + `
  [job.archive]
  staging_dir = "` + filepath.Join(dir, "staging") + `"
  [[job.destination]]
  name = "nas"
  url = "file://` + f.dest + `"
  [job.retention]
  keep_days = 30
`
	p := filepath.Join(dir, "gardien.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	return f
}

// extract restores the destination's archive name into a new directory.
func (f *fixture) extract(name string) (string, *archive.Manifest) {
	f.t.Helper()
	a, err := os.Open(filepath.Join(f.dest, name))
	if err != nil {
		f.t.Fatal(err)
	}
	defer a.Close()
	out := f.t.TempDir()
	m, err := archive.Extract(a, out)
	if err != nil {
		f.t.Fatal(err)
	}
	return out, m
}

func mediaFolder(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "media")
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, body := range map[string]string{"avatars/léa.png": "png", "docs/rapport été.pdf": "pdf", "cache/x.jpg": "cache", "tmp.tmp": "tmp"} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	os.Mkdir(filepath.Join(root, "empty"), 0o700)
	os.Symlink("avatars/léa.png", filepath.Join(root, "logo.png"))
	return root
}

// A database-like command and a media folder go into one archive, each in its own
// folder, the MANIFEST listing them all; the folder's tree comes back as it was.
func TestRunSeveralSources(t *testing.T) {
	media := mediaFolder(t)
	f := sourcesFixture(t, `
  [[job.source]]
  type = "command"
  name = "db"
  command = "printf 'COPY res_users FROM stdin;\n1\tadmin\n'"
  filename = "biomaid.sql"
  [[job.source]]
  type = "directory"
  path = "`+media+`"
  exclude = ["*.tmp", "/cache"]
`)
	res := f.run()
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	want := []string{"ok command run", "ok folder listed", "ok every file read", "ok changed since last run", "ok plausible size",
		"ok archive created", "ok destination reachable", "ok transfer done", "ok retention applied"}
	if got := stepNames(res); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps = %q\nwant %q", got, want)
	}
	if s := findStep(t, res, source.StepFolderListed); !strings.HasPrefix(s.Detail, "media: "+media+": 2 files") {
		t.Errorf("the folder's step does not say which source it is: %q", s.Detail)
	}
	if s := findStep(t, res, report.StepSize); s.Detail != "db 35 B, media 6 B" {
		t.Errorf("plausible size = %q", s.Detail)
	}
	out, m := f.extract("20261122.tgz")
	var names []string
	for _, fl := range m.Files {
		names = append(names, fl.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "db/biomaid.sql,media/avatars/léa.png,media/docs/rapport été.pdf" || len(m.Links) != 1 {
		t.Errorf("manifest files %v, links %v", names, m.Links)
	}
	if !strings.Contains(m.Source, "command printf") || !strings.Contains(m.Source, "; directory "+media) {
		t.Errorf("manifest source = %q", m.Source)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "db/biomaid.sql")); string(b) != "COPY res_users FROM stdin;\n1\tadmin\n" {
		t.Errorf("dump = %q", b)
	}
	st, err := os.Stat(filepath.Join(out, "media/docs/rapport été.pdf"))
	if err != nil || st.Mode() != 0o640 || !st.ModTime().Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("file: %v %v", st, err)
	}
	if l, err := os.Readlink(filepath.Join(out, "media/logo.png")); err != nil || l != "avatars/léa.png" {
		t.Errorf("link: %q %v", l, err)
	}
	if st, err := os.Stat(filepath.Join(out, "media/empty")); err != nil || st.Mode() != fs.ModeDir|0o700 {
		t.Errorf("empty folder: %v %v", st, err)
	}
	for _, gone := range []string{"media/tmp.tmp", "media/cache"} {
		if _, err := os.Lstat(filepath.Join(out, gone)); err == nil {
			t.Errorf("%s was not excluded", gone)
		}
	}
}

// An unchanged folder is recognised by its files' sizes, times and modes without
// reading them; a file touched since is archived again.
func TestRunDirectoryUnchanged(t *testing.T) {
	media := mediaFolder(t)
	f := sourcesFixture(t, `
  [job.source]
  type = "directory"
  path = "`+media+`"
`)
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("first run: %v", stepNames(res))
	}
	// The archive's top folder is the folder's name: tar xzf never spills it.
	if _, m := f.extract("20261122.tgz"); len(m.Files) != 4 || !strings.HasPrefix(m.Files[0].Name, "media/") {
		t.Errorf("manifest = %+v", m.Files)
	}
	f.now = night.Add(24 * time.Hour)
	res := f.run()
	s := findStep(t, res, report.StepChanged)
	if res.Outcome() != report.Warned || s.Status != report.Warning || !strings.Contains(s.Detail, "same size and stamp") || !strings.Contains(s.Hint, `on_unchanged = "archive"`) {
		t.Errorf("outcome %v, step %+v", res.Outcome(), s)
	}
	for _, st := range res.Steps {
		if st.Name == source.StepFilesRead {
			t.Error("the unchanged folder was read")
		}
	}
	p := filepath.Join(media, "docs/rapport été.pdf")
	os.WriteFile(p, []byte("pdf v2"), 0o640)
	f.now = night.Add(48 * time.Hour)
	res = f.run()
	if res.Outcome() != report.Success {
		t.Fatalf("after a change: %v", stepNames(res))
	}
	if s := findStep(t, res, report.StepChanged); !strings.Contains(s.Detail, "(was ") {
		t.Errorf("changed step = %+v", s)
	}
	if _, ok := f.files()["20261124.tgz"]; !ok {
		t.Errorf("no new archive: %v", f.files())
	}
}

// A failing command fails the run at its step, with its stderr as the cause, and
// nothing is archived.
func TestRunCommandFails(t *testing.T) {
	f := sourcesFixture(t, `
  [job.source]
  type = "command"
  command = ["sh", "-c", "echo 'mysqldump: Got error: 2002: Can''t connect to local MySQL server' >&2; exit 2"]
  filename = "shop.sql"
`)
	res := f.run()
	fs := res.FailedStep()
	if res.Outcome() != report.Failure || fs == nil || fs.Name != source.StepCommandRun || !strings.Contains(fs.Cause, "sh exited with status 2: mysqldump: Got error: 2002") {
		t.Fatalf("outcome %v, failed %+v", res.Outcome(), fs)
	}
	if len(f.files()) != 0 {
		t.Errorf("destination holds %v", f.files())
	}
}

// The seed's https-zip source and a folder in one job: the zip's steps are still
// its own, and the dump goes under the source's name.
func TestRunZipAndFolder(t *testing.T) {
	src := testutil.NewZipServer(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 100)}))
	media := mediaFolder(t)
	f := sourcesFixture(t, `
  [[job.source]]
  name = "export"
  url = "`+src.URLPath()+`"
  ca_file = "`+src.CAFile+`"
  expect = "dump.sql"
  [[job.source]]
  type = "directory"
  path = "`+media+`"
`)
	res := f.run()
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, report.StepExpected); !strings.HasPrefix(s.Detail, "export: dump.sql") {
		t.Errorf("expected step = %+v", s)
	}
	if _, m := f.extract("20261122.tgz"); m.Files[0].Name != "export/dump.sql" {
		t.Errorf("manifest = %+v", m.Files)
	}
}

// Restore brings a folder back with its tree.
func TestRestoreDirectory(t *testing.T) {
	media := mediaFolder(t)
	f := sourcesFixture(t, `
  [job.source]
  type = "directory"
  path = "`+media+`"
`)
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("run: %v", stepNames(res))
	}
	to := filepath.Join(t.TempDir(), "restored")
	r, err := Restore(context.Background(), f.job(), "", "", to, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Archive != "20261122.tgz" || len(r.Manifest.Files) != 4 {
		t.Errorf("restored %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(to, "media/avatars/léa.png")); err != nil || string(b) != "png" {
		t.Errorf("file: %q %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(to, "media/logo.png")); err != nil || l != "avatars/léa.png" {
		t.Errorf("link: %q %v", l, err)
	}
}

// A failure line names the source it is about: url= for the zip (even when the
// failure shows while archiving, as a corrupt entry does), source= for the others.
func TestFailureLinesNameTheSource(t *testing.T) {
	logged := func(f *fixture) string {
		var b strings.Builder
		f.run(func(o *Options) { o.Log = slog.New(slog.NewTextHandler(&b, nil)) })
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.Contains(l, `msg="step failed"`) {
				return l
			}
		}
		t.Fatalf("no failure line in\n%s", b.String())
		return ""
	}
	z := testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 1000)})
	z[bytes.Index(z, []byte("PK\x01\x02"))/2] ^= 0xff // corrupt the entry's data
	zf := newFixture(t, z)
	if l := logged(zf); !strings.Contains(l, `step="expected file present"`) || !strings.Contains(l, "url=\"https-zip "+zf.src.URL) {
		t.Errorf("corrupt entry: %s", l)
	}
	cf := sourcesFixture(t, `
  [job.source]
  type = "command"
  command = ["false"]
  filename = "x.sql"
`)
	if l := logged(cf); !strings.Contains(l, `step="command run" source="command false"`) || !strings.Contains(l, "cause=") || !strings.Contains(l, "hint=") {
		t.Errorf("command: %s", l)
	}
}
