#!/usr/bin/env bash
# The nightly archive as a technician writes it in shell (issue 7): download the zip,
# unzip the dump, checksum it, tar + gzip (gzip's default level, -6), sftp put.
# scripts/bench.sh times it against `gardien run` doing the same work.
#
# Environment: URL CA_FILE WORK SSH_PORT SSH_USER SSH_KEY KNOWN_HOSTS REMOTE_DIR
set -euo pipefail
name=$(date +%Y%m%d).tgz
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
curl -sS --fail --cacert "$CA_FILE" -o dump.zip "$URL"
unzip -q dump.zip dump.sql
sha256sum dump.sql >dump.sql.sha256
tar czf "$name" dump.sql dump.sql.sha256
sftp -q -b - -i "$SSH_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o BatchMode=yes -P "$SSH_PORT" "$SSH_USER@127.0.0.1" <<SFTP
put $name $REMOTE_DIR/$name
SFTP
