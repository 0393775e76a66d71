#!/usr/bin/env bash
# make bench (issue 7): gardien against the shell pipeline a technician writes, and
# gardien's upload against rclone's, on this machine; the results replace
# docs/benchmarks.md. A benchmark, not a test: `make test` and CI never run it.
#
# For each dump size it generates a plain-SQL dump (COPY blocks of mixed text and
# numbers), zips it, serves it over HTTPS on 127.0.0.1, and starts an OpenSSH server
# on 127.0.0.1 (its own user and port, so that it does not disturb the integration
# servers). Then, BENCH_RUNS times, alternately: `gardien run` and the shell pipeline
# (scripts/bench/pipeline.sh), each timed by GNU time -v, and `gardien run` with
# recompress = true (the dump compressed again instead of the zip's deflate data kept);
# the upload alone, gardien's (`bench put`) against `rclone copyto`; and once the
# unchanged dump.
#
#   BENCH_SIZE=1GB          dump size; several sizes separated by spaces, each with its
#                           own number of runs if given after a colon: "100MB 1GB 4GB:1"
#   BENCH_RUNS=3            runs of each tool per size, alternated (medians reported)
#   BENCH_DIR=/tmp/gardien-bench  work directory; the generated zips stay there for
#                           the next run (rm -rf it to reclaim the space)
#   BENCH_OUT=docs/benchmarks.md
#   BENCH_GO=1              also run the Go benchmarks (0: skip them)
#   BENCH_NOTE="..."        a remark for the page, such as "the machine was busy"
#   BENCH_SSH_PORT=22122
#
# Runs as root: it installs what is missing with apt-get (openssh-server, rclone,
# time, curl, zip, unzip) and creates the user gardien-bench.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
export PATH=/usr/local/go/bin:$PATH
BENCH_SIZE=${BENCH_SIZE:-1GB}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp/gardien-bench}
BENCH_OUT=${BENCH_OUT:-docs/benchmarks.md}
BENCH_GO=${BENCH_GO:-1}
BENCH_SSH_PORT=${BENCH_SSH_PORT:-22122}
ssh_user=gardien-bench

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages, adds a user and starts sshd)"
[[ "$BENCH_RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS=$BENCH_RUNS is not a positive number"
sizes=()
for item in $BENCH_SIZE; do
  [[ "$item" =~ ^[0-9.]+[KMGT]?B?(:[1-9][0-9]*)?$ ]] || die "BENCH_SIZE: $item is not a size such as 256MB or 4GB:1"
  sizes+=("${item%%:*}")
done
[ ${#sizes[@]} -gt 0 ] || die "BENCH_SIZE is empty"

# --- what the benchmark needs -------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || missing+=("$2"); }
need /usr/sbin/sshd openssh-server
need /usr/lib/openssh/sftp-server openssh-sftp-server
need sftp openssh-client
need ssh-keygen openssh-client
need rclone rclone
need /usr/bin/time time
need curl curl
need unzip unzip
need zip zip
need go "Go (/usr/local/go/bin)"
if [[ " ${missing[*]} " == *" Go "* ]]; then die "Go is not installed in /usr/local/go/bin"; fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# The one-minute load average lags: wait, up to three minutes, for the work that
# ran before (a build, a test run) to leave it, so that "before" describes the runs.
for _ in $(seq 90); do
  awk '{exit !($1 < 0.3)}' /proc/loadavg && break
  sleep 2
done

mkdir -p "$BENCH_DIR"
runs=$BENCH_DIR/runs
rm -rf "$runs" "$BENCH_DIR/staging" "$BENCH_DIR/shell" "$BENCH_DIR/upload" "$BENCH_DIR/state"
mkdir -p "$runs" "$BENCH_DIR/dumps" "$BENCH_DIR/www" "$BENCH_DIR/upload"
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "sizes=${sizes[*]}"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "openssh=$(ssh -V 2>&1)"
  echo "rclone=$(rclone version 2>/dev/null | head -1)"
  echo "note=${BENCH_NOTE:-}"
} >"$runs/bench.meta"
cp scripts/bench/pipeline.sh "$runs/pipeline.sh"

say "building gardien and the bench helper"
make -s build
gardien=$repo/bin/gardien
go build -o "$BENCH_DIR/bench" ./scripts/bench
helper=$BENCH_DIR/bench

# --- OpenSSH on 127.0.0.1:$BENCH_SSH_PORT, as scripts/it.d/openssh.sh does -----------
sshdir=$BENCH_DIR/ssh
sftp_root=$BENCH_DIR/sftp-root
mkdir -p "$sshdir" "$sftp_root" /run/sshd
id "$ssh_user" >/dev/null 2>&1 || useradd --home-dir "$BENCH_DIR/home" --create-home --shell /bin/sh "$ssh_user"
chown "$ssh_user" "$sftp_root"
[ -f "$sshdir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$sshdir/host_ed25519"
[ -f "$sshdir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$sshdir/client_ed25519"
install -d -o "$ssh_user" -m 700 "$BENCH_DIR/home/.ssh"
install -o "$ssh_user" -m 600 "$sshdir/client_ed25519.pub" "$BENCH_DIR/home/.ssh/authorized_keys"
echo "[127.0.0.1]:$BENCH_SSH_PORT $(cut -d' ' -f1,2 "$sshdir/host_ed25519.pub")" >"$sshdir/known_hosts"
cat >"$sshdir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $BENCH_SSH_PORT
HostKey $sshdir/host_ed25519
PidFile $sshdir/sshd.pid
AuthorizedKeysFile $BENCH_DIR/home/.ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
UsePAM yes
StrictModes no
AllowUsers $ssh_user
Subsystem sftp /usr/lib/openssh/sftp-server
CONF

serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  [ -f "$sshdir/sshd.pid" ] && kill "$(cat "$sshdir/sshd.pid")" 2>/dev/null || true
  rm -f "$sshdir/sshd.pid"
  # The archives and the unzipped dump; the generated zips stay for the next run.
  rm -rf "$BENCH_DIR/staging" "$BENCH_DIR/shell" "$BENCH_DIR/upload" "${sftp_root:?}"/*
}
trap cleanup EXIT
[ -f "$sshdir/sshd.pid" ] && kill "$(cat "$sshdir/sshd.pid")" 2>/dev/null && sleep 0.3
/usr/sbin/sshd -f "$sshdir/sshd_config" -E "$sshdir/sshd.log"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$BENCH_SSH_PORT") 2>/dev/null && break; sleep 0.1; done

# --- the HTTPS source ---------------------------------------------------------------
rm -f "$BENCH_DIR/url"
"$helper" serve -root "$BENCH_DIR/www" -ca "$BENCH_DIR/ca.pem" -url-file "$BENCH_DIR/url" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$BENCH_DIR/url" ] && break; sleep 0.1; done
[ -s "$BENCH_DIR/url" ] || die "the HTTPS server did not start"
url=$(cat "$BENCH_DIR/url")/dump.zip

# write_config FILE SUBDIR ON_UNCHANGED CONFIRM [RECOMPRESS]: a gardien configuration for this bench.
write_config() {
  cat >"$1" <<TOML
# Written by scripts/bench.sh.
[log]
file = "$BENCH_DIR/gardien.log"
level = "info"

[state]
dir = "$BENCH_DIR/state"

[mail]
transport = "none"

[[job]]
name = "bench"

  [job.source]
  type = "https-zip"
  url = "$url"
  ca_file = "$BENCH_DIR/ca.pem"
  expect = "dump.sql"
  timeout = "1h"
  confirm_unchanged = $4

  [job.archive]
  name = "%Y%m%d.tgz"
  on_unchanged = "$3"
  recompress = ${5:-false}
  staging_dir = "$BENCH_DIR/staging"

  [[job.destination]]
  name = "openssh"
  url = "sftp://$ssh_user@127.0.0.1:$BENCH_SSH_PORT$sftp_root/$2"
  key_file = "$sshdir/client_ed25519"
  known_hosts = "$sshdir/known_hosts"

  [job.retention]
  keep_days = 0
TOML
}
write_config "$BENCH_DIR/run.toml" gardien archive false
write_config "$BENCH_DIR/recompress.toml" recompress archive false true
write_config "$BENCH_DIR/put.toml" put archive false
write_config "$BENCH_DIR/unchanged.toml" gardien skip false
write_config "$BENCH_DIR/confirm.toml" gardien skip true
for d in gardien recompress shell put rclone; do install -d -o "$ssh_user" "$sftp_root/$d"; done
printf '' >"$BENCH_DIR/rclone.conf"

# timed OUT WANT CMD...: runs CMD under GNU time -v (OUT.time, its output in OUT.out),
# after a sync so that the previous run's dirty pages are not this one's burden.
timed() {
  local out=$1 want=$2 rc
  shift 2
  sync
  set +e
  /usr/bin/time -v -o "$out.time" "$@" >"$out.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" != "$want" ]; then
    cat "$out.out" >&2
    die "$* exited with $rc, not $want (see $out.out)"
  fi
  say "  $(basename "$out"): $(grep -F 'Elapsed (wall' "$out.time" | awk '{print $NF}') wall, $(grep -F 'Maximum resident' "$out.time" | awk '{print $NF}') KB peak RSS"
}

name=$(date +%Y%m%d).tgz
for item in $BENCH_SIZE; do
  size=${item%%:*} n=$BENCH_RUNS
  [[ "$item" == *:* ]] && n=${item#*:}
  out=$runs/$size
  mkdir -p "$out"
  say "== $size: generating the dump"
  "$helper" dump -size "$size" -out "$BENCH_DIR/dumps/dump-$size.zip" -meta "$out/info.meta" >&2
  ln -sf "$BENCH_DIR/dumps/dump-$size.zip" "$BENCH_DIR/www/dump.zip"
  rm -rf "$BENCH_DIR/state"

  say "== $size: gardien run and the shell pipeline, $n times each, alternately"
  for i in $(seq "$n"); do
    rm -f "$BENCH_DIR/gardien.log"
    timed "$out/gardien-$i" 0 "$gardien" --config "$BENCH_DIR/run.toml" run
    cp "$BENCH_DIR/gardien.log" "$out/gardien-$i.log"
    echo "archive_bytes=$(stat -c %s "$sftp_root/gardien/$name")" >"$out/gardien-$i.meta"

    rm -f "$BENCH_DIR/gardien.log"
    timed "$out/gardien-recompress-$i" 0 "$gardien" --config "$BENCH_DIR/recompress.toml" run
    cp "$BENCH_DIR/gardien.log" "$out/gardien-recompress-$i.log"
    echo "archive_bytes=$(stat -c %s "$sftp_root/recompress/$name")" >"$out/gardien-recompress-$i.meta"

    timed "$out/shell-$i" 0 env URL="$url" CA_FILE="$BENCH_DIR/ca.pem" WORK="$BENCH_DIR/shell" \
      SSH_PORT="$BENCH_SSH_PORT" SSH_USER="$ssh_user" SSH_KEY="$sshdir/client_ed25519" \
      KNOWN_HOSTS="$sshdir/known_hosts" REMOTE_DIR="$sftp_root/shell" bash scripts/bench/pipeline.sh
    echo "archive_bytes=$(stat -c %s "$BENCH_DIR/shell/$name")" >"$out/shell-$i.meta"
    cmp -s "$BENCH_DIR/shell/$name" "$sftp_root/shell/$name" || die "the pipeline's upload differs from its archive"
    cut -d' ' -f1 "$BENCH_DIR/shell/dump.sql.sha256" >"$out/dump.sha256"
    rm -rf "$BENCH_DIR/shell" "$sftp_root/shell/$name"
  done
  # gardien's archive opens with tar xzf and holds the dump that unzip extracted.
  got=$(tar -xzOf "$sftp_root/gardien/$name" dump.sql | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(cat "$out/dump.sha256")" ] || die "the dump in gardien's archive differs from the one in the zip"
  got=$(tar -xzOf "$sftp_root/recompress/$name" dump.sql | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(cat "$out/dump.sha256")" ] || die "the dump in gardien's recompressed archive differs from the one in the zip"
  rm -f "$sftp_root/recompress/$name"
  mv "$sftp_root/gardien/$name" "$BENCH_DIR/upload/$name"

  # Untimed: the zip's deflate data (what gardien's archive holds of the dump) against
  # the deflate data of gzip -6 (what tar czf holds): sizes, and whether the same bytes.
  deflate_meta=$BENCH_DIR/dumps/dump-$size.deflate
  if [ ! "$deflate_meta" -nt "$BENCH_DIR/dumps/dump-$size.zip" ]; then
    say "== $size: the zip's deflate data against gzip -6's"
    unzip -p "$BENCH_DIR/dumps/dump-$size.zip" dump.sql | gzip -6 -n |
      "$helper" deflate -zip "$BENCH_DIR/dumps/dump-$size.zip" >"$deflate_meta.tmp"
    mv "$deflate_meta.tmp" "$deflate_meta"
  fi
  cat "$deflate_meta" >>"$out/info.meta"

  say "== $size: the same dump again (unchanged)"
  rm -f "$BENCH_DIR/gardien.log"
  timed "$out/unchanged-1" 3 "$gardien" --config "$BENCH_DIR/unchanged.toml" run
  cp "$BENCH_DIR/gardien.log" "$out/unchanged-1.log"
  rm -f "$BENCH_DIR/gardien.log"
  timed "$out/unchanged-confirm-1" 3 "$gardien" --config "$BENCH_DIR/confirm.toml" run
  cp "$BENCH_DIR/gardien.log" "$out/unchanged-confirm-1.log"

  say "== $size: upload alone, gardien against rclone, $n times each, alternately"
  for i in $(seq "$n"); do
    rm -f "$sftp_root/put/$name"
    timed "$out/put-$i" 0 "$helper" put -config "$BENCH_DIR/put.toml" -file "$BENCH_DIR/upload/$name"
    grep '=' "$out/put-$i.out" >"$out/put-$i.meta"
    cmp -s "$BENCH_DIR/upload/$name" "$sftp_root/put/$name" || die "gardien's upload differs from the file sent"
    rm -f "$sftp_root/put/$name"

    # rclone as it is, then followed by an fsync of the file it wrote: gardien's Put
    # ends with fsync@openssh.com, so that "transfer done" means on the NAS's disk.
    rclone_args=(--config "$BENCH_DIR/rclone.conf" copyto "$BENCH_DIR/upload/$name" ":sftp:$sftp_root/rclone/$name"
      --sftp-host 127.0.0.1 --sftp-port "$BENCH_SSH_PORT" --sftp-user "$ssh_user"
      --sftp-key-file "$sshdir/client_ed25519" --sftp-known-hosts-file "$sshdir/known_hosts"
      --sftp-disable-hashcheck --sftp-shell-type none)
    for kind in rclone rclone-sync; do
      rm -f "$sftp_root/rclone/$name"
      if [ "$kind" = rclone ]; then
        timed "$out/$kind-$i" 0 rclone "${rclone_args[@]}"
      else
        timed "$out/$kind-$i" 0 bash -c 'dst=$1; shift; rclone "$@" && sync "$dst"' sync "$sftp_root/rclone/$name" "${rclone_args[@]}"
      fi
      echo "bytes=$(stat -c %s "$BENCH_DIR/upload/$name")" >"$out/$kind-$i.meta"
      cmp -s "$BENCH_DIR/upload/$name" "$sftp_root/rclone/$name" || die "rclone's upload differs from the file sent"
      rm -f "$sftp_root/rclone/$name"
    done
  done
  rm -f "$BENCH_DIR/upload/$name"
done

if [ "$BENCH_GO" != 0 ]; then
  say "== Go benchmarks"
  go test -run '^$' -bench . -benchmem ./internal/archive ./internal/dest >"$runs/gobench.txt"
fi

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$runs/bench.meta"
"$helper" report -dir "$runs" -out "$BENCH_OUT"
say "results in $BENCH_OUT"
