//go:build integration

package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/testutil"
)

// The faults of the integration suite break real servers on purpose: OpenSSH and
// vsftpd killed in the middle of a transfer, a destination and a staging directory on
// a small tmpfs that fills up, a source that stalls, a host name that does not
// resolve, a proxy that resets connections, gardien itself killed with kill -9. Each
// runs the real binary and checks, with the harness of faults_test.go, the exit
// code, the step, cause and hint in the log, the FAILURE mail, that no file bears
// tonight's archive name on the destination, that the earlier archives are intact
// (SHA-256 before and after), and that no password or token appears anywhere.
//
// The faults are aimed at the connections of the test only (the server process that
// holds them), never at the daemons as a whole, which other packages' integration
// tests use at the same time.

// faultBinary builds gardien as the Makefile does: static, with Go's own resolver.
func faultBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gardien")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs `gardien --config cfg run` and collects what it wrote. bin may be
// a command line that ends with the binary (unshare … gardien).
func (s *faultSetup) runBinary(t *testing.T, cfg string, bin ...string) faultRun {
	t.Helper()
	n := len(s.smtp.Received())
	cmd := exec.Command(bin[0], append(bin[1:], "--config", cfg, "run")...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return s.collect(t, code, o.String(), e.String(), n)
}

// sshIT is the OpenSSH server of scripts/it.d/openssh.sh.
type sshIT map[string]string

func sshVars(t *testing.T) sshIT {
	return testutil.ITVars(t, "GARDIEN_IT_SSH_ADDR", "GARDIEN_IT_SSH_USER", "GARDIEN_IT_SSH_PASSWORD", "GARDIEN_IT_SSH_KNOWN_HOSTS", "GARDIEN_IT_SFTP_ROOT")
}

// remote returns a new directory under the SFTP root, removed when the test ends.
func (v sshIT) remote(t *testing.T) string {
	d := filepath.Join(v["GARDIEN_IT_SFTP_ROOT"], fmt.Sprintf("fault-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-")))
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// dest is the destination block for dir, reached at addr (the server, or a proxy in
// front of it), logging in by password; the host key is given as a key line, which
// holds whatever the address.
func (v sshIT) dest(t *testing.T, s *faultSetup, addr, dir string) string {
	t.Helper()
	kh, err := os.ReadFile(v["GARDIEN_IT_SSH_KNOWN_HOSTS"])
	if err != nil {
		t.Fatal(err)
	}
	s.addSecret(v["GARDIEN_IT_SSH_PASSWORD"])
	return `  [[job.destination]]
  name = "openssh"
  url = "sftp://` + v["GARDIEN_IT_SSH_USER"] + "@" + addr + dir + `"
  password = "${GARDIEN_IT_SSH_PASSWORD}"
  host_key = "` + strings.TrimSpace(strings.SplitN(string(kh), "\n", 2)[0]) + `"
  timeout = "10s"
`
}

// storedZip returns a zip holding dump.sql, stored: random data does not deflate, and
// storing it is quick.
func storedZip(t *testing.T, dump []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "dump.sql", Method: zip.Store, Modified: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(dump)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// faultProxy forwards connections from 127.0.0.1 to target. On the first `times`
// connections (all of them when times < 0) it calls fault once the client has sent
// `after` bytes, before forwarding more: what fault does (reset, kill the server,
// hold) happens in the middle of a transfer, whatever the machine's speed.
type faultProxy struct {
	ln      net.Listener
	target  string
	after   int64
	times   int
	fault   func(client, upstream *net.TCPConn)
	conns   atomic.Int32
	faulted atomic.Int32
}

func newFaultProxy(t *testing.T, target string, after int64, times int, fault func(client, upstream *net.TCPConn)) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, after: after, times: times, fault: fault}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c.(*net.TCPConn)) }()
		}
	}()
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) serve(c *net.TCPConn) {
	defer c.Close()
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	up := u.(*net.TCPConn)
	defer up.Close()
	n := int(p.conns.Add(1))
	fault := p.fault
	if p.times >= 0 && n > p.times {
		fault = nil
	}
	done := make(chan struct{})
	go func() {
		io.Copy(c, up)
		c.Close()
		close(done)
	}()
	buf := make([]byte, 32<<10)
	var sent int64
	for {
		k, err := c.Read(buf)
		if k > 0 {
			if _, werr := up.Write(buf[:k]); werr != nil {
				break
			}
			sent += int64(k)
			if fault != nil && sent >= p.after {
				fault(c, up)
				fault = nil
				p.faulted.Add(1)
			}
		}
		if err != nil {
			break
		}
	}
	up.Close()
	<-done
}

