package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/pg"
	"github.com/gardien/gardien/internal/report"
)

// The steps of a postgres source.
const (
	StepDBReachable = "database reachable"
	StepDBListed    = "databases listed"
	StepDBDumped    = "every database dumped"
)

// Postgres dumps, with pg_dump -Fc, every database of a server whose name matches
// databases (a glob such as "Specibike*", or a list), each as NAME.dump. pgx only
// lists the databases; pg_dump does the dumps, with the password in its environment.
//
// Each dump is written to a file of the staging directory, not piped into the
// archive: a tar entry announces its size before its content, which pg_dump only
// knows at its end; pg_dump writing into a seekable file records in the table of
// contents where each table's data starts, which pg_restore --jobs and selective
// restores need (from a pipe it cannot); a dump that fails halfway is retried from
// scratch; and "every database dumped" is decided before anything is archived, so
// that an archive missing a database never passes for a complete one. The dumps are
// streamed to disk and then into the archive, never held in memory.
type Postgres struct {
	cfg  config.Source
	ci   pg.Conninfo
	tool pg.Tool
	log  *slog.Logger
}

var _ Source = (*Postgres)(nil)

func newPostgres(c config.Source, log *slog.Logger) (Source, error) {
	ci, err := PostgresConninfo(c)
	if err != nil {
		return nil, err
	}
	return &Postgres{cfg: c, ci: ci, tool: pg.Tool{Name: "pg_dump", Path: c.PgDump}, log: log}, nil
}

// PostgresConninfo is the connection of a postgres source: its dsn and keys, with
// connecting bounded by connect_timeout (pg.DefaultConnectTimeout unless the dsn
// says) and never longer than the source's timeout.
func PostgresConninfo(c config.Source) (pg.Conninfo, error) {
	ci, err := pg.New(pg.Settings{DSN: c.DSN, Host: c.Host, Port: c.Port, User: c.Username, Password: c.Password, SSLMode: c.SSLMode, CAFile: c.CAFile, MaxWait: c.Timeout.D()})
	if err != nil {
		return nil, fault.Permanent(fault.WithHint(err, "check dsn, host, port and sslmode in [job.source]"))
	}
	return ci, nil
}

func (s *Postgres) String() string {
	return "postgres " + s.ci.Describe() + " " + strings.Join(s.cfg.Databases, ",")
}

// server is what the connection learnt.
type server struct {
	version   int
	full      string
	databases []string
}

// connect lists the databases, retrying a refused, broken or silent connection
// retries times. Connecting and listing are bounded by the connect timeout of s.ci.
func (s *Postgres) connect(ctx context.Context) (server, error) {
	var srv server
	err := fault.Retry(ctx, s.log, s.cfg.Retries+1, "connect to "+s.ci.Describe(), func(ctx context.Context) error {
		c, err := pg.Connect(ctx, s.ci)
		if err != nil {
			return err
		}
		defer c.Close(context.WithoutCancel(ctx))
		srv.version, srv.full = c.ServerVersion()
		srv.databases, err = c.Databases(ctx)
		return err
	})
	return srv, err
}

// Check connects, lists the matching databases and checks that pg_dump can dump them.
func (s *Postgres) Check(ctx context.Context) (string, error) {
	srv, err := s.connect(ctx)
	if err != nil {
		return "", err
	}
	matched, err := s.match(srv.databases)
	if err != nil {
		return "", err
	}
	v, line, err := s.tool.Version(ctx)
	if err != nil {
		return "", err
	}
	if err := s.tool.CheckVersion(v, line, srv.version, srv.full); err != nil {
		return "", err
	}
	return fmt.Sprintf("PostgreSQL %s at %s, %s; pg_dump %d", shortVersion(srv.full), s.ci.Describe(), listed(matched, s.cfg.Databases), v), nil
}

