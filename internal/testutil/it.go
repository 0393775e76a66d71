package testutil

import (
	"os"
	"testing"
)

// ITVars returns the environment variables that scripts/integration-servers.sh writes
// for the integration suite. A missing one skips the test, except with GARDIEN_IT=1
// (as `make integration` and CI set it), where it fails: the suite never skips
// silently where the servers are supposed to run.
func ITVars(t testing.TB, names ...string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = os.Getenv(n)
		if out[n] == "" {
			if os.Getenv("GARDIEN_IT") == "1" {
				t.Fatalf("%s is not set: start the servers with scripts/integration-servers.sh", n)
			}
			t.Skipf("%s is not set: run `make integration`", n)
		}
	}
	return out
}