// reset cuts both sides of a connection with a TCP reset.
func reset(client, upstream *net.TCPConn) {
	client.SetLinger(0)
	upstream.SetLinger(0)
	client.Close()
	upstream.Close()
}

// serverPIDs returns the processes that hold the server's end of the connection
// whose client end is local (a connection the test made): those serving it.
func serverPIDs(t *testing.T, local *net.TCPAddr, server string) []int {
	t.Helper()
	_, sport, _ := net.SplitHostPort(server)
	sp, _ := strconv.Atoi(sport)
	want := fmt.Sprintf(":%04X", sp)
	peer := fmt.Sprintf(":%04X", local.Port)
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var inode string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 9 && strings.HasSuffix(fs[1], want) && strings.HasSuffix(fs[2], peer) {
			inode = fs[9]
		}
	}
	if inode == "" {
		return nil
	}
	return holders(t, "socket:["+inode+"]")
}

// holders returns the processes that have target open (a path, or "socket:[inode]").
func holders(t *testing.T, target string) []int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	seen := map[int]bool{}
	var pids []int
	for _, fd := range procs {
		if l, err := os.Readlink(fd); err == nil && l == target {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			if pid != os.Getpid() && !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// kill9 sends SIGKILL to pids, and logs which processes they were.
func kill9(t *testing.T, what string, pids []int) {
	for _, pid := range pids {
		t.Logf("kill -9 %d (%s): %s", pid, cmdline(pid), what)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// mountTmpfs mounts a tmpfs of size on dir until the test ends. It needs root, as
// `make integration` is run.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0777", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s (the integration suite runs as root): %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// partOf is the name of tonight's archive's temporary file.
func partOf() string { return "." + time.Now().Format("20060102") + ".tgz.part" }

// sshd's process serving gardien's session is killed in the middle of the upload.
// Once: the upload is tried again on a new connection, from the staged file, and the
// archive arrives whole. Every time: the transfer fails after its retries, with the
// connection's loss as cause, and nothing passes for tonight's archive.
func TestIntegrationFaultSSHDKilledMidTransfer(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	dump := randomDump(t, 4<<20)
	kill := func(t *testing.T) func(client, upstream *net.TCPConn) {
		return func(_, up *net.TCPConn) {
			pids := serverPIDs(t, up.LocalAddr().(*net.TCPAddr), v["GARDIEN_IT_SSH_ADDR"])
			if len(pids) == 0 {
				t.Error("no process holds the server's end of the connection")
			}
			kill9(t, "the sshd session serving gardien, 1 MB into the transfer", pids)
		}
	}

	t.Run("once", func(t *testing.T) {
		s := newFaultSetup(t, nil)
		s.src.Set(storedZip(t, dump))
		dir := v.remote(t)
		before := earlierArchives(t, dir)
		// The session that logged in uploads: its connection is the first.
		p := newFaultProxy(t, v["GARDIEN_IT_SSH_ADDR"], 1<<20, 1, kill(t))
		r := s.runBinary(t, s.config(t, "", v.dest(t, s, p.addr(), dir)), bin)
		if p.faulted.Load() != 1 {
			t.Fatalf("the session was killed %d times, want once: the test proves nothing\n%s", p.faulted.Load(), r.stdout)
		}
		if r.code != 0 || !strings.Contains(r.log, `what="upload to openssh"`) {
			t.Fatalf("exit %d, want 0 after a retry\n%s\n%s", r.code, r.stdout, r.log)
		}
		s.noSecrets(t, r)
		checkDelivered(t, dir, dump)
		for n, sum := range before {
			if sums(t, dir)[n] != sum {
				t.Errorf("%s changed", n)
			}
		}
	})

	t.Run("every time", func(t *testing.T) {
		s := newFaultSetup(t, nil)
		s.src.Set(storedZip(t, dump))
		dir := v.remote(t)
		before := earlierArchives(t, dir)
		p := newFaultProxy(t, v["GARDIEN_IT_SSH_ADDR"], 1<<20, -1, kill(t))
		r := s.runBinary(t, s.config(t, "", v.dest(t, s, p.addr(), dir)), bin)
		if p.faulted.Load() != 3 {
			t.Errorf("the session was killed %d times, want 3 (the upload and its 2 retries)", p.faulted.Load())
		}
		s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "transfer done" (openssh)`, step: "transfer done",
			causes: []string{"upload " + time.Now().Format("20060102") + ".tgz", "after 3 attempts"}, hint: "the connection to the server broke off", retrying: true})
		intact(t, dir, before)
	})
}

// checkDelivered checks that tonight's archive is in dir and holds dump, byte for byte.
func checkDelivered(t *testing.T, dir string, dump []byte) {
	t.Helper()
	archive := filepath.Join(dir, time.Now().Format("20060102")+".tgz")
	out := t.TempDir()
	if b, err := exec.Command("tar", "xzf", archive, "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar xzf %s: %v %s", archive, err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "dump.sql"))
	if err != nil || sha256.Sum256(got) != sha256.Sum256(dump) {
		t.Fatalf("the delivered archive's dump differs from the source's (%d bytes, %v)", len(got), err)
	}
}

// A proxy on loopback resets the connection to sshd 1 MB into the upload. Once: the
// upload is tried again from the staged file and arrives whole. Every time: the
// transfer fails after its retries, and says the connection was reset.
func TestIntegrationFaultResetAfterNBytes(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	dump := randomDump(t, 4<<20)

	t.Run("once", func(t *testing.T) {
		s := newFaultSetup(t, nil)
		s.src.Set(storedZip(t, dump))
		dir := v.remote(t)
		before := earlierArchives(t, dir)
		p := newFaultProxy(t, v["GARDIEN_IT_SSH_ADDR"], 1<<20, 1, reset)
		r := s.runBinary(t, s.config(t, "", v.dest(t, s, p.addr(), dir)), bin)
		if p.faulted.Load() != 1 || r.code != 0 || !strings.Contains(r.log, `what="upload to openssh"`) {
			t.Fatalf("reset %d times; exit %d, want 0 after a retry\n%s\n%s", p.faulted.Load(), r.code, r.stdout, r.log)
		}
		if !strings.Contains(r.log, "connection reset by peer") {
			t.Errorf("the retry's cause is not the reset:\n%s", r.log)
		}
		s.noSecrets(t, r)
		checkDelivered(t, dir, dump)
		for n, sum := range before {
			if sums(t, dir)[n] != sum {
				t.Errorf("%s changed", n)
			}
		}
	})

	t.Run("every time", func(t *testing.T) {
		s := newFaultSetup(t, nil)
		s.src.Set(storedZip(t, dump))
		dir := v.remote(t)
		before := earlierArchives(t, dir)
		p := newFaultProxy(t, v["GARDIEN_IT_SSH_ADDR"], 1<<20, -1, reset)
		r := s.runBinary(t, s.config(t, "", v.dest(t, s, p.addr(), dir)), bin)
		if p.faulted.Load() != 3 {
			t.Errorf("reset %d times, want 3 (the upload and its 2 retries)", p.faulted.Load())
		}
		s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "transfer done" (openssh)`, step: "transfer done",
			causes: []string{"connection reset by peer", "after 3 attempts"}, hint: "broke off", retrying: true})
		intact(t, dir, before)
	})
}

// vsftpd's process serving gardien's session is killed (kill -9) while it writes the
// archive. Once: its parent writes "500 OOPS" in clear into the TLS control
// connection, which gardien gives up for a new session, and the upload tried again
// arrives whole. Every time: the transfer fails after its retries, and nothing passes
// for tonight's archive.
func TestIntegrationFaultVsftpdKilledMidTransfer(t *testing.T) {
	v := testutil.ITVars(t, "GARDIEN_IT_FTP_ADDR", "GARDIEN_IT_FTP_USER", "GARDIEN_IT_FTP_PASSWORD", "GARDIEN_IT_FTPS_CA", "GARDIEN_IT_FTP_ROOT")
	bin := faultBinary(t)
	// Large enough that the upload takes longer than the watch's reaction.
	dump := randomDump(t, 48<<20)
	for _, sc := range []struct {
		name  string
		limit int32 // how many uploads are killed
	}{{"once", 1}, {"every time", 1 << 30}} {
		t.Run(sc.name, func(t *testing.T) {
			s := newFaultSetup(t, nil)
			s.src.Set(storedZip(t, dump))
			s.addSecret(v["GARDIEN_IT_FTP_PASSWORD"])
			rel := fmt.Sprintf("/fault-%d-%d", os.Getpid(), sc.limit)
			dir := filepath.Join(v["GARDIEN_IT_FTP_ROOT"], rel)
			t.Cleanup(func() { os.RemoveAll(dir) })
			before := earlierArchives(t, dir)
			cfg := s.config(t, "", `  [[job.destination]]
  name = "vsftpd"
  url = "ftps://`+v["GARDIEN_IT_FTP_USER"]+"@"+v["GARDIEN_IT_FTP_ADDR"]+rel+`"
  password = "${GARDIEN_IT_FTP_PASSWORD}"
  ca_file = "`+v["GARDIEN_IT_FTPS_CA"]+`"
  timeout = "10s"
`)
			kills := killWriters(t, filepath.Join(dir, partOf()), sc.limit)
			r := s.runBinary(t, cfg, bin)
			n := kills()
			if n == 0 {
				t.Fatalf("vsftpd was never killed mid-transfer: the test proves nothing\n%s", r.stdout)
			}
			t.Logf("vsftpd killed %d times", n)
			if sc.limit == 1 {
				if r.code != 0 || !strings.Contains(r.log, `what="upload to vsftpd"`) {
					t.Fatalf("exit %d, want 0 after a retry\n%s\n%s", r.code, r.stdout, r.log)
				}
				s.noSecrets(t, r)
				checkDelivered(t, dir, dump)
				for n, sum := range before {
					if sums(t, dir)[n] != sum {
						t.Errorf("%s changed", n)
					}
				}
				return
			}
			s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "transfer done" (vsftpd)`, step: "transfer done",
				causes: []string{"upload " + time.Now().Format("20060102") + ".tgz", "after 3 attempts"}, hint: "broke off", retrying: true})
			intact(t, dir, before)
		})
	}
}

// killWriters watches part, a file on the local disk that a server writes: when it
// has data, the processes writing it are stopped, then killed while it is incomplete;
// up to limit times. The function it returns ends the watch and tells how many
// times it killed.
func killWriters(t *testing.T, part string, limit int32) func() int32 {
	stop := make(chan struct{})
	var kills atomic.Int32
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for kills.Load() < limit {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			st, err := os.Stat(part)
			if err != nil || st.Size() == 0 {
				continue
			}
			pids := holders(t, part)
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGSTOP)
			}
			if st, err := os.Stat(part); err == nil && st.Size() > 0 && len(pids) > 0 {
				t.Logf("%s: %d bytes", part, st.Size())
				kill9(t, "the process writing the archive", pids)
				kills.Add(1)
				for holders(t, part) != nil { // until the kernel has closed it
					time.Sleep(time.Millisecond)
				}
				continue
			}
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGCONT)
			}
		}
	}()
	return func() int32 {
		close(stop)
		wg.Wait()
		return kills.Load()
	}
}

// The destination's disk fills up: an SFTP directory on a 3 MB tmpfs, which holds the
// earlier archives but not tonight's. The transfer fails, the temporary file is
// removed, and the earlier archives are intact.
func TestIntegrationFaultDestinationDiskFull(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	s := newFaultSetup(t, nil)
	s.src.Set(storedZip(t, randomDump(t, 6<<20)))
	dir := v.remote(t)
	mountTmpfs(t, dir, "3m")
	before := earlierArchives(t, dir)
	r := s.runBinary(t, s.config(t, "", v.dest(t, s, v["GARDIEN_IT_SSH_ADDR"], dir)), bin)
	s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "transfer done" (openssh)`, step: "transfer done",
		causes: []string{"write " + filepath.Join(dir, partOf())}, hint: "disk"})
	intact(t, dir, before)
	if _, err := os.Stat(filepath.Join(dir, partOf())); err == nil {
		t.Error("the temporary file is left on the full disk")
	}
}

// The local disk of staging_dir fills up while the archive is built: a 10 MB tmpfs
// holds the 6 MB zip, not the archive besides it. The run warned before it started
// (the last run staged more than is free), fails at "archive created" with a hint
// about staging_dir, and nothing is sent.
func TestIntegrationFaultStagingDiskFull(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	s := newFaultSetup(t, nil)
	dir := v.remote(t)
	dest := v.dest(t, s, v["GARDIEN_IT_SSH_ADDR"], dir)
	// A first run, staged on the ordinary disk, records the archive's size.
	s.src.Set(storedZip(t, randomDump(t, 6<<20)))
	if r := s.runBinary(t, s.config(t, "", dest), bin); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stdout)
	}
	before := sums(t, dir)
	staging := filepath.Join(s.dir, "staging")
	mountTmpfs(t, staging, "10m")
	s.src.Set(storedZip(t, randomDump(t, 6<<20)))
	r := s.runBinary(t, s.config(t, "", dest), bin)
	s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "archive created"`, step: "archive created",
		causes: []string{"no space left on device"}, hint: "staging_dir"})
	if !strings.Contains(r.log, `msg="step warning" job=db run=`) || !strings.Contains(r.log, `step="staging directory"`) || !strings.Contains(r.stdout, "less than the") {
		t.Errorf("no warning about the staging disk before the run:\n%s", r.stdout)
	}
	if after := sums(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the destination changed: %v, was %v", after, before)
	}
	if ents, _ := os.ReadDir(staging); len(ents) != 0 {
		t.Errorf("the full staging disk still holds %v", ents)
	}
}

// The source answers, sends half the zip, then nothing while keeping the connection
// open: idle_timeout cuts it, the download is retried, and fails the same way.
func TestIntegrationFaultSourceStalls(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	s := newFaultSetup(t, nil)
	z := storedZip(t, randomDump(t, 2<<20))
	var requests atomic.Int32
	s.src.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(z)))
		w.Write(z[:len(z)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	dir := v.remote(t)
	before := earlierArchives(t, dir)
	t0 := time.Now()
	r := s.runBinary(t, s.config(t, "  idle_timeout = \"1s\"\n  retries = 1\n", v.dest(t, s, v["GARDIEN_IT_SSH_ADDR"], dir)), bin)
	if took := time.Since(t0); took > time.Minute {
		t.Errorf("took %v to give up on a stalled source", took)
	}
	if requests.Load() != 2 {
		t.Errorf("%d requests, want 2", requests.Load())
	}
	s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "zip downloaded"`, step: "zip downloaded",
		causes: []string{"the server sent nothing for 1s (idle_timeout)", "after 2 attempts"}, hint: "raise idle_timeout", retrying: true})
	intact(t, dir, before)
}

