package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/report"
)

// The targets of issue 7, as ratios measured in one run.
const (
	targetWallRatio   = 0.35 // gardien's whole run / the shell pipeline's, at 1 GB
	targetArchive     = 1.00 // gardien's archive / the pipeline's (tar czf: gzip -6)
	targetRSS         = 64 << 20
	targetUpload      = 0.90 // gardien's upload throughput / rclone's
	targetUnchanged   = time.Second
	targetWallAtBytes = 1e9
)

// measure is one timed process, from GNU time -v, with what the script noted beside
// it (the .meta file) and, for gardien, its log.
type measure struct {
	wall, user, sys float64 // seconds
	rss             int64   // bytes
	exit            int
	meta            map[string]string
	log             []logLine
}

func (m measure) cpu() float64 { return m.user + m.sys }

// cmdReport reads the measurements that scripts/bench.sh left in -dir, one
// sub-directory per dump size, and writes the Markdown page.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	dir := fs.String("dir", "", "the runs directory written by scripts/bench.sh")
	out := fs.String("out", "", "the Markdown file to write (it is replaced)")
	fs.Parse(args)
	if *dir == "" || *out == "" {
		return fmt.Errorf("-dir and -out are required")
	}
	top, err := readMeta(filepath.Join(*dir, "bench.meta"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := writeReport(&b, *dir, top); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return err
	}
	os.Stdout.Write(b.Bytes())
	return nil
}

