package schedule

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var base = time.Date(2026, 11, 22, 12, 34, 56, 0, time.UTC) // a Sunday

func TestParseValid(t *testing.T) {
	scenarios := []struct {
		expr       string
		onCalendar string
		next       []string // the first runs after base, UTC
	}{
		{"0 2 * * *", "*-*-* 02:00:00", []string{"2026-11-23 02:00", "2026-11-24 02:00", "2026-11-25 02:00"}},
		{"30 1 * * 1-5", "Mon..Fri *-*-* 01:30:00", []string{"2026-11-23 01:30", "2026-11-24 01:30"}},
		{"*/15 * * * *", "*-*-* *:00/15:00", []string{"2026-11-22 12:45", "2026-11-22 13:00"}},
		{"0 */6 * * *", "*-*-* 00/6:00:00", []string{"2026-11-22 18:00", "2026-11-23 00:00"}},
		{"0 3 1 * *", "*-*-01 03:00:00", []string{"2026-12-01 03:00", "2027-01-01 03:00"}},
		{"0 3 1-10/3 * *", "*-*-01..10/3 03:00:00", []string{"2026-12-01 03:00", "2026-12-04 03:00"}},
		{"15 4 * 1,7 0", "Sun *-01,07-* 04:15:00", []string{"2027-01-03 04:15"}},
		{"0 0 * * 0,6", "Sat,Sun *-*-* 00:00:00", []string{"2026-11-28 00:00", "2026-11-29 00:00"}},
		{"0 22 * * 0-5", "Mon..Fri,Sun *-*-* 22:00:00", []string{"2026-11-22 22:00", "2026-11-23 22:00"}},
		{"5,10,20 8-18 * * *", "*-*-* 08..18:05,10,20:00", []string{"2026-11-22 13:05", "2026-11-22 13:10"}},
		{"0 2 1-31 * 1", "*-*-* 02:00:00", []string{"2026-11-23 02:00", "2026-11-24 02:00"}}, // either day field: every day
		{"0 9 * 12 MON", "Mon *-12-* 09:00:00", []string{"2026-12-07 09:00"}},
		{"0 0 29 2 *", "*-02-29 00:00:00", []string{"2028-02-29 00:00"}},
		{"0 2 */2 * *", "*-*-01/2 02:00:00", []string{"2026-11-23 02:00", "2026-11-25 02:00"}},
		{"@weekly", "Sun *-*-* 00:00:00", []string{"2026-11-29 00:00"}},
		{"@monthly", "*-*-01 00:00:00", []string{"2026-12-01 00:00"}},
		{"@daily", "*-*-* 00:00:00", []string{"2026-11-23 00:00"}},
		{"  0 2 * * *  ", "*-*-* 02:00:00", nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.expr, func(t *testing.T) {
			e, err := Parse(sc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if e.String() != sc.expr {
				t.Errorf("String() = %q", e.String())
			}
			got, err := e.OnCalendar()
			if err != nil || got != sc.onCalendar {
				t.Errorf("OnCalendar() = %q, %v; want %q", got, err, sc.onCalendar)
			}
			next := e.NextN(base, len(sc.next))
			for i, want := range sc.next {
				if i >= len(next) || next[i].Format("2006-01-02 15:04") != want {
					t.Errorf("next runs = %v, want %v", next, sc.next)
					break
				}
			}
		})
	}
}

// The systemd calendar event fires exactly when robfig/cron does: systemd itself
// computes the next runs, when it is installed.
func TestOnCalendarAgreesWithSystemd(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt install systemd)")
	}
	exprs := []string{"0 2 * * *", "30 1 * * 1-5", "*/15 * * * *", "0 */6 * * *", "0 3 1-10/3 * *",
		"15 4 * 1,7 0", "0 22 * * 0-5", "5,10,20 8-18 * * *", "0 2 1-31 * 1", "0 0 29 2 *", "0 2 */2 * *",
		"7 3,5,11-13 2,9-11 3-8/2 *", "@weekly", "@yearly"}
	const n = 12
	for _, expr := range exprs {
		t.Run(expr, func(t *testing.T) {
			e, err := Parse(expr)
			if err != nil {
				t.Fatal(err)
			}
			cal, err := e.OnCalendar()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(analyze, "calendar", "--iterations=12", "--base-time="+base.Format("2006-01-02 15:04:05 UTC"), cal)
			cmd.Env = append(os.Environ(), "TZ=UTC")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("systemd-analyze calendar %q: %v\n%s", cal, err, out)
			}
			var fromSystemd []string
			for _, m := range regexp.MustCompile(`(?m)^\s*(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC$`).FindAllStringSubmatch(string(out), -1) {
				fromSystemd = append(fromSystemd, m[1])
			}
			if len(fromSystemd) != n {
				t.Fatalf("systemd-analyze gave %d times, want %d:\n%s", len(fromSystemd), n, out)
			}
			var fromCron []string
			for _, t := range e.NextN(base, n) {
				fromCron = append(fromCron, t.Format("2006-01-02 15:04:05"))
			}
			if strings.Join(fromSystemd, ",") != strings.Join(fromCron, ",") {
				t.Errorf("%q as %q:\nsystemd: %v\ncron:    %v", expr, cal, fromSystemd, fromCron)
			}
		})
	}
}

func TestOnCalendarRefuses(t *testing.T) {
	e, err := Parse("0 2 1 * 1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.OnCalendar(); err == nil || !strings.Contains(err.Error(), "day-of-month or its day-of-week") {
		t.Errorf("OnCalendar: %v", err)
	}
}

func TestParseInvalid(t *testing.T) {
	scenarios := []struct{ expr, want string }{
		{"", "empty schedule"},
		{"0 2 * *", "4 field(s) where cron has 5"},
		{"0 0 2 * * *", "a seconds field is not supported"},
		{"60 2 * * *", `minute "60": 60 is outside 0-59`},
		{"0 24 * * *", `hour "24": 24 is outside 0-23`},
		{"0 2 0 * *", `day-of-month "0": 0 is outside 1-31`},
		{"0 2 * 13 *", `month "13": 13 is outside 1-12`},
		{"0 2 * * 7", "7 for Sunday"},
		{"0 2 * * mon-fri", `the name "mon" is allowed alone only`},
		{"0 2 * jan,feb *", `the name "jan" is allowed alone only`},
		{"5/15 * * * *", `a step needs a range or "*": write "5-59/15"`},
		{"*/0 * * * *", `step "0" is not a positive number`},
		{"0 5-2 * * *", "range 5-2 goes backwards"},
		{"0 2 ? * *", `"?" is not understood by cron`},
		{"0 2,,3 * * *", "empty item"},
		{"a 2 * * *", `"a" is not a number`},
		{"@every 1h", "@every is understood by neither cron nor systemd"},
		{"@reboot", "unknown shorthand"},
		{"CRON_TZ=Europe/Paris 0 2 * * *", "time zone"},
		{"0 0 30 2 *", "never comes"},
		{"0 2 */2 * 1", "read differently by cron and by gardien daemon"},
	}
	for _, sc := range scenarios {
		t.Run(sc.expr, func(t *testing.T) {
			_, err := Parse(sc.expr)
			if err == nil || !strings.Contains(err.Error(), sc.want) {
				t.Errorf("Parse(%q) = %v, want an error with %q", sc.expr, err, sc.want)
			}
		})
	}
}
