package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

// Helpers that several protocols share, where each had the same logic.

// logger returns the log a destination writes to: env's, or one that discards.
func (e Env) logger() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// openFieldError turns a configuration error that only opening finds (a key_file or
// a ca_file that cannot be used, which Check does not read) into the error of the
// run: the key and what is wrong with it, its fix as the hint, and permanent, as
// retrying cannot fix it. Other errors are returned as they are.
func openFieldError(err error) error {
	var fe *config.FieldError
	if errors.As(err, &fe) {
		return fault.Permanent(fault.WithHint(fmt.Errorf("%s: %s", fe.Key, fe.Msg), fe.Fix))
	}
	return err
}

// timeoutOf is the destination's timeout: the timeout key, or the default.
func timeoutOf(c Config) time.Duration {
	if d := c.Timeout.D(); d > 0 {
		return d
	}
	return config.DefaultDestTmo
}

// validPort tells whether port is a TCP port number.
func validPort(port string) bool {
	p, err := strconv.Atoi(port)
	return err == nil && p >= 1 && p <= 65535
}

// loginUser returns the user to log in as, given in the url or by the username key
// (both may give the same); "" when neither does.
func loginUser(c Config, u *url.URL) (string, error) {
	user := c.Username
	if name := u.User.Username(); name != "" {
		if user != "" && user != name {
			return "", usersDiffer(user, name)
		}
		user = name
	}
	return user, nil
}

// usersDiffer is the error of a username key that names another user than the url.
func usersDiffer(username, inURL string) error {
	return &config.FieldError{Key: "username", Msg: fmt.Sprintf("username %q differs from the user %q in url", username, inURL),
		Fix: "give the user in one place only"}
}

// regularFiles returns the regular files of a directory listing (neither
// directories nor links nor devices), as List returns them.
func regularFiles(fis []fs.FileInfo) []Object {
	var objs []Object
	for _, fi := range fis {
		if fi.Mode().IsRegular() {
			objs = append(objs, Object{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
		}
	}
	return objs
}

// watchedReader is a remote file read under an operation of a watched connection
// (SFTP, SMB): each read is progress for the watchdog, which stays armed until the
// reader is closed. fail dresses the error of a read (op "read", with ctx) or of
// the closing (op "close", with context.Background()).
type watchedReader struct {
	f    io.ReadCloser
	o    *op
	ctx  context.Context
	fail func(ctx context.Context, op string, err error) error
	once sync.Once
}

func (r *watchedReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.o.c.kick()
	if err == nil || err == io.EOF {
		return n, err
	}
	return n, r.fail(r.ctx, "read", err)
}

func (r *watchedReader) Close() error {
	err := r.f.Close()
	r.once.Do(r.o.end)
	if err != nil {
		return r.fail(context.Background(), "close", err)
	}
	return nil
}
