package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/version"
)

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gardien's version",
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(g.stdout, "gardien %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		}),
	}
}
