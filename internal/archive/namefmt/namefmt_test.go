package namefmt

import (
	"strings"
	"testing"
	"time"
)

func TestFormatParse(t *testing.T) {
	at := time.Date(2026, 11, 22, 2, 5, 9, 0, time.UTC)
	scenarios := []struct {
		pattern, name string
	}{
		{"%Y%m%d.tgz", "20261122.tgz"},
		{"%Y%d%m.tgz", "20262211.tgz"}, // the seed's AAAADDMM
		{"db-%Y-%m-%d_%H%M%S.tar.zst", "db-2026-11-22_020509.tar.zst"},
		{"%y%j.tgz", "26326.tgz"},
		{"100%%-%Y%m%d.tgz", "100%-20261122.tgz"},
	}
	for _, sc := range scenarios {
		t.Run(sc.pattern, func(t *testing.T) {
			p, err := Compile(sc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Format(at); got != sc.name {
				t.Fatalf("Format = %q, want %q", got, sc.name)
			}
			got, ok := p.Parse(sc.name, time.UTC)
			if !ok {
				t.Fatalf("Parse(%q) failed", sc.name)
			}
			want := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
			if strings.Contains(sc.pattern, "%H") {
				want = at
			}
			if !got.Equal(want) {
				t.Errorf("Parse = %v, want %v", got, want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	p, _ := Compile("%Y%m%d.tgz")
	for _, name := range []string{"20260231.tgz", "20261322.tgz", "2026112.tgz", "20261122.tgz.part", ".20261122.tgz.part", "x20261122.tgz", "README"} {
		if _, ok := p.Parse(name, time.UTC); ok {
			t.Errorf("Parse(%q) accepted", name)
		}
	}
}

func TestCompileRejects(t *testing.T) {
	for pattern, want := range map[string]string{
		"":             "empty",
		"backup.tgz":   "no year",
		"%Y.tgz":       "no month and day",
		"%Y/%m%d.tgz":  "directory separator",
		"%Y%m%d%Q.tgz": "not supported",
		"%Y%m%d.tgz%":  "lone %",
		".%Y%m%d.tgz":  "starts with a dot",
	} {
		if _, err := Compile(pattern); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%q) = %v, want %q", pattern, err, want)
		}
	}
}

func TestTempName(t *testing.T) {
	tmp := TempName("20261122.tgz")
	if tmp != ".20261122.tgz.part" {
		t.Fatalf("TempName = %q", tmp)
	}
	if n, ok := FromTemp(tmp); !ok || n != "20261122.tgz" {
		t.Errorf("FromTemp = %q, %v", n, ok)
	}
	for _, bad := range []string{"20261122.tgz", ".part", "..part", ".x", ".verify", "..verify", "20261122.tgz.verify", ".20261122.tgz.old"} {
		if _, ok := FromTemp(bad); ok {
			t.Errorf("FromTemp(%q) accepted", bad)
		}
	}
}

// The copy that verify = true reads back before the rename has a name of its own,
// hidden, and so has Put's temporary file for it: both lead back to the archive.
func TestVerifyName(t *testing.T) {
	v := VerifyName("20261122.tgz")
	if v != ".20261122.tgz.verify" || v == TempName("20261122.tgz") {
		t.Fatalf("VerifyName = %q", v)
	}
	for _, temp := range []string{v, TempName(v)} {
		if n, ok := FromTemp(temp); !ok || n != "20261122.tgz" {
			t.Errorf("FromTemp(%q) = %q, %v, want 20261122.tgz", temp, n, ok)
		}
	}
	// An archive pattern may end in .verify: its temporary file is its own.
	if n, ok := FromTemp(TempName("20261122.verify")); !ok || n != "20261122.verify" {
		t.Errorf("FromTemp(%q) = %q, %v, want 20261122.verify", TempName("20261122.verify"), n, ok)
	}
}
