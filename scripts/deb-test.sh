#!/usr/bin/env bash
# Builds the Debian package (make deb), installs it with dpkg -i on this machine, checks
# what it installed and that it works as the gardien user, then purges it and checks
# that nothing is left. Needs root, on Debian or Ubuntu. CI runs it (.ci/run); run it
# by hand the same way:
#
#   sudo scripts/deb-test.sh              # build, then test build/gardien_*.deb
#   sudo scripts/deb-test.sh some.deb     # test a package built elsewhere
#
# The packaged configuration is checked as shipped: `gardien check` must exit 1 (its
# example servers do not exist), never 2 (invalid). A copy of it is then pointed at
# an HTTPS server started here (openssl s_server, serving a zipped dump) and at a
# file:// destination, and `gardien run` must archive, as the gardien user, into the
# packaged /var/log/gardien, /var/lib/gardien and /var/tmp/gardien.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

step() { echo "== deb-test: $*"; }
fail() {
  echo "deb-test: FAILED: $*" >&2
  exit 1
}
# expect CODE CMD...: run CMD, fail unless it exits CODE.
expect() {
  local want=$1 code=0
  shift
  "$@" || code=$?
  [ "$code" = "$want" ] || fail "$* exited $code, want $want"
}

trap 'echo "deb-test: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

[ "$(id -u)" = 0 ] || fail "run it as root (it installs a package)"
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v zip >/dev/null || need+=(zip)
command -v adduser >/dev/null || need+=(adduser)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

deb=${1:-}
if [ -z "$deb" ]; then
  step "make deb"
  make deb
  deb=$(ls -t build/gardien_*.deb | head -1)
fi
[ -f "$deb" ] || fail "no package $deb"

if dpkg-query -W -f='${Status}' gardien 2>/dev/null | grep -q installed; then
  step "gardien is installed already: purging it first"
  dpkg --purge gardien >/dev/null
fi

