package config

import (
	"strings"
	"testing"
)

// A job's schedule is checked when the file is read: the error names the file, the
// line of the schedule key, what is wrong and how to write it.
func TestScheduleValidation(t *testing.T) {
	withSchedule := func(s string) string {
		return strings.Replace(minimal, `name = "db"`, `name = "db"`+"\nschedule = \""+s+"\"", 1)
	}
	for _, s := range []string{"0 2 * * *", "30 1 * * 1-5", "*/15 * * * *", "@daily"} {
		if _, err := parse(t, withSchedule(s)); err != nil {
			t.Errorf("schedule %q: %v", s, err)
		}
	}
	scenarios := []struct{ schedule, want string }{
		{"0 2 * *", `:7: job[0].schedule: schedule "0 2 * *": 4 field(s) where cron has 5`},
		{"0 25 * * *", `:7: job[0].schedule: schedule "0 25 * * *": hour "25": 25 is outside 0-23`},
		{"@every 1h", "@every is understood by neither cron nor systemd"},
		{"0 2 * * 7", "write 0"},
	}
	for _, sc := range scenarios {
		t.Run(sc.schedule, func(t *testing.T) {
			_, err := parse(t, withSchedule(sc.schedule))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, sc.want) || !strings.Contains(msg, `(fix: write 5 fields "minute hour day-of-month month day-of-week"`) {
				t.Errorf("error %q, want %q and the fix", msg, sc.want)
			}
		})
	}
}