// The destination's host name does not resolve. gardien runs in a mount namespace
// (unshare -m) whose /etc/resolv.conf names a DNS server of the test on loopback, so
// that Go's resolver sends its real queries there and none leaves the machine: an
// answer "no such name" (NXDOMAIN) fails at once, a failing server (SERVFAIL) is
// retried.
func TestIntegrationFaultDNSDoesNotResolve(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	for _, sc := range []struct {
		name     string
		rcode    byte
		causes   []string
		hint     string
		retrying bool
	}{
		{"NXDOMAIN", 3, []string{"lookup nas.gardien-fault.invalid", "no such host"}, "does not resolve", false},
		{"SERVFAIL", 2, []string{"lookup nas.gardien-fault.invalid", "server misbehaving", "after 3 attempts"}, "does not resolve", true},
	} {
		t.Run(sc.name, func(t *testing.T) {
			dns := newDNSServer(t, sc.rcode)
			s := newFaultSetup(t, nil)
			s.src.Set(storedZip(t, randomDump(t, 64<<10)))
			dir := v.remote(t)
			before := earlierArchives(t, dir)
			r := s.runBinary(t, s.config(t, "", v.dest(t, s, "nas.gardien-fault.invalid:22", dir)), withResolver(t, dns, bin)...)
			if dns.queries.Load() == 0 {
				t.Fatalf("the DNS server got no query: the test proves nothing\n%s%s", r.stdout, r.stderr)
			}
			s.check(t, r, faultWant{code: 1, outcome: `FAILURE at "destination reachable" (openssh)`, step: "destination reachable",
				causes: sc.causes, hint: sc.hint, retrying: sc.retrying})
			intact(t, dir, before)
			if !strings.Contains(r.stdout, "kept at ") {
				t.Errorf("the summary does not say where the undelivered archive is:\n%s", r.stdout)
			}
		})
	}
}