func (s *Postgres) Fetch(ctx context.Context, stage string, rec Recorder) (*Fetched, error) {
	srv, err := s.connect(ctx)
	if err != nil {
		rec(report.Step{Name: StepDBReachable, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	rec(report.Step{Name: StepDBReachable, Status: report.OK, Detail: fmt.Sprintf("PostgreSQL %s at %s", shortVersion(srv.full), s.ci.Describe())})
	matched, err := s.match(srv.databases)
	if err != nil {
		rec(report.Step{Name: StepDBListed, Status: report.Failed, Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	rec(report.Step{Name: StepDBListed, Status: report.OK, Detail: listed(matched, s.cfg.Databases)})

	failDump := func(err error) (*Fetched, error) {
		rec(report.Step{Name: StepDBDumped, Status: report.Failed, Detail: fmt.Sprintf("0 of %d dumped", len(matched)), Cause: err.Error(), Hint: fault.Hint(err)})
		return nil, err
	}
	v, line, err := s.tool.Version(ctx)
	if err != nil {
		return failDump(err)
	}
	if err := s.tool.CheckVersion(v, line, srv.version, srv.full); err != nil {
		return failDump(err)
	}

	var items []Item
	var files []string
	cleanup := func() error {
		var errs []error
		for _, f := range files {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	var failed, failedNames []string
	var firstErr error
	var sizes []string
	for i, db := range matched {
		if err := ctx.Err(); err != nil {
			cleanup()
			return failDump(err)
		}
		file := filepath.Join(stage, fmt.Sprintf("source-%s-%d.dump", s.cfg.Name, i))
		files = append(files, file)
		t0 := time.Now()
		size, err := s.dumpOne(ctx, db, file)
		if err != nil {
			s.log.Error("dump failed", "step", StepDBDumped, "database", db, "cause", err.Error(), "hint", fault.Hint(err))
			failed, failedNames = append(failed, db+": "+err.Error()), append(failedNames, db)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		s.log.Info("database dumped", "step", StepDBDumped, "database", db, "size", size, "took", report.Duration(time.Since(t0)))
		sizes = append(sizes, fmt.Sprintf("%s %s", db, report.Bytes(size)))
		items = append(items, Item{
			Name:    DumpName(db),
			Size:    size,
			ModTime: t0,
			Stamp:   dumpStamp(file),
			Open:    func() (io.ReadCloser, error) { return os.Open(file) },
			Step:    StepDBDumped,
		})
	}
	if len(failed) > 0 {
		cleanup()
		rec(report.Step{Name: StepDBDumped, Status: report.Failed,
			Detail: fmt.Sprintf("%d of %d dumped", len(matched)-len(failed), len(matched)),
			Cause:  strings.Join(failed, "; "), Hint: fault.Hint(firstErr)})
		return nil, fmt.Errorf("%d of %d databases not dumped: %s", len(failed), len(matched), strings.Join(failedNames, ", "))
	}
	rec(report.Step{Name: StepDBDumped, Status: report.OK, Detail: fmt.Sprintf("%d of %d: %s", len(items), len(matched), listSome(sizes))})
	return &Fetched{Items: items, Close: cleanup}, nil
}

// dumpOne runs pg_dump for db into file, retrying retries times what may pass (a
// lost connection, a server that did not answer in time).
func (s *Postgres) dumpOne(ctx context.Context, db, file string) (int64, error) {
	var size int64
	err := fault.Retry(ctx, s.log, s.cfg.Retries+1, "dump "+db, func(ctx context.Context) error {
		if s.cfg.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout.D())
			defer cancel()
		}
		f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fault.Permanent(fmt.Errorf("stage the dump: %w", err))
		}
		defer f.Close()
		cmd, err := s.tool.Command(ctx, s.ci, pg.DumpArgs(s.ci, db, s.cfg.PgDumpArgs)...)
		if err != nil {
			return err
		}
		s.log.Debug("running pg_dump", "database", db, "args", strings.Join(cmd.Args, " "))
		// pg_dump gets the file itself, not a pipe: it seeks back to record the
		// data offsets in the table of contents.
		if err := s.tool.Run(ctx, cmd, f, s.ci["user"]); err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size = st.Size()
		if err := f.Close(); err != nil {
			return fmt.Errorf("stage the dump: %w", err)
		}
		return nil
	})
	return size, err
}

// match returns the server's databases that databases names, in the server's order.
// A name without glob characters that is not on the server is an error, as is a
// glob that matches nothing.
func (s *Postgres) match(all []string) ([]string, error) {
	matched, missing := MatchDatabases(all, s.cfg.Databases)
	hint := "check databases in [job.source]: names are case-sensitive (see them with psql -l)"
	if len(missing) > 0 {
		return nil, fault.Permanent(fault.WithHint(fmt.Errorf("%s not on the server (it has: %s)", strings.Join(missing, ", "), listSome(all)), hint))
	}
	if len(matched) == 0 {
		return nil, fault.Permanent(fault.WithHint(fmt.Errorf("no database matches %s (the server has: %s)", strings.Join(s.cfg.Databases, ", "), listSome(all)), hint))
	}
	return matched, nil
}

// MatchDatabases returns the names of all that patterns match (globs, or exact
// names), in the order of all, and the exact names that are not in all.
func MatchDatabases(all, patterns []string) (matched, missing []string) {
	seen := map[string]bool{}
	for _, p := range patterns {
		glob := strings.ContainsAny(p, `*?[\`)
		found := false
		for _, db := range all {
			ok := db == p
			if glob {
				ok, _ = path.Match(p, db)
			}
			if ok {
				found = true
				seen[db] = true
			}
		}
		if !glob && !found {
			missing = append(missing, p)
		}
	}
	for _, db := range all {
		if seen[db] {
			matched = append(matched, db)
		}
	}
	return matched, missing
}

func listed(matched, patterns []string) string {
	return fmt.Sprintf("%d match %s: %s", len(matched), strings.Join(patterns, ", "), listSome(matched))
}

// shortVersion is "15.10" of "15.10 (Debian 15.10-0+deb12u1)".
func shortVersion(full string) string {
	v, _, _ := strings.Cut(full, " ")
	return v
}

// DumpName is the file name of database db's dump in the archive: its name, with
// "/" and "%" escaped, and ".dump".
func DumpName(db string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F", "\x00", "%00").Replace(db) + ".dump"
}

// dumpStamp is the SHA-256 of a custom-format dump without the time of its creation,
// which its header holds: two dumps of an unchanged database then have the same
// stamp, which the "changed since last run" step can compare. It is empty when the
// header is not one it knows.
func dumpStamp(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 12)
	if _, err := io.ReadFull(f, head); err != nil || string(head[:5]) != pg.Magic {
		return ""
	}
	vmaj, vmin, intSize := int(head[5]), int(head[6]), int(head[8])
	if vmaj != 1 || intSize < 1 || intSize > 8 {
		return ""
	}
	// After magic (5), version (3), int and offset sizes and format (3): the
	// compression (one byte from archive 1.15, an int before), then the creation
	// time as seven ints (sign byte + intSize bytes each).
	skip := 11 + 7*(1+intSize)
	if vmin >= 15 {
		skip++
	} else {
		skip += 1 + intSize
	}
	if _, err := f.Seek(int64(skip), io.SeekStart); err != nil {
		return ""
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return contentStamp + hex.EncodeToString(h.Sum(nil))
}

const contentStamp = "content sha256 "

// IsContentStamp reports whether an item's stamp is a digest of its content (a
// database dump's, without the time its header holds): two items with the same
// content stamp hold the same data even when their SHA-256 differ.
func IsContentStamp(s string) bool { return strings.HasPrefix(s, contentStamp) }
