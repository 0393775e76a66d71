package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// sample fills the holes of a shape with values as the code formats them, and
// returns what each must become in the French: "S1" stays "S1", "812.4 MB" becomes
// "812,4 Mo".
func (sh shape) sample() (text string, values, want []string) {
	var b strings.Builder
	for i, p := range sh {
		if p.kind == "" {
			b.WriteString(p.lit)
			continue
		}
		v, w := sampleValue(p.kind, i)
		b.WriteString(v)
		values = append(values, v)
		want = append(want, w)
	}
	return b.String(), values, want
}

func sampleValue(kind string, i int) (value, french string) {
	switch kind {
	case "q":
		v := fmt.Sprintf(`"Q%d"`, i)
		return v, v
	case "n":
		return "7", "7"
	case "x":
		return "0badcafe", "0badcafe"
	case "g":
		return "12.5", "12,5"
	case "size":
		return "812.4 MB", "812,4" + nb + "Mo"
	case "dur":
		return "6.1s", "6,1" + nb + "s"
	case "date":
		return "2026-11-22 02:00", "22/11/2026 02:00"
	}
	v := fmt.Sprintf("S%d", i)
	return v, v
}

// shapeOf reads a pattern of the catalogue back into a shape.
func shapeOf(pattern string) shape {
	var sh shape
	last := 0
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(pattern, -1) {
		sh = concat(sh, lit(pattern[last:m[0]]))
		sh = concat(sh, hole(pattern[m[2]:m[3]]))
		last = m[1]
	}
	return concat(sh, lit(pattern[last:]))
}

// problem says what is wrong with the translation of one shape, or "".
func translationProblem(c *catalog, sh shape) (missing bool, problem string) {
	text, values, want := sh.sample()
	got, ok := c.translate(text)
	if !ok {
		return true, ""
	}
	// A value the pattern took must be the code's value, not English words of the
	// sentence that a too general pattern swallowed.
	// The values are joined first: two values side by side ("{s}{s}") may split
	// between them what the code wrote as two.
	for _, vs := range c.values(text) {
		rest := strings.Join(vs, "")
		samples := slices.Clone(values)
		slices.SortFunc(samples, func(a, b string) int { return len(b) - len(a) }) // "S7" before "7"
		for _, s := range samples {
			rest = strings.ReplaceAll(rest, s, "")
		}
		for w := range c.words {
			rest = strings.ReplaceAll(rest, w, "")
		}
		if strings.IndexFunc(rest, unicode.IsLetter) >= 0 {
			return false, fmt.Sprintf("a pattern takes %q as values: it swallows words of the sentence; add a pattern for %q before it", vs, sh.pattern())
		}
	}
	for i, w := range want {
		if !strings.Contains(got, w) {
			return false, fmt.Sprintf("the translation %q lost value %d (%q, expected as %q): check the placeholders", got, i+1, values[i], w)
		}
	}
	return false, ""
}

// missingPieces returns what the catalogue lacks to translate the sentence written
// as pattern: the sentence itself, or, when it is made of pieces, the pieces it
// lacks.
func missingPieces(c *catalog, pattern string, seps []separator) []string {
	text, _, _ := shapeOf(pattern).sample()
	if _, _, ok := c.one(text); ok {
		return nil
	}
	for i, sep := range seps {
		parts := splitOutside(pattern, sep.en)
		if len(parts) < 2 || slices.ContainsFunc(parts, func(p string) bool { return shapeOf(p).empty() }) {
			// A piece that is only a value ("{s}; changed while read: {s}") cannot be
			// told from English words: the sentence needs its own pattern.
			continue
		}
		var out []string
		for _, p := range parts {
			out = append(out, missingPieces(c, p, seps[i+1:])...)
		}
		return out
	}
	return []string{pattern}
}

