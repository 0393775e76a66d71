package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/job"
	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/source"
)

// The documents of docs/ are tested like code: every example configuration loads with
// the real loader, every TOML block of a document is part of an example, every
// gardien command line they show exists with its flags, and the user guides name
// every step, exit code and generic hint that gardien reports.

const docsDir = "../../docs"

// docFiles returns the Markdown documents of docs/.
func docFiles(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(p)] = string(b)
	}
	for _, want := range []string{"guide.en.md", "guide.fr.md", "memo.md", "reference.md"} {
		if _, ok := docs[want]; !ok {
			t.Errorf("docs/%s is missing", want)
		}
	}
	return docs
}

// exampleFiles returns docs/examples/*.toml by name.
func exampleFiles(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(docsDir, "examples", "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no docs/examples/*.toml")
	}
	ex := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ex[filepath.Base(p)] = string(b)
	}
	return ex
}

var (
	envRefRe     = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	secretFileRe = regexp.MustCompile(`(?m)^\s*(?:password_file|secret_key_file)\s*=\s*"([^"]+)"`)
)

// Every example configuration of the documents loads with the real loader and the
// destinations' own checks, without an error or a warning. The secret files it names
// (/etc/gardien/smtp.pass…) are created, mode 600, in a temporary directory that
// stands for /etc/gardien; its ${VAR} references are set. Nothing else is changed.
func TestDocExamplesLoad(t *testing.T) {
	for name, text := range exampleFiles(t) {
		t.Run(name, func(t *testing.T) {
			etc := t.TempDir()
			text := strings.ReplaceAll(text, `"/etc/gardien/`, `"`+etc+`/`)
			for _, m := range secretFileRe.FindAllStringSubmatch(text, -1) {
				if err := os.WriteFile(m[1], []byte("s3cret\n"), 0o600); err != nil {
					t.Fatalf("%s: %v (secret files of the examples go in /etc/gardien)", m[1], err)
				}
			}
			for _, m := range envRefRe.FindAllStringSubmatch(text, -1) {
				t.Setenv(m[1], "s3cret")
			}
			path := filepath.Join(etc, name)
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path, dest.Check)
			if err != nil {
				t.Fatalf("docs/examples/%s does not load:\n%v", name, err)
			}
			if len(cfg.Warnings) > 0 {
				t.Errorf("docs/examples/%s loads with warnings: %q", name, cfg.Warnings)
			}
		})
	}
}

// codeBlocks returns the fenced blocks of a Markdown document whose info string is
// one of langs, each as its lines.
func codeBlocks(doc string, langs ...string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && strings.HasPrefix(trimmed, "```"):
			in, cur = true, nil
			if slices.Contains(langs, strings.TrimPrefix(trimmed, "```")) {
				cur = []string{}
			}
		case in && trimmed == "```":
			if cur != nil {
				blocks = append(blocks, cur)
			}
			in, cur = false, nil
		case in && cur != nil:
			cur = append(cur, line)
		}
	}
	return blocks
}

