package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/source"
)

// IntoDB is a restore of a dump into a database.
type IntoDB struct {
	Database string // the database to restore into: created when missing
	Dump     string // the dump in the archive (Specibike1, Specibike1.dump or db/Specibike1.dump); "" when it holds one
	// Confirm is asked, once the archive is checked and before anything is written
	// to the server; a false answer changes nothing. nil means yes.
	Confirm func(question string) bool
}

// DBRestored says what RestoreIntoDB did.
type DBRestored struct {
	Dest, Archive, Dump string
	Database, Server    string
	Created             bool // the database did not exist
	TOC                 pg.TOC
}

// ErrNotConfirmed is returned when the restore was not confirmed.
var ErrNotConfirmed = errors.New("restore not confirmed: nothing was changed")

// RestoreIntoDB fetches an archive of j (name, or the newest) like Restore, checks it
// against its MANIFEST, and restores one of its PostgreSQL dumps into a database of
// the server the job dumps from (its postgres source's connection), after
// confirmation: the database is created when missing; an existing one has the
// dump's objects replaced (pg_restore --clean --if-exists).
func RestoreIntoDB(ctx context.Context, j *config.Job, name, from string, into IntoDB, opt Options) (*DBRestored, error) {
	var pgSources []config.Source
	for _, sc := range j.AllSources() {
		if sc.Type == config.SourcePostgres {
			pgSources = append(pgSources, sc)
		}
	}
	if len(pgSources) == 0 {
		return nil, fault.WithHint(fmt.Errorf("job %q has no postgres source to restore into", j.Name), "restore the files with --to DIR")
	}
	dir := filepath.Join(j.Archive.StagingDir, j.Name+"-restore-"+NewRunID())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fault.WithHint(err, "check staging_dir in [job.archive]: it must be writable and have room for the archive's content")
	}
	defer os.RemoveAll(dir)
	rs, err := Restore(ctx, j, name, from, dir, opt)
	if err != nil {
		return nil, err
	}
	var dumps []string
	for _, f := range rs.Manifest.Files {
		if pg.IsCustomDump(filepath.Join(dir, filepath.FromSlash(f.Name))) {
			dumps = append(dumps, f.Name)
		}
	}
	dump, err := pickDump(dumps, into.Dump, rs.Archive)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, filepath.FromSlash(dump))
	tool := pg.Tool{Name: "pg_restore", Path: j.Verify.PgRestore}
	toc, err := tool.List(ctx, file)
	if err != nil {
		return nil, err
	}
	sc := pgSources[0]
	if len(j.AllSources()) > 1 { // the dump is under its source's name
		prefix, _, _ := strings.Cut(dump, "/")
		for _, s := range pgSources {
			if s.Name == prefix {
				sc = s
			}
		}
	}
	ci, err := source.PostgresConninfo(sc) // as the source connects, bounded by its connect timeout
	if err != nil {
		return nil, err
	}
	admin, err := pg.Connect(ctx, ci)
	if err != nil {
		return nil, err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	exists, err := admin.DatabaseExists(ctx, into.Database)
	if err != nil {
		return nil, err
	}
	out := &DBRestored{Dest: rs.Dest, Archive: rs.Archive, Dump: dump, Database: into.Database, Server: ci.Describe(), Created: !exists, TOC: toc}
	what := "It does not exist: it is created."
	if exists {
		what = "It exists: the objects of the dump replace those of the same names in it (pg_restore --clean)."
	}
	q := fmt.Sprintf("Restore %s (archive %s from %s) into database %q on %s? %s", dump, rs.Archive, rs.Dest, into.Database, ci.Describe(), what)
	if into.Confirm != nil && !into.Confirm(q) {
		return nil, ErrNotConfirmed
	}
	if !exists {
		if err := admin.CreateDatabase(ctx, into.Database); err != nil {
			return nil, err
		}
	}
	opt.Log.Info("restoring a dump into a database", "job", j.Name, "archive", rs.Archive, "dump", dump, "database", into.Database, "server", ci.Describe(), "created", !exists)
	if err := tool.Restore(ctx, ci, into.Database, file, exists); err != nil {
		return nil, fmt.Errorf("restore %s into %s: %w", dump, into.Database, err)
	}
	return out, nil
}

// pickDump finds the dump named want among the archive's dumps: by its path, its
// file name, or the database name it was made of.
func pickDump(dumps []string, want, archive string) (string, error) {
	if len(dumps) == 0 {
		return "", fault.WithHint(fmt.Errorf("%s holds no pg_dump custom-format dump", archive), "restore its files with --to DIR")
	}
	if want == "" {
		if len(dumps) == 1 {
			return dumps[0], nil
		}
		return "", fault.WithHint(fmt.Errorf("%s holds %d dumps: %s", archive, len(dumps), strings.Join(dumps, ", ")), "choose one with --dump, e.g. --dump "+strings.TrimSuffix(path.Base(dumps[0]), ".dump"))
	}
	var found []string
	for _, d := range dumps {
		if d == want || path.Base(d) == want || path.Base(d) == source.DumpName(want) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fault.WithHint(fmt.Errorf("%s holds no dump %q (it holds: %s)", archive, want, strings.Join(dumps, ", ")), "name one of them with --dump")
	}
	return "", fault.WithHint(fmt.Errorf("several dumps of %s match %q: %s", archive, want, strings.Join(found, ", ")), "give its path in the archive with --dump, e.g. --dump "+found[0])
}
