package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/demo"
)

func newDemoCommand(g *globalOptions) *cobra.Command {
	var dir, size string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on this machine, with nothing installed",
		Long: `Start a built-in HTTPS server serving a generated dump in a zip and a built-in
SFTP server standing for the NAS, both on 127.0.0.1, write a configuration for them,
and a built-in SMTP server that files each report mail in --dir/mail, then run the
job three times: a new dump (SUCCESS, old archives purged), the same dump again
(WARNING: unchanged), and a new dump with the SFTP server stopped (FAILURE, nothing
deleted). Everything stays in --dir.`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			n, err := config.ParseSize(size)
			if err != nil || n < 1<<10 {
				return usageError{fmt.Errorf("--size %q: give a size of at least 1KB, such as 24MB", size)}
			}
			env, err := demo.Start(dir, n, time.Now())
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			defer env.Close()
			out := g.out()
			fmt.Fprintf(out, "gardien demo: HTTPS source, SFTP server and mail server started on 127.0.0.1, configuration in %s\n", env.ConfigPath)

			run := func(title string) int {
				fmt.Fprintf(out, "\n--- %s\n", title)
				sub := &globalOptions{configPath: env.ConfigPath, stdout: g.stdout, stderr: g.stderr, quiet: g.quiet, verbose: g.verbose}
				code := exitCode(sub.runJobs(cmd, nil), g.stderr)
				fmt.Fprintf(out, "exit code %d\n", code)
				return code
			}
			codes := []int{
				run("run 1: tonight's dump (old archives are purged by the retention)"),
				run("run 2: the source serves the same dump again"),
			}
			if err := env.NewDump(2); err != nil {
				return err
			}
			env.StopSFTP()
			codes = append(codes, run("run 3: a new dump, but the NAS (the SFTP server) is down"))

			fmt.Fprintf(out, "\nWhere to look:\n  log            %s\n  archives (NAS) %s\n  configuration  %s\n  state          %s\n",
				env.LogPath, env.Archives, env.ConfigPath, env.Dir+"/state")
			mails := env.Mails()
			fmt.Fprintf(out, "  mails          %s (%d report mails, one per run)\n", env.MailDir, len(mails))
			fmt.Fprintf(out, "Look inside tonight's archive: tar tzvf %s/%s\n", env.Archives, time.Now().Format("20060102")+".tgz")
			if codes[0] != exitOK || codes[1] != exitWarnings || codes[2] != exitFailure {
				return errors.New("demo: the runs did not end as expected (0, 3, 1): see the log")
			}
			if len(mails) != len(codes) {
				return fmt.Errorf("demo: %d report mails in %s, want %d (one per run): see the log", len(mails), env.MailDir, len(codes))
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&dir, "dir", "gardien-demo", "directory for the demo's files (wiped if an earlier demo made it)")
	cmd.Flags().StringVar(&size, "size", "24MB", "size of the generated dump")
	return cmd
}
