package job

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/report"
)

func (f *fixture) verify(name string) *report.Result {
	f.t.Helper()
	res := Verify(context.Background(), f.cfg, f.job(), name, Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now }})
	var b strings.Builder
	report.Summary(&b, res)
	f.t.Log("\n" + b.String())
	return res
}

func TestVerifyFolderArchive(t *testing.T) {
	media := mediaFolder(t)
	f := sourcesFixture(t, `
  [job.source]
  type = "directory"
  path = "`+media+`"
`)
	res0 := f.run()
	if res0.Outcome() != report.Success {
		t.Fatalf("run: %v", stepNames(res0))
	}
	res := f.verify("")
	want := []string{"ok archive found", "ok archive extracted", "ok checksums verified"}
	if got := stepNames(res); strings.Join(got, ",") != strings.Join(want, ",") || res.Outcome() != report.Success {
		t.Errorf("steps = %q, outcome %v", got, res.Outcome())
	}
	if s := findStep(t, res, StepChecksums); s.Detail != "4 files, SHA-256 as in the MANIFEST; 1 link, target as in the MANIFEST; the archive's SHA-256 is the one run "+res0.Run+" sent" {
		t.Errorf("checksums: %q", s.Detail)
	}
	if res.ArchiveSHA256 != res0.ArchiveSHA256 {
		t.Errorf("verify read sha256 %s, the run sent %s", res.ArchiveSHA256, res0.ArchiveSHA256)
	}

	// A consistent archive that is not the one sent is caught too.
	f.put("20261122.tgz", string(tgz(t, map[string]string{"dump.sql": "x"}, map[string]string{"dump.sql": "x"})))
	res = f.verify("")
	if fs := res.FailedStep(); fs == nil || fs.Name != StepChecksums || !strings.Contains(fs.Cause, "but run "+res0.Run+" sent "+res0.ArchiveSHA256) {
		t.Errorf("replaced archive: %+v", fs)
	}
	if res.Job != "biomaid (verify)" || res.Archive != "20261122.tgz" {
		t.Errorf("result %s %s", res.Job, res.Archive)
	}
	// Nothing is left in the staging directory.
	if ents, _ := os.ReadDir(f.job().Archive.StagingDir); len(ents) != 0 {
		t.Errorf("staging keeps %v", ents)
	}
}

// tgz builds an archive by hand: files, then a MANIFEST that claims manifest.
func tgz(t *testing.T, files map[string]string, manifest map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name, body string) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	m := "# gardien archive manifest\nformat: 1\njob: db\nrun: ab12\nfiles:\n"
	for name, body := range files {
		add(name, body)
	}
	for name, body := range manifest {
		h := sha256.Sum256([]byte(body))
		m += hex.EncodeToString(h[:]) + "  " + strconv.Itoa(len(body)) + "  " + name + "\n"
	}
	add("MANIFEST", m)
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestVerifyFailures(t *testing.T) {
	scenarios := []struct {
		name    string
		archive []byte
		step    string
		cause   string
	}{
		{"altered content", tgz(t, map[string]string{"dump.sql": "COPY t FROM stdin;\n2\n"}, map[string]string{"dump.sql": "COPY t FROM stdin;\n1\n"}), StepChecksums, "dump.sql: sha256"},
		{"file missing", tgz(t, nil, map[string]string{"dump.sql": "x"}), StepChecksums, "dump.sql is listed in the MANIFEST but missing"},
		{"truncated", tgz(t, map[string]string{"dump.sql": strings.Repeat("x", 100000)}, map[string]string{"dump.sql": strings.Repeat("x", 100000)})[:300], StepExtracted, ""},
		{"not an archive", []byte("<html>oops</html>"), StepExtracted, "not a gzip or zstd archive"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := sourcesFixture(t, `
  [job.source]
  type = "directory"
  path = "/srv/media"
`)
			f.put("20261122.tgz", string(sc.archive))
			res := f.verify("20261122.tgz")
			fs := res.FailedStep()
			if res.Outcome() != report.Failure || fs == nil || fs.Name != sc.step || !strings.Contains(fs.Cause, sc.cause) || fs.Hint == "" {
				t.Errorf("outcome %v, failed %+v", res.Outcome(), fs)
			}
		})
	}
	t.Run("no archive", func(t *testing.T) {
		f := sourcesFixture(t, `
  [job.source]
  type = "directory"
  path = "/srv/media"
`)
		res := f.verify("")
		if fs := res.FailedStep(); fs == nil || fs.Name != StepFound || !strings.Contains(fs.Cause, "nas: no archive") {
			t.Errorf("failed %+v", fs)
		}
	})
}

// A job with a postgres source whose archive holds no dump says so.
func TestVerifyNoDumpForAPostgresJob(t *testing.T) {
	f := sourcesFixture(t, `
  [job.source]
  type = "postgres"
  databases = "Specibike*"
`)
	f.put("20261122.tgz", string(tgz(t, map[string]string{"dump.sql": "x"}, map[string]string{"dump.sql": "x"})))
	res := f.verify("")
	if fs := res.FailedStep(); fs == nil || fs.Name != StepRestored || !strings.Contains(fs.Cause, "no pg_dump custom-format dump") {
		t.Errorf("failed %+v (%v)", fs, stepNames(res))
	}
	if ents, _ := os.ReadDir(filepath.Join(f.job().Archive.StagingDir)); len(ents) != 0 {
		t.Errorf("staging keeps %v", ents)
	}
}

// A restore server that accepts the connection and then says nothing fails the
// restore in time, after restore_dsn's connect_timeout, with a hint; the verify
// does not hang on it.
func TestVerifyRestoreServerSilent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn // kept open, never answered
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	f := sourcesFixture(t, `
  [job.source]
  type = "postgres"
  databases = "Specibike*"
  [job.verify]
  restore_dsn = "postgresql://gardien@`+l.Addr().String()+`/postgres?connect_timeout=1"
`)
	dump := "PGDMP\x01\x0e\x00 not restored"
	f.put("20261122.tgz", string(tgz(t, map[string]string{"Specibike1.dump": dump}, map[string]string{"Specibike1.dump": dump})))
	t0 := time.Now()
	res := f.verify("")
	took := time.Since(t0)
	fs := res.FailedStep()
	if fs == nil || fs.Name != StepRestored {
		t.Fatalf("failed %+v (%v)", fs, stepNames(res))
	}
	if took > 5*time.Second {
		t.Errorf("the verify failed after %s", took)
	}
	if !strings.Contains(fs.Cause, "no answer within 1s") || !strings.Contains(fs.Hint, "did not answer within 1s") {
		t.Errorf("cause %q, hint %q", fs.Cause, fs.Hint)
	}
}
