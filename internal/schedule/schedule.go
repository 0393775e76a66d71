// Package schedule reads the cron expressions of the jobs' schedule key. One
// expression drives three schedulers that must agree on it: the cron daemon (through
// `gardien cron`), systemd timers (`gardien systemd`) and `gardien daemon`
// (robfig/cron's parser). Parse accepts only what all three read the same way, and
// says why it refuses the rest.
package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Fix is the hint that goes with an invalid expression.
const Fix = `write 5 fields "minute hour day-of-month month day-of-week", such as "0 2 * * *" (02:00 every day) or "30 1 * * 1-5" (01:30 Monday to Friday); day-of-week runs from 0 (Sunday) to 6`

// descriptors are the shorthands that cron and robfig/cron both know.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

type field struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i
}

const (
	fMinute = iota
	fHour
	fDom
	fMonth
	fDow
)

var fields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day-of-week", min: 0, max: 6, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// Expr is a valid schedule.
type Expr struct {
	text   string    // as written
	fields [5]string // the five fields, descriptors expanded
	sets   [5]uint64 // bit v set: value v matches
	sched  cron.Schedule
}

// String returns the expression as written.
func (e *Expr) String() string { return e.text }

// CronSpec returns the five fields, shorthands such as @daily written out, for a
// crontab line.
func (e *Expr) CronSpec() string { return strings.Join(e.fields[:], " ") }

// Schedule returns the expression as robfig/cron reads it, for `gardien daemon`.
func (e *Expr) Schedule() cron.Schedule { return e.sched }

// Next returns the first time after t when the schedule fires, in t's location.
func (e *Expr) Next(t time.Time) time.Time { return e.sched.Next(t) }