func writeReport(w io.Writer, dir string, top map[string]string) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Benchmarks\n\n")
	p("Written by `make bench` (scripts/bench.sh) on %s; each run of it replaces this page.\n", top["date"])
	p("The tools compared run alternately, n times each; the figures are the medians of the n runs.\n\n")
	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n", cpuModel())
	p("| cores | %d |\n", runtime.NumCPU())
	p("| RAM | %s |\n", memTotal())
	p("| kernel | Linux %s |\n", strings.TrimSpace(readString("/proc/sys/kernel/osrelease")))
	p("| Go | %s |\n", runtime.Version())
	p("| OpenSSH | %s |\n", top["openssh"])
	p("| rclone | %s |\n", top["rclone"])
	after := top["load_after"]
	if after == "" {
		after = loadAvg()
	}
	p("| load average | %s before, %s after |\n", top["load_before"], after)
	if top["note"] != "" {
		p("\n%s\n", top["note"])
	}
	// The load after is the benchmark's own work; the one before tells whether
	// something else was running when it started.
	if busy(top["load_before"]) {
		p("\nThe machine was busy when the benchmark started (see the load average): other processes may have taken CPU from the runs, so wall\n")
		p("times are noisy and ratios of wall times less certain than those of CPU times. \"cores used\" is CPU\n")
		p("time over wall time: below 2 on this machine, gardien did not have both cores to itself.\n")
	}

	sizes := strings.Fields(top["sizes"])
	type row struct {
		size          string
		dump, zip     int64
		info          map[string]string
		g, s, u, r    []measure
		c             []measure // gardien run with recompress = true
		rs            []measure // rclone, then sync of the file
		unchanged     []measure
		unchangedConf []measure
	}
	var rows []row
	for _, size := range sizes {
		d := filepath.Join(dir, size)
		info, err := readMeta(filepath.Join(d, "info.meta"))
		if err != nil {
			return err
		}
		var rw row
		rw.size = size
		rw.info = info
		rw.dump, _ = strconv.ParseInt(info["dump_bytes"], 10, 64)
		rw.zip, _ = strconv.ParseInt(info["zip_bytes"], 10, 64)
		for _, x := range []struct {
			kind string
			into *[]measure
		}{{"gardien", &rw.g}, {"gardien-recompress", &rw.c}, {"shell", &rw.s}, {"put", &rw.u}, {"rclone", &rw.r}, {"rclone-sync", &rw.rs}, {"unchanged", &rw.unchanged}, {"unchanged-confirm", &rw.unchangedConf}} {
			ms, err := readMeasures(d, x.kind)
			if err != nil {
				return err
			}
			*x.into = ms
		}
		rows = append(rows, rw)
	}

	p("\n## Whole run: gardien against the shell pipeline\n\n")
	p("The same dump, served over HTTPS on loopback, archived and sent to the same OpenSSH server on loopback.\n")
	p("gardien: `gardien run` with the defaults (gzip: the zip's deflate data kept as a gzip member, the dump\n")
	p("inflated on the way to check its CRC-32 and compute its SHA-256), and with `recompress = true` (the dump\n")
	p("compressed again, at the default gzip level). The shell pipeline is the one of issue 7 (`curl -o`, `unzip`,\n")
	p("`sha256sum`, `tar czf`, `sftp put`), in runs/pipeline.sh below. The zip is made by Info-ZIP's `zip -6`.\n\n")
	p("| dump | zip | | n | wall | CPU (user+sys) | cores used | peak RSS | archive |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, rw := range rows {
		gw, sw := median(rw.g, measure.wallf), median(rw.s, measure.wallf)
		gc, sc := median(rw.g, measure.cpu), median(rw.s, measure.cpu)
		gr, sr := median(rw.g, measure.rssf), median(rw.s, measure.rssf)
		ga, sa := median(rw.g, metaf("archive_bytes")), median(rw.s, metaf("archive_bytes"))
		dump, zip := report.Bytes(rw.dump), report.Bytes(rw.zip)
		p("| %s | %s | shell pipeline | %d | %s | %s | %s | %s | %s |\n", dump, zip, len(rw.s), secs(sw), secs(sc), cores(sc, sw), mb(sr), bytesOf(sa))
		p("| %s | %s | gardien run | %d | %s | %s | %s | %s | %s |\n", dump, zip, len(rw.g), secs(gw), secs(gc), cores(gc, gw), mb(gr), bytesOf(ga))
		p("| | | **gardien / shell** | | **%s** | %s | | %s | **%s** |\n", ratio(gw, sw), ratio(gc, sc), ratio(gr, sr), ratio(ga, sa))
		if len(rw.c) > 0 {
			cw, cc, cr, ca := median(rw.c, measure.wallf), median(rw.c, measure.cpu), median(rw.c, measure.rssf), median(rw.c, metaf("archive_bytes"))
			p("| %s | %s | gardien run, recompress = true | %d | %s | %s | %s | %s | %s |\n", dump, zip, len(rw.c), secs(cw), secs(cc), cores(cc, cw), mb(cr), bytesOf(ca))
			p("| | | gardien, recompress = true / shell | | %s | %s | | %s | %s |\n", ratio(cw, sw), ratio(cc, sc), ratio(cr, sr), ratio(ca, sa))
		}
	}
	p("\ngardien's own account of its steps (medians, from its log):\n\n")
	p("| dump | | download | archive (inflate, SHA-256, compress) | upload (transfer done) | rest |\n|---|---|---:|---:|---:|---:|\n")
	for _, rw := range rows {
		for _, k := range []struct {
			name string
			ms   []measure
		}{{"default", rw.g}, {"recompress = true", rw.c}} {
			if len(k.ms) == 0 {
				continue
			}
			dl := median(k.ms, stepGap("run started", "zip downloaded"))
			ar := median(k.ms, stepGap("zip downloaded", "archive created"))
			tr := median(k.ms, transferTime)
			wall := median(k.ms, measure.wallf)
			p("| %s | %s | %s | %s | %s | %s |\n", report.Bytes(rw.dump), k.name, secs(dl), secs(ar), secs(tr), secs(wall-dl-ar-tr))
		}
	}

	p("\n## Upload alone: gardien against rclone\n\n")
	p("gardien's archive, sent to the same OpenSSH server: `bench put` (scripts/bench: config.Load, dest.Open, Put, Close:\n")
	p("the code of `gardien run`'s transfer step, alone in its process) against `rclone copyto` (sftp backend, with\n")
	p("`--sftp-disable-hashcheck`, since gardien does not read back unless `verify = true`, and `--sftp-shell-type none`,\n")
	p("which spares rclone a remote command). Both are whole processes: start, SSH handshake and login, upload, close.\n")
	p("gardien's Put also asks the server to fsync the file (fsync@openssh.com) before renaming it, so that a finished\n")
	p("transfer is on the server's disk; rclone does not, so it is also shown followed by `sync FILE` on the server's\n")
	p("file (the same guarantee). Throughput is the archive's size over the process's wall time.\n\n")
	p("| archive | | n | wall | throughput | CPU (user+sys) | peak RSS |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, rw := range rows {
		size := median(rw.u, metaf("bytes"))
		uw, rw2, rsw := median(rw.u, measure.wallf), median(rw.r, measure.wallf), median(rw.rs, measure.wallf)
		p("| %s | rclone | %d | %s | %s | %s | %s |\n", bytesOf(size), len(rw.r), secs(rw2), rate(size, rw2), secs(median(rw.r, measure.cpu)), mb(median(rw.r, measure.rssf)))
		p("| %s | rclone, then sync | %d | %s | %s | %s | %s |\n", bytesOf(size), len(rw.rs), secs(rsw), rate(size, rsw), secs(median(rw.rs, measure.cpu)), mb(median(rw.rs, measure.rssf)))
		p("| %s | gardien | %d | %s | %s | %s | %s |\n", bytesOf(size), len(rw.u), secs(uw), rate(size, uw), secs(median(rw.u, measure.cpu)), mb(median(rw.u, measure.rssf)))
		p("| | **gardien / rclone** | | | **%s** | | |\n", ratio(rw2, uw))
		p("| | gardien / (rclone, then sync) | | | %s | | |\n", ratio(rsw, uw))
	}

	p("\n## Unchanged dump\n\n")
	p("The same zip again, after a successful run, with `on_unchanged = \"skip\"`: the zip entry's size and CRC-32\n")
	p("equal the last run's, so the \"changed since last run\" step decides without decompressing the dump.\n")
	p("Decision: from \"zip downloaded\" to \"changed since last run\" in gardien's log; the whole run includes the download.\n")
	p("With `confirm_unchanged = true` the dump is read again to compare its SHA-256.\n\n")
	p("| dump | | decision | whole run | CPU (user+sys) | peak RSS | exit |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, rw := range rows {
		for _, u := range []struct {
			name string
			ms   []measure
		}{{"by size and CRC-32", rw.unchanged}, {"confirm_unchanged = true", rw.unchangedConf}} {
			if len(u.ms) == 0 {
				continue
			}
			p("| %s | %s | %s | %s | %s | %s | %d |\n", report.Bytes(rw.dump), u.name, secs(median(u.ms, stepGap("zip downloaded", "changed since last run"))),
				secs(median(u.ms, measure.wallf)), secs(median(u.ms, measure.cpu)), mb(median(u.ms, measure.rssf)), u.ms[0].exit)
		}
	}

	p("\n## Targets of issue 7\n\n")
	p("| target | measured | |\n|---|---|---|\n")
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	for _, rw := range rows {
		gw, sw := median(rw.g, measure.wallf), median(rw.s, measure.wallf)
		if math.Abs(float64(rw.dump)-targetWallAtBytes)/targetWallAtBytes < 0.05 {
			p("| whole run ≤ %.2f× the shell pipeline's wall time at 1 GB | %s | %s |\n", targetWallRatio, ratio(gw, sw), mark(gw/sw <= targetWallRatio))
		} else {
			p("| (at %s, for information) whole run / shell pipeline | %s | |\n", report.Bytes(rw.dump), ratio(gw, sw))
		}
		ga, sa := median(rw.g, metaf("archive_bytes")), median(rw.s, metaf("archive_bytes"))
		p("| archive no larger than gzip -6's (%s) | %s (%+.0f B) | %s |\n", report.Bytes(rw.dump), ratio(ga, sa), ga-sa, mark(ga <= sa*targetArchive))
		if zd, gd := metaNum(rw.info, "zip_deflate_bytes"), metaNum(rw.info, "gzip6_deflate_bytes"); !math.IsNaN(zd) && !math.IsNaN(gd) {
			same := ""
			if rw.info["deflate_identical"] == "true" {
				same = ", the same bytes"
			}
			p("| (for information, %s) the dump's deflate data in gardien's archive (the zip's) / gzip -6's | %s (%.0f B / %.0f B%s) | |\n", report.Bytes(rw.dump), ratio(zd, gd), zd, gd, same)
		}
		if len(rw.c) > 0 {
			cw, ca := median(rw.c, measure.wallf), median(rw.c, metaf("archive_bytes"))
			p("| (recompress = true, for information, %s) whole run / shell pipeline; archive / gzip -6's | %s; %s | |\n", report.Bytes(rw.dump), ratio(cw, sw), ratio(ca, sa))
		}
		gr := max(maxOf(rw.g, measure.rssf), maxOf(rw.c, measure.rssf))
		p("| peak RSS ≤ 64 MB (%s, highest of the runs) | %s | %s |\n", report.Bytes(rw.dump), mb(gr), mark(gr <= targetRSS))
		uw, rw2 := median(rw.u, measure.wallf), median(rw.r, measure.wallf)
		p("| upload ≥ %.1f× rclone's throughput (%s archive) | %s | %s |\n", targetUpload, report.Bytes(int64(median(rw.u, metaf("bytes")))), ratio(rw2, uw), mark(rw2/uw >= targetUpload))
		if len(rw.unchanged) > 0 {
			dec := median(rw.unchanged, stepGap("zip downloaded", "changed since last run"))
			p("| unchanged dump recognised in < 1 s (%s) | %s | %s |\n", report.Bytes(rw.dump), secs(dec), mark(dec < targetUnchanged.Seconds()))
		}
	}

	p("\nBy default gardien's archive differs from the pipeline's by a few hundred bytes that are not the dump's\n")
	p("compression: the dump's deflate data is the zip's, which the row \"the dump's deflate data\" compares with\n")
	p("`gzip -6 -n`'s of the same dump (Info-ZIP's `zip -6` and gzip write the same deflate); but gardien's MANIFEST\n")
	p("(job, run, host, source, date and the SHA-256, about 250 B) is larger than the pipeline's `dump.sql.sha256`\n")
	p("(75 B), and the dump's gzip member has a header and a trailer of its own (18 B).\n")
	p("\n## How gardien does it\n\n")
	p("- The dump is not compressed again: the zip already holds it deflated, and a gzip file is a series of members\n")
	p("  (RFC 1952), each a deflate stream with a CRC-32 and a size. gardien ends the member under way after the dump's\n")
	p("  tar header, copies the zip entry's deflate data as a member of its own (the zip gives its CRC-32 and size), and\n")
	p("  compresses the rest of the tar (padding, MANIFEST) in a third member: `tar xzf`, gzip and Go's gzip reader\n")
	p("  read it as one stream. On the way, the deflate data is inflated (klauspost/compress) to check the dump's size\n")
	p("  and CRC-32 and compute its SHA-256 for the MANIFEST: the work of unzip and sha256sum, not of gzip. The archive\n")
	p("  is then the size of the zip's entry: as small as gzip -6 when the zip was made at zlib's default level (the zip\n")
	p("  command, Python's zipfile, PHP's ZipArchive), larger when the server zips faster; `recompress = true` compresses\n")
	p("  the dump again (archive.DefaultGzipLevel, 8 in klauspost's scale, about 0.4 %% smaller than gzip -6).\n")
	p("- With `recompress = true`, or from a folder, a database or a command: one pass over the data, hashed (SHA-256)\n")
	p("  and written into the tar, which pgzip compresses in 512 KB blocks on every core into the staged .tgz.\n")
	p("  The dump itself never reaches the disk; the pipeline writes it once (unzip) and reads it twice.\n")
	p("- Memory does not depend on the dump: pgzip keeps two 512 KB blocks per core in flight, each with its output\n")
	p("  buffer and a compressor; the SFTP upload keeps 64 writes of 32 KB in flight (pkg/sftp's concurrent writes,\n")
	p("  the same as rclone's defaults); downloads and copies use fixed buffers. The live heap stays near 16 MB on two\n")
	p("  cores; with GOGC=100 the heap may grow to about twice that before a collection, which a long run reaches\n")
	p("  and a short one may not: that, not the dump, is why the peak RSS is a little higher for the larger dumps.\n")
	p("- An unchanged dump is recognised by the size and CRC-32 that the zip's central directory declares, compared\n")
	p("  with the last successful run's record: nothing is decompressed.\n")

	if pipeline := readString(filepath.Join(dir, "pipeline.sh")); pipeline != "" {
		p("\n## The shell pipeline\n\n```bash\n%s```\n", pipeline)
	}
	if gb := readString(filepath.Join(dir, "gobench.txt")); gb != "" {
		p("\n## Go benchmarks\n\n`go test -run '^$' -bench . -benchmem ./internal/archive ./internal/dest`\n(BenchmarkWriter: MB/s of dump in, %%size = archive/dump; BenchmarkPut: MB/s to the destination)\n\n```\n%s```\n", gb)
	}
	p("\nRaw measurements (GNU time -v, gardien's logs) are kept under %s until the next run.\n", dir)
	return nil
}

