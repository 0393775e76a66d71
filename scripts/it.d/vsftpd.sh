# vsftpd: FTP over TLS on 127.0.0.1, explicit TLS (AUTH TLS) on $GARDIEN_IT_FTP_PORT and
# implicit TLS on $GARDIEN_IT_FTPS_IMPLICIT_PORT: two vsftpd processes, one config file
# each. A dedicated local user logs in with a password, chrooted in its own directory;
# the certificate comes from a CA this script makes. Data connections are passive only,
# encrypted, and must resume the control connection's TLS session (vsftpd's default,
# require_ssl_reuse=YES). Sourced by scripts/integration-servers.sh.

vsftpd_dir=$GARDIEN_IT_DIR/vsftpd
vsftpd_port=${GARDIEN_IT_FTP_PORT:-21021}
vsftpd_implicit_port=${GARDIEN_IT_FTPS_IMPLICIT_PORT:-21990}
vsftpd_user=gardien-it-ftp

vsftpd_install() {
  if [ -x /usr/sbin/vsftpd ] && command -v openssl >/dev/null; then return; fi
  apt_install vsftpd openssl
}

# vsftpd_cert: a CA, and a certificate for 127.0.0.1 and localhost that it signed.
vsftpd_cert() {
  local d=$vsftpd_dir
  [ -f "$d/cert.pem" ] && [ -f "$d/ca.pem" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=gardien IT CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/key.pem" -out "$d/cert.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth" >"$d/cert.ext"
  openssl x509 -req -in "$d/cert.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
    -days 30 -extfile "$d/cert.ext" -out "$d/cert.pem" 2>/dev/null
  chmod 600 "$d/key.pem" "$d/ca-key.pem"
  rm -f "$d/cert.csr" "$d/cert.ext"
}

# vsftpd_conf NAME PORT PASV_MIN PASV_MAX IMPLICIT: writes $vsftpd_dir/NAME.conf.
vsftpd_conf() {
  local root=$vsftpd_dir/root
  cat >"$vsftpd_dir/$1.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$2
background=NO
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
pam_service_name=vsftpd
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=027
local_root=$root
chroot_local_user=YES
allow_writeable_chroot=YES
userlist_enable=YES
userlist_deny=NO
userlist_file=$vsftpd_dir/users
hide_ids=YES
utf8_filesystem=YES
port_enable=NO
connect_from_port_20=NO
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$3
pasv_max_port=$4
ssl_enable=YES
implicit_ssl=$5
rsa_cert_file=$vsftpd_dir/cert.pem
rsa_private_key_file=$vsftpd_dir/key.pem
ssl_ciphers=HIGH
allow_anon_ssl=NO
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
idle_session_timeout=300
data_connection_timeout=120
xferlog_enable=YES
vsftpd_log_file=$vsftpd_dir/$1.log
dual_log_enable=YES
xferlog_file=$vsftpd_dir/$1.xferlog
log_ftp_protocol=YES
debug_ssl=YES
CONF
}

vsftpd_start() {
  local root=$vsftpd_dir/root password
  password=it-pass-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir -p "$vsftpd_dir" "$root" /var/run/vsftpd/empty
  # PAM's pam_shells wants a shell listed in /etc/shells.
  id "$vsftpd_user" >/dev/null 2>&1 || useradd --home-dir "$root" --no-create-home --shell /bin/sh "$vsftpd_user"
  echo "$vsftpd_user:$password" | chpasswd
  chown "$vsftpd_user" "$root"
  echo "$vsftpd_user" >"$vsftpd_dir/users"
  vsftpd_cert
  vsftpd_conf explicit "$vsftpd_port" 21100 21139 NO
  vsftpd_conf implicit "$vsftpd_implicit_port" 21140 21179 YES
  local n
  for n in explicit implicit; do
    /usr/sbin/vsftpd "$vsftpd_dir/$n.conf" </dev/null >>"$vsftpd_dir/$n.out" 2>&1 &
    echo $! >"$vsftpd_dir/$n.pid"
  done
  wait_port "$vsftpd_port" >&2
  wait_port "$vsftpd_implicit_port" >&2
  cat <<ENV
GARDIEN_IT_FTP_ADDR=127.0.0.1:$vsftpd_port
GARDIEN_IT_FTPS_IMPLICIT_ADDR=127.0.0.1:$vsftpd_implicit_port
GARDIEN_IT_FTP_USER=$vsftpd_user
GARDIEN_IT_FTP_PASSWORD=$password
GARDIEN_IT_FTPS_CA=$vsftpd_dir/ca.pem
GARDIEN_IT_FTP_ROOT=$root
ENV
}

vsftpd_stop() {
  local n
  for n in explicit implicit; do
    if [ -f "$vsftpd_dir/$n.pid" ]; then
      kill "$(cat "$vsftpd_dir/$n.pid")" 2>/dev/null || true
      rm -f "$vsftpd_dir/$n.pid"
    fi
  done
  sleep 0.2
}