work=$(mktemp -d /tmp/gardien-deb-test.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if dpkg-query -W -f='${Status}' gardien 2>/dev/null | grep -q installed; then dpkg --purge gardien >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "dpkg -i $deb"
dpkg -i "$deb"

step "what the package installed"
gardien version
expect 0 dpkg-query -W gardien
getent passwd gardien | grep -q ':/var/lib/gardien:/usr/sbin/nologin$' || fail "no gardien system user: $(getent passwd gardien)"
[ "$(id -u gardien)" -lt 1000 ] || fail "gardien is not a system user"
for spec in "gardien 750 /var/log/gardien" "gardien 750 /var/lib/gardien" "gardien 750 /var/tmp/gardien" \
  "gardien 600 /etc/gardien/gardien.toml" "root 644 /etc/cron.d/gardien" "root 755 /usr/bin/gardien"; do
  read -r owner mode path <<<"$spec"
  got=$(stat -c '%U %a' "$path") || fail "$path is missing"
  [ "$got" = "$owner $mode" ] || fail "$path is $got, want $owner $mode"
done
file /usr/bin/gardien 2>/dev/null | grep -q 'statically linked' || ldd /usr/bin/gardien 2>&1 | grep -q 'not a dynamic executable' ||
  fail "/usr/bin/gardien is not a static binary"
for page in gardien gardien-run gardien-cron gardien-systemd gardien-daemon; do
  [ -f /usr/share/man/man1/$page.1.gz ] || fail "no man page $page"
done
grep -qxF /etc/gardien/gardien.toml /var/lib/dpkg/info/gardien.conffiles || fail "the configuration is not a conffile"
grep -qxF /etc/cron.d/gardien /var/lib/dpkg/info/gardien.conffiles || fail "the cron file is not a conffile"
# The cron file is shipped disabled, and is what `gardien cron --disabled` writes for
# the packaged configuration.
if grep -Ev '^(#|$|[A-Z]+=)' /etc/cron.d/gardien; then fail "/etc/cron.d/gardien has enabled entries"; fi
diff -u /etc/cron.d/gardien <(gardien cron --quiet --config /etc/gardien/gardien.toml --disabled --user gardien) ||
  fail "the packaged cron file is not what gardien cron writes"

step "the packaged configuration is valid (without connecting to its example servers)"
expect 0 runuser -u gardien -- gardien check --config-only --config /etc/gardien/gardien.toml

step "systemd units for the packaged configuration"
gardien systemd --config /etc/gardien/gardien.toml --user gardien --install --dir "$work/units"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$work/units/gardien@ocpizza-db.service" "$work/units/gardien@ocpizza-db.timer" 2>&1) ||
    fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
else
  echo "deb-test: systemd-analyze is not installed: the units are not verified"
fi

step "a run as the gardien user, against a local HTTPS source and a file:// destination"
chmod 755 "$work"
mkdir -p "$work/www" "$work/archives"
chown gardien: "$work/archives"
(cd "$work/www" && seq 20000 | sed 's/.*/INSERT INTO t VALUES (&);/' >dump.sql && zip -q dump.zip dump.sql && rm dump.sql)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/ca.pem" 2>/dev/null
port=
for p in $(shuf -i 20000-60000 -n 50); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p && break; fi
done
[ -n "$port" ] || fail "no free port"
(cd "$work/www" && exec openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/ca.pem" -key "$work/key.pem" -WWW </dev/null >/dev/null 2>&1) &
server_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

cfg=$work/gardien.toml
sed -e "s#^  url = \"https://exports.example.org/dump.zip\".*#  url = \"https://127.0.0.1:$port/dump.zip\"\n  ca_file = \"$work/ca.pem\"#" \
  -e "s#^  url = \"sftp://backup@nas.example.org:22/srv/archives\".*#  url = \"file://$work/archives\"#" \
  -e '/^  key_file = /d' -e '/^  known_hosts = /d' /etc/gardien/gardien.toml >"$cfg"
grep -q "127.0.0.1:$port" "$cfg" && grep -q "file://$work/archives" "$cfg" ||
  fail "the packaged example changed: adapt the sed lines of $0"
chown gardien: "$cfg"
chmod 600 "$cfg"
expect 0 runuser -u gardien -- gardien check --config "$cfg"
expect 0 runuser -u gardien -- gardien run --config "$cfg"
ls "$work/archives"/*.tgz >/dev/null || fail "no archive in $work/archives"
expect 3 runuser -u gardien -- gardien run --config "$cfg" # the same dump: a warning
[ -s /var/log/gardien/gardien.log ] && [ "$(stat -c %U /var/log/gardien/gardien.log)" = gardien ] || fail "no log written by gardien"
[ -d /var/lib/gardien/ocpizza-db ] || fail "no state in /var/lib/gardien"
grep -q 'msg="run finished" job=ocpizza-db run=[0-9a-f]* status=SUCCESS' /var/log/gardien/gardien.log || fail "the log lacks the run"

step "dpkg -i again (an upgrade): the configuration and its owner stay"
echo "# edited by the admin" >>/etc/gardien/gardien.toml
dpkg -i "$deb" >/dev/null
grep -q '^# edited by the admin$' /etc/gardien/gardien.toml || fail "the upgrade replaced the configuration"
[ "$(stat -c '%U %a' /etc/gardien/gardien.toml)" = "gardien 600" ] || fail "the upgrade changed the configuration's owner"

step "dpkg -r: the program goes, the configuration and the user stay"
dpkg -r gardien >/dev/null
[ ! -e /usr/bin/gardien ] || fail "/usr/bin/gardien is still there"
[ -f /etc/gardien/gardien.toml ] && [ -f /etc/cron.d/gardien ] || fail "dpkg -r removed the configuration"
getent passwd gardien >/dev/null || fail "dpkg -r removed the user"

step "dpkg --purge: nothing is left"
dpkg --purge gardien >/dev/null
dpkg-query -W -f='${Status}' gardien 2>/dev/null | grep -q installed && fail "gardien is still installed"
for path in /etc/gardien /etc/cron.d/gardien /var/log/gardien /var/lib/gardien /var/tmp/gardien /usr/share/man/man1/gardien.1.gz; do
  [ ! -e "$path" ] || fail "$path is still there"
done
getent passwd gardien >/dev/null && fail "the gardien user is still there"
getent group gardien >/dev/null && fail "the gardien group is still there"
dpkg-statoverride --list | grep gardien && fail "statoverrides are left"
step "ok"
