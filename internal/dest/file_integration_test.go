//go:build integration

package dest_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/testutil"
)

// file:// with require_mount: refused on a directory of the root file system (the
// share is not mounted), accepted on a mounted file system (a tmpfs that the script
// mounts).
func TestIntegrationFileRequireMount(t *testing.T) {
	v := testutil.ITVars(t, "GARDIEN_IT_MOUNT_DIR", "GARDIEN_IT_DIR")
	mounted := filepath.Join(v["GARDIEN_IT_MOUNT_DIR"], "archives")
	t.Cleanup(func() { os.RemoveAll(mounted) })
	d, err := dest.Open(context.Background(), dest.Config{URL: fileURL(mounted), RequireMount: true}, dest.Env{})
	if err != nil {
		t.Fatalf("Open on a mounted tmpfs: %v", err)
	}
	if err := d.Put(context.Background(), "a.tgz", strings.NewReader("abc"), 3); err != nil {
		t.Errorf("Put on a mounted tmpfs: %v", err)
	}
	d.Close()

	unmounted := filepath.Join(v["GARDIEN_IT_DIR"], "not-mounted", "archives")
	var root, here syscall.Stat_t
	if syscall.Stat("/", &root) != nil || syscall.Stat(v["GARDIEN_IT_DIR"], &here) != nil || root.Dev != here.Dev {
		t.Skipf("%s is not on the root file system: no unmounted directory to test", v["GARDIEN_IT_DIR"])
	}
	_, err = dest.Open(context.Background(), dest.Config{URL: fileURL(unmounted), RequireMount: true}, dest.Env{})
	if err == nil || !strings.Contains(fault.Hint(err), "not mounted") || fault.Retryable(err) {
		t.Errorf("Open on the root file system with require_mount: err = %v (hint %q), want a permanent refusal", err, fault.Hint(err))
	}
	if _, err := os.Stat(filepath.Dir(unmounted)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused destination created %s", filepath.Dir(unmounted))
	}
}
