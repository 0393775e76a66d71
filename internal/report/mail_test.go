package report

import (
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
)

func mailConfig(lang string) config.Mail {
	return config.Mail{Language: lang, Subject: config.DefaultSubject, From: "gardien@example.org", To: []string{"admin@example.org"}}
}

// The rendered subject and bodies of a success, a warning, a failure and a run of
// several jobs, in French and English, against golden files (go test -update).
func TestRenderMailGolden(t *testing.T) {
	fx := fixtures()
	second := *fx["success"]
	second.Job, second.Run = "odoo-media", "c0de"
	scenarios := map[string][]*Result{
		"success": {fx["success"]},
		"warning": {fx["warning"]},
		"failure": {fx["failure"]},
		"run":     {&second, fx["failure"]},
	}
	for name, results := range scenarios {
		for _, lang := range []string{"fr", "en"} {
			t.Run(name+"."+lang, func(t *testing.T) {
				info := MailInfo{Host: "backup01", Version: "1.0.0", LogFile: "/var/log/gardien/gardien.log"}
				if name != "success" {
					info.LogName = "gardien-20261122-020004.log"
				}
				m, err := RenderMail(results, mailConfig(lang), info)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, "mail/"+name+"."+lang+".txt", []byte("Subject: "+m.Subject+"\n\n"+m.Text))
				golden(t, "mail/"+name+"."+lang+".html", []byte(m.HTML))
				for _, external := range []string{"src=", "http://", "https://", "<script", "<link", "url("} {
					if strings.Contains(m.HTML, external) {
						t.Errorf("the HTML part holds %q: it must need no external resource", external)
					}
				}
			})
		}
	}
}

func TestSubject(t *testing.T) {
	fx := fixtures()
	scenarios := []struct {
		name, tmpl, lang string
		results          []*Result
		want             string
	}{
		{"default, success", "", "en", []*Result{fx["success"]}, "[gardien] SUCCESS ocpizza-db 2026-11-22"},
		{"status stays English", "", "fr", []*Result{fx["success"]}, "[gardien] SUCCESS ocpizza-db 22/11/2026"},
		{"failed step appended", "", "en", []*Result{fx["failure"]}, "[gardien] FAILURE ocpizza-db 2026-11-22 – transfer done (nas)"},
		{"failed step in French", "", "fr", []*Result{fx["failure"]}, "[gardien] FAILURE ocpizza-db 22/11/2026 – transfert (nas)"},
		{"every placeholder", "{status} {job} on {host}: {step} ({date})", "en", []*Result{fx["failure"]}, "FAILURE ocpizza-db on backup01: transfer done (nas) (2026-11-22)"},
		{"empty step leaves no gap", "{status} {step} {job}", "en", []*Result{fx["success"]}, "SUCCESS ocpizza-db"},
		{"worst of several", "{status} {job} {step}", "en", []*Result{fx["success"], fx["warning"]}, "WARNING ocpizza-db, ocpizza-db ocpizza-db: retention applied (cloud)"},
		{"no header injection", "{status}\r\nBcc: x@example.org {job}", "en", []*Result{fx["success"]}, "SUCCESS Bcc: x@example.org ocpizza-db"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if got := Subject(sc.tmpl, sc.results, sc.lang, "backup01"); got != sc.want {
				t.Errorf("got  %q\nwant %q", got, sc.want)
			}
		})
	}
}

// A warning that is only a warning (no failed step) names the step that warned: a dump
// that shrank overnight shows in the subject.
func TestSubjectNamesTheWarning(t *testing.T) {
	r := &Result{Job: "db", Start: fixtureStart, Steps: []Step{
		{Name: StepReachable, Status: OK},
		{Name: StepSize, Status: Warning, Detail: "the dump shrank"},
	}}
	if got, want := Subject("", []*Result{r}, "fr", "h"), "[gardien] WARNING db 22/11/2026 – dump anormalement petit"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFrenchUnits(t *testing.T) {
	for _, sc := range []struct {
		got, want string
	}{
		{bytesFR(790_312_448), "790,3\u00a0Mo"},
		{bytesFR(512), "512\u00a0o"},
		{durationFR(6100 * time.Millisecond), "6,1\u00a0s"},
		{durationFR(123 * time.Second), "2\u00a0min 03\u00a0s"},
		{durationFR(2*time.Hour + 5*time.Minute), "2\u00a0h 05\u00a0min"},
		{reasonFR("dated 2026-10-22, older than 30 days"), "du 22/10/2026, au-delà de 30 jours"},
		{reasonFR("dated 2026-10-22, older than 1 day"), "du 22/10/2026, au-delà de 1 jour"},
		{reasonFR("something new"), "something new"},
	} {
		if sc.got != sc.want {
			t.Errorf("got %q, want %q", sc.got, sc.want)
		}
	}
}
