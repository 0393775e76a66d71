# PostgreSQL: a cluster of its own under $GARDIEN_IT_DIR/pg, listening on
# 127.0.0.1:$GARDIEN_IT_PG_PORT (and a socket in $GARDIEN_IT_DIR/pg/sock), holding three
# Specibike* databases and one other, each with a res_users table of a few rows, all
# owned by a role that may create databases (for gardien verify), and a read-only
# role whose SELECT on Specibike2's res_users is revoked, so that a dump by it fails
# there. Sourced by scripts/integration-servers.sh.

postgres_dir=$GARDIEN_IT_DIR/pg
postgres_port=${GARDIEN_IT_PG_PORT:-25432}

# postgres_bin: the server programs of the newest PostgreSQL installed.
postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

postgres_install() {
  local bin
  bin=$(postgres_bin)
  if [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && command -v pg_dump >/dev/null && command -v pg_restore >/dev/null; then
    return
  fi
  # Debian's package creates and starts a cluster of its own on port 5432; this
  # one does not use it.
  apt_install postgresql postgresql-client
}

# postgres_sql DB: run the SQL on stdin in database DB as the superuser.
postgres_sql() {
  runuser -u postgres -- "$(postgres_bin)/psql" -h "$postgres_dir/sock" -p "$postgres_port" -d "$1" \
    -v ON_ERROR_STOP=1 -q -X >/dev/null
}

postgres_start() {
  local bin data=$postgres_dir/data pw ropw
  bin=$(postgres_bin)
  pw=it-pg-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  ropw=it-ro-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  rm -rf "$postgres_dir"
  mkdir -p "$data" "$postgres_dir/sock"
  chown -R postgres:postgres "$postgres_dir"
  chmod 700 "$data"
  runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$postgres_dir/initdb.log" 2>&1
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$postgres_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $postgres_port -k $postgres_dir/sock" start >&2
  wait_port "$postgres_port" >&2

  postgres_sql postgres <<SQL
CREATE ROLE gardien_it LOGIN CREATEDB PASSWORD '$pw';
CREATE ROLE gardien_ro LOGIN PASSWORD '$ropw';
CREATE DATABASE "Specibike1" OWNER gardien_it;
CREATE DATABASE "Specibike2" OWNER gardien_it;
CREATE DATABASE "Specibike3" OWNER gardien_it;
CREATE DATABASE autre OWNER gardien_it;
SQL
  local db n=3
  for db in Specibike1 Specibike2 Specibike3 autre; do
    postgres_sql "$db" <<SQL
SET ROLE gardien_it;
CREATE TABLE res_users (id serial PRIMARY KEY, login text NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now());
INSERT INTO res_users (login) SELECT 'user' || i || '@$db' FROM generate_series(1, $n) AS i;
CREATE TABLE sale_order (id serial PRIMARY KEY, user_id int REFERENCES res_users, note text);
INSERT INTO sale_order (user_id, note) SELECT 1 + i % $n, repeat('commande payée ', 20) FROM generate_series(1, 2000) AS i;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO gardien_ro;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO gardien_ro;
SQL
    n=$((n + 2))
  done
  # The read-only role loses its right on one table of Specibike2: its dump fails.
  postgres_sql Specibike2 <<SQL
REVOKE SELECT ON res_users FROM gardien_ro;
SQL

  cat <<ENV
GARDIEN_IT_PG_HOST=127.0.0.1
GARDIEN_IT_PG_PORT=$postgres_port
GARDIEN_IT_PG_SOCKET=$postgres_dir/sock
GARDIEN_IT_PG_USER=gardien_it
GARDIEN_IT_PG_PASSWORD=$pw
GARDIEN_IT_PG_RO_USER=gardien_ro
GARDIEN_IT_PG_RO_PASSWORD=$ropw
GARDIEN_IT_PG_BIN=$bin
ENV
}

postgres_stop() {
  local bin
  bin=$(postgres_bin)
  if [ -n "$bin" ] && [ -f "$postgres_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$postgres_dir/data" -m fast -w stop >&2 || true
  fi
}
