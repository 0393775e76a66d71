package report

import "testing"

func TestOutcome(t *testing.T) {
	for _, sc := range []struct {
		name string
		r    Result
		want Outcome
	}{
		{"all ok", Result{Steps: []Step{{Name: StepTransfer, Target: "nas", Status: OK}}}, Success},
		{"a warning", Result{Steps: []Step{{Name: StepChanged, Status: Warning}}}, Warned},
		{"one of two destinations failed", Result{Steps: []Step{
			{Name: StepTransfer, Target: "nas", Status: OK}, {Name: StepTransfer, Target: "cloud", Status: Failed}}}, Warned},
		{"the only destination failed", Result{Steps: []Step{{Name: StepTransfer, Target: "nas", Status: Failed}}}, Failure},
		{"a deletion failed", Result{Steps: []Step{
			{Name: StepTransfer, Target: "nas", Status: OK}, {Name: StepRetention, Target: "nas", Status: Failed}}}, Warned},
		// Interrupted after one of two destinations got the archive: the run did not
		// do what it was run for, and cron must see 1, not 3.
		{"interrupted", Result{Interrupted: true, Steps: []Step{
			{Name: StepTransfer, Target: "nas", Status: OK}, {Name: StepTransfer, Target: "cloud", Status: Failed}}}, Failure},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if got := sc.r.Outcome(); got != sc.want {
				t.Errorf("Outcome = %v, want %v", got, sc.want)
			}
		})
	}
}
