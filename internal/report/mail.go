package report

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"strings"

	"github.com/gardien/gardien/internal/config"
)

// The steps of the report itself, as the log and `gardien check` name them.
const (
	StepMail      = "mail"
	StepMailLogin = "mail server reachable"
	StepTestMail  = "test mail sent"
)

// Message is a rendered mail: what it says, before it is put in MIME form and sent
// (Gatus keeps buildMessageSubjectAndBody apart from Send in the same way).
type Message struct {
	Subject string
	Text    string // the plain-text body, always sent
	HTML    string // the alternative HTML body
	Outcome Outcome
	// Log is attached under LogName when it is not nil.
	LogName string
	Log     []byte
}

// MailInfo is what a mail says besides the results.
type MailInfo struct {
	Host    string // the machine gardien runs on
	Version string // gardien's version, in the footer
	LogFile string // where the full log is kept on Host; "" or "-" when nowhere
	LogName string // file name of the attached log; "" when the log is not attached
}

// RenderMail renders the report of one `gardien run` (one result per job, or a single
// job's with mail.per_job) in mail.language: the subject from mail.subject, the
// summary block of every job as plain text, and the same as an HTML table.
func RenderMail(results []*Result, c config.Mail, info MailInfo) (*Message, error) {
	if len(results) == 0 {
		return nil, errors.New("render mail: no job result")
	}
	lc := localeFor(c.Language)
	m := &Message{
		Subject: Subject(c.Subject, results, lc.lang, info.Host),
		Outcome: worst(results),
		LogName: info.LogName,
	}

	var b strings.Builder
	b.WriteString(lc.intro(results, info.Host))
	b.WriteString("\n")
	for _, r := range results {
		b.WriteString("\n")
		writeBlock(&b, r, lc)
	}
	b.WriteString("\n")
	if note := logNote(lc, info); note != "" {
		b.WriteString(note + "\n")
	}
	b.WriteString("-- \n")
	b.WriteString(fmt.Sprintf(lc.footer, info.Version, info.Host) + "\n")
	m.Text = b.String()

	html, err := renderHTML(results, lc, info, m.Subject)
	if err != nil {
		return nil, err
	}
	m.HTML = html
	return m, nil
}

// RenderTestMail renders the short mail of `gardien check --send-test-mail`.
func RenderTestMail(c config.Mail, info MailInfo) *Message {
	lc := localeFor(c.Language)
	text := fmt.Sprintf(lc.testIntro, info.Host) + "\n\n-- \n" + fmt.Sprintf(lc.footer, info.Version, info.Host) + "\n"
	var h strings.Builder
	h.WriteString(`<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>` +
		`<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#202124;">`)
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		h.WriteString("<p style=\"margin:0 0 8px 0;\">" + template.HTMLEscapeString(line) + "</p>")
	}
	h.WriteString("</body></html>\n")
	return &Message{Subject: fmt.Sprintf(lc.testSubj, info.Host), Text: text, HTML: h.String(), Outcome: Success}
}

func logNote(lc *locale, info MailInfo) string {
	switch {
	case info.LogName != "":
		return fmt.Sprintf(lc.attached, info.LogName)
	case info.LogFile != "" && info.LogFile != "-":
		return fmt.Sprintf(lc.logAt, info.Host, info.LogFile)
	}
	return ""
}

// Subject fills the subject template: {status} (SUCCESS, WARNING or FAILURE, the worst
// of the results, in English whatever the language so that mail filters work), {job}
// (the jobs' names), {date} (when the first job started), {host} and {step} (the
// failed step, or the one that warned). A template without {step} gets the step
// appended when there is one, so that the subject always says what went wrong (a dump
// that shrank overnight must show in the subject, SPEC section 4).
func Subject(tmpl string, results []*Result, lang, host string) string {
	lc := localeFor(lang)
	if tmpl == "" {
		tmpl = config.DefaultSubject
	}
	var jobs []string
	for _, r := range results {
		jobs = append(jobs, r.Job)
	}
	date := ""
	if len(results) > 0 {
		date = results[0].Start.Format(lc.date)
	}
	step := problem(results, lc)
	s := strings.NewReplacer(
		"{status}", worst(results).String(),
		"{job}", strings.Join(jobs, ", "),
		"{date}", date,
		"{host}", host,
		"{step}", step,
	).Replace(tmpl)
	if step != "" && !strings.Contains(tmpl, "{step}") {
		s += " – " + step
	}
	// One line, single spaces: an empty placeholder leaves no gap, and no value can
	// break the header.
	return strings.Join(strings.Fields(s), " ")
}

