#!/usr/bin/env bash
# Installs (Debian packages) and starts the real servers the integration suite talks to,
# all listening on 127.0.0.1 only, and writes their coordinates to $GARDIEN_IT_DIR/env.
#
#   scripts/integration-servers.sh start   # as root: install what is missing, start all
#   scripts/integration-servers.sh stop
#
# Each server is one script in scripts/it.d/ (as rclone's fstest/testserver/init.d):
# it defines <name>_install, <name>_start and <name>_stop, and its start prints
# KEY=VALUE lines for the env file. A new server is one new file there.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export GARDIEN_IT_DIR=${GARDIEN_IT_DIR:-/tmp/gardien-it}

# GARDIEN_IT_ONLY="openssh vsftpd" starts only those (while working on one protocol).
servers=()
for f in "$here"/it.d/*.sh; do
  name=$(basename "$f" .sh)
  if [ -n "${GARDIEN_IT_ONLY:-}" ] && [[ " ${GARDIEN_IT_ONLY//,/ } " != *" $name "* ]]; then
    continue
  fi
  # shellcheck source=/dev/null
  . "$f"
  servers+=("$name")
done

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f "$GARDIEN_IT_DIR/.apt-updated" ]; then
    apt-get update -qq
    mkdir -p "$GARDIEN_IT_DIR" && touch "$GARDIEN_IT_DIR/.apt-updated"
  fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "integration-servers: nothing listens on 127.0.0.1:$1" >&2
  return 1
}

case "${1:-start}" in
  start)
    if [ "$(id -u)" != 0 ]; then
      echo "integration-servers: run as root (it installs packages and starts daemons)" >&2
      exit 2
    fi
    mkdir -p "$GARDIEN_IT_DIR"
    : >"$GARDIEN_IT_DIR/env.tmp"
    echo "GARDIEN_IT_DIR=$GARDIEN_IT_DIR" >>"$GARDIEN_IT_DIR/env.tmp"
    for s in "${servers[@]}"; do
      "${s}_install"
      "${s}_stop" || true
      "${s}_start" >>"$GARDIEN_IT_DIR/env.tmp"
      echo "integration-servers: $s started"
    done
    mv "$GARDIEN_IT_DIR/env.tmp" "$GARDIEN_IT_DIR/env"
    echo "integration-servers: coordinates in $GARDIEN_IT_DIR/env"
    ;;
  stop)
    for s in "${servers[@]}"; do "${s}_stop" || true; done
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