// A TOML block shown in a document is a piece of a tested example: its lines are a
// run of consecutive lines of one of docs/examples/*.toml.
func TestDocTOMLBlocksAreTested(t *testing.T) {
	examples := exampleFiles(t)
	n := 0
	for doc, text := range docFiles(t) {
		for _, block := range codeBlocks(text, "toml") {
			n++
			want := strings.Join(block, "\n")
			found := false
			for _, ex := range examples {
				if strings.Contains("\n"+ex, "\n"+want+"\n") {
					found = true
				}
			}
			if !found {
				t.Errorf("docs/%s shows a TOML block that is in no docs/examples/*.toml (so it is not tested):\n%s", doc, want)
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d TOML blocks in the documents", n)
	}
}

// commandLines returns the gardien command lines of a document's shell blocks: every
// line of a ```sh block, and the lines starting with "$ " of a ```console block.
func commandLines(doc string) []string {
	var lines []string
	for _, b := range codeBlocks(doc, "sh") {
		for _, l := range b {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	for _, b := range codeBlocks(doc, "console") {
		for _, l := range b {
			if strings.HasPrefix(l, "$ ") {
				lines = append(lines, strings.TrimPrefix(l, "$ "))
			}
		}
	}
	return lines
}

// gardienArgs returns the arguments of each gardien program in a shell line:
// "sudo -u gardien gardien check --config x" gives ["check" "--config" "x"].
func gardienArgs(line string) [][]string {
	var out [][]string
	for _, seg := range regexp.MustCompile(`&&|\|\||[|;]`).Split(line, -1) {
		tok := strings.Fields(seg)
		i := 0
		for i < len(tok) && strings.Contains(tok[i], "=") && !strings.HasPrefix(tok[i], "-") {
			i++ // VAR=value
		}
		if i < len(tok) && tok[i] == "sudo" {
			i++
			for i < len(tok) && strings.HasPrefix(tok[i], "-") {
				if tok[i] == "-u" {
					i++
				}
				i++
			}
		}
		if i >= len(tok) || (tok[i] != "gardien" && !strings.HasSuffix(tok[i], "/gardien")) {
			continue
		}
		var args []string
		for _, a := range tok[i+1:] {
			if strings.HasPrefix(a, ">") || strings.HasPrefix(a, "<") || strings.HasPrefix(a, "2>") {
				break
			}
			args = append(args, strings.Trim(a, `'"`))
		}
		out = append(out, args)
	}
	return out
}

// checkArgs tells whether args name a gardien command, with flags it has.
func checkArgs(args []string) error {
	root := newRootCommand(&globalOptions{stdout: io.Discard, stderr: io.Discard})
	cmd, _, err := root.Find(args)
	if err != nil {
		return err
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && cmd == root {
		return fmt.Errorf("no command %q", args[0])
	}
	return cmd.ParseFlags(args)
}

// Every gardien command line of the documents names a command that exists, with
// flags it has.
func TestDocCommandLines(t *testing.T) {
	n := 0
	for doc, text := range docFiles(t) {
		for _, line := range commandLines(text) {
			for _, args := range gardienArgs(line) {
				n++
				if err := checkArgs(args); err != nil {
					t.Errorf("docs/%s: %s: %v", doc, line, err)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d gardien command lines in the documents", n)
	}
	// The check refuses what does not exist.
	for _, bad := range []string{"gardien frobnicate", "sudo gardien cron --instal", "gardien run --dryrun", "sudo -u gardien gardien check -x"} {
		if err := checkArgs(gardienArgs(bad)[0]); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// genericHints returns the hints fault.Hint gives for the errors it knows, by what
// they are.
func genericHints() map[string]string {
	errs := map[string]error{
		"interrupted":        context.Canceled,
		"timeout":            context.DeadlineExceeded,
		"dns":                &net.DNSError{Err: "no such host", Name: "nas.example.org"},
		"refused":            syscall.ECONNREFUSED,
		"unreachable":        syscall.EHOSTUNREACH,
		"disk full":          syscall.ENOSPC,
		"quota":              syscall.EDQUOT,
		"permission":         fs.ErrPermission,
		"unknown CA":         x509.UnknownAuthorityError{},
		"host name mismatch": x509.HostnameError{Certificate: &x509.Certificate{}, Host: "nas.example.org"},
		"expired":            &x509.CertificateInvalidError{Reason: x509.Expired},
		"cut":                io.ErrUnexpectedEOF,
		"tls":                errors.New("remote error: tls: handshake failure"),
		"other":              errors.New("something else"),
	}
	hints := map[string]string{}
	for what, err := range errs {
		hints[what] = fault.Hint(fmt.Errorf("wrapped: %w", err))
	}
	return hints
}

// postgresHints returns the hints gardien gives when PostgreSQL refuses a connection
// or pg_dump fails, by what went wrong, for the role gardien on 127.0.0.1:5432 as
// the guides show them.
func postgresHints(t *testing.T) map[string]string {
	t.Helper()
	ci, err := pg.New(pg.Settings{Host: "127.0.0.1", Port: 5432, User: "gardien"})
	if err != nil {
		t.Fatal(err)
	}
	sock, err := pg.New(pg.Settings{Host: "/var/run/postgresql", User: "postgres"})
	if err != nil {
		t.Fatal(err)
	}
	hints := map[string]string{}
	for what, e := range map[string]error{
		"password refused": &pgconn.PgError{Code: "28P01"},
		"no pg_hba.conf":   &pgconn.PgError{Code: "28000", Message: "no pg_hba.conf entry for host"},
		"peer":             &pgconn.PgError{Code: "28000", Message: "Peer authentication failed"},
		"no role":          &pgconn.PgError{Code: "28000", Message: `role "root" does not exist`},
		"no database":      &pgconn.PgError{Code: "3D000"},
		"busy":             &pgconn.PgError{Code: "53300"},
		"refused":          fmt.Errorf("dial: %w", syscall.ECONNREFUSED),
		"no TLS":           errors.New("server refused TLS connection"),
		"certificate":      errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"),
		"silent":           fmt.Errorf("failed to receive message: timeout: %w", context.DeadlineExceeded),
		"not accepted":     fmt.Errorf("dial error: timeout: %w", context.DeadlineExceeded),
	} {
		hints["connect, "+what] = fault.Hint(pg.ConnectError(ci, e))
	}
	hints["connect, no socket"] = fault.Hint(pg.ConnectError(sock, fmt.Errorf("dial: %w", syscall.ENOENT)))
	for what, stderr := range map[string]string{
		"version":         "pg_dump: error: aborting because of server version mismatch | pg_dump: detail: server version: 16.4; pg_dump version: 15.18",
		"no password":     "fe_sendauth: no password supplied",
		"no pg_hba.conf":  `FATAL:  no pg_hba.conf entry for host "127.0.0.1"`,
		"refused":         "Connection refused",
		"no socket":       `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory`,
		"permission":      "ERROR:  permission denied for table res_users",
		"vanished":        `FATAL:  database "x" does not exist`,
		"locks":           "ERROR:  out of shared memory",
		"locked":          "ERROR:  could not obtain lock on relation",
		"broken":          "server closed the connection unexpectedly",
		"tls":             "SSL error: certificate verify failed",
		"no connection":   "could not connect to server",
		"silent":          `connection to server at "127.0.0.1", port 5432 failed: timeout expired`,
		"unknown":         "pg_dump: error: something new",
		"restore unknown": "",
	} {
		tool := "pg_dump"
		if what == "restore unknown" {
			tool = "pg_restore"
		}
		hints["pg_dump, "+what], _ = pg.Classify(tool, stderr, "gardien")
	}
	_, missing := pg.Tool{Name: "pg_dump", Path: "pg_dump-not-installed"}.Look()
	hints["pg_dump missing"] = fault.Hint(missing)
	return hints
}

// Both user guides hold the troubleshooting table: every step of a run, of
// `gardien check` and of the report, every exit code, and every hint that gardien
// gives for a kind of error, quoted as the log writes it.
func TestDocTroubleshooting(t *testing.T) {
	docs := docFiles(t)
	steps := []string{
		job.StepLock, job.StepStaging,
		report.StepReachable, report.StepDownloaded, report.StepExpected, report.StepChanged,
		report.StepSize, report.StepArchive, report.StepDestLogin, report.StepTransfer,
		report.StepRetention, job.StepProbe, report.StepMail, report.StepMailLogin,
		report.StepTestMail, "notify", job.StepRecord,
		source.StepDBReachable, source.StepDBListed, source.StepDBDumped,
		source.StepFolderListed, source.StepFilesRead, source.StepCommandRun,
		job.StepFound, job.StepExtracted, job.StepChecksums, job.StepRestored, job.StepDropped,
	}
	hints := genericHints()
	for what, h := range postgresHints(t) {
		hints["postgres: "+what] = h
	}
	if len(hints) < 14+25 {
		t.Fatalf("%d hints", len(hints))
	}
	for _, guide := range []string{"guide.en.md", "guide.fr.md"} {
		text := docs[guide]
		i := strings.Index(text, "<!-- troubleshooting -->")
		if i < 0 {
			t.Errorf("docs/%s has no <!-- troubleshooting --> table", guide)
			continue
		}
		table := text[i:]
		for _, s := range steps {
			if !strings.Contains(table, "`"+s+"`") {
				t.Errorf("docs/%s: the troubleshooting table does not name the step `%s`", guide, s)
			}
		}
		for what, h := range hints {
			if !strings.Contains(table, h) {
				t.Errorf("docs/%s: the troubleshooting table does not quote the hint for %s:\n  %s", guide, what, h)
			}
		}
		for _, code := range []string{"| `0` |", "| `1` |", "| `2` |", "| `3` |"} {
			if !strings.Contains(text, code) {
				t.Errorf("docs/%s has no row %s in its exit code table", guide, code)
			}
		}
	}
}
