package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/report"
)

// The steps of a directory source.
const (
	StepFolderListed = "folder listed"
	StepFilesRead    = "every file read"
)

// Directory is a folder archived with its tree (a Django media/ directory): the
// modes and times of its files and folders, empty folders, and symbolic links stored
// as links, never followed. exclude globs leave paths out. A file that cannot be
// read is left out with a warning, or fails the run with strict = true. Its stamp
// (modification time and mode) lets an unchanged folder be recognised without
// reading a byte.
type Directory struct {
	cfg  config.Source
	log  *slog.Logger
	excl []exclude

	// What archiving found; the job reads the items one after the other.
	listed     int // regular files listed
	unreadable []string
	changed    []string
	read       int
	readBytes  int64
}

var _ Source = (*Directory)(nil)

// exclude is one exclude glob: a pattern without "/" matches a name at any depth, one
// with "/" matches the path from the folder's top; a final "/" matches folders only.
type exclude struct {
	pattern  string
	anchored bool
	dirOnly  bool
}

func newDirectory(c config.Source, log *slog.Logger) (Source, error) {
	d := &Directory{cfg: c, log: log}
	for _, g := range c.Exclude {
		e := exclude{dirOnly: strings.HasSuffix(g, "/")}
		e.pattern = strings.Trim(g, "/")
		e.anchored = strings.Contains(e.pattern, "/") || strings.HasPrefix(g, "/")
		if _, err := path.Match(e.pattern, ""); err != nil {
			return nil, fault.Permanent(fmt.Errorf("exclude %q: %w", g, err))
		}
		d.excl = append(d.excl, e)
	}
	return d, nil
}

func (d *Directory) String() string { return "directory " + d.cfg.Path }

// excluded reports whether the entry at rel (slash-separated, from the top) is left out.
func (d *Directory) excluded(rel string, isDir bool) bool {
	for _, e := range d.excl {
		if e.dirOnly && !isDir {
			continue
		}
		target := path.Base(rel)
		if e.anchored {
			target = rel
		}
		if ok, _ := path.Match(e.pattern, target); ok {
			return true
		}
	}
	return false
}

// root is the folder to walk: path itself, or what it links to when it is a link
// (the folder named in the configuration is what the technician meant).
func (d *Directory) root() (string, error) {
	st, err := os.Stat(d.cfg.Path)
	if err != nil {
		return "", fault.Permanent(fault.WithHint(err, folderHint(err)))
	}
	if !st.IsDir() {
		return "", fault.Permanent(fault.WithHint(fmt.Errorf("%s is not a folder", d.cfg.Path), "path in [job.source] must name a folder"))
	}
	root, err := filepath.EvalSymlinks(d.cfg.Path)
	if err != nil {
		return "", fault.Permanent(err)
	}
	return root, nil
}

func folderHint(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "the folder does not exist: check path in [job.source] (is the share it lives on mounted?)"
	case errors.Is(err, fs.ErrPermission):
		return "the user gardien runs as may not open the folder: give it read and execute access (chmod, setfacl), or run gardien as the folder's owner"
	}
	return fault.Hint(err)
}

// Check tells whether the folder can be listed.
func (d *Directory) Check(ctx context.Context) (string, error) {
	root, err := d.root()
	if err != nil {
		return "", err
	}
	f, err := os.Open(root)
	if err != nil {
		return "", fault.WithHint(err, folderHint(err))
	}
	defer f.Close()
	if _, err := f.ReadDir(1); err != nil && err != io.EOF {
		return "", fault.WithHint(fmt.Errorf("list %s: %w", root, err), folderHint(err))
	}
	return d.cfg.Path + ": folder readable", nil
}

