package retention

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/archive/namefmt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func compile(t testing.TB, p string) *namefmt.Pattern {
	t.Helper()
	pat, err := namefmt.Compile(p)
	if err != nil {
		t.Fatalf("Compile(%q): %v", p, err)
	}
	return pat
}

// daily returns the names of n daily archives, the first dated from.
func daily(pattern string, from time.Time, n int) []string {
	pat, err := namefmt.Compile(pattern)
	if err != nil {
		panic(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = pat.Format(from.AddDate(0, 0, i))
	}
	return names
}

// dates returns the names, for the days from first to last included, in the order the
// plan lists them: newest first when newestFirst, else oldest first.
func dates(pattern string, first, last time.Time, newestFirst bool) []string {
	var n []string
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		n = append(n, daily(pattern, d, 1)...)
	}
	if newestFirst {
		slices.Reverse(n)
	}
	return n
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func names(items []Item) []string {
	var n []string
	for _, it := range items {
		n = append(n, it.Name)
	}
	return n
}

// seedNow is the time of the seed's nightly run.
var seedNow = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

func TestApply(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	scenarios := []struct {
		name     string
		pattern  string
		names    []string
		policy   Policy
		now      time.Time
		justSent string

		keep, remove, stale, ignored []string
		reasons                      map[string]string // name → expected reason
	}{
		{
			name:     "seed: 45 daily archives, keep 30 days",
			pattern:  "%Y%m%d.tgz",
			names:    daily("%Y%m%d.tgz", day(2026, 10, 9), 45), // 2026-10-09 … 2026-11-22
			policy:   Policy{KeepDays: 30, KeepMin: 3},
			now:      seedNow,
			justSent: "20261122.tgz",
			keep:     dates("%Y%m%d.tgz", day(2026, 10, 23), day(2026, 11, 22), true),
			remove:   dates("%Y%m%d.tgz", day(2026, 10, 9), day(2026, 10, 22), false),
			reasons: map[string]string{
				"20261122.tgz": "the archive just sent",
				"20261121.tgz": "within 30 days",
				"20261023.tgz": "within 30 days",
				"20261022.tgz": "dated 2026-10-22, older than 30 days",
				"20261009.tgz": "dated 2026-10-09, older than 30 days",
			},
		},
		{
			name:    "seed boundary: 20261023 kept, 20261022 removed",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20261022.tgz", "20261023.tgz"},
			policy:  Policy{KeepDays: 30},
			now:     seedNow,
			keep:    []string{"20261023.tgz"},
			remove:  []string{"20261022.tgz"},
		},
		{
			name:    "boundary in now's location, not UTC",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20261022.tgz", "20261023.tgz"},
			policy:  Policy{KeepDays: 30},
			// 2026-11-21 23:30 UTC: in UTC the cutoff would be 2026-10-22.
			now:    time.Date(2026, 11, 22, 0, 30, 0, 0, paris),
			keep:   []string{"20261023.tgz"},
			remove: []string{"20261022.tgz"},
		},
		{
			name:    "foreign files are ignored",
			pattern: "%Y%m%d.tgz",
			names: []string{
				"README", "other-20261001.tgz", "20261001.tgz.sha256", "20260231.tgz",
				"20261301.tgz", "2026101.tgz", ".hidden", ".README.part", ".part", "..part",
				"20261001.tgz", "20261121.tgz",
			},
			policy:  Policy{KeepDays: 30, KeepMin: 1},
			now:     seedNow,
			keep:    []string{"20261121.tgz"},
			remove:  []string{"20261001.tgz"},
			ignored: []string{"..part", ".README.part", ".hidden", ".part", "20260231.tgz", "20261001.tgz.sha256", "2026101.tgz", "20261301.tgz", "README", "other-20261001.tgz"},
		},
		{
			name:    "stale temporary uploads are reported, other dot-files ignored",
			pattern: "%Y%m%d.tgz",
			names:   []string{".20261121.tgz.part", ".20261122.tgz.part", ".other.tgz.part", ".20261121.tgz", "20261121.tgz"},
			policy:  Policy{KeepDays: 30, KeepMin: 3},
			now:     seedNow,
			keep:    []string{"20261121.tgz"},
			stale:   []string{".20261121.tgz.part", ".20261122.tgz.part"},
			ignored: []string{".20261121.tgz", ".other.tgz.part"},
		},
		{
			name:    "copies left by verify = true before their rename are stale too",
			pattern: "%Y%m%d.tgz",
			names: []string{".20261122.tgz.verify", "..20261121.tgz.verify.part", ".other.tgz.verify",
				".20261121.tgz.verify.part", ".20261120.tgz.old", "20261122.tgz.verify", "20261121.tgz"},
			policy:   Policy{KeepDays: 30, KeepMin: 3},
			now:      seedNow,
			justSent: "20261122.tgz",
			keep:     []string{"20261121.tgz"},
			stale:    []string{"..20261121.tgz.verify.part", ".20261122.tgz.verify"},
			ignored:  []string{".20261120.tgz.old", ".20261121.tgz.verify.part", ".other.tgz.verify", "20261122.tgz.verify"},
		},
		{
			name:    "keep_min larger than the number of archives keeps them all",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20250101.tgz", "20240101.tgz"},
			policy:  Policy{KeepDays: 30, KeepMin: 5},
			now:     seedNow,
			keep:    []string{"20250101.tgz", "20240101.tgz"},
			reasons: map[string]string{"20240101.tgz": "one of the 5 newest (keep_min)"},
		},
		{
			name:    "a month of failures: everything is old, the 3 newest survive",
			pattern: "%Y%m%d.tgz",
			names:   daily("%Y%m%d.tgz", day(2026, 9, 1), 45), // up to 2026-10-15, then nothing
			policy:  Policy{KeepDays: 30, KeepMin: 3},
			now:     seedNow,
			keep:    []string{"20261015.tgz", "20261014.tgz", "20261013.tgz"},
			remove:  dates("%Y%m%d.tgz", day(2026, 9, 1), day(2026, 10, 12), false),
			reasons: map[string]string{
				"20261015.tgz": "one of the 3 newest (keep_min)",
				"20261013.tgz": "one of the 3 newest (keep_min)",
				"20261012.tgz": "dated 2026-10-12, older than 30 days",
			},
		},
		{
			name:    "keep_min 1",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20260101.tgz", "20260102.tgz"},
			policy:  Policy{KeepDays: 1, KeepMin: 1},
			now:     seedNow,
			keep:    []string{"20260102.tgz"},
			remove:  []string{"20260101.tgz"},
			reasons: map[string]string{
				"20260102.tgz": "the newest (keep_min)",
				"20260101.tgz": "dated 2026-01-01, older than 1 day",
			},
		},
		{
			name:    "keep_min 0 lets everything old go",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20260101.tgz", "20260102.tgz"},
			policy:  Policy{KeepDays: 30},
			now:     seedNow,
			remove:  []string{"20260101.tgz", "20260102.tgz"},
		},
		{
			name:    "keep_min counts within-days archives first",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20261121.tgz", "20261001.tgz", "20260930.tgz"},
			policy:  Policy{KeepDays: 30, KeepMin: 2},
			now:     seedNow,
			keep:    []string{"20261121.tgz", "20261001.tgz"},
			remove:  []string{"20260930.tgz"},
			reasons: map[string]string{"20261001.tgz": "one of the 2 newest (keep_min)"},
		},
		{
			name:    `the seed's "AAAADDMM" pattern %Y%d%m.tgz`,
			pattern: "%Y%d%m.tgz",
			// Sorted as strings these are not in date order: 20260111 (1 Nov) < 20262210 (22 Oct).
			names:  []string{"20262210.tgz", "20262310.tgz", "20260111.tgz", "20262211.tgz", "20263110.tgz", "20263009.tgz"},
			policy: Policy{KeepDays: 30, KeepMin: 2},
			now:    seedNow,
			keep:   []string{"20262211.tgz", "20260111.tgz", "20263110.tgz", "20262310.tgz"},
			remove: []string{"20263009.tgz", "20262210.tgz"},
			reasons: map[string]string{
				"20262310.tgz": "within 30 days",
				"20262210.tgz": "dated 2026-10-22, older than 30 days",
			},
		},
		{
			name:    "several archives a day, %Y%m%d-%H%M.tgz",
			pattern: "%Y%m%d-%H%M.tgz",
			names: []string{
				"20261022-0200.tgz", "20261022-2359.tgz", "20261023-0000.tgz", "20261023-1400.tgz",
				"20261122-0000.tgz", "20261122-0200.tgz", "20261122-0201.tgz", ".20261122-0100.tgz.part",
			},
			policy: Policy{KeepDays: 30, KeepMin: 1},
			now:    seedNow,
			keep:   []string{"20261122-0201.tgz", "20261122-0200.tgz", "20261122-0000.tgz", "20261023-1400.tgz", "20261023-0000.tgz"},
			remove: []string{"20261022-0200.tgz", "20261022-2359.tgz"},
			stale:  []string{".20261122-0100.tgz.part"},
			reasons: map[string]string{
				"20261122-0201.tgz": "dated in the future",
				"20261122-0200.tgz": "within 30 days", // exactly now is not the future
				"20261022-2359.tgz": "dated 2026-10-22, older than 30 days",
			},
		},
		{
			name:     "the archive just sent is kept even when its date is old (odd clock)",
			pattern:  "%Y%m%d.tgz",
			names:    []string{"19700101.tgz", "20261120.tgz", "20261121.tgz", "20200101.tgz"},
			policy:   Policy{KeepDays: 30, KeepMin: 2},
			now:      seedNow,
			justSent: "19700101.tgz",
			keep:     []string{"20261121.tgz", "20261120.tgz", "19700101.tgz"},
			remove:   []string{"20200101.tgz"},
			reasons:  map[string]string{"19700101.tgz": "the archive just sent"},
		},
		{
			name:     "the archive just sent is kept with keep_min 0",
			pattern:  "%Y%m%d.tgz",
			names:    []string{"20200101.tgz", "20200102.tgz"},
			policy:   Policy{KeepDays: 30},
			now:      seedNow,
			justSent: "20200101.tgz",
			keep:     []string{"20200101.tgz"},
			remove:   []string{"20200102.tgz"},
		},
		{
			name:     "an unlisted or foreign justSent changes nothing",
			pattern:  "%Y%m%d.tgz",
			names:    []string{"20200101.tgz", "dump.sql"},
			policy:   Policy{KeepDays: 30},
			now:      seedNow,
			justSent: "dump.sql",
			remove:   []string{"20200101.tgz"},
			ignored:  []string{"dump.sql"},
		},
		{
			name:     "future-dated archives are kept and do not count towards keep_min",
			pattern:  "%Y%m%d.tgz",
			names:    []string{"20361122.tgz", "20261123.tgz", "20261001.tgz", "20261002.tgz", "20261003.tgz"},
			policy:   Policy{KeepDays: 30, KeepMin: 2},
			now:      seedNow,
			justSent: "20261123.tgz", // a clock one day ahead: both reasons hold, just sent wins
			keep:     []string{"20361122.tgz", "20261123.tgz", "20261003.tgz", "20261002.tgz"},
			remove:   []string{"20261001.tgz"},
			reasons: map[string]string{
				"20361122.tgz": "dated in the future",
				"20261123.tgz": "the archive just sent",
				"20261002.tgz": "one of the 2 newest (keep_min)",
			},
		},
		{
			name:    "keep_days 0 keeps everything and still reports stale files",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20000101.tgz", "20261122.tgz", ".20261121.tgz.part", "README"},
			policy:  Policy{KeepDays: 0, KeepMin: 0},
			now:     seedNow,
			keep:    []string{"20261122.tgz", "20000101.tgz"},
			stale:   []string{".20261121.tgz.part"},
			ignored: []string{"README"},
			reasons: map[string]string{"20000101.tgz": "keep_days = 0 keeps every archive"},
		},
		{
			name:    "duplicate names count once",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20200101.tgz", "20200101.tgz", "20200102.tgz", "x", "x"},
			policy:  Policy{KeepDays: 30, KeepMin: 1},
			now:     seedNow,
			keep:    []string{"20200102.tgz"},
			remove:  []string{"20200101.tgz"},
			ignored: []string{"x"},
		},
		{
			// A name whose fields disagree (day 1 of the year, but day 2 of the month)
			// was not written by this pattern: its date cannot be trusted, so it is
			// never deleted.
			name:    "fields that disagree: ignored, never deleted",
			pattern: "%Y%j-%d.tgz",
			names:   []string{"2020001-02.tgz", "2020001-01.tgz", "2020001-03.tgz"},
			policy:  Policy{KeepDays: 30, KeepMin: 0},
			now:     seedNow,
			remove:  []string{"2020001-01.tgz"},
			ignored: []string{"2020001-02.tgz", "2020001-03.tgz"},
		},
		{
			name:    "nothing listed",
			pattern: "%Y%m%d.tgz",
			policy:  Policy{KeepDays: 30, KeepMin: 3},
			now:     seedNow,
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			pat := compile(t, sc.pattern)
			plan := Apply(sc.names, pat, sc.policy, sc.now, sc.justSent)
			check := func(what string, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("%s:\n got  %q\n want %q", what, got, want)
				}
			}
			check("keep", names(plan.Keep), sc.keep)
			check("remove", names(plan.Remove), sc.remove)
			check("stale", plan.Stale, sc.stale)
			check("ignored", plan.Ignored, sc.ignored)

			reasons := map[string]string{}
			for _, it := range append(slices.Clone(plan.Keep), plan.Remove...) {
				reasons[it.Name] = it.Reason
				if it.Reason == "" {
					t.Errorf("%s has no reason", it.Name)
				}
				if want, _ := pat.Parse(it.Name, sc.now.Location()); !it.Date.Equal(want) || it.Date.Location() != sc.now.Location() {
					t.Errorf("%s: date %v, want %v in %v", it.Name, it.Date, want, sc.now.Location())
				}
			}
			for n, want := range sc.reasons {
				if got, ok := reasons[n]; !ok || got != want {
					t.Errorf("reason for %s: got %q, want %q", n, got, want)
				}
			}

			// Every name lands in exactly one list; nothing is invented.
			var all []string
			all = append(all, names(plan.Keep)...)
			all = append(all, names(plan.Remove)...)
			all = append(all, plan.Stale...)
			all = append(all, plan.Ignored...)
			slices.Sort(all)
			in := slices.Clone(sc.names)
			slices.Sort(in)
			check("all names", all, slices.Compact(in))

			// The order of the listing does not matter.
			for i := 0; i < 5; i++ {
				shuffled := slices.Clone(sc.names)
				rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				if again := Apply(shuffled, pat, sc.policy, sc.now, sc.justSent); !reflect.DeepEqual(again, plan) {
					t.Fatalf("plan depends on the order of names:\n%s\nvs\n%s", again, plan)
				}
			}
		})
	}
}

