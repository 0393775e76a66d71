package dest

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/gardien/gardien/internal/fault"
)

// renamer is what replaceByRename needs of a protocol's session. Names are as the
// session takes them: '/'-separated, absolute or relative to its directory. The
// errors should be the server's answer without the protocol's own path wrapper:
// the caller names the operation and the paths once.
type renamer interface {
	rename(from, to string) error
	remove(name string) error
	// exists tells whether the server says that name is a regular file; false when
	// it cannot tell (the connection is gone). A directory in the way is not moved.
	exists(name string) bool
}

// replaceByRename renames tmp to final, also where the server's rename refuses to
// replace an existing file (SFTP version 3, some FTP and SMB servers). When the plain
// rename fails and final is a file, it is moved aside (".NAME.old" beside it), tmp is
// renamed, and the old file is put back if that fails; it is removed only once tmp
// has its name. So the previous archive of that name is never lost on the way: at
// worst it stays under the aside name, and the error says where.
func replaceByRename(log *slog.Logger, r renamer, tmp, final string) error {
	err := r.rename(tmp, final)
	if err == nil {
		return nil
	}
	if !r.exists(final) || !r.exists(tmp) {
		// No file in the way, or nothing to rename (a missing source, a session
		// gone): the rename failed for another reason, and moving final aside
		// would only risk it.
		return err
	}
	base, aside := path.Base(final), asideName(final)
	log.Debug("the server does not replace on rename: moving the previous file aside", "file", final, "aside", aside, "cause", err.Error())
	// An aside file left by an earlier failure is an older copy of final, which is
	// still there.
	r.remove(aside)
	if aerr := r.rename(final, aside); aerr != nil {
		// What keeps the previous file in place (SMB: held open) is what the
		// protocol should judge; a chain of one, as protocols reword joined errors.
		return fmt.Errorf("%v (the previous %s could not be moved aside either: %w)", err, base, aerr)
	}
	if err := r.rename(tmp, final); err != nil {
		if perr := r.rename(aside, final); perr != nil {
			return &asideError{err: err, putBack: perr, final: final, aside: aside}
		}
		return fmt.Errorf("%w (the previous %s is unchanged)", err, base)
	}
	if rerr := r.remove(aside); rerr != nil {
		log.Warn("the archive was replaced, but the previous one could not be removed", "file", aside, "cause", rerr.Error(),
			"hint", "delete it on the server: it holds the previous "+base+" and uses space")
	}
	return nil
}

// asideName is the name an existing file is moved to while it is being replaced.
func asideName(final string) string {
	return path.Join(path.Dir(final), "."+path.Base(final)+".old")
}

// asideError is a replacement that failed after the previous file was moved aside,
// and that could not put it back: the previous archive is under the aside name.
type asideError struct {
	err          error // why the new file could not take the name
	putBack      error // why the previous one could not get it back
	final, aside string
}

func (e *asideError) Error() string {
	return fmt.Sprintf("%v (and the previous %s could not be put back: %v; it is now %s)",
		e.err, path.Base(e.final), e.putBack, path.Base(e.aside))
}

func (e *asideError) Unwrap() error { return e.err }

func (e *asideError) Hint() string {
	return fmt.Sprintf("the previous archive %s is kept as %s in the same directory: rename it back to %s on the server, or delete it once a new %s is there",
		path.Base(e.final), path.Base(e.aside), path.Base(e.final), path.Base(e.final))
}

// withAsideHint puts the hint of an archive left aside in front of the one a
// protocol gave the error: where the previous archive is matters more. A protocol
// that worded the error its own way (SMB for a file held open) lost the aside name
// from the message: it is said again.
func withAsideHint(err error) error {
	var ae *asideError
	if !errors.As(err, &ae) {
		return err
	}
	if note := "it is now " + path.Base(ae.aside); !strings.Contains(err.Error(), note) {
		err = fmt.Errorf("%w (the previous %s could not be put back: %s)", err, path.Base(ae.final), note)
	}
	return fault.WithHint(err, ae.Hint())
}