// Fetch walks the folder and returns its entries, in the walk's order (a folder before
// what it holds). Nothing is read yet: the job reads each file as it archives it.
func (d *Directory) Fetch(ctx context.Context, stage string, rec Recorder) (*Fetched, error) {
	fail := func(err error) (*Fetched, error) {
		rec(report.Step{Name: StepFolderListed, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	root, err := d.root()
	if err != nil {
		return fail(err)
	}
	if d.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.Timeout.D())
		defer cancel()
	}
	var items []Item
	var size int64
	var dirs, links, excluded, special int
	var unlisted []string
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if p == root {
				return err
			}
			if errors.Is(err, fs.ErrNotExist) { // removed while listed
				return nil
			}
			if d.cfg.Strict {
				return fmt.Errorf("list %s: %w", rel, err)
			}
			unlisted = append(unlisted, fmt.Sprintf("%s/ (%v)", rel, shortErr(err)))
			return nil
		}
		if rel != "." && d.excluded(rel, de.IsDir()) {
			excluded++
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			if d.cfg.Strict {
				return fmt.Errorf("stat %s: %w", rel, err)
			}
			unlisted = append(unlisted, fmt.Sprintf("%s (%v)", rel, shortErr(err)))
			return nil
		}
		it := Item{Name: rel, ModTime: info.ModTime(), Mode: info.Mode(), Step: StepFilesRead}
		switch {
		case info.IsDir():
			dirs++
			it.Stamp = stamp(info)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				if d.cfg.Strict {
					return fmt.Errorf("read link %s: %w", rel, err)
				}
				unlisted = append(unlisted, fmt.Sprintf("%s (%v)", rel, shortErr(err)))
				return nil
			}
			links++
			it.Link, it.Stamp = target, "-> "+target
		case info.Mode().IsRegular():
			d.listed++
			it.Size, it.Stamp = info.Size(), stamp(info)
			size += info.Size()
			abs, sz := p, info.Size()
			it.Open = func() (io.ReadCloser, error) { return d.open(abs, rel, sz) }
		default: // sockets, pipes, devices: nothing a backup can restore
			special++
			return nil
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fault.WithHint(fmt.Errorf("listing %s took more than timeout %s", d.cfg.Path, d.cfg.Timeout.D()), "the folder is very large or its storage slow (a stalled network share?): raise timeout in [job.source]")
		} else {
			err = fault.Permanent(fault.WithHint(err, folderHint(err)))
		}
		return fail(err)
	}
	detail := fmt.Sprintf("%s: %s, %s, %s", d.cfg.Path, plural(d.listed, "file"), report.Bytes(size), plural(dirs, "folder"))
	if links > 0 {
		detail += ", " + plural(links, "link")
	}
	if excluded > 0 {
		detail += fmt.Sprintf(", %d excluded", excluded)
	}
	if special > 0 {
		detail += fmt.Sprintf(", %d sockets, pipes or devices left out", special)
	}
	if len(unlisted) > 0 {
		d.unreadable = append(d.unreadable, unlisted...)
		detail += fmt.Sprintf(", %d unreadable", len(unlisted))
	}
	rec(report.Step{Name: StepFolderListed, Status: report.OK, Detail: detail})
	d.log.Debug("folder listed", "path", d.cfg.Path, "files", d.listed, "folders", dirs, "links", links, "excluded", excluded)
	return &Fetched{Items: items, Close: func() error { return nil }, Finish: d.finish}, nil
}

// stamp is what tells a file unchanged without reading it, as rsync and tar do: its
// modification time, to the nanosecond, and its mode.
func stamp(info fs.FileInfo) string {
	return fmt.Sprintf("%d %o", info.ModTime().UnixNano(), info.Mode())
}

// shortErr drops the path that an *fs.PathError repeats.
func shortErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// open opens a listed file for the archive. O_NOFOLLOW: a file replaced by a link
// since it was listed is not followed to whatever the link names.
func (d *Directory) open(abs, rel string, size int64) (io.ReadCloser, error) {
	f, err := os.OpenFile(abs, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
			d.changed = append(d.changed, rel+" (removed or replaced since it was listed)")
			return nil, fmt.Errorf("%s: %w", rel, ErrSkipped)
		}
		if d.cfg.Strict {
			// The job names the file: "open media/x.jpg: permission denied".
			return nil, fault.Permanent(fault.WithHint(shortErr(err), unreadableHint))
		}
		d.unreadable = append(d.unreadable, fmt.Sprintf("%s (%v)", rel, shortErr(err)))
		return nil, fmt.Errorf("%s: %w", rel, ErrSkipped)
	}
	return &folderFile{d: d, f: f, rel: rel, left: size}, nil
}

