package job

import (
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/testutil"
)

// forgeCRC returns a copy of changed, of the length of orig, whose 4 bytes at pos
// are set so that its CRC-32 is orig's: other data that a size and CRC-32 comparison
// takes for orig. CRC-32 is linear over GF(2), so the 32 bits are a linear system.
func forgeCRC(t *testing.T, orig, changed []byte, pos int) []byte {
	t.Helper()
	c0 := crc32.ChecksumIEEE(make([]byte, len(orig)))
	lin := func(d []byte) uint32 { return crc32.ChecksumIEEE(d) ^ c0 }
	m := append([]byte(nil), changed...)
	// Flipping the bits of mask at pos changes the CRC by lin(bits): find the mask
	// whose change is target.
	target := crc32.ChecksumIEEE(m) ^ crc32.ChecksumIEEE(orig)
	type pivot struct {
		v, mask uint32
		ok      bool
	}
	var piv [32]pivot
	for i := 0; i < 32; i++ {
		e := make([]byte, len(orig))
		e[pos+i/8] = 1 << (i % 8)
		v, mask := lin(e), uint32(1)<<i
		for b := 31; b >= 0; b-- {
			if v>>b&1 == 0 {
				continue
			}
			if !piv[b].ok {
				piv[b] = pivot{v, mask, true}
				break
			}
			v, mask = v^piv[b].v, mask^piv[b].mask
		}
	}
	v, mask := target, uint32(0)
	for b := 31; b >= 0; b-- {
		if v>>b&1 == 0 {
			continue
		}
		if !piv[b].ok {
			t.Fatal("forgeCRC: no solution")
		}
		v, mask = v^piv[b].v, mask^piv[b].mask
	}
	for i := 0; i < 32; i++ {
		if mask>>i&1 == 1 {
			m[pos+i/8] ^= 1 << (i % 8)
		}
	}
	if crc32.ChecksumIEEE(m) != crc32.ChecksumIEEE(orig) || bytes.Equal(m, orig) {
		t.Fatal("forgeCRC: the forgery failed")
	}
	return m
}

// With confirm_unchanged, a dump that declares the last run's size and CRC-32 is
// read once through SHA-256: the same dump stops the run at "changed since last run"
// without an archive being built; other data with the same size and CRC-32 is
// archived, read again.
func TestConfirmUnchanged(t *testing.T) {
	d := dump("1", 5000)
	other := bytes.Replace(d, []byte("1\tcommande payée\n"), []byte("2\tcommande payée\n"), 1)
	other = forgeCRC(t, d, other, len(d)/2)

	t.Run("same dump", func(t *testing.T) {
		f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": d}))
		f.job().Source.ConfirmUnchanged = true
		if res := f.run(); res.Outcome() != report.Success {
			t.Fatalf("first run: %v", stepNames(res))
		}
		f.now = night.Add(24 * time.Hour)
		res := f.run()
		s := findStep(t, res, report.StepChanged)
		if res.Outcome() != report.Warned || !strings.Contains(s.Detail, "(same sha256;") {
			t.Errorf("outcome %v, changed step %+v", res.Outcome(), s)
		}
		if e := findStep(t, res, report.StepExpected); e.Status != report.OK {
			t.Errorf("expected file step %+v, want ok", e)
		}
		if a := findStep(t, res, report.StepArchive); a.Status != report.Skipped || res.Archive != "" {
			t.Errorf("archive step %+v, archive %q: want skipped, none", a, res.Archive)
		}
		if _, ok := f.files()["20261123.tgz"]; ok {
			t.Error("an unchanged dump was sent")
		}
	})

	t.Run("same size and CRC-32, other data", func(t *testing.T) {
		f := newFixture(t, testutil.Zip(t, map[string][]byte{"dump.sql": d}))
		f.job().Source.ConfirmUnchanged = true
		if res := f.run(); res.Outcome() != report.Success {
			t.Fatalf("first run: %v", stepNames(res))
		}
		f.src.Set(testutil.Zip(t, map[string][]byte{"dump.sql": other}))
		f.now = night.Add(24 * time.Hour)
		res := f.run()
		if res.Outcome() != report.Success {
			t.Fatalf("outcome %v: %v", res.Outcome(), stepNames(res))
		}
		if s := findStep(t, res, report.StepChanged); !strings.Contains(s.Detail, "(was ") {
			t.Errorf("changed step %+v, want a new sha256", s)
		}
		if _, ok := f.files()["20261123.tgz"]; !ok {
			t.Errorf("the changed dump was not sent: %v", f.files())
		}
	})
}
