package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gardien/gardien/internal/archive"
	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/state"
	"github.com/gardien/gardien/internal/testutil"
)

var night = time.Date(2026, 11, 22, 2, 0, 4, 0, time.Local)

// fixture is one job with an HTTPS source and a file:// destination, all under a
// temporary directory.
type fixture struct {
	t    *testing.T
	src  *testutil.ZipServer
	cfg  *config.Config
	dest string // the destination directory
	now  time.Time
}

func dump(seed string, lines int) []byte {
	var b bytes.Buffer
	b.WriteString("-- PostgreSQL database dump\nCOPY public.orders (id, note) FROM stdin;\n")
	for i := 0; i < lines; i++ {
		b.WriteString(seed)
		b.WriteString("\tcommande payée\n")
	}
	b.WriteString("\\.\n")
	return b.Bytes()
}

func newFixture(t *testing.T, body []byte) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, src: testutil.NewZipServer(t, body), dest: filepath.Join(dir, "nas"), now: night}
	text := `
[log]
file = "-"
[state]
dir = "` + filepath.Join(dir, "state") + `"
[[job]]
name = "ocpizza-db"
  [job.source]
  url = "` + f.src.URLPath() + `"
  ca_file = "` + f.src.CAFile + `"
  expect = "dump.sql"
  retries = 0
  [job.archive]
  staging_dir = "` + filepath.Join(dir, "staging") + `"
  [[job.destination]]
  name = "nas"
  url = "file://` + f.dest + `"
  [job.retention]
  keep_days = 30
  keep_min = 3
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

func (f *fixture) job() *config.Job { return &f.cfg.Jobs[0] }

func (f *fixture) run(opts ...func(*Options)) *report.Result {
	return f.runCtx(context.Background(), opts...)
}

func (f *fixture) runCtx(ctx context.Context, opts ...func(*Options)) *report.Result {
	f.t.Helper()
	o := Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now }}
	for _, fn := range opts {
		fn(&o)
	}
	res := Run(ctx, f.cfg, f.job(), o)
	var b strings.Builder
	report.Summary(&b, res)
	f.t.Log("\n" + b.String())
	return res
}

// files lists the destination directory: name → sha256.
func (f *fixture) files() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(f.dest)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(f.dest, e.Name()))
		if err != nil {
			f.t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(h[:])
	}
	return out
}

func (f *fixture) put(name, content string) {
	f.t.Helper()
	if err := os.MkdirAll(f.dest, 0o700); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dest, name), []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// step returns the first step called name (and target, if given).
func findStep(t *testing.T, r *report.Result, name string, target ...string) report.Step {
	t.Helper()
	for _, s := range r.Steps {
		if s.Name == name && (len(target) == 0 || s.Target == target[0]) {
			return s
		}
	}
	t.Fatalf("no step %q %v in %+v", name, target, r.Steps)
	return report.Step{}
}

func stepNames(r *report.Result) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Status.String()+" "+s.Name)
	}
	return out
}

func TestRunSuccess(t *testing.T) {
	d := dump("1", 20000)
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": d}))
	res := f.run()
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	want := []string{"ok url reachable", "ok zip downloaded", "ok expected file present", "ok changed since last run",
		"ok plausible size", "ok archive created", "ok destination reachable", "ok transfer done", "ok retention applied"}
	if got := stepNames(res); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps = %q\nwant %q", got, want)
	}
	files := f.files()
	if len(files) != 1 || files["20261122.tgz"] == "" {
		t.Fatalf("destination holds %v", files)
	}
	if files["20261122.tgz"] != res.ArchiveSHA256 {
		t.Errorf("archive sha256 %s, result says %s", files["20261122.tgz"], res.ArchiveSHA256)
	}
	// The archive holds the dump, byte for byte, and a MANIFEST that says so.
	out := t.TempDir()
	a, err := os.Open(filepath.Join(f.dest, "20261122.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	m, err := archive.Extract(a, out)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(out, "dump.sql"))
	if !bytes.Equal(got, d) {
		t.Error("the archived dump differs from the source's")
	}
	if m.Job != "ocpizza-db" || m.Run != res.Run || !strings.Contains(m.Source, f.src.URL) {
		t.Errorf("manifest = %+v", m)
	}
	last, err := state.LoadLast(f.cfg.State.Dir, "ocpizza-db")
	if err != nil || last == nil || last.Archive != "20261122.tgz" || len(last.Files) != 1 {
		t.Errorf("state = %+v, %v", last, err)
	}
	// The staging directory is left empty.
	if ents, _ := os.ReadDir(f.job().Archive.StagingDir); len(ents) != 0 {
		t.Errorf("staging left %v", ents)
	}
}

func TestRunUnchanged(t *testing.T) {
	scenarios := []struct {
		onUnchanged string
		outcome     report.Outcome
		status      report.Status
		uploaded    bool
	}{
		{"skip", report.Warned, report.Warning, false},
		{"fail", report.Failure, report.Failed, false},
		{"archive", report.Success, report.OK, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.onUnchanged, func(t *testing.T) {
			f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 100)}))
			f.job().Archive.OnUnchanged = sc.onUnchanged
			if res := f.run(); res.Outcome() != report.Success {
				t.Fatalf("first run: %v", stepNames(res))
			}
			first := f.files()
			f.now = night.Add(24 * time.Hour)
			res := f.run()
			if res.Outcome() != sc.outcome {
				t.Errorf("outcome %v, want %v", res.Outcome(), sc.outcome)
			}
			if s := findStep(t, res, report.StepChanged); s.Status != sc.status || !strings.Contains(s.Detail+s.Cause, "unchanged since run") {
				t.Errorf("changed step = %+v", s)
			}
			files := f.files()
			if _, ok := files["20261123.tgz"]; ok != sc.uploaded {
				t.Errorf("second archive uploaded = %v, want %v (%v)", ok, sc.uploaded, files)
			}
			if files["20261122.tgz"] != first["20261122.tgz"] {
				t.Error("the previous archive changed")
			}
		})
	}
}

func TestRunSourceFailuresKeepPreviousArchives(t *testing.T) {
	good := testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 1000)})
	corrupt := func() []byte {
		// A stored entry whose bytes are altered: its CRC-32 no longer matches.
		z := testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 1000)})
		i := bytes.Index(z, []byte("PK\x01\x02")) // central directory: corrupt data before it
		z[i/2] ^= 0xff
		return z
	}()
	scenarios := []struct {
		name string
		body []byte
		fail int
		step string
	}{
		{"404", nil, 404, report.StepReachable},
		{"truncated zip", good[:len(good)/2], 0, report.StepDownloaded},
		{"corrupt entry", corrupt, 0, report.StepExpected},
		{"expected file missing", testutil.Zip(t, map[string][]byte{"other.sql": []byte("x")}), 0, report.StepExpected},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t, good)
			f.now = night.Add(-24 * time.Hour)
			if res := f.run(); res.Outcome() != report.Success {
				t.Fatalf("first run: %v", stepNames(res))
			}
			before := f.files()
			f.now = night
			if sc.fail != 0 {
				f.src.Fail(sc.fail)
			} else {
				f.src.Set(sc.body)
			}
			res := f.run()
			if res.Outcome() != report.Failure {
				t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
			}
			fs := res.FailedStep()
			if fs == nil || fs.Name != sc.step || fs.Cause == "" || fs.Hint == "" {
				t.Errorf("failed step = %+v, want %q with cause and hint", fs, sc.step)
			}
			after := f.files()
			if len(after) != len(before) || after["20261121.tgz"] != before["20261121.tgz"] {
				t.Errorf("destination changed: %v → %v", before, after)
			}
		})
	}
}

func TestRetentionOnRun(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 100)}))
	old := []string{"20261001.tgz", "20261020.tgz", "20261022.tgz", "20261023.tgz", "20261120.tgz"}
	for _, n := range old {
		f.put(n, "old archive "+n)
	}
	f.put("README.txt", "not an archive")
	f.put("other-20200101.tgz", "another job's")
	f.put(".20261121.tgz.part", "half sent")
	var logBuf bytes.Buffer
	res := f.run(func(o *Options) { o.Log = slog.New(slog.NewTextHandler(&logBuf, nil)) })
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	// The log reads in the order things happened: sent, then purged.
	logText := logBuf.String()
	sent, purged := strings.Index(logText, `step="transfer done"`), strings.Index(logText, "msg=deleted")
	if sent < 0 || purged < 0 || purged < sent {
		t.Errorf("the log shows a deletion before the transfer (at %d and %d):\n%s", purged, sent, logText)
	}
	var got []string
	for n := range f.files() {
		got = append(got, n)
	}
	sort.Strings(got)
	want := []string{"20261023.tgz", "20261120.tgz", "20261122.tgz", "README.txt", "other-20200101.tgz"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after retention: %v\nwant %v", got, want)
	}
	var deleted []string
	for _, d := range res.Deletions {
		if d.Err != "" || d.Dest != "nas" {
			t.Errorf("deletion %+v", d)
		}
		deleted = append(deleted, d.Name)
	}
	sort.Strings(deleted)
	if strings.Join(deleted, " ") != ".20261121.tgz.part 20261001.tgz 20261020.tgz 20261022.tgz" {
		t.Errorf("deletions = %v", deleted)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 100)}))
	f.put("20261001.tgz", "old")
	f.job().Retention.KeepMin = 1
	before := f.files()
	res := f.run(func(o *Options) { o.DryRun = true })
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, report.StepTransfer); s.Status != report.Skipped || !strings.Contains(s.Detail, "would upload 20261122.tgz") {
		t.Errorf("transfer step = %+v", s)
	}
	if len(res.Deletions) != 1 || !res.Deletions[0].DryRun || res.Deletions[0].Name != "20261001.tgz" {
		t.Errorf("deletions = %+v", res.Deletions)
	}
	if after := f.files(); len(after) != len(before) || after["20261001.tgz"] != before["20261001.tgz"] {
		t.Errorf("dry run changed the destination: %v", after)
	}
	if last, _ := state.LoadLast(f.cfg.State.Dir, "ocpizza-db"); last != nil {
		t.Error("dry run saved state")
	}
}

func TestShrinkWarnsAndKeepsArchives(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 10000)}))
	f.put("20261001.tgz", "old")
	f.now = night.Add(-24 * time.Hour)
	f.run()
	f.now = night
	f.src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 100)}))
	res := f.run()
	if res.Outcome() != report.Warned {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, report.StepSize); s.Status != report.Warning || !strings.Contains(s.Detail, "shrank") {
		t.Errorf("size step = %+v", s)
	}
	if s := findStep(t, res, report.StepRetention); s.Status != report.Skipped {
		t.Errorf("retention ran on a suspicious dump: %+v", s)
	}
	if _, ok := f.files()["20261001.tgz"]; !ok {
		t.Error("an old archive was deleted on the strength of a suspicious dump")
	}
	if _, ok := f.files()["20261122.tgz"]; !ok {
		t.Error("the suspicious dump was not archived")
	}
	// The next night the dump is still small: it still warns, and still deletes
	// nothing. The shrunk dump did not become the reference.
	f.src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": dump("3", 100)}))
	f.now = night.Add(24 * time.Hour)
	res = f.run()
	if s := findStep(t, res, report.StepSize); res.Outcome() != report.Warned || s.Status != report.Warning {
		t.Errorf("second small night: outcome %v, size step %+v", res.Outcome(), s)
	}
	if _, ok := f.files()["20261001.tgz"]; !ok {
		t.Error("an old archive was deleted on the second small night")
	}
}

func TestLockHeld(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 10)}))
	l, err := state.Lock(f.cfg.State.Dir, "ocpizza-db")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	var logBuf bytes.Buffer
	res := f.run(func(o *Options) { o.Log = slog.New(slog.NewTextHandler(&logBuf, nil)) })
	fs := res.FailedStep()
	if res.Outcome() != report.Failure || fs == nil || fs.Name != StepLock || !strings.Contains(fs.Cause, "already running") {
		t.Fatalf("failed step = %+v", fs)
	}
	// The failure line names where to look: the state directory.
	if !strings.Contains(logBuf.String(), `step="no other run" state=`+f.cfg.State.Dir) {
		t.Errorf("the lock failure line does not name the state directory:\n%s", logBuf.String())
	}
	if len(f.files()) != 0 {
		t.Error("a locked run wrote to the destination")
	}
}

func TestOneOfTwoDestinationsDown(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 10)}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	f.job().Destinations = append(f.job().Destinations, config.Destination{
		Name: "offsite", URL: "sftp://backup@" + addr + "/srv", Password: "pw", HostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Timeout: config.Duration(2 * time.Second),
	})
	res := f.run()
	if res.Outcome() != report.Warned {
		t.Fatalf("outcome %v, want WARNING: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, report.StepDestLogin, "offsite"); s.Status != report.Failed || !strings.Contains(s.Cause, "refused") {
		t.Errorf("offsite login = %+v", s)
	}
	if s := findStep(t, res, report.StepTransfer, "nas"); s.Status != report.OK {
		t.Errorf("nas transfer = %+v", s)
	}
	if _, ok := f.files()["20261122.tgz"]; !ok {
		t.Error("nas did not get the archive")
	}
}

// A run interrupted in the middle of the upload (SIGTERM, Ctrl-C) leaves no file under
// the archive's name, keeps the earlier archives, and deletes nothing.
func TestCancelledRunLeavesNoArchive(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 20000)}))
	f.put("20261001.tgz", "an old archive")
	f.put("20261121.tgz", "last night's archive")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled bool
	res := f.runCtx(ctx, func(o *Options) {
		o.uploadReader = func(r io.Reader) io.Reader {
			// Half of the archive goes, then the run is interrupted.
			return io.MultiReader(io.LimitReader(r, 4096), readFunc(func([]byte) (int, error) {
				cancelled = true
				cancel()
				return 0, context.Canceled
			}), r)
		}
	})
	if !cancelled {
		t.Fatal("the upload never started: the test proves nothing")
	}
	if res.Outcome() != report.Failure || !res.Interrupted {
		t.Fatalf("outcome %v interrupted=%v, want an interrupted FAILURE", res.Outcome(), res.Interrupted)
	}
	if s := findStep(t, res, report.StepTransfer, "nas"); s.Status != report.Failed {
		t.Errorf("transfer = %+v, want failed", s)
	}
	files := f.files()
	if _, ok := files["20261122.tgz"]; ok {
		t.Error("an interrupted upload left a file under the archive's final name")
	}
	for _, n := range []string{"20261001.tgz", "20261121.tgz"} {
		if _, ok := files[n]; !ok {
			t.Errorf("the interrupted run deleted %s", n)
		}
	}
	if res.KeptAt == "" {
		t.Error("the undelivered archive was not kept on this machine")
	}
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// When no destination receives the archive, it stays on this machine, and the summary
// says where; only the newest such archive of a job is kept.
func TestUndeliveredArchiveKept(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 100)}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	f.job().Destinations = []config.Destination{{
		Name: "nas", URL: "sftp://backup@" + addr + "/srv", Password: "pw", HostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Timeout: config.Duration(2 * time.Second),
	}}
	res := f.run()
	if res.Outcome() != report.Failure {
		t.Fatalf("outcome %v", res.Outcome())
	}
	want := filepath.Join(f.job().Archive.StagingDir, "undelivered", "ocpizza-db", "20261122.tgz")
	if res.KeptAt != want {
		t.Fatalf("KeptAt = %q, want %q", res.KeptAt, want)
	}
	got, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(got); hex.EncodeToString(h[:]) != res.ArchiveSHA256 {
		t.Error("the kept archive is not the one the run built")
	}
	var b strings.Builder
	report.Summary(&b, res)
	if !strings.Contains(b.String(), "not delivered, kept at "+want) {
		t.Errorf("the summary does not say where the archive is:\n%s", b.String())
	}

	// The next night, still down: only the newest undelivered archive stays.
	f.src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 100)}))
	f.now = night.Add(24 * time.Hour)
	res = f.run()
	kept, _ := filepath.Glob(filepath.Join(filepath.Dir(want), "*"))
	if len(kept) != 1 || filepath.Base(kept[0]) != "20261123.tgz" || res.KeptAt != kept[0] {
		t.Errorf("kept %v (KeptAt %q), want only 20261123.tgz", kept, res.KeptAt)
	}
}

// A second run on the same day with a dump that shrank does not replace the day's
// good archive.
func TestSuspiciousDumpDoesNotReplaceArchive(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 10000)}))
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("first run: %v", stepNames(res))
	}
	good := f.files()["20261122.tgz"]
	f.src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 100)}))
	f.now = night.Add(time.Hour)
	res := f.run()
	if res.Outcome() != report.Warned {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, report.StepTransfer, "nas"); s.Status != report.Warning || !strings.Contains(s.Detail, "does not replace it") {
		t.Errorf("transfer = %+v", s)
	}
	if got := f.files()["20261122.tgz"]; got != good {
		t.Error("the suspicious dump replaced the day's good archive")
	}
	if res.KeptAt == "" {
		t.Error("the suspicious archive was not kept on this machine")
	}
}

// A run whose record cannot be saved warns: the next run could not recognise an
// unchanged or a shrunk dump.
func TestRecordNotSavedWarns(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 100)}))
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("first run: %v", stepNames(res))
	}
	last, err := filepath.Glob(filepath.Join(f.cfg.State.Dir, "*", "last.json"))
	if err != nil || len(last) != 1 {
		t.Fatalf("no record after the first run: %v %v", last, err)
	}
	// A directory where the record goes: saving it fails, whoever runs the test.
	os.Remove(last[0])
	if err := os.Mkdir(last[0], 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(last[0], "x"), nil, 0o600)
	f.src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 100)}))
	f.now = night.Add(24 * time.Hour)
	res := f.run()
	if res.Outcome() != report.Warned {
		t.Fatalf("outcome %v, want WARNING: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, StepRecord); s.Status != report.Warning || s.Hint == "" {
		t.Errorf("record step = %+v", s)
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 10)}))
	res := Check(context.Background(), f.cfg, f.job(), Options{Log: slog.New(slog.DiscardHandler)})
	if res.Outcome() != report.Success {
		t.Fatalf("check: %v", stepNames(res))
	}
	if s := findStep(t, res, StepProbe, "nas"); s.Status != report.OK {
		t.Errorf("probe = %+v", s)
	}
	if n := len(f.files()); n != 0 {
		t.Errorf("check left %d file(s) on the destination", n)
	}
	f.src.Fail(404)
	if res := Check(context.Background(), f.cfg, f.job(), Options{Log: slog.New(slog.DiscardHandler)}); res.Outcome() != report.Failure {
		t.Errorf("check of a 404 source: %v", stepNames(res))
	}
}

func TestListAndRestore(t *testing.T) {
	d := dump("1", 500)
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": d}))
	f.put("20261001.tgz", "old")
	f.job().Retention.KeepDays = 0
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("run: %v", stepNames(res))
	}
	f.job().Retention.KeepDays, f.job().Retention.KeepMin = 30, 1
	o := Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return night }}
	ls := List(context.Background(), f.job(), o)
	if len(ls) != 1 || ls[0].Err != nil || len(ls[0].Archives) != 2 {
		t.Fatalf("list = %+v", ls)
	}
	if a := ls[0].Archives; a[0].Name != "20261122.tgz" || a[0].Expires != "" || a[1].Name != "20261001.tgz" || a[1].Expires == "" {
		t.Errorf("archives = %+v", a)
	}
	out := t.TempDir()
	r, err := Restore(context.Background(), f.job(), "", "", out, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Archive != "20261122.tgz" {
		t.Errorf("restored %s, want the newest", r.Archive)
	}
	got, _ := os.ReadFile(filepath.Join(out, "dump.sql"))
	if !bytes.Equal(got, d) {
		t.Error("restored dump differs")
	}
	// The old one is not an archive gardien made: restoring it fails clearly.
	if _, err := Restore(context.Background(), f.job(), "20261001.tgz", "", t.TempDir(), o); err == nil || !strings.Contains(err.Error(), "not a gzip or zstd archive") {
		t.Errorf("restore of a fake archive: %v", err)
	}
}

// A dump whose zip entry declares the last run's size and CRC-32 is recognised as
// unchanged without being decompressed; confirm_unchanged reads it again.
func TestUnchangedByCRC(t *testing.T) {
	d := dump("1", 5000)
	good := testutil.Zip(t, map[string][]byte{"dump.sql": d})
	// Same entry header, altered data: only reading it shows the difference.
	altered := append([]byte(nil), good...)
	altered[bytes.Index(altered, []byte("PK\x01\x02"))/2] ^= 0xff

	for _, confirm := range []bool{false, true} {
		t.Run(fmt.Sprintf("confirm_unchanged=%v", confirm), func(t *testing.T) {
			f := newFixture(t, good)
			f.job().Source.ConfirmUnchanged = confirm
			if res := f.run(); res.Outcome() != report.Success {
				t.Fatalf("first run: %v", stepNames(res))
			}
			f.src.Set(altered)
			f.now = night.Add(24 * time.Hour)
			res := f.run()
			if !confirm {
				s := findStep(t, res, report.StepChanged)
				if res.Outcome() != report.Warned || !strings.Contains(s.Detail, "same size and CRC-32") {
					t.Errorf("outcome %v, changed step %+v", res.Outcome(), s)
				}
				return
			}
			if fs := res.FailedStep(); fs == nil || fs.Name != report.StepExpected {
				t.Errorf("confirm_unchanged did not read the entry: %v", stepNames(res))
			}
		})
	}
}

// A run killed with kill -9 leaves its staging directory; the next run removes it.
func TestStaleStagingRemoved(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 10)}))
	stale := filepath.Join(f.job().Archive.StagingDir, "ocpizza-db-dead")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, "source.zip"), []byte("half a download"), 0o600)
	other := filepath.Join(f.job().Archive.StagingDir, "otherjob-dead")
	os.MkdirAll(other, 0o700)
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("run: %v", stepNames(res))
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale staging directory still there")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("another job's staging directory was removed")
	}
}

// flipOneBit is an upload hook that alters one bit of what is sent, keeping its
// length: only a checksum shows it.
func flipOneBit(o *Options) {
	o.uploadReader = func(r io.Reader) io.Reader {
		flipped := false
		return readFunc(func(p []byte) (int, error) {
			n, err := r.Read(p)
			if n > 0 && !flipped {
				p[n/2] ^= 1
				flipped = true
			}
			return n, err
		})
	}
}

// verify = true reads the archive back before it takes its name: a copy altered on
// the way is detected and deleted, and the transfer fails. The archive of the same
// name that an earlier run of the day sent is never touched, nor are the earlier
// archives, and no hidden copy stays.
func TestVerifyDetectsCorruption(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 1000)}))
	f.put("20261121.tgz", "last night's archive")
	f.put("20261122.tgz", "this morning's archive, from an earlier run of the day")
	before := f.files()
	f.job().Destinations[0].Verify = true
	res := f.run(flipOneBit)
	s := findStep(t, res, report.StepTransfer, "nas")
	if s.Status != report.Failed || !strings.Contains(s.Cause, "before it took the name 20261122.tgz; the corrupt copy was deleted") || !strings.Contains(s.Hint, "altered the file") {
		t.Errorf("transfer = %+v", s)
	}
	if s := findStep(t, res, report.StepRetention, "nas"); s.Status != report.Skipped {
		t.Errorf("retention = %+v, want skipped after a failed transfer", s)
	}
	if got := f.files(); !maps.Equal(got, before) {
		t.Errorf("the destination holds %v, want only the earlier archives, intact: %v", got, before)
	}
}

// With verify = true, a good copy takes the archive's name after it was read back,
// replacing the earlier archive of that name, and the hidden copy is gone.
func TestVerifyThenRename(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 1000)}))
	f.put("20261122.tgz", "this morning's archive, from an earlier run of the day")
	f.job().Destinations[0].Verify = true
	var during map[string]string
	res := f.run(func(o *Options) {
		o.uploadReader = func(r io.Reader) io.Reader {
			return io.MultiReader(r, readFunc(func([]byte) (int, error) {
				during = f.files() // the whole archive is sent, not yet renamed
				return 0, io.EOF
			}))
		}
	})
	if res.Outcome() != report.Success {
		t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
	}
	if s := findStep(t, res, report.StepTransfer, "nas"); !strings.Contains(s.Detail, "sha256 read back ok") {
		t.Errorf("transfer = %+v", s)
	}
	if during[namefmt.TempName(namefmt.VerifyName("20261122.tgz"))] == "" || during["20261122.tgz"] == res.ArchiveSHA256 {
		t.Errorf("while it was sent, the destination held %v: want the copy under a hidden name, and the earlier archive under its own", during)
	}
	files := f.files()
	if len(files) != 1 || files["20261122.tgz"] != res.ArchiveSHA256 {
		t.Errorf("the destination holds %v, want only 20261122.tgz with sha256 %s", files, res.ArchiveSHA256)
	}
}

// A destination that cannot rename (S3: an object appears only once whole) is read
// back after the upload: a copy that differs is deleted and the transfer fails.
func TestVerifyWithoutRename(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("archives"); err != nil {
		t.Fatal(err)
	}
	// The storage alters what it stores: one bit of what it serves, while alter
	// is set (an upload whose content differs is refused by the server already,
	// which checks each part's MD5).
	var alter atomic.Bool
	s3 := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && alter.Load() {
			w = &flipWriter{ResponseWriter: w}
		}
		s3.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 1000)}))
	f.job().Destinations[0] = config.Destination{Name: "nas", URL: "s3://archives/nightly", Endpoint: srv.URL, CAFile: ca,
		Region: "us-east-1", AccessKey: "gardien", SecretKey: "gardien-secret", Verify: true}
	if _, err := backend.PutObject("archives", "nightly/20261121.tgz", nil, strings.NewReader("last night's archive"), int64(len("last night's archive")), nil); err != nil {
		t.Fatal(err)
	}
	objects := func() []string {
		l, err := backend.ListBucket("archives", nil, gofakes3.ListBucketPage{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range l.Contents {
			names = append(names, o.Key)
		}
		return names
	}

	alter.Store(true)
	res := f.run()
	s := findStep(t, res, report.StepTransfer, "nas")
	if s.Status != report.Failed || !strings.Contains(s.Cause, "the corrupt copy was deleted") || !strings.Contains(s.Hint, "altered the file") {
		t.Errorf("transfer = %+v", s)
	}
	if got := objects(); !slices.Equal(got, []string{"nightly/20261121.tgz"}) {
		t.Errorf("the bucket holds %q, want only the earlier archive", got)
	}

	alter.Store(false)
	f.now = night.Add(time.Hour)
	if res := f.run(); res.Outcome() != report.Success {
		t.Fatalf("a second run, without the fault: %v", stepNames(res))
	}
	if got := objects(); !slices.Equal(got, []string{"nightly/20261121.tgz", "nightly/20261122.tgz"}) {
		t.Errorf("the bucket holds %q, want both archives", got)
	}
}

// flipWriter alters one bit of the first bytes written through it.
type flipWriter struct {
	http.ResponseWriter
	flipped bool
}

func (w *flipWriter) Write(p []byte) (int, error) {
	if len(p) > 0 && !w.flipped {
		p = append([]byte(nil), p...)
		p[len(p)/2] ^= 1
		w.flipped = true
	}
	return w.ResponseWriter.Write(p)
}

// A stop asked during the upload (gardien daemon on SIGTERM) lets the upload finish:
// the archive arrives, and only the purge waits for the next run.
func TestStopDuringUploadFinishesIt(t *testing.T) {
	f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("1", 1000)}))
	f.put("20200101.tgz", "an old archive the purge would delete")
	stop := make(chan struct{})
	res := f.run(func(o *Options) {
		o.Stop = stop
		o.uploadReader = func(r io.Reader) io.Reader {
			return io.MultiReader(io.LimitReader(r, 1024), readFunc(func([]byte) (int, error) {
				close(stop)
				return 0, io.EOF
			}), r)
		}
	})
	if s := findStep(t, res, report.StepTransfer, "nas"); s.Status != report.OK {
		t.Errorf("transfer = %+v, want it finished", s)
	}
	if s := findStep(t, res, report.StepRetention, "nas"); s.Status != report.Warning || !strings.Contains(s.Detail, "gardien is stopping") {
		t.Errorf("retention = %+v, want a warning: not run, gardien is stopping", s)
	}
	if res.Outcome() != report.Warned || res.Interrupted {
		t.Errorf("outcome %v interrupted=%v, want WARNING: the archive arrived", res.Outcome(), res.Interrupted)
	}
	files := f.files()
	if _, ok := files["20261122.tgz"]; !ok {
		t.Error("the archive did not arrive")
	}
	if _, ok := files["20200101.tgz"]; !ok {
		t.Error("the purge ran although gardien was stopping")
	}
}
