package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gardien/gardien/internal/fault"
)

// DefaultDB is the database connected to when the settings name none: the one every
// cluster has, for listing the others and creating scratch ones.
const DefaultDB = "postgres"

// Conn is a connection to one database of a server.
type Conn struct {
	c    *pgx.Conn
	ci   Conninfo
	wait time.Duration // the longest a look into the catalogue may take
}

// Connect opens a connection to the database named by ci (DefaultDB when it names
// none), giving up after ci's ConnectTimeout: a server that accepts the connection
// and then says nothing fails it in time. Its errors carry a hint and say whether
// retrying may help.
func Connect(ctx context.Context, ci Conninfo) (*Conn, error) {
	if ci["dbname"] == "" {
		ci = ci.With("dbname", DefaultDB)
	}
	// pgx reads connect_timeout as libpq does, and for every address of the host:
	// it is set, never 0 (for ever).
	wait := ci.ConnectTimeout()
	ci = ci.With("connect_timeout", seconds(wait))
	cfg, err := pgx.ParseConfig(ci.secret())
	if err != nil {
		// pgx quotes the settings it could not read: say only what is wrong.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			err = errors.New("pgx cannot read them")
			if pe.Unwrap() != nil {
				err = pe.Unwrap()
			}
		}
		return nil, fault.Permanent(fault.WithHint(fmt.Errorf("connection settings for %s: %v", ci.Describe(), err), "check dsn, host, port and sslmode in [job.source]"))
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil { // the run was stopped, not the server's doing
			return nil, err
		}
		return nil, ConnectError(ci, err)
	}
	return &Conn{c: c, ci: ci, wait: wait}, nil
}

// Close ends the session.
func (c *Conn) Close(ctx context.Context) error { return c.c.Close(ctx) }

// ServerVersion returns the server's major version (15 for 15.10) and its full version.
func (c *Conn) ServerVersion() (int, string) {
	full := c.c.PgConn().ParameterStatus("server_version")
	return majorOf(full), full
}

// User is the role the session logged in as.
func (c *Conn) User() string { return c.c.Config().User }