// Every hint, detail and cause that the code can write has a French translation.
// The strings are collected from the repository's code (go/parser), not from a list
// kept by hand: a destination or a source that arrives with new hints makes this
// test fail until the catalogue has them, and its message lists them ready to paste.
func TestCatalogCoversTheCode(t *testing.T) {
	s, err := scanRepo("../..")
	if err != nil {
		t.Fatal(err)
	}
	// The scanner must still see what it is known to see: a scanner that finds
	// nothing would let everything pass.
	known := map[sinkKind][]string{
		sinkHint:   {"nothing listens on that port: check that the service is running and the port is right", "see the destination names with `gardien list {s}`"},
		sinkDetail: {"not run because the destination is unreachable", "{s}, {size} in {dur}", "{n} kept, {n} deleted"},
		sinkCause:  {"{n} deletion(s) failed"},
	}
	for k, patterns := range known {
		for _, p := range patterns {
			found := false
			for _, f := range s.byKind(k) {
				found = found || f.shape.pattern() == p
			}
			if !found {
				t.Errorf("the scanner no longer finds the %s %q in the code: fix the scanner (catalog_scan_test.go)", k, p)
			}
		}
	}

	if len(s.unfollowed) > 0 {
		t.Errorf("the scanner cannot follow the text of these hints, so it cannot check their French: "+
			"write each as a literal, a fmt.Sprintf or a function that returns literals (or teach catalog_scan_test.go):\n\t%s",
			strings.Join(s.unfollowed, "\n\t"))
	}

	sections := map[string][]string{}
	listed := map[string]bool{}
	var wrong []string
	for _, k := range []sinkKind{sinkHint, sinkDetail, sinkCause} {
		c, exact, patterns := frenchDetails, "detailsFR", "detailPatternsFR"
		if k == sinkHint {
			c, exact, patterns = frenchHints, "hintsFR", "hintPatternsFR"
		}
		for _, f := range s.byKind(k) {
			missing, problem := translationProblem(c, f.shape)
			if problem != "" {
				wrong = append(wrong, fmt.Sprintf("\t%s %s %q: %s", k, f.pos, f.shape.pattern(), problem))
			}
			if !missing {
				continue
			}
			// What to translate: the sentence, or the pieces of it that the catalogue
			// lacks when it is a list ("{n} files, {size}, {n} folders").
			for _, p := range missingPieces(c, f.shape.pattern(), c.seps) {
				if listed[exact+p] {
					continue
				}
				listed[exact+p] = true
				if shapeOf(p).literal() {
					sections[exact] = append(sections[exact], fmt.Sprintf("\t%q: \"\", // %s %s", p, k, f.pos))
				} else {
					sections[patterns] = append(sections[patterns], fmt.Sprintf("\t{%q, \"\"}, // %s %s", p, k, f.pos))
				}
			}
		}
	}
	if len(sections) > 0 {
		var b strings.Builder
		n := 0
		names := make([]string, 0, len(sections))
		for name, lines := range sections {
			names = append(names, name)
			n += len(lines)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "the French catalogue (internal/report/catalog_fr.go) lacks %d sentences the code can write; translate them there:\n", n)
		for _, name := range names {
			fmt.Fprintf(&b, "\nin %s:\n%s\n", name, strings.Join(sections[name], "\n"))
		}
		b.WriteString("\n(a pattern's {s} is any text, kept as it is; {size}, {dur}, {date}, {g} are converted; {N|singulier;pluriel} is count N and its word, {N?singulier;pluriel} the word alone)")
		t.Error(b.String())
	}
	if len(wrong) > 0 {
		t.Errorf("the French catalogue translates these wrongly:\n%s", strings.Join(wrong, "\n"))
	}
}

// Each pattern of the catalogue is the one that translates its own sentence: none is
// hidden behind a more general one listed before it, and each renders its values.
func TestCatalogPatternsAreReachable(t *testing.T) {
	for name, c := range map[string]*catalog{"hintPatternsFR": frenchHints, "detailPatternsFR": frenchDetails} {
		for _, p := range c.patterns {
			text, _, _ := shapeOf(p.en).sample()
			for _, q := range c.patterns {
				if _, ok := q.match(text); ok {
					if q != p {
						t.Errorf("%s: %q is hidden by %q, listed before it", name, p.en, q.en)
					}
					break
				}
			}
			if missing, problem := translationProblem(c, shapeOf(p.en)); missing || problem != "" {
				t.Errorf("%s: %q: %s", name, p.en, problem)
			}
		}
	}
}

