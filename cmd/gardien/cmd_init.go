package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
)

func newInitCommand(g *globalOptions) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented example configuration",
		Long: `Write a commented example configuration to --config (default ./gardien.toml),
mode 600. An existing file is kept unless --force is given.`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			path := g.configPath
			if path == "" {
				path = "gardien.toml"
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, flags, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return usageError{fmt.Errorf("%s already exists: it is kept (use --force to overwrite it)", path)}
			}
			if err != nil {
				return err
			}
			if _, err := f.Write(config.Example); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(g.out(), "wrote %s\nedit it, then test it with: gardien check --config %s\n", path, path)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}
