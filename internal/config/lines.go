package config

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// lineIndex maps every key of a TOML file to the line it is written on, so that
// validation errors can say where to look. BurntSushi/toml does not expose key
// positions, and the format is simple enough to index line by line: table headers,
// arrays of tables and key = value lines.
type lineIndex struct {
	byPath map[string]int // "job.0.destination.1.url" → line
	byKey  map[string]int // "job.destination.url" → first line
}

var (
	headerRe = regexp.MustCompile(`^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$`)
	keyRe    = regexp.MustCompile(`^\s*([A-Za-z0-9_\-."']+?)\s*=`)
)

func newLineIndex(data []byte) *lineIndex {
	ix := &lineIndex{byPath: map[string]int{}, byKey: map[string]int{}}
	arrays := map[string]bool{} // unindexed names of arrays of tables
	counts := map[string]int{}  // indexed path of an array → number of elements
	var prefix, plain []string
	for n, line := range strings.Split(string(data), "\n") {
		lineNo := n + 1
		if m := headerRe.FindStringSubmatch(line); m != nil {
			parts := splitKey(m[2])
			var resolved []string
			for i, p := range parts {
				resolved = append(resolved, p)
				name := strings.Join(parts[:i+1], ".")
				last := i == len(parts)-1
				if last && m[1] == "[[" {
					key := strings.Join(resolved, ".")
					counts[key]++
					arrays[name] = true
					resolved = append(resolved, strconv.Itoa(counts[key]-1))
				} else if arrays[name] {
					resolved = append(resolved, strconv.Itoa(counts[strings.Join(resolved, ".")]-1))
				}
			}
			prefix, plain = resolved, parts
			ix.add(strings.Join(prefix, "."), strings.Join(plain, "."), lineNo)
			continue
		}
		if m := keyRe.FindStringSubmatch(line); m != nil {
			k := splitKey(m[1])
			ix.add(strings.Join(append(append([]string{}, prefix...), k...), "."),
				strings.Join(append(append([]string{}, plain...), k...), "."), lineNo)
		}
	}
	return ix
}

func (ix *lineIndex) add(path, key string, line int) {
	if _, ok := ix.byPath[path]; !ok {
		ix.byPath[path] = line
	}
	if _, ok := ix.byKey[key]; !ok {
		ix.byKey[key] = line
	}
}

// written reports whether the key at path (with array indexes) is in the file, so
// that a value written as 0 is told apart from one left to its default.
func (ix *lineIndex) written(path string) bool {
	_, ok := ix.byPath[path]
	return ok
}

// lineOfPath returns the line of path, or of its closest written parent (a default
// value has no line of its own, but its table does).
func (ix *lineIndex) lineOfPath(path string) int {
	for p := path; p != ""; {
		if l, ok := ix.byPath[p]; ok {
			return l
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// line returns the line of a key reported by the TOML decoder (which carries no
// array indexes).
func (ix *lineIndex) line(k toml.Key) int {
	for n := len(k); n > 0; n-- {
		if l, ok := ix.byKey[strings.Join(k[:n], ".")]; ok {
			return l
		}
	}
	return 0
}

func splitKey(s string) []string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}
