package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// update rewrites the golden files in testdata/: go test ./internal/report -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var fixtureStart = time.Date(2026, 11, 22, 2, 0, 4, 0, time.UTC)

// fixtures are the three kinds of run the mail must tell apart at a glance.
func fixtures() map[string]*Result {
	return map[string]*Result{
		"success": {
			Job: "ocpizza-db", Run: "7f3a", Start: fixtureStart, End: fixtureStart.Add(2*time.Minute + 3*time.Second),
			Steps: []Step{
				{Name: StepReachable, Status: OK, Detail: "HTTP 200, 812.4 MB in 6.1s"},
				{Name: StepDownloaded, Status: OK, Detail: "812.4 MB, 1 entries"},
				{Name: StepExpected, Status: OK, Detail: "dump.sql, 4.2 GB, CRC-32 9c1ed07a ok"},
				{Name: StepChanged, Status: OK, Detail: "sha256 9c1e…d07a (was 44b0…19fe)"},
				{Name: StepSize, Status: OK, Detail: "4.2 GB (was 4.1 GB)"},
				{Name: StepArchive, Status: OK, Detail: "20261122.tgz, 790.3 MB in 41.8s"},
				{Name: StepDestLogin, Target: "nas", Status: OK, Detail: "sftp://backup@nas.example.org:22/srv/archives"},
				{Name: StepTransfer, Target: "nas", Status: OK, Detail: "20261122.tgz, 790.3 MB in 1m12s"},
				{Name: StepRetention, Target: "nas", Status: OK, Detail: "30 kept, 1 deleted"},
			},
			Deletions: []Deletion{
				{Dest: "nas", Name: "20261022.tgz", Reason: "dated 2026-10-22, older than 30 days"},
			},
			Archive: "20261122.tgz", ArchiveSize: 790_312_448,
			ArchiveSHA256: "5f2b9c1ed07a44b019fe3a8c6d2e1f0b7a9c4d3e2f1a0b9c8d7e6f5a4b3c2d1e",
		},
		"warning": {
			Job: "ocpizza-db", Run: "b21c", Start: fixtureStart, End: fixtureStart.Add(95 * time.Second),
			Steps: []Step{
				{Name: StepReachable, Status: OK, Detail: "HTTP 200, 301.0 MB in 2.9s"},
				{Name: StepDownloaded, Status: OK, Detail: "301.0 MB, 1 entries"},
				{Name: StepExpected, Status: OK, Detail: "dump.sql, 1.6 GB, CRC-32 0b7a9c4d ok"},
				{Name: StepChanged, Status: OK, Detail: "sha256 3a8c…2d1e (was 9c1e…d07a)"},
				{Name: StepSize, Status: OK, Detail: "1.6 GB (was 1.6 GB)"},
				{Name: StepArchive, Status: OK, Detail: "20261122.tgz, 290.1 MB in 15.2s"},
				{Name: StepDestLogin, Target: "nas", Status: OK, Detail: "sftp://backup@nas.example.org:22/srv/archives"},
				{Name: StepDestLogin, Target: "cloud", Status: OK, Detail: "file:///mnt/cloud/archives"},
				{Name: StepTransfer, Target: "nas", Status: OK, Detail: "20261122.tgz, 290.1 MB in 31.0s"},
				{Name: StepTransfer, Target: "cloud", Status: OK, Detail: "20261122.tgz, 290.1 MB in 12.4s"},
				{Name: StepRetention, Target: "nas", Status: OK, Detail: "30 kept, 1 deleted"},
				{Name: StepRetention, Target: "cloud", Status: Failed, Detail: "30 kept, 1 deleted",
					Cause: "1 deletion(s) failed", Hint: "check the permissions on the destination directory; the archives stay until the next run"},
			},
			Deletions: []Deletion{
				{Dest: "nas", Name: "20261022.tgz", Reason: "dated 2026-10-22, older than 30 days"},
				{Dest: "cloud", Name: ".20261121.tgz.part", Reason: "temporary file left by an interrupted upload"},
				{Dest: "cloud", Name: "20261022.tgz", Reason: "dated 2026-10-22, older than 30 days",
					Err: "remove /mnt/cloud/archives/20261022.tgz: permission denied"},
			},
			Archive: "20261122.tgz", ArchiveSize: 290_104_320,
			ArchiveSHA256: "e1d2c3b4a5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		},
		"failure": {
			Job: "ocpizza-db", Run: "7f3a", Start: fixtureStart, End: fixtureStart.Add(2*time.Minute + 31*time.Second),
			Steps: []Step{
				{Name: StepReachable, Status: OK, Detail: "HTTP 200, 812.4 MB in 6.1s"},
				{Name: StepDownloaded, Status: OK, Detail: "812.4 MB"},
				{Name: StepExpected, Status: OK, Detail: "dump.sql, 4.2 GB"},
				{Name: StepChanged, Status: OK, Detail: "sha256 9c1e…d07a (was 44b0…19fe)"},
				{Name: StepArchive, Status: OK, Detail: "20261122.tgz, 790.3 MB in 41.8s"},
				{Name: StepDestLogin, Target: "nas", Status: OK, Detail: "nas"},
				{Name: StepTransfer, Target: "nas", Status: Failed,
					Cause: "write /srv/archives/.20261122.tgz.part: no space left on device",
					Hint:  "free space on nas or lower keep_days"},
				{Name: StepRetention, Target: "nas", Status: Skipped, Detail: "not run because the transfer failed"},
			},
		},
	}
}
