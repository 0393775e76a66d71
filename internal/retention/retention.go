// Package retention decides which archives on a destination are deleted. It is a pure
// function of the names listed, the archive name pattern, the policy and the time, in
// the manner of restic's ApplyPolicy: it deletes nothing itself, so the same plan is
// what a run executes, what --dry-run prints and what `gardien list` shows.
//
// The date of an archive is the one written in its name (namefmt), never a file time,
// which a copy or a restore may have changed.
package retention

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
)

// Policy is the [job.retention] section of a job.
type Policy struct {
	KeepDays int // archives dated before the start of (today - KeepDays days) expire; 0 keeps everything
	KeepMin  int // never go below this many archives
}

// Item is one archive and the reason it is kept or removed.
type Item struct {
	Name   string
	Date   time.Time // read from the name, in now's location
	Reason string
}

// Plan is what retention decided for one destination.
type Plan struct {
	Keep    []Item   // archives kept, newest first, each with why
	Remove  []Item   // archives to delete, oldest first, each with why
	Stale   []string // temporary upload files (".NAME.part", ".NAME.verify", "..NAME.verify.part" where NAME is an archive name) left by an interrupted or failed run
	Ignored []string // names that are neither archives nor their temporary files: never touched
}

// Apply sorts names into a Plan.
//
// Only names that pat parses are archives. An archive expires when its date is before
// the start of the day KeepDays days before now's day. Whatever its date, an archive is
// kept when it is justSent, when it is dated after now (a wrong clock, here or on the
// machine that made it), or when it is one of the KeepMin newest archives dated no later
// than now. Counting keep_min without the future-dated ones means that a single
// mis-dated archive cannot take the place of a real one. With KeepDays 0 (or less) every
// archive is kept; stale temporary files are reported all the same.
//
// All four lists are in a fixed order, whatever the order of names; duplicate names
// count once.
func Apply(names []string, pat *namefmt.Pattern, p Policy, now time.Time, justSent string) Plan {
	loc := now.Location()
	var plan Plan
	var archives []Item
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if d, ok := pat.Parse(n, loc); ok {
			archives = append(archives, Item{Name: n, Date: d})
			continue
		}
		if inner, ok := namefmt.FromTemp(n); ok {
			if _, ok := pat.Parse(inner, loc); ok {
				plan.Stale = append(plan.Stale, n)
				continue
			}
		}
		plan.Ignored = append(plan.Ignored, n)
	}
	slices.Sort(plan.Stale)
	slices.Sort(plan.Ignored)

	// Newest first: by date, then by name, both descending, so that the order is total.
	slices.SortFunc(archives, func(a, b Item) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return cmp.Compare(b.Name, a.Name)
	})

	y, m, d := now.Date()
	cutoff := time.Date(y, m, d-p.KeepDays, 0, 0, 0, 0, loc)
	newest := 0 // archives dated no later than now seen so far, for keep_min
	for _, a := range archives {
		future := a.Date.After(now)
		minimum := false
		if !future {
			newest++
			minimum = newest <= p.KeepMin
		}
		switch {
		case a.Name == justSent:
			a.Reason = "the archive just sent"
		case future:
			a.Reason = "dated in the future"
		case p.KeepDays <= 0:
			a.Reason = "keep_days = 0 keeps every archive"
		case !a.Date.Before(cutoff):
			a.Reason = "within " + days(p.KeepDays)
		case minimum:
			a.Reason = keepMinReason(p.KeepMin)
		default:
			a.Reason = fmt.Sprintf("dated %s, older than %s", a.Date.Format(time.DateOnly), days(p.KeepDays))
			plan.Remove = append(plan.Remove, a)
			continue
		}
		plan.Keep = append(plan.Keep, a)
	}
	slices.Reverse(plan.Remove) // oldest first: the order they are deleted in
	return plan
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func keepMinReason(n int) string {
	if n == 1 {
		return "the newest (keep_min)"
	}
	return fmt.Sprintf("one of the %d newest (keep_min)", n)
}

// String renders the plan one name a line, as --dry-run and the golden tests show it:
//
//	keep    20261122.tgz  2026-11-22 00:00  the archive just sent
//	remove  20261021.tgz  2026-10-21 00:00  dated 2026-10-21, older than 30 days
//	stale   .20261121.tgz.part
//	ignore  README
func (p Plan) String() string {
	w := 0
	for _, l := range [][]Item{p.Keep, p.Remove} {
		for _, it := range l {
			w = max(w, len(it.Name))
		}
	}
	var b strings.Builder
	item := func(verb string, it Item) {
		fmt.Fprintf(&b, "%-7s %-*s  %s  %s\n", verb, w, it.Name, it.Date.Format("2006-01-02 15:04"), it.Reason)
	}
	for _, it := range p.Keep {
		item("keep", it)
	}
	for _, it := range p.Remove {
		item("remove", it)
	}
	for _, n := range p.Stale {
		fmt.Fprintf(&b, "%-7s %s\n", "stale", n)
	}
	for _, n := range p.Ignored {
		fmt.Fprintf(&b, "%-7s %s\n", "ignore", n)
	}
	return b.String()
}