// dnsServer answers every query on a loopback address, UDP port 53, with rcode.
type dnsServer struct {
	addr    string
	queries atomic.Int32
}

func newDNSServer(t *testing.T, rcode byte) *dnsServer {
	t.Helper()
	// An address of the loopback network that nothing else uses.
	pc, err := net.ListenPacket("udp", "127.77.0.53:53")
	if err != nil {
		t.Fatalf("listen for DNS on 127.77.0.53:53 (the integration suite runs as root): %v", err)
	}
	d := &dnsServer{addr: "127.77.0.53"}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n], rcode); resp != nil {
				d.queries.Add(1)
				pc.WriteTo(resp, from)
			}
		}
	}()
	return d
}

// dnsAnswer returns the answer to query with rcode and no record: the header with
// QR and RA set, and the question, without the query's additional records (EDNS).
func dnsAnswer(query []byte, rcode byte) []byte {
	if len(query) < 12 {
		return nil
	}
	i := 12
	for i < len(query) && query[i] != 0 { // the question's name, label by label
		i += int(query[i]) + 1
	}
	i += 5 // the final 0, the type and the class
	if i > len(query) {
		return nil
	}
	resp := append([]byte(nil), query[:i]...)
	resp[2] = 0x80 | query[2]&0x79 // QR, the opcode, RD
	resp[3] = 0x80 | rcode         // RA
	copy(resp[4:12], []byte{0, 1, 0, 0, 0, 0, 0, 0})
	return resp
}

