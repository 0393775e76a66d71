package dest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/fault"
)

// With require_mount, a directory under a mount point of /etc/fstab needs that mount
// point mounted, whatever file system its empty mount point lies on.
func TestCheckMountedFstab(t *testing.T) {
	tmp := t.TempDir()
	nas := filepath.Join(tmp, "srv", "my nas") // a space, escaped as \040 in both files
	esc := strings.ReplaceAll(nas, " ", `\040`)
	fstab := filepath.Join(tmp, "fstab")
	os.WriteFile(fstab, []byte("# the NAS\n"+
		"UUID=1234 / ext4 defaults 0 1\n"+
		"nas.example.org:/export "+esc+" nfs4 defaults,_netdev 0 0\n"+
		"/dev/sdb1 none swap sw 0 0\n"), 0o600)
	notMounted := filepath.Join(tmp, "mountinfo-without")
	os.WriteFile(notMounted, []byte("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"), 0o600)
	mounted := filepath.Join(tmp, "mountinfo-with")
	os.WriteFile(mounted, []byte("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"+
		"90 22 0:55 / "+esc+" rw,relatime - nfs4 nas.example.org:/export rw\n"), 0o600)
	dir := filepath.Join(nas, "archives", "gardien")

	err := checkMountedIn(dir, fstab, notMounted)
	if err == nil || !strings.Contains(err.Error(), nas+" is not mounted") || !strings.Contains(fault.Hint(err), "mount "+nas) || fault.Retryable(err) {
		t.Errorf("not mounted: err = %v (hint %q)", err, fault.Hint(err))
	}
	if err := checkMountedIn(dir, fstab, mounted); err != nil {
		t.Errorf("mounted: %v", err)
	}
	if got := fstabCovering(fstab, filepath.Join(tmp, "elsewhere")); got != "" {
		t.Errorf("a directory under no fstab mount point is covered by %q", got)
	}
}
