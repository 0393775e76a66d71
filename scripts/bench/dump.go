package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"os"
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
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// archive/zip's own deflate, at its default level, 6: what the zip command and
	// the exports of Python's zipfile or PHP's ZipArchive write (zlib's default).
	zw := zip.NewWriter(f)
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: "dump.sql", Method: zip.Deflate, Modified: time.Now(),
		Comment: dumpComment(*seed)})
	if err == nil {
		err = demo.WriteDump(ew, size, *seed)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
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
	return fmt.Sprintf("gardien bench seed %d, deflate level 6", seed)
}

// existingDump returns the size of the dump in the zip at path when it was made
// with seed.
func existingDump(path string, seed uint64) (int64, bool) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, false
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "dump.sql" || zr.File[0].Comment != dumpComment(seed) {
		return 0, false
	}
	return int64(zr.File[0].UncompressedSize64), true
}