// problem names the step that made the worst result what it is: the first failed
// step, or the first that warned, with its destination; "" when all went well.
func problem(results []*Result, lc *locale) string {
	o := worst(results)
	if o == Success {
		return ""
	}
	for _, r := range results {
		if r.Outcome() != o {
			continue
		}
		s := r.FailedStep()
		if s == nil {
			for i := range r.Steps {
				if r.Steps[i].Status == Warning {
					s = &r.Steps[i]
					break
				}
			}
		}
		if s == nil {
			return ""
		}
		name := lc.stepWithTarget(s)
		if w, ok := lc.warned[s.Name]; ok && s.Status == Warning {
			name = w
		}
		if len(results) > 1 {
			return r.Job + lc.sep + name
		}
		return name
	}
	return ""
}

// Colours of the HTML part: text and background of each outcome and status.
type colours struct{ Fg, Bg string }

var (
	outcomeColours = map[Outcome]colours{
		Success: {"#1e7b34", "#e6f4ea"},
		Warned:  {"#a14f00", "#fff4e0"},
		Failure: {"#b3261e", "#fdecea"},
	}
	statusColours = map[Status]colours{
		OK:      {"#1e7b34", "#e6f4ea"},
		Warning: {"#a14f00", "#fff4e0"},
		Skipped: {"#5f6368", "#f1f3f4"},
		Failed:  {"#b3261e", "#fdecea"},
	}
)

type htmlData struct {
	Lang, Subject, Intro, LogNote, Footer string
	Outcome                               string
	Colour                                colours
	ColStatus, ColStep, ColDetail, Hint   string
	LblArchive, LblSize, LblSHA, LblTook  string
	LblDeleted, LblKept                   string
	Jobs                                  []htmlJob
}

type htmlJob struct {
	Job, Sub, Outcome string
	Colour            colours
	Steps             []htmlStep
	Deletions         []htmlDeletion
	Archive, Size     string
	SHA, Took, KeptAt string
}

type htmlStep struct {
	Status, Name, Target string
	Detail, Cause, Hint  string
	Colour               colours
}

type htmlDeletion struct {
	Text   string
	Failed bool
}

func renderHTML(results []*Result, lc *locale, info MailInfo, subject string) (string, error) {
	o := worst(results)
	d := htmlData{
		Lang: lc.lang, Subject: subject, Intro: lc.intro(results, info.Host),
		LogNote: logNote(lc, info), Footer: fmt.Sprintf(lc.footer, info.Version, info.Host),
		Outcome: o.String(), Colour: outcomeColours[o],
		ColStatus: lc.colStatus, ColStep: lc.colStep, ColDetail: lc.colDetail, Hint: lc.hint,
		LblArchive: lc.lblArchive, LblSize: lc.lblSize, LblSHA: lc.lblSHA, LblTook: lc.lblTook,
		LblDeleted: lc.lblDeleted, LblKept: lc.lblKept,
	}
	// The intro starts with the outcome, which the banner already shows in colour.
	d.Intro = strings.TrimLeft(strings.TrimPrefix(d.Intro, o.String()), nb+": ")
	for _, r := range results {
		ro := r.Outcome()
		outcome := strings.TrimPrefix(lc.outcome(r), ro.String())
		j := htmlJob{
			Job: r.Job, Outcome: ro.String() + outcome, Colour: outcomeColours[ro],
			Sub: fmt.Sprintf(lc.runSub, r.Run, r.Start.Format(lc.dateTime)),
		}
		for _, s := range r.Steps {
			hs := htmlStep{Status: lc.status(s.Status), Name: lc.step(s.Name), Target: s.Target, Detail: lc.text(s.Detail), Colour: statusColours[s.Status]}
			if s.Status == Failed || (s.Status == Warning && s.Cause != "") {
				hs.Cause = lc.text(s.Cause)
			}
			if s.Status == Failed || s.Status == Warning {
				hs.Hint = lc.hintText(s.Hint)
			}
			j.Steps = append(j.Steps, hs)
		}
		for _, dl := range r.Deletions {
			j.Deletions = append(j.Deletions, htmlDeletion{Text: lc.deletion(dl, lc), Failed: dl.Err != "" && !dl.DryRun})
		}
		if r.Archive != "" {
			j.Archive, j.Size, j.SHA, j.KeptAt = r.Archive, lc.bytes(r.ArchiveSize), r.ArchiveSHA256, r.KeptAt
		}
		if !r.End.IsZero() {
			j.Took = lc.duration(r.End.Sub(r.Start))
		}
		d.Jobs = append(d.Jobs, j)
	}
	var b bytes.Buffer
	if err := mailHTML.Execute(&b, d); err != nil {
		return "", fmt.Errorf("render mail: %w", err)
	}
	return b.String(), nil
}

