package main

import (
	"archive/zip"
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/demo"
)

// cmdDump writes a zip holding dump.sql, a plain-SQL dump of about -size bytes (COPY
// blocks of mixed text and numbers, as pg_dump writes them), unless -out already
// holds one of that size and seed.
func cmdDump(args []string) error {
	fs := flag.NewFlagSet("dump", flag.ExitOnError)
	sizeFlag := fs.String("size", "1GB", "size of the dump (MB, GB: powers of 1000)")
	out := fs.String("out", "", "the zip to write")
	seed := fs.Uint64("seed", 1, "seed of the generator: the same seed gives the same dump")
	meta := fs.String("meta", "", "where to write dump_bytes= and zip_bytes= lines")
	fs.Parse(args)
	size, err := config.ParseSize(*sizeFlag)
	if err != nil || size <= 0 {
		return fmt.Errorf("-size: %q is not a size", *sizeFlag)
	}
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	if n, ok := existingDump(*out, *seed); ok && n >= size && n < size+1<<20 {
		fmt.Printf("bench: %s already holds a %d-byte dump (seed %d)\n", *out, n, *seed)
		return writeDumpMeta(*meta, *out, n)
	}
	t0 := time.Now()
	tmp := *out + ".tmp"
	os.Remove(tmp)
	defer os.Remove(tmp)
	// The dump is written out, then zipped by Info-ZIP's zip at its default level, 6:
	// the zip of the export scripts, and the deflate of gzip -6 (the same algorithm and
	// parameters). Python's zipfile (Odoo's backups) uses zlib at level 6, within a
	// few hundredths of a percent of it; Go's archive/zip deflates 0.7 % larger.
	dir, err := os.MkdirTemp(filepath.Dir(*out), "dump-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sql := filepath.Join(dir, "dump.sql")
	f, err := os.Create(sql)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = demo.WriteDump(bw, size, *seed)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", sql, err)
	}
	zip := exec.Command("zip", "-q", "-6", "-j", "-X", "-z", tmp, sql)
	zip.Stdin = strings.NewReader(dumpComment(*seed) + "\n")
	zip.Stdout, zip.Stderr = os.Stderr, os.Stderr
	if err := zip.Run(); err != nil {
		return fmt.Errorf("zip %s: %w", sql, err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	st, _ := os.Stat(*out)
	n, _ := existingDump(*out, *seed)
	fmt.Printf("bench: wrote %s: dump.sql of %d bytes, zip of %d bytes, in %s\n", *out, n, st.Size(), time.Since(t0).Round(time.Millisecond))
	return writeDumpMeta(*meta, *out, n)
}

func writeDumpMeta(meta, zipPath string, dumpBytes int64) error {
	if meta == "" {
		return nil
	}
	st, err := os.Stat(zipPath)
	if err != nil {
		return err
	}
	return os.WriteFile(meta, fmt.Appendf(nil, "dump_bytes=%d\nzip_bytes=%d\n", dumpBytes, st.Size()), 0o644)
}

// dumpComment marks the zips this command wrote, with what they depend on.
func dumpComment(seed uint64) string {
	return fmt.Sprintf("gardien bench seed %d, zip -6", seed)
}

// existingDump returns the size of the dump in the zip at path when it was made
// with seed.
func existingDump(path string, seed uint64) (int64, bool) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, false
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "dump.sql" || strings.TrimSpace(zr.Comment) != dumpComment(seed) {
		return 0, false
	}
	return int64(zr.File[0].UncompressedSize64), true
}
