package report

import (
	"bytes"
	"testing"
)

// The English summary block is what the log holds and what other tools grep: it must
// not change when the mail's localised rendering changes.
func TestSummaryGolden(t *testing.T) {
	fx := fixtures()
	dry := *fx["success"]
	dry.DryRun = true
	dry.Deletions = []Deletion{{Dest: "nas", Name: "20261022.tgz", Reason: "dated 2026-10-22, older than 30 days", DryRun: true}}
	fx["dryrun"] = &dry
	for _, name := range []string{"success", "warning", "failure", "dryrun"} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Summary(&b, fx[name]); err != nil {
				t.Fatal(err)
			}
			golden(t, "summary/"+name+".txt", b.Bytes())
		})
	}
}
