package pg

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
)

// Magic is how a pg_dump custom-format file begins.
const Magic = "PGDMP"

// IsCustomDump reports whether the file at path is a pg_dump custom-format dump.
func IsCustomDump(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(Magic))
	n, _ := f.Read(head)
	return string(head[:n]) == Magic
}

// TOC is what `pg_restore --list` says of a dump.
type TOC struct {
	Entries int // objects of the table of contents
	Tables  int // of which table data
}

// List runs `pg_restore --list` on a dump file: it reads the whole table of
// contents, which a truncated or foreign file does not have.
func (t Tool) List(ctx context.Context, file string) (TOC, error) {
	cmd, err := t.Command(ctx, Conninfo{}, "--list", file)
	if err != nil {
		return TOC{}, err
	}
	var out bytes.Buffer
	if err := t.Run(ctx, cmd, &out, ""); err != nil {
		return TOC{}, err
	}
	var toc TOC
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, ";") {
			continue
		}
		toc.Entries++
		if strings.Contains(l, " TABLE DATA ") {
			toc.Tables++
		}
	}
	if toc.Entries == 0 {
		return toc, fmt.Errorf("pg_restore --list %s: the table of contents is empty", file)
	}
	return toc, nil
}

// Restore loads a custom-format dump into the existing database db of the server of
// ci, stopping at the first error. Owners and privileges are not restored: the
// roles of the dumped server need not exist where it is restored. It runs in one
// transaction: a restore that stops half-way, over an existing database (clean),
// leaves that database as it was, not half replaced.
func (t Tool) Restore(ctx context.Context, ci Conninfo, db, file string, clean bool) error {
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password", "--dbname=" + ci.With("dbname", db).String()}
	if clean {
		args = append(args, "--clean", "--if-exists")
	}
	cmd, err := t.Command(ctx, ci, append(args, file)...)
	if err != nil {
		return err
	}
	return t.Run(ctx, cmd, nil, ci["user"])
}
