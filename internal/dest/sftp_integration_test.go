//go:build integration

package dest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/dest/desttest"
	"github.com/gardien/gardien/internal/testutil"
)

// TestIntegrationSFTPOpenSSH runs the conformance suite against OpenSSH's
// sftp-server, by key and by password.
func TestIntegrationSFTPOpenSSH(t *testing.T) {
	v := testutil.ITVars(t, "GARDIEN_IT_SSH_ADDR", "GARDIEN_IT_SSH_USER", "GARDIEN_IT_SSH_PASSWORD", "GARDIEN_IT_SSH_KEY", "GARDIEN_IT_SSH_KNOWN_HOSTS", "GARDIEN_IT_SFTP_ROOT")
	n := 0
	open := func(auth func(*config.Destination)) func(t *testing.T) dest.Destination {
		return func(t *testing.T) dest.Destination {
			n++
			dir := filepath.Join(v["GARDIEN_IT_SFTP_ROOT"], "desttest", filepath.Base(t.TempDir()))
			t.Cleanup(func() { os.RemoveAll(dir) })
			c := config.Destination{
				Name:       "openssh",
				URL:        "sftp://" + v["GARDIEN_IT_SSH_USER"] + "@" + v["GARDIEN_IT_SSH_ADDR"] + dir,
				KnownHosts: v["GARDIEN_IT_SSH_KNOWN_HOSTS"],
				Timeout:    config.Duration(20 * time.Second),
			}
			auth(&c)
			d, err := dest.Open(context.Background(), c, dest.Env{})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Run("key", func(t *testing.T) {
		desttest.Run(t, open(func(c *config.Destination) { c.KeyFile = v["GARDIEN_IT_SSH_KEY"] }))
	})
	t.Run("password", func(t *testing.T) {
		desttest.Run(t, open(func(c *config.Destination) { c.Password = v["GARDIEN_IT_SSH_PASSWORD"] }))
	})
}
