package dest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/fault"
)

// The hint of an archive left aside comes before the protocol's, and the message
// says where the archive is, also when the protocol worded the error its own way.
func TestReplaceAsideHint(t *testing.T) {
	ae := &asideError{err: errors.New("550 refused"), putBack: errors.New("550 refused again"), final: "/srv/a.tgz", aside: "/srv/.a.tgz.old"}
	const wantHint = "the previous archive a.tgz is kept as .a.tgz.old in the same directory"

	// SMB words a file held open its own way, keeping the cause in the chain only.
	smb := fault.WithHint(&smbError{msg: "rename //nas/share/a.tgz: the file is held open on the server", errs: []error{ae}}, "wait and run again")
	err := withAsideHint(smb)
	if !strings.Contains(err.Error(), "it is now .a.tgz.old") {
		t.Errorf("err = %v, want it to say where the previous archive is", err)
	}
	if h := fault.Hint(err); !strings.HasPrefix(h, wantHint) {
		t.Errorf("hint = %q, want %q first", h, wantHint)
	}

	// A message that says it already does not say it twice.
	ftp := fault.Permanent(fault.WithHint(fmt.Errorf("rename /srv/.a.tgz.part to a.tgz: %w", ae), "check the permissions"))
	err = withAsideHint(ftp)
	if n := strings.Count(err.Error(), ".a.tgz.old"); n != 1 {
		t.Errorf("err = %v: names the aside file %d times, want once", err, n)
	}
	if h := fault.Hint(err); !strings.HasPrefix(h, wantHint) {
		t.Errorf("hint = %q, want %q first", h, wantHint)
	}
	if fault.Retryable(err) {
		t.Errorf("err = %v: the protocol's verdict (permanent) was lost", err)
	}

	// Any other error is left as it is.
	other := fault.WithHint(errors.New("550 refused"), "check the permissions")
	if got := withAsideHint(other); got != other {
		t.Errorf("withAsideHint changed an error without an aside file: %v", got)
	}
}
