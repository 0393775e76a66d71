package job

import (
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/state"
	"github.com/gardien/gardien/internal/testutil"
)

// Before anything is downloaded, a staging disk with less room than the last run
// staged is a warning that says how much is free and what to do; the run goes on.
func TestStagingSpaceWarning(t *testing.T) {
	for _, sc := range []struct {
		name     string
		lastSize int64
		warn     bool
	}{
		// No disk of this machine has two exabytes free.
		{"less free than the last run staged", 1 << 60, true},
		{"room enough", 1 << 10, false},
	} {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": dump("2", 100)}))
			rec := &state.Record{Job: f.job().Name, Run: "0ld0", Time: night.AddDate(0, 0, -1), Archive: "20261121.tgz", ArchiveSize: sc.lastSize,
				Files: []state.File{{Name: "dump.sql", Size: 3000, SHA256: strings.Repeat("ab", 32)}}}
			if err := state.SaveLast(f.cfg.State.Dir, rec); err != nil {
				t.Fatal(err)
			}
			res := f.run()
			var got *report.Step
			for i := range res.Steps {
				if res.Steps[i].Name == StepStaging {
					got = &res.Steps[i]
				}
			}
			if !sc.warn {
				if got != nil {
					t.Fatalf("staging step %+v, want none", got)
				}
				if res.Outcome() != report.Success {
					t.Errorf("outcome %v", res.Outcome())
				}
				return
			}
			if got == nil || got.Status != report.Warning {
				t.Fatalf("staging step %+v, want a warning", got)
			}
			if !strings.Contains(got.Detail, "free in "+f.job().Archive.StagingDir) || !strings.Contains(got.Detail, "less than the "+report.Bytes(2*sc.lastSize)+" the last run staged") || !strings.Contains(got.Hint, "staging_dir") {
				t.Errorf("step = %+v", got)
			}
			if res.Outcome() != report.Warned || res.FailedStep() != nil {
				t.Errorf("outcome %v, failed step %+v: want the run to go on, with a warning", res.Outcome(), res.FailedStep())
			}
			if _, ok := f.files()["20261122.tgz"]; !ok {
				t.Error("the archive was not sent")
			}
		})
	}
}