// What the job writes, in the French mail: real sentences from runs, their values in
// French forms, and the underlying errors verbatim.
func TestFrenchText(t *testing.T) {
	for _, sc := range []struct{ en, fr string }{
		{"HTTP 200 OK, 6.6 MB in 8ms", "HTTP 200 OK, 6,6\u00a0Mo en 8\u00a0ms"},
		{"HTTP 200 OK, announced 900.0 MB", "HTTP 200 OK, 900,0\u00a0Mo annoncés"},
		{"HTTP 404 Not Found", "HTTP 404 Not Found"},
		{"6.6 MB, 1 entries", "6,6\u00a0Mo, 1 entrée"},
		{"6.6 MB, 3 entries", "6,6\u00a0Mo, 3 entrées"},
		{"dump.sql, 24.0 MB, CRC-32 30586396 ok", "dump.sql, 24,0\u00a0Mo, CRC-32 30586396 correct"},
		{"export, 2024/dump.sql, 512 B, CRC-32 0000beef ok", "export, 2024/dump.sql, 512\u00a0o, CRC-32 0000beef correct"},
		{"dump.sql, 24.0 MB, same size and CRC-32 (30586396) as in the last run: not re-read",
			"dump.sql, 24,0\u00a0Mo, même taille et même CRC-32 (30586396) qu'à la dernière exécution\u00a0: non relu"},
		{"first run, sha256 aaed…9673", "première exécution, sha256 aaed…9673"},
		{"sha256 425f…ae9b (was aaed…9673)", "sha256 425f…ae9b (avant\u00a0: aaed…9673)"},
		{"24.0 MB (was 4.1 GB)", "24,0\u00a0Mo (avant\u00a0: 4,1\u00a0Go)"},
		{"the dump is unchanged since run 0675 of 2026-11-25 01:00 (same size and CRC-32 as then; sha256 then aaed…9673)",
			"le dump n'a pas changé depuis l'exécution 0675 du 25/11/2026 01:00 (même taille et même CRC-32\u00a0; sha256 relevé alors\u00a0: aaed…9673)"},
		{"the dump shrank from 4.2 GB to 1.1 GB, more than max_shrink 50%", "le dump a diminué de plus de 50\u00a0% (max_shrink)\u00a0: de 4,2\u00a0Go à 1,1\u00a0Go"},
		{"the dump shrank from 4.2 GB to 3.1 GB, more than max_shrink 12.5%", "le dump a diminué de plus de 12,5\u00a0% (max_shrink)\u00a0: de 4,2\u00a0Go à 3,1\u00a0Go"},
		{"20261125.tgz, 7.3 MB in 425ms", "20261125.tgz, 7,3\u00a0Mo en 425\u00a0ms"},
		{"20261122.tgz, 790.3 MB in 1m12s", "20261122.tgz, 790,3\u00a0Mo en 1\u00a0min 12\u00a0s"},
		{"20261122.tgz, 790.3 MB in 41.8s, sha256 read back ok", "20261122.tgz, 790,3\u00a0Mo en 41,8\u00a0s, sha256 vérifié à la relecture"},
		{"4 kept, 3 deleted", "4 archives conservées, 3 supprimées"},
		{"1 kept, 0 deleted", "1 archive conservée, 0 supprimée"},
		{"30 kept, 1 would delete, 2 stale temporary file(s) removed", "30 archives conservées, 1 serait supprimée, 2 fichiers temporaires abandonnés supprimés"},
		{"1 deletion(s) failed", "1 suppression a échoué"},
		{"2 deletion(s) failed", "2 suppressions ont échoué"},
		{"not run because the destination is unreachable", "car la destination est injoignable"},
		// A count that agrees with another; words and sizes inside a value.
		{"1 of 2 dumped", "1 sur 2 sauvegardée"},
		{"2 of 3 dumped", "2 sur 3 sauvegardées"},
		{"2 of 2: Specibike 12.3 MB, SpecibikeTest 1.2 MB", "2 sur 2\u00a0: Specibike 12,3\u00a0Mo, SpecibikeTest 1,2\u00a0Mo"},
		{"PostgreSQL 15.10 at backup@local socket:5432", "PostgreSQL 15.10 sur backup@socket local:5432"},
		// A list translated piece by piece, a piece that needs its neighbour.
		{"/srv/media: 1 file, 12 B, 3 folders, 2 sockets, pipes or devices left out", "/srv/media\u00a0: 1 fichier, 12\u00a0o, 3 dossiers, 2 sockets, tubes ou périphériques laissés de côté"},
		// What a source of several wrote, after its name.
		{"db: 6.6 MB, 1 entries", "db\u00a0: 6,6\u00a0Mo, 1 entrée"},
		{"media: not run because the transfer failed", "media\u00a0: car le transfert a échoué"},
		// Causes: an underlying error stays verbatim, but for gardien's note on retries.
		{"dial tcp 127.0.0.1:41973: connect: connection refused (after 3 attempts)",
			"dial tcp 127.0.0.1:41973: connect: connection refused (après 3 tentatives)"},
		{"write /srv/archives/.20261122.tgz.part: no space left on device", "write /srv/archives/.20261122.tgz.part: no space left on device"},
		{"write: no space left on device (after 2 attempts)", "write: no space left on device (après 2 tentatives)"},
		{"db: open dump.sql: permission denied", "db: open dump.sql: permission denied"},
		// A list the catalogue knows piece by piece; one it does not stays whole.
		{"4 kept, 3 deleted; 1 deletion(s) failed", "4 archives conservées, 3 supprimées\u00a0; 1 suppression a échoué"},
		{"4 kept, 3 deleted; something new", "4 kept, 3 deleted; something new"},
		{"", ""},
	} {
		if got := french.text(sc.en); got != sc.fr {
			t.Errorf("text(%q)\n got %q\nwant %q", sc.en, got, sc.fr)
		}
		if got := english.text(sc.en); got != sc.en {
			t.Errorf("the English text of %q changed: %q", sc.en, got)
		}
	}
}

