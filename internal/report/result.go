// Package report holds what one run produced (a Result made of Steps) and renders it:
// the summary block of the log, and the mail in French or English (mail.go). Rendering
// is kept apart from sending (send.go: SMTP or the local MTA; mailer.go: when and how
// many mails).
package report

import (
	"time"
)

// Status is the outcome of one step.
type Status int

const (
	OK Status = iota
	Warning
	Skipped
	Failed
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warning:
		return "warning"
	case Skipped:
		return "skipped"
	case Failed:
		return "FAILED"
	}
	return "?"
}

// The steps of a run, in the order of SPEC section 4 (the first seven are the seed's).
const (
	StepReachable  = "url reachable"
	StepDownloaded = "zip downloaded"
	StepExpected   = "expected file present"
	StepChanged    = "changed since last run"
	StepSize       = "plausible size"
	StepArchive    = "archive created"
	StepDestLogin  = "destination reachable"
	StepTransfer   = "transfer done"
	StepRetention  = "retention applied"
)

// Step is the result of one check of a run.
type Step struct {
	Name   string
	Target string // the destination it concerns, if any
	Status Status
	Detail string // what was seen: "HTTP 200, 812.4 MB in 6.1s"
	Cause  string // the underlying error, verbatim (failed and warning)
	Hint   string // what to check
}

// Deletion is one archive that retention removed, or tried to.
type Deletion struct {
	Dest   string
	Name   string
	Reason string
	Err    string // empty when done
	Hint   string // what to check when it failed
	DryRun bool
}

// Result is one run of one job.
type Result struct {
	Job    string
	Run    string
	Start  time.Time
	End    time.Time
	DryRun bool
	// Interrupted is set when the run was stopped by a signal (SIGINT, SIGTERM).
	Interrupted bool

	Steps     []Step
	Deletions []Deletion

	Archive       string
	ArchiveSize   int64
	ArchiveSHA256 string
	// KeptAt is where the archive stays on this machine when no destination
	// received it (empty when it was delivered, or discarded unchanged).
	KeptAt string
}

// Add appends a step.
func (r *Result) Add(s Step) { r.Steps = append(r.Steps, s) }

// Outcome of a whole run, as the mail subject and exit code say it.
type Outcome int

const (
	Success Outcome = iota
	Warned
	Failure
)

func (o Outcome) String() string {
	return [...]string{"SUCCESS", "WARNING", "FAILURE"}[o]
}

// Outcome is FAILURE when a step failed, except when the only failures concern some
// destinations while another one received the archive (then WARNING, as for skipped
// unchanged dumps, suspicious sizes and failed deletions).
//
// An interrupted run is a FAILURE whatever it reached: it did not do what it was
// run for, and cron must see exit code 1.
func (r *Result) Outcome() Outcome {
	if r.Interrupted {
		return Failure
	}
	delivered := false
	for _, s := range r.Steps {
		if s.Name == StepTransfer && s.Status == OK {
			delivered = true
		}
	}
	out := Success
	for _, s := range r.Steps {
		switch s.Status {
		case Failed:
			if s.Name == StepRetention || (s.Target != "" && delivered) {
				out = max(out, Warned)
			} else {
				return Failure
			}
		case Warning:
			out = max(out, Warned)
		}
	}
	return out
}

// FailedStep returns the first failed step, or nil.
func (r *Result) FailedStep() *Step {
	for i := range r.Steps {
		if r.Steps[i].Status == Failed {
			return &r.Steps[i]
		}
	}
	return nil
}
