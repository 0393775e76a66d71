// Package namefmt formats archive names from a strftime pattern ("%Y%m%d.tgz") and
// reads the date back from a name, which is what retention decides on: the date in the
// name, not a file time that a copy or a restore may have changed.
package namefmt

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The conversions gardien understands, with the digits each one takes.
var verbs = map[byte]int{'Y': 4, 'y': 2, 'm': 2, 'd': 2, 'H': 2, 'M': 2, 'S': 2, 'j': 3}

// Pattern is a compiled strftime pattern.
type Pattern struct {
	src   string
	re    *regexp.Regexp
	order []byte // verb of each regexp group
}

// Compile checks a pattern: only the conversions %Y %y %m %d %H %M %S %j and %%, a
// year and a day (%m and %d, or %j) present so that the date can be read back, and no
// directory separator.
func Compile(p string) (*Pattern, error) {
	if p == "" {
		return nil, fmt.Errorf("empty name pattern")
	}
	if strings.ContainsAny(p, `/\`) {
		return nil, fmt.Errorf("name pattern %q contains a directory separator", p)
	}
	var re strings.Builder
	re.WriteString("^")
	seen := map[byte]bool{}
	var order []byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			re.WriteString(regexp.QuoteMeta(string(c)))
			continue
		}
		if i+1 == len(p) {
			return nil, fmt.Errorf("name pattern %q ends with a lone %%", p)
		}
		i++
		v := p[i]
		if v == '%' {
			re.WriteString("%")
			continue
		}
		n, ok := verbs[v]
		if !ok {
			return nil, fmt.Errorf("name pattern %q uses %%%c, which is not supported (use %%Y %%y %%m %%d %%H %%M %%S %%j)", p, v)
		}
		seen[v] = true
		order = append(order, v)
		fmt.Fprintf(&re, `(\d{%d})`, n)
	}
	re.WriteString("$")
	if !seen['Y'] && !seen['y'] {
		return nil, fmt.Errorf("name pattern %q has no year (%%Y): retention could not read the date back", p)
	}
	if !(seen['m'] && seen['d']) && !seen['j'] {
		return nil, fmt.Errorf("name pattern %q has no month and day (%%m and %%d): retention could not read the date back", p)
	}
	if strings.HasPrefix(p, ".") {
		return nil, fmt.Errorf("name pattern %q starts with a dot: such names are hidden and used for temporary files", p)
	}
	return &Pattern{src: p, re: regexp.MustCompile(re.String()), order: order}, nil
}

// Validate reports whether p is a usable pattern.
func Validate(p string) error {
	_, err := Compile(p)
	return err
}

// String returns the source pattern.
func (p *Pattern) String() string { return p.src }

// Format returns the name for time t.
func (p *Pattern) Format(t time.Time) string {
	var b strings.Builder
	s := p.src
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Parse reads the date out of a name made by Format, in loc. It reports false for a
// name that does not match the pattern or holds an impossible date.
func (p *Pattern) Parse(name string, loc *time.Location) (time.Time, bool) {
	m := p.re.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	year, month, day, yday, hour, min, sec := -1, 1, 1, -1, 0, 0, 0
	for i, v := range p.order {
		n, _ := strconv.Atoi(m[i+1])
		switch v {
		case 'Y':
			year = n
		case 'y':
			year = 2000 + n
		case 'm':
			month = n
		case 'd':
			day = n
		case 'j':
			yday = n
		case 'H':
			hour = n
		case 'M':
			min = n
		case 'S':
			sec = n
		}
	}
	var t time.Time
	if yday >= 0 {
		if yday < 1 || yday > 366 {
			return time.Time{}, false
		}
		t = time.Date(year, 1, 1, hour, min, sec, 0, loc).AddDate(0, 0, yday-1)
	} else {
		if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59 {
			return time.Time{}, false
		}
		t = time.Date(year, time.Month(month), day, hour, min, sec, 0, loc)
	}
	// The date must write back to exactly this name. This refuses what the checks
	// above cannot see: 31 February, day 366 of a common year, and a pattern that
	// names a field twice with two values (%Y and %y disagreeing). Retention never
	// acts on a date that is not the one the name was written with.
	if p.Format(t) != name {
		return time.Time{}, false
	}
	return t, true
}

// TempName is the name an archive is uploaded under before its final rename. It is
// hidden, and does not match the archive pattern, so a half-sent file never looks like
// an archive.
func TempName(name string) string { return "." + name + ".part" }

// VerifyName is the name an archive is uploaded under when it is read back before it
// takes its name (verify = true). It is hidden, does not match the archive pattern,
// and differs from TempName(name), which the upload itself uses on its way
// (TempName(VerifyName(name))).
func VerifyName(name string) string { return "." + name + ".verify" }

// FromTemp returns the final name of a temporary name, or false. The temporary names
// of name are TempName(name), VerifyName(name) and TempName(VerifyName(name)).
func FromTemp(temp string) (string, bool) {
	if n, ok := unhide(temp, ".part"); ok {
		if v, ok := unhide(n, ".verify"); ok {
			return v, true
		}
		return n, true
	}
	return unhide(temp, ".verify")
}

// unhide returns s without its leading dot and its suffix, or false when s does not
// have both around a non-empty name.
func unhide(s, suffix string) (string, bool) {
	if !strings.HasPrefix(s, ".") || !strings.HasSuffix(s, suffix) || len(s) <= len(suffix)+1 {
		return "", false
	}
	return s[1 : len(s)-len(suffix)], true
}
