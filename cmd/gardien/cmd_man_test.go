package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var flagRe = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z][a-z-]*)`)

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01
	if code, out, errOut := gardien(t, "man", "--dir", dir); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// One page for gardien and for each command that --help lists, each holding its
	// own flags: the guides send the reader to them.
	pages := map[string][]string{"gardien.1": {"--config", "--dry-run", "--quiet", "Exit codes"}}
	root := newRootCommand(&globalOptions{})
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "completion" || c.Name() == "help" {
			continue
		}
		var flags []string
		for _, m := range flagRe.FindAllStringSubmatch(c.LocalFlags().FlagUsages(), -1) {
			if m[1] != "help" {
				flags = append(flags, "--"+m[1])
			}
		}
		pages["gardien-"+c.Name()+".1"] = flags
	}
	if len(pages) < 11 || len(pages["gardien-cron.1"]) < 5 {
		t.Errorf("%d pages expected: %v", len(pages), pages)
	}
	for page, want := range pages {
		text, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s: %v", page, err)
			continue
		}
		if !strings.Contains(string(text), `"Jan 2026"`) || strings.Contains(string(text), "Auto generated") {
			t.Errorf("%s:\n%s", page, text)
		}
		// go-md2man escapes the dashes of flags for roff.
		plain := strings.ReplaceAll(string(text), `\-`, "-")
		for _, w := range want {
			if !strings.Contains(plain, w) {
				t.Errorf("%s does not mention %s", page, w)
			}
		}
	}
	for _, page := range []string{"gardien-man.1", "gardien-completion.1"} {
		if _, err := os.Stat(filepath.Join(dir, page)); err == nil {
			t.Errorf("%s was written", page)
		}
	}
}