// readMeasures reads DIR/KIND-N.time (GNU time -v), with KIND-N.meta and KIND-N.log.
func readMeasures(dir, kind string) ([]measure, error) {
	files, _ := filepath.Glob(filepath.Join(dir, kind+"-*.time"))
	var ms []measure
	for _, f := range files {
		base := strings.TrimSuffix(f, ".time")
		if strings.Contains(strings.TrimPrefix(filepath.Base(base), kind+"-"), "-") {
			continue // unchanged-confirm-1 is not a run of unchanged
		}
		m, err := parseTime(f)
		if err != nil {
			return nil, err
		}
		m.meta, _ = readMeta(base + ".meta")
		if data, err := os.ReadFile(base + ".log"); err == nil {
			m.log = parseLog(data)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// parseTime reads the output of GNU time -v.
func parseTime(file string) (measure, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return measure{}, err
	}
	var m measure
	found := 0
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok {
			continue
		}
		switch k {
		case "User time (seconds)":
			m.user, _ = strconv.ParseFloat(v, 64)
			found++
		case "System time (seconds)":
			m.sys, _ = strconv.ParseFloat(v, 64)
			found++
		case "Elapsed (wall clock) time (h:mm:ss or m:ss)":
			m.wall = parseClock(v)
			found++
		case "Maximum resident set size (kbytes)":
			kb, _ := strconv.ParseInt(v, 10, 64)
			m.rss = kb << 10
			found++
		case "Exit status":
			m.exit, _ = strconv.Atoi(v)
		}
	}
	if found != 4 {
		return m, fmt.Errorf("%s: not the output of GNU time -v", file)
	}
	return m, nil
}

// parseClock reads "1:02:03.45", "2:03.45" or "3.45" as seconds.
func parseClock(s string) float64 {
	var t float64
	for _, part := range strings.Split(s, ":") {
		f, _ := strconv.ParseFloat(part, 64)
		t = t*60 + f
	}
	return t
}

func readMeta(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m, nil
}

// logLine is one line of gardien's log (slog's text form).
type logLine struct {
	time time.Time
	kv   map[string]string
}

func parseLog(data []byte) []logLine {
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		kv := logfmt(sc.Text())
		t, err := time.Parse(time.RFC3339Nano, kv["time"])
		if err != nil {
			continue
		}
		out = append(out, logLine{time: t, kv: kv})
	}
	return out
}

