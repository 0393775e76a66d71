package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A catalogue translates what the job writes into each step (its detail, its cause
// when gardien wrote it, its hint) for a mail in another language. The log keeps the
// English: it is grepped, and the job writes English. The translation happens when
// the mail is rendered.
//
// A sentence is translated by:
//   - an exact entry, for the fixed sentences (every hint is one);
//   - else a pattern: the English with placeholders for the values, and the French
//     that puts the values back, converted to the language's forms (sizes,
//     durations, dates, plurals);
//   - else, for a hint made of clauses ("check the user; check the password"), each
//     clause by the two rules above.
//
// What none of these knows stays as it was: an underlying error is quoted verbatim on
// purpose (it is evidence, and a technician pastes it into a search engine), and a
// sentence the catalogue lacks is better in English than garbled. The test
// TestCatalogCoversTheCode reads the code and lists the sentences it lacks.
type catalog struct {
	exact    map[string]string
	patterns []*pattern
	clauses  string // what separates the clauses of a hint in English: "; "
	joinAs   string // and in the translation
}

// Placeholders of the patterns' English side: what each matches, as the code writes
// it. {s} is any text, which goes back unchanged; the others are converted.
var placeholders = map[string]string{
	"s":    `(.+?)`,
	"q":    `("(?:[^"\\]|\\.)*")`,                             // %q
	"n":    `(\d+)`,                                           // %d
	"x":    `([0-9a-f]+)`,                                     // %x
	"g":    `(\d+(?:\.\d+)?)`,                                 // %g
	"size": `(\d+(?:\.\d)? [kMGTP]?B)`,                        // Bytes
	"dur":  `((?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ns|µs|ms|s))`, // Duration
	"date": `(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?)`, // Format("2006-01-02 15:04")
}

var placeholderRe = regexp.MustCompile(`\{(s|q|n|x|g|size|dur|date)\}`)

// pattern is one formatted sentence: "{s}, {size} in {dur}" → "{1}, {2} en {3}".
// In the French, {N} is the Nth value, converted by its kind; {N|one;many} is a
// count followed by the singular or plural form ("1 entrée", "3 entrées").
type pattern struct {
	en    string
	re    *regexp.Regexp
	kinds []string
	out   []outPart
}

type outPart struct {
	lit   string
	value int    // 1-based; 0 for literal text
	one   string // the forms after a count
	many  string
}

var outRe = regexp.MustCompile(`\{(\d+)(?:\|([^;{}]*);([^{}]*))?\}`)

// newPattern compiles an entry; the catalogue is built at start-up, so an entry that
// does not compile is a programming error and panics (as regexp.MustCompile does).
func newPattern(en, fr string) *pattern {
	p := &pattern{en: en}
	var re strings.Builder
	re.WriteString("^")
	last := 0
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(en, -1) {
		re.WriteString(regexp.QuoteMeta(en[last:m[0]]))
		kind := en[m[2]:m[3]]
		re.WriteString(placeholders[kind])
		p.kinds = append(p.kinds, kind)
		last = m[1]
	}
	re.WriteString(regexp.QuoteMeta(en[last:]) + "$")
	p.re = regexp.MustCompile(re.String())

	last = 0
	for _, m := range outRe.FindAllStringSubmatchIndex(fr, -1) {
		if m[0] > last {
			p.out = append(p.out, outPart{lit: fr[last:m[0]]})
		}
		n, _ := strconv.Atoi(fr[m[2]:m[3]])
		if n < 1 || n > len(p.kinds) {
			panic(fmt.Sprintf("catalogue: %q refers to value %d of %q, which has %d", fr, n, en, len(p.kinds)))
		}
		op := outPart{value: n}
		if m[4] >= 0 {
			if p.kinds[n-1] != "n" {
				panic(fmt.Sprintf("catalogue: %q gives plural forms to value %d of %q, which is not a count", fr, n, en))
			}
			op.one, op.many = fr[m[4]:m[5]], fr[m[6]:m[7]]
		}
		p.out = append(p.out, op)
		last = m[1]
	}
	if last < len(fr) {
		p.out = append(p.out, outPart{lit: fr[last:]})
	}
	return p
}

// match returns the values of s when the pattern matches it.
func (p *pattern) match(s string) ([]string, bool) {
	m := p.re.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	return m[1:], true
}

func (p *pattern) render(values []string) string {
	var b strings.Builder
	for _, o := range p.out {
		if o.value == 0 {
			b.WriteString(o.lit)
			continue
		}
		v := values[o.value-1]
		if o.one != "" || o.many != "" {
			form := o.many
			if n, _ := strconv.Atoi(v); n < 2 { // French: 0 and 1 take the singular
				form = o.one
			}
			b.WriteString(v + " " + form)
			continue
		}
		b.WriteString(convertFR(p.kinds[o.value-1], v))
	}
	return b.String()
}

// convertFR writes a value the code formatted in English the French way.
func convertFR(kind, v string) string {
	switch kind {
	case "g":
		return strings.Replace(v, ".", ",", 1)
	case "size":
		return sizeFR(v)
	case "dur":
		if d, err := time.ParseDuration(v); err == nil {
			return durationFR(d)
		}
	case "date":
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.Format(strings.NewReplacer("2006-01-02", "02/01/2006").Replace(layout))
			}
		}
	}
	return v
}

