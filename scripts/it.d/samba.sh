# Samba: smbd on 127.0.0.1:$GARDIEN_IT_SMB_PORT (SMB2/3 only), with a dedicated user
# and these shares, all under $GARDIEN_IT_DIR/samba:
#   archives  writable by the user
#   secure    writable, and "smb encrypt = required": only SMB3 with encryption gets in
#   readonly  read only: writes are refused (STATUS_ACCESS_DENIED)
#   full      writable, on a 2 MiB tmpfs: a larger upload gets STATUS_DISK_FULL
# It also mounts a tmpfs at GARDIEN_IT_MOUNT_DIR for file:// with require_mount.
# Sourced by scripts/integration-servers.sh.

samba_dir=$GARDIEN_IT_DIR/samba
samba_port=${GARDIEN_IT_SMB_PORT:-24450}
samba_user=gardien-smb

samba_install() {
  if [ -x /usr/sbin/smbd ] && command -v smbpasswd >/dev/null && command -v mountpoint >/dev/null; then return; fi
  apt_install samba util-linux
}

# samba_mount DIR SIZE: a tmpfs at DIR, unless one is there already.
samba_mount() {
  mkdir -p "$1"
  mountpoint -q "$1" || mount -t tmpfs -o "size=$2,mode=0755" gardien-it "$1"
}

samba_start() {
  local d=$samba_dir password
  password=it-pass-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir -p "$d"/{private,lock,state,cache,run,ncalrpc,log} "$d"/shares/{archives,secure,readonly}
  chmod 700 "$d/private"
  samba_mount "$d/shares/full" 2m
  samba_mount "$d/mnt" 16m
  id "$samba_user" >/dev/null 2>&1 || useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$samba_user"
  chown "$samba_user" "$d"/shares/{archives,secure,readonly,full}
  cat >"$d/smb.conf" <<CONF
[global]
  server role = standalone server
  workgroup = GARDIENIT
  netbios name = GARDIENIT
  security = user
  # As Debian's default smb.conf: an unknown user becomes the guest.
  map to guest = bad user
  passdb backend = tdbsam:$d/private/passdb.tdb
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/run
  ncalrpc dir = $d/ncalrpc
  log file = $d/log/smbd.log
  log level = 1
  smb ports = $samba_port
  interfaces = 127.0.0.1
  bind interfaces only = yes
  disable netbios = yes
  server min protocol = SMB2
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes

[archives]
  path = $d/shares/archives
  read only = no
  valid users = $samba_user

[secure]
  path = $d/shares/secure
  read only = no
  valid users = $samba_user
  smb encrypt = required

[readonly]
  path = $d/shares/readonly
  read only = yes
  valid users = $samba_user

[full]
  path = $d/shares/full
  read only = no
  valid users = $samba_user
CONF
  if ! printf '%s\n%s\n' "$password" "$password" | smbpasswd -c "$d/smb.conf" -s -a "$samba_user" >"$d/log/smbpasswd.log" 2>&1; then
    cat "$d/log/smbpasswd.log" >&2
    return 1
  fi
  # In a session of its own: on SIGTERM smbd signals its whole process group, which
  # with --no-process-group would be the caller's (make, CI) and stop the suite.
  setsid /usr/sbin/smbd --daemon --configfile="$d/smb.conf" </dev/null
  wait_port "$samba_port" >&2
  cat <<ENV
GARDIEN_IT_SMB_ADDR=127.0.0.1:$samba_port
GARDIEN_IT_SMB_USER=$samba_user
GARDIEN_IT_SMB_PASSWORD=$password
GARDIEN_IT_SMB_CONF=$d/smb.conf
GARDIEN_IT_SMB_ROOT=$d/shares
GARDIEN_IT_MOUNT_DIR=$d/mnt
ENV
}

samba_stop() {
  local pid
  for f in "$samba_dir"/run/smbd*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
  for m in "$samba_dir/shares/full" "$samba_dir/mnt"; do
    if mountpoint -q "$m"; then umount "$m" || true; fi
  done
}
