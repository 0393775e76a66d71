package config_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
)

var update = flag.Bool("update", false, "rewrite docs/reference.md")

// docs/reference.md is what the generator writes from the code now: a key added,
// removed or described differently, a default changed, or a destination scheme added
// makes this test fail until `make docs` is run.
func TestReferenceIsUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := config.Reference(&b, dest.Schemes()); err != nil {
		t.Fatalf("%v", err)
	}
	path := filepath.Join("..", "..", "docs", "reference.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run make docs", err)
	}
	if bytes.Equal(got, b.Bytes()) {
		return
	}
	old, now := strings.Split(string(got), "\n"), strings.Split(b.String(), "\n")
	for i := 0; i < max(len(old), len(now)); i++ {
		var o, n string
		if i < len(old) {
			o = old[i]
		}
		if i < len(now) {
			n = now[i]
		}
		if o != n {
			t.Fatalf("docs/reference.md is stale: run make docs (or go test ./internal/config -run Reference -update)\nline %d is:\n  %s\nthe code says:\n  %s", i+1, o, n)
		}
	}
}
