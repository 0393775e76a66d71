package report

import (
	"fmt"
	"regexp"
	"slices"
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
//   - else, for a sentence made of pieces ("check the user; check the password",
//     "3 files, 1.2 MB, 2 folders"), each piece by these rules: the separators are
//     tried in order, outside brackets and quotes, and every piece must translate.
//
// What none of these knows stays as it was: an underlying error is quoted verbatim on
// purpose (it is evidence, and a technician pastes it into a search engine), and a
// sentence the catalogue lacks is better in English than garbled. The test
// TestCatalogCoversTheCode reads the code and lists the sentences it lacks.
type catalog struct {
	exact    map[string]string
	patterns []*pattern
	seps     []separator
	// words are what gardien writes inside a value ("local socket" for a
	// PostgreSQL address): translated wherever a {s} value holds them.
	words    map[string]string
	replacer *strings.Replacer
}

// separator is what joins the pieces of a sentence, in English and translated.
type separator struct{ en, tr string }

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
// count followed by the singular or plural form ("1 entrée", "3 entrées"), and
// {N?one;many} the form alone, agreeing with count N.
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
	// formOnly writes the form without the count: {1?sauvegardée;sauvegardées}.
	formOnly bool
}

var outRe = regexp.MustCompile(`\{(\d+)(?:([|?])([^;{}]*);([^{}]*))?\}`)

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
			op.one, op.many = fr[m[6]:m[7]], fr[m[8]:m[9]]
			op.formOnly = fr[m[4]:m[5]] == "?"
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

func (p *pattern) render(values []string, words *strings.Replacer) string {
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
			if !o.formOnly {
				b.WriteString(v + " ")
			}
			b.WriteString(form)
			continue
		}
		if p.kinds[o.value-1] == "s" {
			// A value gardien built may hold its own words and sizes: "local
			// socket", "Specibike 12.3 MB, Specibike_test 1.2 MB".
			if words != nil {
				v = words.Replace(v)
			}
			v = sizeIn.ReplaceAllStringFunc(v, sizeFR)
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

// sizeIn finds the sizes that Bytes wrote inside a value.
var sizeIn = regexp.MustCompile(`\b\d+(?:\.\d)? [kMGTP]?B\b`)

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
	t, _, ok := c.tr(s, c.seps)
	return t, ok
}

// values returns the values that the patterns translating s took from it. The test
// checks that they are the code's values, not English words a pattern swallowed.
func (c *catalog) values(s string) [][]string {
	_, v, _ := c.tr(s, c.seps)
	return v
}

// tr translates s whole, or else piece by piece: split by the first of seps that
// splits it, the pieces grouped so that each group translates. The shortest groups
// are tried first, so that a general pattern ("{s}, {size}") does not take words of
// the list as its value; a piece that needs its neighbour ("{n} sockets, pipes or
// devices left out") is found with it.
func (c *catalog) tr(s string, seps []separator) (string, [][]string, bool) {
	if s == "" {
		return s, nil, true
	}
	if t, v, ok := c.one(s); ok {
		return t, v, true
	}
	for i, sep := range seps {
		parts := splitOutside(s, sep.en)
		if len(parts) < 2 {
			continue
		}
		type done struct {
			out    []string
			values [][]string
		}
		best := make([]*done, len(parts)+1) // best[j]: parts[:j] translated
		best[0] = &done{}
		for j := 1; j <= len(parts); j++ {
			for k := j - 1; k >= 0; k-- {
				if best[k] == nil {
					continue
				}
				seg := strings.Join(parts[k:j], sep.en)
				t, v, ok := c.one(seg)
				if !ok && j-k == 1 {
					t, v, ok = c.tr(seg, seps[i+1:])
				}
				if ok {
					best[j] = &done{append(slices.Clone(best[k].out), t), append(slices.Clone(best[k].values), v...)}
					break
				}
			}
		}
		if d := best[len(parts)]; d != nil {
			return strings.Join(d.out, sep.tr), d.values, true
		}
		return s, nil, false
	}
	return s, nil, false
}

// splitOutside splits s at each sep that is outside brackets and double quotes: the
// pieces of "a (b; c); d" are "a (b; c)" and "d".
func splitOutside(s, sep string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case '(', '[':
			if !quoted {
				depth++
			}
		case ')', ']':
			if !quoted && depth > 0 {
				depth--
			}
		}
		if depth == 0 && !quoted && strings.HasPrefix(s[i:], sep) {
			parts = append(parts, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(parts, s[start:])
}

// one translates s by an exact entry or a pattern, and returns the values the
// pattern took.
func (c *catalog) one(s string) (string, [][]string, bool) {
	if t, ok := c.exact[s]; ok {
		return t, nil, true
	}
	for _, p := range c.patterns {
		if v, ok := p.match(s); ok {
			return p.render(v, c.replacer), [][]string{v}, true
		}
	}
	return s, nil, false
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
	// A job with several sources puts the source's name before what it wrote
	// ("db: 6.6 MB, 1 entries"); a name has no space, unlike the operation that
	// begins an error ("dial tcp …").
	if name, rest, ok := strings.Cut(s, ": "); ok && name != "" && !strings.ContainsAny(name, " /\"") {
		if t, ok := lc.details.translate(rest); ok {
			return name + lc.sep + t
		}
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

// withWords sets the words translated inside values.
func (c *catalog) withWords(words map[string]string) *catalog {
	c.words = words
	var pairs []string
	for en, tr := range words {
		pairs = append(pairs, en, tr)
	}
	c.replacer = strings.NewReplacer(pairs...)
	return c
}

// newCatalog builds a catalogue from its entries, French typography applied.
func newCatalog(exact map[string]string, patterns [][2]string, seps ...separator) *catalog {
	c := &catalog{exact: map[string]string{}, seps: seps}
	for en, fr := range exact {
		c.exact[en] = frenchTypography(fr)
	}
	for _, p := range patterns {
		c.patterns = append(c.patterns, newPattern(p[0], frenchTypography(p[1])))
	}
	return c
}
