package job

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/state"
)

// The local disk under staging_dir: a warning before the run when it has less room
// than the last run needed, and a hint that names staging_dir when it fills up.

// stagingFullHint is what to do when staging_dir's disk is full: not the destination's
// advice (lower keep_days), which would not help.
const stagingFullHint = "the local disk of staging_dir is full: free space there, or set staging_dir in [job.archive] to a disk with room for the zip and the archive"

// checkSpace warns when the disk of the run's staging directory has less free space
// than the last successful run staged: its zip and its archive, of about the same
// size as each other. A first run has no such measure, and is not checked.
func (r *runner) checkSpace() {
	last, err := state.LoadLast(r.cfg.State.Dir, r.job.Name)
	if err != nil || last == nil || last.ArchiveSize <= 0 {
		return
	}
	free, err := freeSpace(r.stage)
	if err != nil {
		r.log.Debug("cannot measure the free space of the staging directory", "dir", r.stage, "cause", err.Error())
		return
	}
	need := 2 * last.ArchiveSize
	if free >= uint64(need) {
		return
	}
	r.rec(report.Step{Name: StepStaging, Status: report.Warning,
		Detail: fmt.Sprintf("%s free in %s, less than the %s the last run staged (its zip and its %s archive)",
			report.Bytes(int64(min(free, 1<<62))), r.job.Archive.StagingDir, report.Bytes(need), report.Bytes(last.ArchiveSize)),
		Hint: "free space there, or set staging_dir in [job.archive] to a larger disk: the run fails if the disk fills up"})
}

// freeSpace returns the bytes an unprivileged user may still write on the file
// system holding dir.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, &fs.PathError{Op: "statfs", Path: dir, Err: err}
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// stagingError gives a full local disk the hint about staging_dir.
func stagingError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fault.WithHint(err, stagingFullHint)
	}
	return err
}

// writeErr names the staged file a write failed on, unless the error already does
// (an *fs.PathError from the file itself).
func writeErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return err
	}
	return fmt.Errorf("write %s: %w", path, err)
}
