package namefmt

import (
	"testing"
	"time"
)

// FuzzParse checks that any pattern and name are handled without panic, and that a
// name that parses is exactly the name its date formats to: retention never reads a
// date that is not the one written.
func FuzzParse(f *testing.F) {
	f.Add("%Y%m%d.tgz", "20261122.tgz")
	f.Add("%Y%d%m.tgz", "20262211.tgz")
	f.Add("db-%Y-%m-%d_%H%M%S.tar.zst", "db-2026-11-22_020509.tar.zst")
	f.Add("%y%j.tgz", "26366.tgz")
	f.Add("%Y%m%d.tgz", "20260229.tgz")
	f.Add("100%%-%Y%m%d.tgz", "100%-20261122.tgz")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		at, ok := p.Parse(name, time.UTC)
		if !ok {
			return
		}
		if got := p.Format(at); got != name {
			t.Fatalf("pattern %q: %q parses to %v, which formats to %q", pattern, name, at, got)
		}
	})
}
