package config

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The reference refuses a key without a description, and a description without a key.
func TestReferenceDescribesEveryKey(t *testing.T) {
	schemes := []string{"file", "sftp"}
	if err := Reference(io.Discard, schemes); err != nil {
		t.Fatalf("%v", err)
	}

	saved := keyDocs["job.source.expect"]
	delete(keyDocs, "job.source.expect")
	keyDocs["job.source.expected"] = saved
	defer func() {
		delete(keyDocs, "job.source.expected")
		keyDocs["job.source.expect"] = saved
	}()
	err := Reference(io.Discard, schemes)
	if err == nil {
		t.Fatal("a key without a description was accepted")
	}
	for _, want := range []string{"job.source.expect has no description", "keyDocs describes job.source.expected, which is no key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Every key of the minimal configuration is required: the reference says so.
func TestReferenceMinimalIsRequired(t *testing.T) {
	if _, err := loadVariant(nil); err != nil {
		t.Fatalf("the minimal configuration does not load: %v", err)
	}
	for table, lines := range docMinimal {
		for i, line := range lines {
			without := slices.Delete(slices.Clone(lines), i, i+1)
			saved := docMinimal[table]
			docMinimal[table] = without
			_, err := loadVariant(nil)
			docMinimal[table] = saved
			if err == nil {
				t.Errorf("%s.%s is shown as required, but the configuration loads without it", table, lineKey(line))
			}
		}
	}
}

// A key marked unused is used nowhere outside internal/config: when a protocol
// starts using it, the mark (and the reference) must change.
func TestReferenceUnusedKeysAreUnused(t *testing.T) {
	var src []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || p == filepath.Join(root, "internal", "config")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			src = append(src, p+"\x00"+string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(src) < 10 {
		t.Fatalf("found only %d Go files under %s", len(src), root)
	}
	marked := 0
	for _, tb := range refTables() {
		for _, k := range tb.keys {
			if !keyDocs[k.path()].unused {
				continue
			}
			marked++
			use := regexp.MustCompile(`\.` + k.field + `\b`)
			for _, f := range src {
				name, text, _ := strings.Cut(f, "\x00")
				if use.MatchString(text) {
					t.Errorf("%s is marked unused in internal/config/docs.go, but %s uses .%s: remove the mark and run make docs", k.path(), name, k.field)
				}
			}
		}
	}
	t.Logf("%d key(s) marked unused, checked against %d Go files", marked, len(src))
}