// mailHTML reads well in Outlook (Word's renderer) and Thunderbird: tables for
// layout, inline styles doubled by bgcolor attributes, no external resource, no
// script, no web font.
var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f5f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f4f5f7" style="background-color:#f4f5f7;">
<tr><td align="center" style="padding:16px 8px;">
<table role="presentation" width="760" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="width:100%;max-width:760px;background-color:#ffffff;border:1px solid #d9dce1;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:20px;color:#202124;">
<tr><td bgcolor="{{.Colour.Bg}}" style="padding:14px 18px;background-color:{{.Colour.Bg}};border-bottom:3px solid {{.Colour.Fg}};">
<span style="font-size:20px;font-weight:bold;color:{{.Colour.Fg}};">{{.Outcome}}</span>&nbsp;&nbsp;<span style="font-size:14px;color:#202124;">{{.Intro}}</span>
</td></tr>
{{- range .Jobs}}
<tr><td style="padding:18px 18px 6px 18px;">
<div style="font-size:16px;font-weight:bold;">{{.Job}} &middot; <span style="color:{{.Colour.Fg}};">{{.Outcome}}</span></div>
<div style="font-size:12px;color:#5f6368;">{{.Sub}}</div>
</td></tr>
<tr><td style="padding:4px 18px 10px 18px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:13px;line-height:18px;">
<tr>
<th align="left" style="padding:6px 8px;border-bottom:2px solid #d9dce1;color:#5f6368;font-weight:bold;">{{$.ColStatus}}</th>
<th align="left" style="padding:6px 8px;border-bottom:2px solid #d9dce1;color:#5f6368;font-weight:bold;">{{$.ColStep}}</th>
<th align="left" style="padding:6px 8px;border-bottom:2px solid #d9dce1;color:#5f6368;font-weight:bold;">{{$.ColDetail}}</th>
</tr>
{{- range .Steps}}
<tr>
<td valign="top" bgcolor="{{.Colour.Bg}}" style="padding:6px 8px;border-bottom:1px solid #eceef1;background-color:{{.Colour.Bg}};color:{{.Colour.Fg}};font-weight:bold;white-space:nowrap;">{{.Status}}</td>
<td valign="top" style="padding:6px 8px;border-bottom:1px solid #eceef1;">{{.Name}}{{if .Target}} <span style="color:#5f6368;">({{.Target}})</span>{{end}}</td>
<td valign="top" style="padding:6px 8px;border-bottom:1px solid #eceef1;">{{.Detail}}
{{- if .Cause}}{{if .Detail}}<br>{{end}}<span style="color:#b3261e;font-family:Consolas,'Courier New',monospace;font-size:12px;">{{.Cause}}</span>{{end}}
{{- if .Hint}}<br><span style="color:#5f6368;font-style:italic;">{{$.Hint}}{{.Hint}}</span>{{end}}</td>
</tr>
{{- end}}
</table>
</td></tr>
{{- if .Deletions}}
<tr><td style="padding:4px 18px 10px 18px;font-size:13px;line-height:18px;">
<div style="font-weight:bold;color:#5f6368;padding:0 0 4px 0;">{{$.LblDeleted}}</div>
{{- range .Deletions}}
<div style="padding:0 0 2px 8px;{{if .Failed}}color:#b3261e;{{end}}">{{.Text}}</div>
{{- end}}
</td></tr>
{{- end}}
{{- if or .Archive .Took}}
<tr><td style="padding:4px 18px 14px 18px;">
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="font-size:13px;line-height:18px;">
{{- if .Archive}}
<tr><td style="padding:2px 16px 2px 0;color:#5f6368;">{{$.LblArchive}}</td><td style="padding:2px 0;font-weight:bold;">{{.Archive}}</td></tr>
<tr><td style="padding:2px 16px 2px 0;color:#5f6368;">{{$.LblSize}}</td><td style="padding:2px 0;">{{.Size}}</td></tr>
<tr><td style="padding:2px 16px 2px 0;color:#5f6368;">{{$.LblSHA}}</td><td style="padding:2px 0;font-family:Consolas,'Courier New',monospace;font-size:12px;word-break:break-all;">{{.SHA}}</td></tr>
{{- if .KeptAt}}
<tr><td style="padding:2px 16px 2px 0;color:#b3261e;">{{$.LblKept}}</td><td style="padding:2px 0;color:#b3261e;font-family:Consolas,'Courier New',monospace;font-size:12px;">{{.KeptAt}}</td></tr>
{{- end}}
{{- end}}
{{- if .Took}}
<tr><td style="padding:2px 16px 2px 0;color:#5f6368;">{{$.LblTook}}</td><td style="padding:2px 0;">{{.Took}}</td></tr>
{{- end}}
</table>
</td></tr>
{{- end}}
{{- end}}
<tr><td style="padding:12px 18px 16px 18px;border-top:1px solid #eceef1;font-size:12px;line-height:18px;color:#5f6368;">
{{- if .LogNote}}{{.LogNote}}<br>{{end}}{{.Footer}}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`))
