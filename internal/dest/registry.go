package dest

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gardien/gardien/internal/config"
)

// factory is what a protocol provides: a check of its configuration (run by
// `gardien check` and before every run, so that a bad key stops everything with exit 2)
// and the opening of a session.
type factory struct {
	check func(c Config, u *url.URL) error
	open  func(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error)
}

// factories is the registry by URL scheme: a new protocol adds one line here.
func factories() map[string]factory {
	return map[string]factory{
		"file":          {checkFile, openFile},
		"sftp":          {checkSFTP, openSFTP},
		"ftps":          {checkFTPS, openFTPS},
		"ftps+implicit": {checkFTPS, openFTPS},
		"ftp":           {checkFTPS, openFTPS},
		"smb":           {checkSMB, openSMB},
		"webdav":        {checkWebDAV, openWebDAV},
		"webdavs":       {checkWebDAV, openWebDAV},
		"s3":            {checkS3, openS3},
	}
}

// Schemes lists the supported URL schemes.
func Schemes() []string {
	var s []string
	for k := range factories() {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Check validates a destination's configuration for its protocol. It is a
// config.DestinationCheck.
func Check(c Config) error {
	u, f, err := lookup(c.URL)
	if err != nil {
		return err
	}
	return f.check(c, u)
}

var _ config.DestinationCheck = Check

// Open connects to the destination and logs in.
func Open(ctx context.Context, c Config, env Env) (Destination, error) {
	u, f, err := lookup(c.URL)
	if err != nil {
		return nil, err
	}
	return f.open(ctx, c, u, env)
}

func lookup(raw string) (*url.URL, factory, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, factory{}, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid url %q", Redact(raw)), Fix: `write it like "sftp://user@host/path" or "file:///mnt/archives"`}
	}
	f, ok := factories()[u.Scheme]
	if !ok {
		return nil, factory{}, &config.FieldError{Key: "url", Msg: fmt.Sprintf("unsupported scheme %q", u.Scheme), Fix: "use one of " + strings.Join(Schemes(), ", ")}
	}
	return u, f, nil
}

// Redact returns raw with any password and query value removed, for logs and
// messages.
func Redact(raw string) string { return config.RedactURL(raw) }