// NextN returns the n first times after t when the schedule fires.
func (e *Expr) NextN(t time.Time, n int) []time.Time {
	var out []time.Time
	for range n {
		t = e.sched.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// Parse reads a schedule: five fields, or one of @hourly, @daily, @weekly,
// @monthly, @yearly. The error says what is wrong; Fix says how to write it.
func Parse(text string) (*Expr, error) {
	s := strings.TrimSpace(text)
	e := &Expr{text: text}
	switch {
	case s == "":
		return nil, errors.New("empty schedule")
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		return nil, errors.New("a time zone prefix is not understood by cron: gardien, cron and systemd all use the machine's local time")
	case strings.HasPrefix(s, "@every"):
		return nil, errors.New("@every is understood by neither cron nor systemd: write the times, e.g. \"0 */6 * * *\" for every 6 hours")
	case strings.HasPrefix(s, "@"):
		exp, ok := descriptors[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("unknown shorthand %q: use @hourly, @daily, @weekly, @monthly or @yearly", s)
		}
		s = exp
	}
	fs := strings.Fields(s)
	switch {
	case len(fs) == 6:
		return nil, errors.New("6 fields where cron has 5: a seconds field is not supported")
	case len(fs) != 5:
		return nil, fmt.Errorf("%d field(s) where cron has 5 (minute hour day-of-month month day-of-week)", len(fs))
	}
	copy(e.fields[:], fs)
	for i, f := range fs {
		set, err := parseField(fields[i], f)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", fields[i].name, f, err)
		}
		e.sets[i] = set
	}
	// When both day fields are restricted, cron runs on the days that match either.
	// Whether "*/2" counts as restricted is where cron (no: it starts with "*") and
	// robfig/cron (yes: it has a step) part ways; refuse what they would read apart.
	dom, dow := fs[fDom], fs[fDow]
	if dom != "*" && dow != "*" && (strings.HasPrefix(dom, "*") || strings.HasPrefix(dow, "*")) {
		return nil, fmt.Errorf("day-of-month %q with day-of-week %q is read differently by cron and by gardien daemon: write the days without \"*\" (e.g. \"1-31/2\"), and the job runs on the days that match either field", dom, dow)
	}
	sched, err := cron.ParseStandard(strings.Join(fs, " "))
	if err != nil { // parseField accepts a subset of what robfig reads: not expected
		return nil, err
	}
	e.sched = sched
	if sched.Next(time.Now()).IsZero() {
		return nil, errors.New("this date never comes (such as February 30)")
	}
	return e, nil
}

// parseField reads one field as the cron daemon does: comma-separated items, each
// "*", "N", "N-M", "*/S" or "N-M/S". Names (mon, jan) are accepted alone only: cron
// refuses them in ranges and lists.
func parseField(f field, s string) (uint64, error) {
	items := strings.Split(s, ",")
	var set uint64
	for _, it := range items {
		if it == "" {
			return 0, errors.New("empty item in the list")
		}
		base, stepText, hasStep := strings.Cut(it, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case base == "*":
		case base == "?":
			return 0, errors.New(`"?" is not understood by cron: write "*"`)
		default:
			a, b, isRange := strings.Cut(base, "-")
			var err error
			if lo, err = value(f, a, len(items) == 1 && !isRange && !hasStep); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = value(f, b, false); err != nil {
					return 0, err
				}
				if lo > hi {
					return 0, fmt.Errorf("range %d-%d goes backwards", lo, hi)
				}
			} else if hasStep {
				return 0, fmt.Errorf("a step needs a range or \"*\": write \"%d-%d/%d\"", lo, f.max, step)
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func value(f field, s string, nameOK bool) (int, error) {
	if i := slices.Index(f.names, strings.ToLower(s)); i >= 0 {
		if !nameOK {
			return 0, fmt.Errorf("the name %q is allowed alone only, not in a range, a list or with a step: write numbers (%s %d-%d)", s, f.name, f.min, f.max)
		}
		return f.min + i, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if f.name == "day-of-week" && n == 7 {
		return 0, errors.New("7 for Sunday is not understood by gardien daemon: write 0")
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is outside %d-%d", n, f.min, f.max)
	}
	return n, nil
}

// OnCalendar returns the systemd calendar event that fires exactly when the
// expression does, or an error saying why there is none.
func (e *Expr) OnCalendar() (string, error) {
	// cron: a field written "*" leaves the other day field alone; when both are
	// restricted, a day matching either runs. systemd requires both to match.
	domStar, dowStar := strings.HasPrefix(e.fields[fDom], "*"), strings.HasPrefix(e.fields[fDow], "*")
	dom, dow := e.sets[fDom], e.sets[fDow]
	if !domStar && !dowStar {
		switch {
		case dom == fullSet(fDom) || dow == fullSet(fDow): // every day matches one
			dom, dow = fullSet(fDom), fullSet(fDow)
		default:
			return "", fmt.Errorf("schedule %q runs on the days that match its day-of-month or its day-of-week (cron's rule), which a systemd timer cannot say: split it into two jobs, or use gardien cron", e.text)
		}
	}
	var b strings.Builder
	if dow != fullSet(fDow) {
		b.WriteString(weekdays(dow) + " ")
	}
	b.WriteString("*-")
	b.WriteString(list(e.sets[fMonth], fMonth))
	b.WriteString("-")
	b.WriteString(list(dom, fDom))
	b.WriteString(" ")
	b.WriteString(list(e.sets[fHour], fHour))
	b.WriteString(":")
	b.WriteString(list(e.sets[fMinute], fMinute))
	b.WriteString(":00")
	return b.String(), nil
}

func fullSet(i int) uint64 {
	f := fields[i]
	return (uint64(1) << uint(f.max+1)) - (uint64(1) << uint(f.min))
}

func members(set uint64, min, max int) []int {
	var vs []int
	for v := min; v <= max; v++ {
		if set&(1<<uint(v)) != 0 {
			vs = append(vs, v)
		}
	}
	return vs
}

// list writes a set of values in systemd's calendar syntax: "*", "00/15",
// "01..10/3", "1..5" or a comma list.
func list(set uint64, i int) string {
	if set == fullSet(i) {
		return "*"
	}
	f := fields[i]
	vs := members(set, f.min, f.max)
	num := func(v int) string { return fmt.Sprintf("%02d", v) }
	if len(vs) >= 3 {
		step := vs[1] - vs[0]
		even := true
		for i := 2; i < len(vs); i++ {
			even = even && vs[i]-vs[i-1] == step
		}
		last := vs[len(vs)-1]
		switch {
		case even && step == 1:
			return num(vs[0]) + ".." + num(last)
		case even && last+step > f.max:
			return num(vs[0]) + "/" + strconv.Itoa(step)
		case even:
			return num(vs[0]) + ".." + num(last) + "/" + strconv.Itoa(step)
		}
	}
	var parts []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, num(vs[i])+".."+num(vs[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, num(vs[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// weekdays writes a set of cron days (0 = Sunday) as systemd's "Mon..Fri,Sun",
// Monday first so that no range wraps around the week.
func weekdays(set uint64) string {
	names := []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	var days []int // 0 = Monday … 6 = Sunday
	for d := 1; d <= 7; d++ {
		if set&(1<<uint(d%7)) != 0 {
			days = append(days, d-1)
		}
	}
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, names[days[i]]+".."+names[days[j]])
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, names[days[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
