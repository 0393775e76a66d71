// Command gardien archives a web application's database: it fetches the nightly dump,
// checks it, packs it into a dated archive, sends it to remote storage, applies the
// retention period, and says in its log and its exit code whether it all worked.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/progress"
)

// Exit codes, read by cron and monitoring (SPEC section 2).
const (
	exitOK       = 0 // every job succeeded
	exitFailure  = 1 // at least one job failed
	exitUsage    = 2 // the configuration or the command line is invalid; nothing was done
	exitWarnings = 3 // every job ran, with warnings
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	configPath string
	dryRun     bool
	verbose    bool
	quiet      bool
	stdout     io.Writer
	stderr     io.Writer
	// bar shows the transfers' progress when stderr is a terminal (progressBar).
	bar     *progress.Bar
	barDone bool
}

// Main runs gardien with args and returns its exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globalOptions{stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "gardien",
		Short: "Nightly database archives that say whether they worked",
		Long: `gardien fetches a web application's dump, checks it, packs it into a dated
archive, sends it to remote storage (SFTP, local or mounted disk), deletes the
archives older than the retention period, and reports every step in its log.

Exit codes: 0 success, 1 a job failed, 2 invalid configuration or command line
(nothing was done), 3 warnings.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	f := root.PersistentFlags()
	f.StringVar(&g.configPath, "config", "", "configuration file (default: $GARDIEN_CONFIG, ./gardien.toml, /etc/gardien/gardien.toml)")
	f.BoolVar(&g.dryRun, "dry-run", false, "do everything but writes and deletions on destinations")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "show every log line on stderr")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but errors")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newRunCommand(g),
		newCheckCommand(g),
		newListCommand(g),
		newRestoreCommand(g),
		newVerifyCommand(g),
		newDemoCommand(g),
		newInitCommand(g),
		newVersionCommand(g),
		newCronCommand(g),
		newSystemdCommand(g),
		newDaemonCommand(g),
		newManCommand(g),
	)
	return root
}

// usageError is a bad command line or configuration: exit 2, nothing was done.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// ranError marks an error returned by a command's own code: anything else that cobra
// returns (unknown command, wrong arguments) is a usage error.
type ranError struct{ err error }

func (e ranError) Error() string { return e.err.Error() }
func (e ranError) Unwrap() error { return e.err }

// runE adapts a command's function so that its errors are told apart from cobra's.
func runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd, args); err != nil {
			return ranError{err}
		}
		return nil
	}
}

// exitError carries an exit code decided by a command (a run with warnings).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode turns a command's error into the process exit code, in one place, and
// prints the error with its hint.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	var ce *config.Error
	var ces config.Errors
	switch {
	case errors.As(err, &ces):
		fmt.Fprintf(stderr, "gardien: invalid configuration:\n%s\n", ces.Error())
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "gardien: invalid configuration: %v\n", ce)
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gardien: %v\n", err)
		hint := "see `gardien --help`"
		var h fault.Hinted
		if errors.As(err, &h) {
			hint = h.Hint()
		}
		fmt.Fprintf(stderr, "gardien: hint: %s\n", hint)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "gardien: interrupted\n")
		return exitFailure
	case !errors.As(err, new(ranError)):
		fmt.Fprintf(stderr, "gardien: %v\n", err)
		fmt.Fprintf(stderr, "gardien: hint: see `gardien --help`\n")
		return exitUsage
	}
	fmt.Fprintf(stderr, "gardien: error: %v\n", err)
	var h fault.Hinted
	if errors.As(err, &h) {
		fmt.Fprintf(stderr, "gardien: hint: %s\n", h.Hint())
	}
	return exitFailure
}