// TestApplyInvariants checks the safety rules over many random listings: never remove
// justSent, a future-dated archive, or one of the keep_min newest; never keep an archive
// without a reason to.
func TestApplyInvariants(t *testing.T) {
	pat := compile(t, "%Y%m%d-%H%M.tgz")
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		now := seedNow.Add(time.Duration(r.IntN(1000)) * time.Hour)
		var ns []string
		for j := r.IntN(60); j > 0; j-- {
			ns = append(ns, pat.Format(now.Add(-time.Duration(r.IntN(24*90))*time.Hour+time.Duration(r.IntN(48))*time.Hour)))
		}
		p := Policy{KeepDays: r.IntN(40), KeepMin: r.IntN(6)}
		justSent := ""
		if len(ns) > 0 && r.IntN(2) == 0 {
			justSent = ns[r.IntN(len(ns))]
		}
		plan := Apply(ns, pat, p, now, justSent)

		y, m, d := now.Date()
		cutoff := time.Date(y, m, d-p.KeepDays, 0, 0, 0, 0, now.Location())
		past := 0 // archives kept dated no later than now, from the newest
		for _, it := range plan.Keep {
			if !it.Date.After(now) {
				past++
			}
		}
		for _, it := range plan.Remove {
			switch {
			case it.Name == justSent:
				t.Fatalf("case %d: removed the archive just sent %s", i, it.Name)
			case it.Date.After(now):
				t.Fatalf("case %d: removed future-dated %s", i, it.Name)
			case p.KeepDays == 0 || !it.Date.Before(cutoff):
				t.Fatalf("case %d: removed %s, which is within %d days", i, it.Name, p.KeepDays)
			}
			for _, k := range plan.Keep {
				if k.Date.Before(it.Date) && k.Name != justSent {
					t.Fatalf("case %d: removed %s but kept the older %s (%s)", i, it.Name, k.Name, k.Reason)
				}
			}
		}
		if len(plan.Remove) > 0 && past < p.KeepMin {
			t.Fatalf("case %d: %d archives left dated before now, keep_min is %d", i, past, p.KeepMin)
		}
		if !slices.IsSortedFunc(plan.Keep, func(a, b Item) int { return b.Date.Compare(a.Date) }) {
			t.Fatalf("case %d: keep not newest first", i)
		}
		if !slices.IsSortedFunc(plan.Remove, func(a, b Item) int { return a.Date.Compare(b.Date) }) {
			t.Fatalf("case %d: remove not oldest first", i)
		}
	}
}

