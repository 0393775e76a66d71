package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Summary renders the block written to the log after each run, readable by a
// person who does not know the tool:
//
//	== ocpizza-db run 7f3a · 2026-11-22 02:00:04 · FAILURE at "transfer done" (nas) ==
//	  ok      url reachable          HTTP 200, 812.4 MB in 6.1s
//	  FAILED  transfer done          nas: write …: no space left on device
//	                                 hint: free space on nas or lower keep_days
func Summary(w io.Writer, r *Result) error {
	var b strings.Builder
	writeBlock(&b, r, english)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeBlock renders the summary block in the words of lc: the English block of the
// log, or the block of a French mail, with the same layout.
func writeBlock(b *strings.Builder, r *Result, lc *locale) {
	b.WriteString(lc.headline(r))
	b.WriteByte('\n')
	nameW := lc.nameW
	if lc.growName {
		for _, s := range r.Steps {
			nameW = max(nameW, utf8.RuneCountInString(lc.step(s.Name)))
		}
	}
	indent := strings.Repeat(" ", 2+lc.statusW+1+nameW+1)
	for _, s := range r.Steps {
		fmt.Fprintf(b, "  %s %s %s\n", padRight(lc.status(s.Status), lc.statusW), padRight(lc.step(s.Name), nameW), stepText(s, lc))
		if s.Hint != "" && (s.Status == Failed || s.Status == Warning) {
			fmt.Fprintf(b, "%s%s%s\n", indent, lc.hint, lc.hintText(s.Hint))
		}
	}
	for _, d := range r.Deletions {
		b.WriteString("  " + lc.deletion(d, lc) + "\n")
	}
	if r.Archive != "" {
		b.WriteString("  " + lc.archive(r, lc) + "\n")
	}
	if !r.End.IsZero() {
		b.WriteString("  " + fmt.Sprintf(lc.took, lc.duration(r.End.Sub(r.Start))) + "\n")
	}
}

// stepText is what the block says after a step's name: the target, what was seen
// and, when the step failed or warned with one, the cause.
func stepText(s Step, lc *locale) string {
	text := lc.text(s.Detail)
	if s.Status == Failed || (s.Status == Warning && s.Cause != "") {
		text = joinNonEmpty(lc.sep, text, lc.text(s.Cause))
	}
	if s.Target != "" {
		text = joinNonEmpty(lc.sep, s.Target, text)
	}
	return text
}

// Headline is the first line of the summary block.
func Headline(r *Result) string { return english.headline(r) }

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Bytes formats a size for people, in decimal units: "812.4 MB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}

// Duration formats a duration for people: "6.1s", "2m03s".
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}
