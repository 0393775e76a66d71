# S3: versitygw (the Versity S3 Gateway, a real S3 server written in Go, over a POSIX
# directory) on https://127.0.0.1:$GARDIEN_IT_S3_PORT, with a certificate from a
# private CA and one bucket. Debian 12 has no S3 server package: versitygw is built
# once from the Go module proxy into $GARDIEN_IT_DIR/bin (about a minute).
# Sourced by scripts/integration-servers.sh.

s3server_dir=$GARDIEN_IT_DIR/s3
s3server_port=${GARDIEN_IT_S3_PORT:-27070}
s3server_version=v1.8.0
s3server_bin=$GARDIEN_IT_DIR/bin/versitygw
s3server_access=gardien-it
s3server_bucket=gardien-it
s3server_region=us-east-1

s3server_go() {
  if command -v go >/dev/null; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    echo "s3server: Go is needed to build versitygw (Debian 12's golang is too old): install it in /usr/local/go" >&2
    return 1
  fi
}

s3server_install() {
  command -v openssl >/dev/null && command -v curl >/dev/null || apt_install openssl curl ca-certificates
  if [ -x "$s3server_bin" ] && "$s3server_bin" --version >/dev/null 2>&1; then return; fi
  local go
  go=$(s3server_go)
  mkdir -p "$GARDIEN_IT_DIR/bin"
  echo "s3server: building versitygw $s3server_version" >&2
  (cd / && GOBIN="$GARDIEN_IT_DIR/bin" GOFLAGS=-buildvcs=false "$go" install "github.com/versity/versitygw/cmd/versitygw@$s3server_version") >&2
}

# s3server_certs: a private CA and a certificate for 127.0.0.1 signed by it, as a
# technician's ca_file would hold.
s3server_certs() {
  local d=$s3server_dir
  if [ -f "$d/server.pem" ] && [ -f "$d/ca.pem" ]; then return; fi
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=gardien-it S3 CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
}

s3server_start() {
  local d=$s3server_dir secret code
  mkdir -p "$d/root" "$d/meta"
  chmod 700 "$d"
  s3server_certs
  [ -s "$d/secret" ] || (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/secret")
  secret=$(cat "$d/secret")
  # The keys go through the environment, not the command line that ps shows.
  ROOT_ACCESS_KEY_ID=$s3server_access ROOT_SECRET_ACCESS_KEY=$secret \
    setsid "$s3server_bin" --port "127.0.0.1:$s3server_port" --region "$s3server_region" \
    --cert "$d/server.pem" --key "$d/server.key" --quiet \
    posix --sidecar "$d/meta" "$d/root" </dev/null >"$d/versitygw.log" 2>&1 &
  echo $! >"$d/versitygw.pid"
  wait_port "$s3server_port" >&2
  # Create the bucket with a signed request (curl's own SigV4); it may exist already.
  printf 'user = "%s:%s"\n' "$s3server_access" "$secret" >"$d/curl.cfg"
  code=$(curl -sS -K "$d/curl.cfg" --aws-sigv4 "aws:amz:$s3server_region:s3" --cacert "$d/ca.pem" \
    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
    -o "$d/create-bucket.out" -w '%{http_code}' -X PUT "https://127.0.0.1:$s3server_port/$s3server_bucket")
  case $code in
    200 | 409) ;;
    *)
      echo "s3server: creating bucket $s3server_bucket answered HTTP $code: $(cat "$d/create-bucket.out")" >&2
      return 1
      ;;
  esac
  cat <<ENV
GARDIEN_IT_S3_ENDPOINT=https://127.0.0.1:$s3server_port
GARDIEN_IT_S3_REGION=$s3server_region
GARDIEN_IT_S3_ACCESS_KEY=$s3server_access
GARDIEN_IT_S3_SECRET_KEY=$secret
GARDIEN_IT_S3_BUCKET=$s3server_bucket
GARDIEN_IT_S3_CA_FILE=$d/ca.pem
GARDIEN_IT_S3_ROOT=$d/root
ENV
}

s3server_stop() {
  local pid
  if [ -f "$s3server_dir/versitygw.pid" ]; then
    pid=$(cat "$s3server_dir/versitygw.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$s3server_dir/versitygw.pid"
  fi
}
