package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func record(job, run string) *Record {
	return &Record{
		Job:           job,
		Run:           run,
		Time:          time.Date(2026, 11, 22, 2, 0, 4, 0, time.UTC),
		Archive:       "20261122.tgz",
		ArchiveSize:   828_716_442,
		ArchiveSHA256: "9c1e0000000000000000000000000000000000000000000000000000000d07a",
		Files: []File{
			{Name: "dump.sql", Size: 4_509_715_660, SHA256: "44b0000000000000000000000000000000000000000000000000000000019fe", CRC32: 0xdeadbeef},
			{Name: "MANIFEST", Size: 512, SHA256: "00", CRC32: 1},
		},
	}
}

func TestLoadLastNone(t *testing.T) {
	scenarios := []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{name: "state directory missing", dir: func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent") }},
		{name: "job directory missing", dir: func(t *testing.T) string { return t.TempDir() }},
		{name: "only another job has a record", dir: func(t *testing.T) string {
			dir := t.TempDir()
			if err := SaveLast(dir, record("other", "1")); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r, err := LoadLast(sc.dir(t), "ocpizza-db")
			if r != nil || err != nil {
				t.Fatalf("LoadLast = %+v, %v; want nil, nil", r, err)
			}
		})
	}
}

func TestSaveLoadLast(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first := record("ocpizza-db", "7f3a")
	if err := SaveLast(dir, first); err != nil {
		t.Fatal(err)
	}
	got, err := LoadLast(dir, "ocpizza-db")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, first) {
		t.Fatalf("LoadLast = %+v\nwant       %+v", got, first)
	}

	// A second save replaces the first, and leaves no temporary file behind.
	second := record("ocpizza-db", "8b4c")
	second.Time = time.Date(2026, 11, 23, 2, 0, 0, 0, time.FixedZone("CET", 3600))
	second.Files = nil
	if err := SaveLast(dir, second); err != nil {
		t.Fatal(err)
	}
	got, err = LoadLast(dir, "ocpizza-db")
	if err != nil {
		t.Fatal(err)
	}
	if got.Run != "8b4c" || !got.Time.Equal(second.Time) || got.Files != nil {
		t.Fatalf("after the second save: %+v", got)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "ocpizza-db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "last.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("job directory holds %v, want only last.json", names)
	}

	for path, want := range map[string]os.FileMode{
		dir:                              0o700 | os.ModeDir,
		filepath.Join(dir, "ocpizza-db"): 0o700 | os.ModeDir,
		LastFile(dir, "ocpizza-db"):      0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}

	// The file is JSON a person can read.
	b, err := os.ReadFile(LastFile(dir, "ocpizza-db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"job": "ocpizza-db"`, `"archive_sha256": `, `"run": "8b4c"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("last.json lacks %s:\n%s", want, b)
		}
	}
}

func TestLoadLastCorrupt(t *testing.T) {
	scenarios := []struct {
		name    string
		content string
		cause   string
	}{
		{name: "empty file", content: "", cause: "unexpected end of JSON input"},
		{name: "cut short", content: `{"job": "ocpizza-db", "run": "7f`, cause: "unexpected end of JSON input"},
		{name: "not JSON", content: "sha256 9c1e…d07a\n", cause: "invalid character"},
		{name: "wrong type", content: `{"job": "ocpizza-db", "archive_size": "big"}`, cause: "cannot unmarshal"},
		{name: "null", content: "null", cause: `records job ""`},
		{name: "another job's record", content: `{"job": "ocpizza-media"}`, cause: `records job "ocpizza-media", not "ocpizza-db"`},
		{name: "trailing garbage", content: `{"job": "ocpizza-db"} x`, cause: "invalid character"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := LastFile(dir, "ocpizza-db")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(sc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := LoadLast(dir, "ocpizza-db")
			if err == nil {
				t.Fatalf("LoadLast = %+v, want an error", r)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != path {
				t.Fatalf("want a *CorruptError for %s, got %T: %v", path, err, err)
			}
			for _, want := range []string{path, sc.cause, "can be removed", "as if it were the first"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}

			// Removing the file, as the message says, brings back the first-run case.
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if r, err := LoadLast(dir, "ocpizza-db"); r != nil || err != nil {
				t.Errorf("after removing it: %+v, %v", r, err)
			}
		})
	}
}

func TestSaveLastErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		name string
		dir  string
		r    *Record
	}{
		{name: "nil record", dir: t.TempDir(), r: nil},
		{name: "no job", dir: t.TempDir(), r: &Record{}},
		{name: "job escaping the directory", dir: t.TempDir(), r: &Record{Job: "../etc"}},
		{name: "job with a separator", dir: t.TempDir(), r: &Record{Job: "a/b"}},
		{name: "state dir is a file", dir: file, r: record("j", "1")},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if err := SaveLast(sc.dir, sc.r); err == nil {
				t.Fatal("SaveLast succeeded")
			}
		})
	}
	if _, err := LoadLast(t.TempDir(), "../etc"); err == nil {
		t.Error("LoadLast of ../etc succeeded")
	}
}

func entry(job string, i int, status string) HistoryEntry {
	start := time.Date(2026, 11, 1+i, 2, 0, 0, 0, time.UTC)
	e := HistoryEntry{Job: job, Run: fmt.Sprintf("r%02d", i), Start: start, End: start.Add(time.Minute), Status: status}
	switch status {
	case "FAILURE":
		e.FailedStep = "transfer done"
	default:
		e.Archive, e.Size = start.Format("20060102")+".tgz", int64(1000+i)
	}
	return e
}

