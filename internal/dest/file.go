package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gardien/gardien/internal/archive/namefmt"
	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

// File is a directory on a local disk or on a mounted share (NFS, CIFS):
// file:///mnt/nfs/archives.
type File struct {
	dir          string
	requireMount bool
}

var (
	_ Destination = (*File)(nil)
	_ Renamer     = (*File)(nil)
)

func checkFile(c Config, u *url.URL) error {
	if u.Host != "" {
		return &config.FieldError{Key: "url", Msg: fmt.Sprintf("a file url has no host, this one has %q", u.Host),
			Fix: fmt.Sprintf(`write three slashes before an absolute path: "file:///%s%s"`, u.Host, u.Path)}
	}
	if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return &config.FieldError{Key: "url", Msg: "the path of a file url must be absolute",
			Fix: `write it like "file:///mnt/archives"`}
	}
	return nil
}

func openFile(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error) {
	if err := checkFile(c, u); err != nil {
		return nil, err
	}
	dir := filepath.Clean(filepath.FromSlash(u.Path))
	if c.RequireMount {
		if err := checkMounted(dir); err != nil {
			return nil, err
		}
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Only the last directory is created. A missing parent is more often an
		// unmounted share (/mnt/nas) than a path to make: creating it would send the
		// archives to the local disk, where nobody looks for them.
		if err := os.Mkdir(dir, 0o750); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fault.Permanent(fault.WithHint(fmt.Errorf("%s does not exist, nor its parent %s", dir, filepath.Dir(dir)),
					fmt.Sprintf("if it is a mounted share, mount it (mount -a, check /etc/fstab); otherwise create it: mkdir -p %s", dir)))
			}
			return nil, err
		}
	case err != nil:
		return nil, err
	case !st.IsDir():
		return nil, fault.WithHint(fmt.Errorf("%s is not a directory", dir), "the url must name a directory: check its path")
	}
	return &File{dir: dir, requireMount: c.RequireMount}, nil
}

// checkMounted refuses a directory that is not on a mounted share: with
// require_mount, the directory is meant to be on a share (NFS, CIFS, a USB disk), and
// when that is not mounted, writing would fill the local disk instead.
//
// When /etc/fstab names a mount point that holds the directory (the deepest one),
// that mount point must be mounted now (/proc/self/mountinfo): this catches a share
// meant for /srv/nas whose empty mount point lies on a /srv partition. Otherwise the
// directory must not be on the root file system. The directory itself may not exist
// yet: its nearest existing ancestor tells.
func checkMounted(dir string) error {
	return checkMountedIn(dir, "/etc/fstab", "/proc/self/mountinfo")
}

func checkMountedIn(dir, fstab, mountinfo string) error {
	if want := fstabCovering(fstab, dir); want != "" {
		mounted, err := mountPoints(mountinfo)
		if err == nil {
			if mounted[want] {
				return nil
			}
			return fault.Permanent(fault.WithHint(fmt.Errorf("require_mount: %s is not mounted (%s has a line for it), so %s is not on the share", want, fstab, dir),
				"the share is not mounted: mount it (mount "+want+", or mount -a) before the run; gardien refuses to fill the local disk"))
		}
	}
	var root, st syscall.Stat_t
	if err := syscall.Stat("/", &root); err != nil {
		return &fs.PathError{Op: "stat", Path: "/", Err: err}
	}
	p := dir
	for {
		err := syscall.Stat(p, &st)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ENOENT) || filepath.Dir(p) == p {
			return &fs.PathError{Op: "stat", Path: p, Err: err}
		}
		p = filepath.Dir(p)
	}
	if st.Dev == root.Dev {
		return fault.Permanent(fault.WithHint(fmt.Errorf("require_mount: %s is on the root file system, not on a mounted share", dir),
			"the share is not mounted: mount it (mount -a, check /etc/fstab) before the run; gardien refuses to fill the local disk"))
	}
	return nil
}