// logfmt splits key=value pairs, values optionally quoted as Go strings.
func logfmt(s string) map[string]string {
	kv := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end+1, len(rest))
			v, _ = strconv.Unquote(rest[:end])
			rest = rest[end:]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		kv[k] = v
		s = rest
	}
	return kv
}

// at returns when the log says msg (a message, or a step's name) first happened.
func (m measure) at(what string) (time.Time, bool) {
	for _, l := range m.log {
		if l.kv["msg"] == what || l.kv["step"] == what {
			return l.time, true
		}
	}
	return time.Time{}, false
}

func stepGap(from, to string) func(measure) float64 {
	return func(m measure) float64 {
		a, ok1 := m.at(from)
		b, ok2 := m.at(to)
		if !ok1 || !ok2 {
			return math.NaN()
		}
		return b.Sub(a).Seconds()
	}
}

// transferTime is the duration that the "transfer done" step reports ("NAME, SIZE in 1.2s").
func transferTime(m measure) float64 {
	for _, l := range m.log {
		if l.kv["step"] == "transfer done" {
			d := l.kv["detail"]
			if i := strings.LastIndex(d, " in "); i >= 0 {
				if t, err := time.ParseDuration(strings.TrimSuffix(strings.Fields(d[i+4:])[0], ",")); err == nil {
					return t.Seconds()
				}
			}
		}
	}
	return math.NaN()
}