// TestGolden compares the rendered plan of fixed scenarios with testdata/*.golden;
// `go test ./internal/retention -update` rewrites them.
func TestGolden(t *testing.T) {
	scenarios := []struct {
		name     string
		pattern  string
		names    []string
		policy   Policy
		now      time.Time
		justSent string
	}{
		{
			name:     "seed-30-days",
			pattern:  "%Y%m%d.tgz",
			names:    append(daily("%Y%m%d.tgz", day(2026, 10, 9), 45), ".20261121.tgz.part", "README"),
			policy:   Policy{KeepDays: 30, KeepMin: 3},
			now:      seedNow,
			justSent: "20261122.tgz",
		},
		{
			name:    "month-of-failures",
			pattern: "%Y%d%m.tgz",
			names:   daily("%Y%d%m.tgz", day(2026, 9, 1), 45),
			policy:  Policy{KeepDays: 30, KeepMin: 3},
			now:     seedNow,
		},
		{
			name:    "hourly-mixed",
			pattern: "db-%Y%m%d-%H%M.tgz",
			names: []string{
				"db-20261020-0200.tgz", "db-20261020-1400.tgz", "db-20261021-0200.tgz",
				"db-20261022-0200.tgz", "db-20261022-1400.tgz", "db-20261023-0200.tgz",
				"db-20261121-0200.tgz", "db-20261121-1400.tgz", "db-20261122-0200.tgz",
				"db-20361122-0200.tgz", ".db-20261122-0100.tgz.part", ".db-20261121-1400.tgz.part",
				"db-20261122-0200.tgz.sha256", "db-20260231-0200.tgz", "notes.txt", ".lock",
			},
			policy:   Policy{KeepDays: 30, KeepMin: 5},
			now:      seedNow.Add(4 * time.Second),
			justSent: "db-20261122-0200.tgz",
		},
		{
			name:    "keep-everything",
			pattern: "%Y%m%d.tgz",
			names:   []string{"20200101.tgz", "20261122.tgz", ".20261122.tgz.part"},
			policy:  Policy{},
			now:     seedNow,
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			plan := Apply(sc.names, compile(t, sc.pattern), sc.policy, sc.now, sc.justSent)
			var b strings.Builder
			fmt.Fprintf(&b, "# pattern=%q keep_days=%d keep_min=%d now=%s just_sent=%q\n",
				sc.pattern, sc.policy.KeepDays, sc.policy.KeepMin, sc.now.Format(time.RFC3339), sc.justSent)
			b.WriteString(plan.String())
			got := b.String()

			file := filepath.Join("testdata", sc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run `go test ./internal/retention -update` to create it)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s (rerun with -update if the change is intended):\n--- got\n%s--- want\n%s", file, got, want)
			}
		})
	}
}
