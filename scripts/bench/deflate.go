package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// cmdDeflate compares the deflate data of dump.sql in -zip, which gardien's archive
// holds as it is, with the deflate data of the gzip stream read on stdin (`gzip -6 -n`
// of the same dump, as tar czf compresses it): their sizes, and whether they are the
// same bytes. It prints key=value lines for the report.
func cmdDeflate(args []string) error {
	fs := flag.NewFlagSet("deflate", flag.ExitOnError)
	zipPath := fs.String("zip", "", "the zip holding dump.sql")
	fs.Parse(args)
	zr, err := zip.OpenReader(*zipPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	var entry *zip.File
	for _, f := range zr.File {
		if f.Name == "dump.sql" {
			entry = f
		}
	}
	if entry == nil || entry.Method != zip.Deflate {
		return fmt.Errorf("%s: no deflated dump.sql", *zipPath)
	}
	raw, err := entry.OpenRaw()
	if err != nil {
		return err
	}
	zh := sha256.New()
	zn, err := io.Copy(zh, raw)
	if err != nil {
		return err
	}

	// gzip -n: a 10-byte header without name nor time (FLG 0), the deflate data,
	// an 8-byte trailer that is held back until the end is known.
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	var hdr [10]byte
	if _, err := io.ReadFull(in, hdr[:]); err != nil {
		return fmt.Errorf("read the gzip header: %w", err)
	}
	if hdr[0] != 0x1f || hdr[1] != 0x8b || hdr[2] != 8 || hdr[3] != 0 {
		return errors.New("stdin is not a gzip stream written with -n (no name, no extra fields)")
	}
	gh := sha256.New()
	var gn int64
	held := make([]byte, 0, 8)
	buf := make([]byte, 1<<20)
	for {
		n, err := in.Read(buf)
		chunk := append(held, buf[:n]...)
		if k := len(chunk) - 8; k > 0 {
			gh.Write(chunk[:k])
			gn += int64(k)
			held = append(held[:0], chunk[k:]...)
		} else {
			held = append(held[:0], chunk...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if len(held) != 8 {
		return errors.New("the gzip stream ends before its trailer")
	}
	fmt.Printf("zip_deflate_bytes=%d\ngzip6_deflate_bytes=%d\ndeflate_identical=%v\n", zn, gn, bytes.Equal(zh.Sum(nil), gh.Sum(nil)) && zn == gn)
	return nil
}