// fstabCovering returns the deepest mount point of the fstab file that holds dir
// (dir itself or one of its parents, "/" excluded), or "".
func fstabCovering(fstab, dir string) string {
	data, err := os.ReadFile(fstab)
	if err != nil {
		return ""
	}
	best := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		mp := filepath.Clean(unescapeMount(f[1]))
		if mp == "/" || !filepath.IsAbs(mp) {
			continue // "none", "swap", the root
		}
		if (dir == mp || strings.HasPrefix(dir, mp+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best
}

// mountPoints reads the mount points of a mountinfo file (field 5).
func mountPoints(mountinfo string) (map[string]bool, error) {
	data, err := os.ReadFile(mountinfo)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 5 {
			out[filepath.Clean(unescapeMount(f[4]))] = true
		}
	}
	return out, nil
}

// unescapeMount undoes the octal escapes of fstab and mountinfo ("\040" is a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Put implements Destination.
func (d *File) Put(ctx context.Context, name string, r io.Reader, size int64) (err error) {
	if err := checkName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.requireMount {
		if err := checkMounted(d.dir); err != nil {
			return err
		}
	}
	tmp := filepath.Join(d.dir, namefmt.TempName(name))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close() // a second Close only reports ErrClosed
			os.Remove(tmp)
		}
	}()
	n, err := io.CopyBuffer(f, &ctxReader{ctx: ctx, r: r}, make([]byte, 1<<20))
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			return fmt.Errorf("write %s: %w: %w", tmp, ctx.Err(), err)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if n != size {
		return sizeMismatch(tmp, n, size)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return err
	}
	if st.Size() != size {
		return sizeMismatch(tmp, st.Size(), size)
	}
	return d.rename(ctx, tmp, filepath.Join(d.dir, name))
}

// Rename implements Renamer.
func (d *File) Rename(ctx context.Context, from, to string) error {
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	if d.requireMount {
		if err := checkMounted(d.dir); err != nil {
			return err
		}
	}
	return d.rename(ctx, filepath.Join(d.dir, from), filepath.Join(d.dir, to))
}

// rename gives the file from the path to, replacing it: rename(2) swaps the names
// at once, so a previous file of that name is there until the new one is. The
// directory is synced so that the new name survives a crash.
func (d *File) rename(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rename %s: not done: %w", from, err)
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return syncDir(d.dir)
}

// List implements Destination.
func (d *File) List(ctx context.Context) ([]Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(d.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var objs []Object
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			return nil, err
		}
		objs = append(objs, Object{Name: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	return objs, nil
}

// Open implements Destination.
func (d *File) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(d.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(err)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Delete implements Destination.
func (d *File) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(d.dir, name))
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Close implements Destination; a directory has no session.
func (d *File) Close() error { return nil }

// syncDir makes a rename durable. Some file systems (CIFS, some FUSE) cannot sync a
// directory; that is not worth failing an upload for.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EBADF) {
		err = nil
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Helpers shared by the protocols.

// checkName refuses anything but a plain file name: a destination never writes
// outside its directory.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("invalid file name %q: must be a plain name, without directory", name)
	}
	return nil
}

func sizeMismatch(path string, got, want int64) error {
	return fault.WithHint(fmt.Errorf("%s: %w: %d bytes stored, %d expected", path, ErrSizeMismatch, got, want),
		"the file changed while it was sent, or the storage truncated it: check free space there and run again")
}

// notFoundError keeps the protocol's message ("open /srv/a.tgz: no such file or
// directory") and matches ErrNotFound as well as the original error.
type notFoundError struct{ err error }

func notFound(err error) error { return &notFoundError{err} }

func (e *notFoundError) Error() string   { return e.err.Error() }
func (e *notFoundError) Unwrap() []error { return []error{ErrNotFound, e.err} }

// ctxReader stops a stream as soon as its context is done, and reports progress.
type ctxReader struct {
	ctx      context.Context
	r        io.Reader
	progress func()
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	if n > 0 && r.progress != nil {
		r.progress()
	}
	return n, err
}