// Databases lists the databases one can connect to, templates excluded, by name.
func (c *Conn) Databases(ctx context.Context) ([]string, error) {
	var names []string
	err := c.catalogue(ctx, "list the databases", func(ctx context.Context) error {
		rows, err := c.c.Query(ctx, `SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname`)
		if err != nil {
			return err
		}
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return names, err
}

// catalogue runs fn, a look into the server's catalogue that it answers in
// milliseconds, for at most as long as connecting may take: a server that let
// gardien in and then stops answering fails it in time instead of holding the run.
// Its error says what was being done.
func (c *Conn) catalogue(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	qctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	err := fn(qctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && qctx.Err() != nil:
		return fault.WithHint(fmt.Errorf("%s: no answer within %s: %w", what, c.wait, err),
			fmt.Sprintf("PostgreSQL at %s let gardien in, then did not answer: check the server's load and log (a stuck server, a full disk?) and the network between", c.ci.Describe()))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CreateDatabase creates an empty database called name.
func (c *Conn) CreateDatabase(ctx context.Context, name string) error {
	if _, err := c.c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" {
			return fault.Permanent(fault.WithHint(fmt.Errorf("create database %s: %w", name, err),
				fmt.Sprintf("the role %s may not create databases: ALTER ROLE %s CREATEDB, or use another role", c.User(), pgx.Identifier{c.User()}.Sanitize())))
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// DatabaseExists reports whether a database called name exists.
func (c *Conn) DatabaseExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := c.catalogue(ctx, "look for database "+name, func(ctx context.Context) error {
		return c.c.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n)
	})
	return n > 0, err
}

// DropDatabase drops the database called name if it exists, ending its sessions
// first (PostgreSQL 13 and later).
func (c *Conn) DropDatabase(ctx context.Context, name string) error {
	q := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize()
	if v, _ := c.ServerVersion(); v >= 13 {
		q += " WITH (FORCE)"
	}
	if _, err := c.c.Exec(ctx, q); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// QueryValue runs a query and returns the first column of its first row as text.
func (c *Conn) QueryValue(ctx context.Context, sql string) (string, error) {
	rows, err := c.c.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", errors.New("the query returned no row")
	}
	vals, err := rows.Values()
	if err != nil {
		return "", err
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(vals) == 0 {
		return "", errors.New("the query returned no column")
	}
	if vals[0] == nil {
		return "NULL", nil
	}
	return fmt.Sprint(vals[0]), nil
}

// ConnectError gives a failed connection the hint a technician needs, and marks
// what retrying cannot fix.
func ConnectError(ci Conninfo, err error) error {
	where := ci.Describe()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "28P01":
			return fault.Permanent(fault.WithHint(err, fmt.Sprintf("PostgreSQL refused the password of %s: check password or password_file (or the password in dsn) in [job.source]", ci["user"])))
		case pe.Code == "28000" && strings.Contains(pe.Message, "pg_hba.conf"):
			return fault.Permanent(fault.WithHint(err, "the server's pg_hba.conf has no line for this host, user and database: add one (e.g. \"host all "+orDefault(ci["user"], "USER")+" ADDRESS/32 scram-sha-256\") and reload PostgreSQL"))
		case pe.Code == "28000" && (strings.Contains(pe.Message, "Peer") || strings.Contains(pe.Message, "Ident")):
			return fault.Permanent(fault.WithHint(err, "peer authentication takes the operating system user: run gardien as that user, or connect over TCP (host = \"127.0.0.1\") with a password_file"))
		case pe.Code == "28000" && strings.Contains(pe.Message, "role") && strings.Contains(pe.Message, "does not exist"):
			return fault.Permanent(fault.WithHint(err, "no such role on the server: set username in [job.source] (without it, the name of the operating system user gardien runs as is used)"))
		case pe.Code == "3D000":
			return fault.Permanent(fault.WithHint(err, "that database does not exist: name an existing one in dsn (\"postgres\" exists on every server)"))
		case pe.Code == "53300" || pe.Code == "57P03":
			return fault.WithHint(err, "the server is busy or starting: the connection is retried")
		}
		return fault.Permanent(err)
	}
	msg := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		wait := ci.ConnectTimeout()
		err = fmt.Errorf("%w (no answer within %s, connect_timeout)", err, wait)
		if strings.Contains(msg, "dial error") {
			return fault.WithHint(err, fmt.Sprintf("%s did not accept the connection within %s: check that the host is up, its address and port, and that no firewall drops the traffic to it", where, wait))
		}
		return fault.WithHint(err, fmt.Sprintf("%s accepted the connection but PostgreSQL did not answer within %s: check that PostgreSQL, not another service, listens on that port, and that it is not overloaded or stuck (its log, max_connections); for a slow link, raise connect_timeout in dsn (timeout bounds it)", where, wait))
	case errors.Is(err, syscall.ECONNREFUSED):
		return fault.WithHint(err, fmt.Sprintf("PostgreSQL does not listen on %s: check that it runs (systemctl status postgresql), the port (default 5432) and listen_addresses in postgresql.conf", where))
	case errors.Is(err, syscall.ENOENT) && ci.Local():
		return fault.Permanent(fault.WithHint(err, "no PostgreSQL socket there: the server does not run on this machine, or uses another port or socket directory (set host and port in [job.source])"))
	case strings.Contains(msg, "server refused TLS"):
		return fault.Permanent(fault.WithHint(err, "the server does not offer TLS: enable ssl in its postgresql.conf, or set sslmode = \"disable\" if the network to it is trusted"))
	case strings.Contains(msg, "certificate"), strings.Contains(msg, "x509"), strings.Contains(msg, "tls:"):
		return fault.Permanent(fault.WithHint(err, "the server's certificate was not accepted: set ca_file to the authority that signed it, and connect with the name it was issued for (sslmode = \"verify-full\")"))
	}
	return err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// majorOf reads the major version of "15.10 (Debian 15.10-0+deb12u1)", "9.6.24" or
// "16beta1": 15, 9, 16. It returns 0 when there is no number.
func majorOf(v string) int {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(v[:end])
	return n
}
