package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
)

// cmdPut is gardien's upload step alone, for the comparison with rclone: the code
// that `gardien run` uses (config.Load, dest.Open, Destination.Put, Close) on a
// destination of a gardien configuration, with nothing else in the process. It prints
// key=value lines: the time to connect and log in, and the time of Put.
func cmdPut(args []string) error {
	fs := flag.NewFlagSet("put", flag.ExitOnError)
	cfgPath := fs.String("config", "", "a gardien configuration")
	jobName := fs.String("job", "", "the job whose destination to use (default: the first)")
	destName := fs.String("dest", "", "the destination (default: the job's first)")
	file := fs.String("file", "", "the file to upload, under its own name")
	fs.Parse(args)
	if *cfgPath == "" || *file == "" {
		return fmt.Errorf("-config and -file are required")
	}
	cfg, err := config.Load(*cfgPath, dest.Check)
	if err != nil {
		return err
	}
	dc, err := pickDest(cfg, *jobName, *destName)
	if err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	ctx := context.Background()
	t0 := time.Now()
	d, err := dest.Open(ctx, dc, dest.Env{Log: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return fmt.Errorf("open %s: %w", dest.Redact(dc.URL), err)
	}
	t1 := time.Now()
	if err := d.Put(ctx, filepath.Base(*file), f, st.Size()); err != nil {
		d.Close()
		return fmt.Errorf("upload %s to %s: %w", filepath.Base(*file), dest.Redact(dc.URL), err)
	}
	t2 := time.Now()
	if err := d.Close(); err != nil {
		return err
	}
	fmt.Printf("connect_s=%.3f\nput_s=%.3f\nbytes=%d\n", t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), st.Size())
	return nil
}

func pickDest(cfg *config.Config, jobName, destName string) (config.Destination, error) {
	for _, j := range cfg.Jobs {
		if jobName != "" && j.Name != jobName {
			continue
		}
		for _, dc := range j.Destinations {
			if destName == "" || dc.Name == destName {
				return dc, nil
			}
		}
	}
	return config.Destination{}, fmt.Errorf("no destination %q in job %q", destName, jobName)
}