// withResolver returns the command line that runs bin in a mount namespace of its
// own whose /etc/resolv.conf names dns alone.
func withResolver(t *testing.T, dns *dnsServer, bin string) []string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver "+dns.addr+"\noptions timeout:2 attempts:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"unshare", "--mount", "--propagation", "private", "sh", "-c", `mount --bind "$0" /etc/resolv.conf && exec "$@"`, conf, bin}
}

// gardien is killed with kill -9 in the middle of the upload: it leaves its lock,
// its staging directory and a temporary file on the server. The next run takes the
// lock (its holder is gone), removes the staging directory, and delivers tonight's
// archive through the same temporary name, so that none is left; the earlier
// archives are intact.
func TestIntegrationFaultKill9ThenRerun(t *testing.T) {
	v := sshVars(t)
	bin := faultBinary(t)
	dump := randomDump(t, 4<<20)
	s := newFaultSetup(t, nil)
	s.src.Set(storedZip(t, dump))
	dir := v.remote(t)
	before := earlierArchives(t, dir)
	held := make(chan struct{})
	release := make(chan struct{})
	// The proxy holds the upload 1 MB in: gardien is killed while it waits.
	p := newFaultProxy(t, v["GARDIEN_IT_SSH_ADDR"], 1<<20, 1, func(_, _ *net.TCPConn) {
		held <- struct{}{}
		<-release
	})
	cfg := s.config(t, "", v.dest(t, s, p.addr(), dir))
	cmd := exec.Command(bin, "--config", cfg, "run")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the upload never reached 1 MB\n%s", out.String())
	}
	kill9(t, "gardien, 1 MB into the upload", []int{cmd.Process.Pid})
	cmd.Wait()
	close(release)

	staging, _ := filepath.Glob(filepath.Join(s.dir, "staging", "db-*"))
	locks, _ := filepath.Glob(filepath.Join(s.dir, "state", "*.lock"))
	if len(staging) != 1 || len(locks) != 1 {
		t.Fatalf("after kill -9: staging %v, locks %v; want one of each left behind", staging, locks)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, partOf())); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no temporary file on the server after kill -9: %v", sums(t, dir))
		}
		time.Sleep(50 * time.Millisecond)
	}

	r := s.runBinary(t, cfg, bin)
	if r.code != 0 {
		t.Fatalf("the run after kill -9: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.log, `msg="removed a stale staging directory left by an interrupted run"`) {
		t.Errorf("the log does not say the stale staging directory was removed:\n%s", r.log)
	}
	if _, err := os.Stat(staging[0]); err == nil {
		t.Errorf("%s is still there", staging[0])
	}
	if _, err := os.Stat(filepath.Join(dir, partOf())); err == nil {
		t.Error("the temporary file is still on the server")
	}
	checkDelivered(t, dir, dump)
	after := sums(t, dir)
	for n, sum := range before {
		if after[n] != sum {
			t.Errorf("%s changed", n)
		}
	}
	s.noSecrets(t, r)
}
