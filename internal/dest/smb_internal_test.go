package dest

import (
	"context"
	"strings"
	"testing"

	"github.com/gardien/gardien/internal/fault"
)

// Names are refused before anything reaches the server: an SMB destination without
// any session (its target is nil, so going further would panic) still answers.
func TestSMBNames(t *testing.T) {
	s := &SMB{}
	ctx := context.Background()
	for _, name := range []string{"", ".", "..", "../escape.tgz", "sub/a.tgz", `sub\a.tgz`, "a\x00b", "2026-11-22T02:00.tgz", "a*.tgz", "a?.tgz", `a".tgz`, "a<b>.tgz", "a|b.tgz", "tab\there.tgz"} {
		if err := s.Put(ctx, name, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
		if _, err := s.Open(ctx, name); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
		if err := s.Delete(ctx, name); err == nil {
			t.Errorf("Delete(%q) succeeded", name)
		}
	}
	err := checkSMBName("20261122T02:00.tgz")
	if err == nil || !strings.Contains(err.Error(), `":"`) || !strings.Contains(fault.Hint(err), "archive name") || fault.Retryable(err) {
		t.Errorf("checkSMBName with a colon = %v (hint %q), want a permanent error naming ':' with a hint on the archive name", err, fault.Hint(err))
	}
	for _, name := range []string{"20261122.tgz", "archive 2026 é.tgz", ".20261122.tgz.part", "ocpizza-db_2026.11.22.tar.zst"} {
		if err := checkSMBName(name); err != nil {
			t.Errorf("checkSMBName(%q) = %v, want nil", name, err)
		}
	}
}