// sizeFR turns a size written by Bytes ("812.4 MB") into French ("812,4 Mo").
func sizeFR(s string) string {
	num, unit, ok := strings.Cut(s, " ")
	if !ok {
		return s
	}
	return strings.Replace(num, ".", ",", 1) + nb + strings.Replace(unit, "B", "o", 1)
}

// translate returns s in the catalogue's language, and whether it knew how.
func (c *catalog) translate(s string) (string, bool) {
	if s == "" {
		return s, true
	}
	if t, ok := c.one(s); ok {
		return t, true
	}
	if c.clauses != "" && strings.Contains(s, c.clauses) {
		parts := strings.Split(s, c.clauses)
		for i, p := range parts {
			t, ok := c.one(p)
			if !ok {
				return s, false
			}
			parts[i] = t
		}
		return strings.Join(parts, c.joinAs), true
	}
	return s, false
}

func (c *catalog) one(s string) (string, bool) {
	if t, ok := c.exact[s]; ok {
		return t, true
	}
	for _, p := range c.patterns {
		if v, ok := p.match(s); ok {
			return p.render(v), true
		}
	}
	return s, false
}

// values returns, for each pattern that translates a piece of s (s, or one of its
// clauses), the values it took from s. The test checks that
// the values are the code's values, not English words a pattern swallowed.
func (c *catalog) values(s string) [][]string {
	pieces := []string{s}
	if _, ok := c.one(s); !ok && c.clauses != "" {
		pieces = strings.Split(s, c.clauses)
	}
	var out [][]string
	for _, p := range pieces {
		if _, ok := c.exact[p]; ok {
			continue
		}
		for _, pt := range c.patterns {
			if v, ok := pt.match(p); ok {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// retryNote is what fault.Retry appends to the error of an operation it retried.
var retryNote = regexp.MustCompile(`^(.*) \(after (\d+) attempts\)$`)

// text translates a step's detail or cause: what gardien wrote, through the
// catalogue; an underlying error stays verbatim, but for the note on retries that
// gardien appends to it.
func (lc *locale) text(s string) string {
	if lc.details == nil {
		return s
	}
	if t, ok := lc.details.translate(s); ok {
		return t
	}
	if m := retryNote.FindStringSubmatch(s); m != nil {
		return lc.text(m[1]) + fmt.Sprintf(lc.retried, m[2])
	}
	return s
}

// hintText translates a hint.
func (lc *locale) hintText(s string) string {
	if lc.hints == nil {
		return s
	}
	t, _ := lc.hints.translate(s)
	return t
}

// frenchTypography puts the no-break space French writes before : ; ? ! % » and after
// «, so that the catalogue can be written with plain spaces.
func frenchTypography(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if r == ' ' && (i+1 < len(rs) && strings.ContainsRune(":;?!%»", rs[i+1]) || i > 0 && rs[i-1] == '«') {
			b.WriteString(nb)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// newCatalog builds a catalogue from its entries, French typography applied.
func newCatalog(exact map[string]string, patterns [][2]string, clauses, joinAs string) *catalog {
	c := &catalog{exact: map[string]string{}, clauses: clauses, joinAs: joinAs}
	for en, fr := range exact {
		c.exact[en] = frenchTypography(fr)
	}
	for _, p := range patterns {
		c.patterns = append(c.patterns, newPattern(p[0], frenchTypography(p[1])))
	}
	return c
}