const unreadableHint = "give the user gardien runs as read access to these files (chmod, setfacl), or list them in exclude; without strict = true they are left out with a warning"

// folderFile reads exactly the size a file had when it was listed, as GNU tar does
// with a live folder: a file that shrank meanwhile is padded with zeros, one that grew
// is cut, and either is reported. A read error is a failure with strict, and
// otherwise reported and padded like a shrink.
type folderFile struct {
	d     *Directory
	f     *os.File
	rel   string
	left  int64
	n     int64
	pad   bool
	noted bool
}

func (r *folderFile) Read(p []byte) (int, error) {
	if r.left <= 0 {
		if !r.noted && !r.pad {
			var one [1]byte
			if n, _ := r.f.Read(one[:]); n > 0 {
				r.d.changed = append(r.d.changed, r.rel+" (grew while it was read; the size it had when listed is archived)")
			}
			r.noted = true
		}
		return 0, io.EOF
	}
	if len(p) > int(min(r.left, 1<<30)) {
		p = p[:r.left]
	}
	if r.pad {
		clear(p)
		r.left -= int64(len(p))
		return len(p), nil
	}
	n, err := r.f.Read(p)
	r.left -= int64(n)
	r.n += int64(n)
	r.d.readBytes += int64(n)
	switch {
	case err == io.EOF && r.left > 0:
		r.d.changed = append(r.d.changed, fmt.Sprintf("%s (shrank by %d bytes while it was read; padded with zeros)", r.rel, r.left))
		r.pad = true
		return n, nil
	case err != nil && err != io.EOF:
		if r.d.cfg.Strict {
			return n, fault.WithHint(fmt.Errorf("read %s after %d bytes: %w", r.rel, r.n, shortErr(err)), "the disk holding the folder returned an error: check the system log (dmesg) and the disk")
		}
		r.d.unreadable = append(r.d.unreadable, fmt.Sprintf("%s (read error after %d bytes, padded with zeros: %v)", r.rel, r.n, shortErr(err)))
		r.pad = true
		return n, nil
	}
	return n, nil
}

func (r *folderFile) Close() error {
	if !r.pad {
		r.d.read++
	}
	return r.f.Close()
}

// finish records how reading the files went.
func (d *Directory) finish(rec Recorder) error {
	detail := fmt.Sprintf("%s, %s read", plural(d.read, "file"), report.Bytes(d.readBytes))
	switch {
	case len(d.unreadable) > 0:
		rec(report.Step{Name: StepFilesRead, Status: report.Warning,
			Detail: fmt.Sprintf("%s; %d could not be read, and are not in the archive (or only in part)", detail, len(d.unreadable)),
			Cause:  listSome(d.unreadable) + changedNote(d.changed),
			Hint:   unreadableHint})
	case len(d.changed) > 0:
		rec(report.Step{Name: StepFilesRead, Status: report.Warning,
			Detail: fmt.Sprintf("%s; %d changed while they were read", detail, len(d.changed)),
			Cause:  listSome(d.changed),
			Hint:   "something writes in the folder during the run: schedule the job at a quieter time; the next run archives these files again"})
	default:
		rec(report.Step{Name: StepFilesRead, Status: report.OK, Detail: detail})
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func changedNote(changed []string) string {
	if len(changed) == 0 {
		return ""
	}
	return "; changed while read: " + listSome(changed)
}

// listSome shows the first few entries of a list, and how many more there are.
func listSome(l []string) string {
	const shown = 5
	if len(l) <= shown {
		return strings.Join(l, ", ")
	}
	return strings.Join(l[:shown], ", ") + fmt.Sprintf(" and %d more", len(l)-shown)
}