func TestHistory(t *testing.T) {
	dir := t.TempDir()
	var all []HistoryEntry
	statuses := []string{"SUCCESS", "WARNING", "FAILURE", "SUCCESS", "SUCCESS"}
	for i, s := range statuses {
		e := entry("ocpizza-db", i, s)
		all = append(all, e)
		if err := AppendHistory(dir, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := AppendHistory(dir, entry("ocpizza-media", 9, "FAILURE")); err != nil {
		t.Fatal(err)
	}

	scenarios := []struct {
		name string
		job  string
		n    int
		want []HistoryEntry
	}{
		{name: "last 3, newest last", job: "ocpizza-db", n: 3, want: all[2:]},
		{name: "last 1", job: "ocpizza-db", n: 1, want: all[4:]},
		{name: "n = 0 returns everything", job: "ocpizza-db", n: 0, want: all},
		{name: "n < 0 returns everything", job: "ocpizza-db", n: -1, want: all},
		{name: "n larger than the history", job: "ocpizza-db", n: 100, want: all},
		{name: "jobs are kept apart", job: "ocpizza-media", n: 10, want: []HistoryEntry{entry("ocpizza-media", 9, "FAILURE")}},
		{name: "no history yet", job: "new-job", n: 10, want: nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got, err := ReadHistory(dir, sc.job, sc.n)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sc.want) {
				t.Errorf("ReadHistory(%d):\n got  %+v\n want %+v", sc.n, got, sc.want)
			}
		})
	}

	t.Run("one JSON object a line, mode 0600", func(t *testing.T) {
		path := HistoryFile(dir, "ocpizza-db")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) != len(statuses) {
			t.Fatalf("%d lines, want %d:\n%s", len(lines), len(statuses), b)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[2]), &m); err != nil {
			t.Fatal(err)
		}
		if m["status"] != "FAILURE" || m["failed_step"] != "transfer done" || m["job"] != "ocpizza-db" || m["archive"] != nil {
			t.Errorf("line 3: %s", lines[2])
		}
	})

	t.Run("a long history keeps only the last n", func(t *testing.T) {
		dir := t.TempDir()
		for i := 0; i < 100; i++ {
			if err := AppendHistory(dir, entry("j", i%28, "SUCCESS")); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ReadHistory(dir, "j", 7)
		if err != nil {
			t.Fatal(err)
		}
		var runs []string
		for _, e := range got {
			runs = append(runs, e.Run)
		}
		if want := "r09 r10 r11 r12 r13 r14 r15"; strings.Join(runs, " ") != want {
			t.Errorf("runs %v, want %s", runs, want)
		}
	})
}

func TestHistoryDamaged(t *testing.T) {
	line := func(e HistoryEntry) string {
		b, _ := json.Marshal(e)
		return string(b) + "\n"
	}
	e0, e1, e2 := entry("j", 0, "SUCCESS"), entry("j", 1, "FAILURE"), entry("j", 2, "SUCCESS")
	scenarios := []struct {
		name    string
		content string
		append  *HistoryEntry // appended before reading, if set
		want    []HistoryEntry
		badLine int // expected CorruptError line, 0 for none
	}{
		{name: "a torn last line is skipped", content: line(e0) + line(e1) + `{"job":"j","ru`, want: []HistoryEntry{e0, e1}},
		{name: "a torn only line is skipped", content: `{"job":"j","ru`, want: nil},
		{name: "append drops a torn last line", content: line(e0) + `{"job":"j","ru`, append: &e2, want: []HistoryEntry{e0, e2}},
		{name: "append drops a torn only line", content: `{"job":"j","ru`, append: &e2, want: []HistoryEntry{e2}},
		{name: "append after a long torn line", content: line(e0) + strings.Repeat("x", 10000), append: &e2, want: []HistoryEntry{e0, e2}},
		{name: "blank lines are skipped", content: line(e0) + "\n" + line(e1), want: []HistoryEntry{e0, e1}},
		{name: "a bad complete line is corrupt", content: line(e0) + "garbage\n" + line(e1), badLine: 2},
		{name: "a bad first line is corrupt", content: "{\n" + line(e1), badLine: 1},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := HistoryFile(dir, "j")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(sc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if sc.append != nil {
				if err := AppendHistory(dir, *sc.append); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadHistory(dir, "j", 0)
			if sc.badLine > 0 {
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Line != sc.badLine || ce.Path != path {
					t.Fatalf("want a *CorruptError at %s:%d, got %v", path, sc.badLine, err)
				}
				for _, want := range []string{path, fmt.Sprintf("line %d", sc.badLine), "can be removed"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sc.want) {
				t.Errorf("ReadHistory:\n got  %+v\n want %+v", got, sc.want)
			}
		})
	}
}

func TestHistoryErrors(t *testing.T) {
	if err := AppendHistory(t.TempDir(), HistoryEntry{}); err == nil {
		t.Error("AppendHistory without a job succeeded")
	}
	if _, err := ReadHistory(t.TempDir(), "a/b", 1); err == nil {
		t.Error("ReadHistory of a/b succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AppendHistory(file, entry("j", 0, "SUCCESS")); err == nil {
		t.Error("AppendHistory under a file succeeded")
	}
}
