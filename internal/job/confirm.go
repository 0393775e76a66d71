package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/gardien/gardien/internal/report"
	"github.com/gardien/gardien/internal/source"
	"github.com/gardien/gardien/internal/state"
)

// crcMatch reports whether the items are, by name, size and the CRC-32 their source
// declares, the files of a previous run.
func crcMatch(items []source.Item, files []state.File) bool {
	if len(items) != len(files) {
		return false
	}
	for i, it := range items {
		f := files[i]
		if it.CRC32 == 0 || f.CRC32 != it.CRC32 || f.Size != it.Size || f.Name != it.Name {
			return false
		}
	}
	return true
}

// confirmByCRC reports whether the items look like the last run's dump by size and
// CRC-32, and confirm_unchanged asks for the SHA-256 to decide.
func (r *runner) confirmByCRC(items []source.Item, last *state.Record) bool {
	return last != nil && r.job.Source.ConfirmUnchanged && r.job.Archive.OnUnchanged != "archive" && crcMatch(items, last.Files)
}

// confirmUnchanged reads the items once through SHA-256, without compressing them
// (the source verifies each CRC-32 at its end): a tenth of the CPU of building an
// archive that on_unchanged would throw away. When the checksums equal the last
// run's, the "changed" step decides and the run stops there. When they differ (the
// same size and CRC-32 for other data), the dump is archived as usual, read again.
// It returns false when the run must stop.
func (r *runner) confirmUnchanged(ctx context.Context, items []source.Item, last *state.Record) bool {
	files := make([]state.File, 0, len(items))
	for _, it := range items {
		rc, err := it.Open()
		if err != nil {
			r.fail(it.Step, "", fmt.Errorf("open %s: %w", it.Name, err))
			return false
		}
		sum, err := hashItem(ctx, it, rc)
		rc.Close()
		if err != nil {
			if ctx.Err() != nil {
				r.fail(report.StepChanged, "", ctx.Err())
				return false
			}
			cause := fmt.Errorf("%s is damaged: %w", it.Name, err)
			r.rec(report.Step{Name: it.Step, Status: report.Failed, Cause: cause.Error(), Hint: sourceHint(err)})
			return false
		}
		files = append(files, state.File{Name: it.Name, Size: it.Size, SHA256: sum, CRC32: it.CRC32})
	}
	if !sameFiles(files, last.Files) {
		r.log.Info("the dump has the last run's size and CRC-32 but another SHA-256: archiving it", "step", report.StepChanged)
		return true
	}
	for _, it := range items {
		r.rec(report.Step{Name: it.Step, Status: report.OK, Detail: it.Detail})
	}
	r.checkChanged(files, last, "same sha256")
	return false
}

// hashItem returns the SHA-256 of an item's content read from r, checking its size.
func hashItem(ctx context.Context, it source.Item, r io.Reader) (string, error) {
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, r})
	switch {
	case err != nil:
		return "", err
	case n < it.Size:
		return "", fmt.Errorf("got %d bytes of %d: %w", n, it.Size, io.ErrUnexpectedEOF)
	case n > it.Size:
		return "", fmt.Errorf("longer than the %d bytes announced", it.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
