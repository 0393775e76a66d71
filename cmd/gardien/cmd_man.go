package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/gardien/gardien/internal/version"
)

// newManCommand writes the man pages, generated from the commands themselves so
// that they cannot drift from --help. Hidden: it is a build step (make man).
func newManCommand(g *globalOptions) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "man",
		Short:  "Write the man pages (gardien.1, gardien-run.1, …) to --dir",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			// Shell completion is a script to install, not a page to read.
			for _, c := range root.Commands() {
				if c.Name() == "completion" {
					root.RemoveCommand(c)
				}
			}
			// SOURCE_DATE_EPOCH keeps the pages, and so the package, reproducible.
			date := time.Now()
			if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					date = time.Unix(n, 0).UTC()
				}
			}
			h := &doc.GenManHeader{Section: "1", Date: &date,
				Source: "gardien " + version.String(), Manual: "gardien manual"}
			if err := doc.GenManTree(root, h, dir); err != nil {
				return err
			}
			fmt.Fprintf(g.out(), "wrote the man pages to %s\n", dir)
			return nil
		}),
	}
	cmd.Flags().StringVar(&dir, "dir", "man", "where to write the pages")
	return cmd
}