func (m measure) wallf() float64 { return m.wall }
func (m measure) rssf() float64  { return float64(m.rss) }

func metaf(key string) func(measure) float64 {
	return func(m measure) float64 {
		f, err := strconv.ParseFloat(m.meta[key], 64)
		if err != nil {
			return math.NaN()
		}
		return f
	}
}

// metaNum is the number noted under key, or NaN.
func metaNum(meta map[string]string, key string) float64 {
	f, err := strconv.ParseFloat(meta[key], 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

func median(ms []measure, f func(measure) float64) float64 {
	var v []float64
	for _, m := range ms {
		if x := f(m); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func maxOf(ms []measure, f func(measure) float64) float64 {
	x := math.NaN()
	for _, m := range ms {
		if v := f(m); math.IsNaN(x) || v > x {
			x = v
		}
	}
	return x
}

func secs(s float64) string {
	if math.IsNaN(s) {
		return "–"
	}
	if s < 10 {
		return fmt.Sprintf("%.2f s", s)
	}
	return fmt.Sprintf("%.1f s", s)
}

func mb(b float64) string {
	if math.IsNaN(b) {
		return "–"
	}
	return fmt.Sprintf("%.1f MB", b/(1<<20))
}

func bytesOf(b float64) string {
	if math.IsNaN(b) {
		return "–"
	}
	return fmt.Sprintf("%s (%.0f B)", report.Bytes(int64(b)), b)
}

func rate(b, s float64) string {
	if math.IsNaN(b) || math.IsNaN(s) || s == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MB/s", b/s/1e6)
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f×", a/b)
}

func cores(cpu, wall float64) string {
	if math.IsNaN(cpu) || math.IsNaN(wall) || wall == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", cpu/wall)
}

// busy reports whether a load average ("1.58 1.49 0.91") shows other work: a
// one-minute load above a quarter of the cores.
func busy(load string) bool {
	f := strings.Fields(load)
	if len(f) == 0 {
		return false
	}
	l, err := strconv.ParseFloat(f[0], 64)
	return err == nil && l > float64(runtime.NumCPU())/4
}

func readString(file string) string {
	data, _ := os.ReadFile(file)
	return string(data)
}

func cpuModel() string {
	for _, line := range strings.Split(readString("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	for _, line := range strings.Split(readString("/proc/meminfo"), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "?"
}

func loadAvg() string {
	f := strings.Fields(readString("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