func TestFrenchHints(t *testing.T) {
	for _, sc := range []struct{ en, fr string }{
		{"nothing listens on that port: check that the service is running and the port is right",
			"le serveur ne répond pas sur ce port\u00a0: vérifiez que le service tourne et que le port est le bon"},
		// A hint that names a value.
		{`the server refused user "backup": check username and password (password_file); with Nextcloud and two-factor authentication, use an app password`,
			"le serveur a refusé l'utilisateur \"backup\"\u00a0: vérifiez username et le mot de passe (password_file)\u00a0; avec Nextcloud et l'authentification à deux facteurs, utilisez un mot de passe d'application"},
		// A hint made of clauses, each known.
		{"check the user; the public key of key_file must be in ~backup/.ssh/authorized_keys on the server; the server's auth log (/var/log/auth.log) says why it refused",
			"vérifiez l'utilisateur\u00a0; la clé publique de key_file doit figurer dans ~backup/.ssh/authorized_keys sur le serveur\u00a0; le journal d'authentification du serveur (/var/log/auth.log) dit pourquoi il a refusé"},
		// A hint the catalogue does not know stays whole, in English: no half-translation.
		{"check the user; something new", "check the user; something new"},
	} {
		if got := french.hintText(sc.en); got != sc.fr {
			t.Errorf("hintText(%q)\n got %q\nwant %q", sc.en, got, sc.fr)
		}
		if got := english.hintText(sc.en); got != sc.en {
			t.Errorf("the English hint %q changed: %q", sc.en, got)
		}
	}
}

func TestFrenchTypography(t *testing.T) {
	for _, sc := range []struct{ in, want string }{
		{"voyez : ceci ; cela ? 50 %", "voyez\u00a0: ceci\u00a0; cela\u00a0? 50\u00a0%"},
		{"voir « vraisemblance »", "voir «\u00a0vraisemblance\u00a0»"},
		{"ftps://hôte:21", "ftps://hôte:21"},
	} {
		if got := frenchTypography(sc.in); got != sc.want {
			t.Errorf("frenchTypography(%q) = %q, want %q", sc.in, got, sc.want)
		}
	}
}

// A pattern whose French refers to a value it does not have is refused when the
// catalogue is built, not when a mail is rendered at 2 a.m.
func TestNewPatternRefusesBadTemplates(t *testing.T) {
	for _, sc := range [][2]string{
		{"{s} in {dur}", "{1} en {3}"},
		{"{s} kept", "{1|conservée;conservées}"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("newPattern(%q, %q) accepted a French that does not fit", sc[0], sc[1])
				}
			}()
			newPattern(sc[0], sc[1])
		}()
	}
}
