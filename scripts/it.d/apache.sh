# Apache 2 with mod_dav: WebDAV over HTTPS on 127.0.0.1:$GARDIEN_IT_WEBDAV_PORT (a
# certificate signed by a CA made here) and over plain HTTP on
# 127.0.0.1:$GARDIEN_IT_WEBDAV_PLAIN_PORT, with its own ServerRoot, configuration,
# user and files under $GARDIEN_IT_DIR/apache. Locations:
#   /dav/         Basic authentication (htpasswd)
#   /dav-digest/  Digest authentication (htdigest)
#   /dav-ro/      Basic authentication, read only: writes get 403
# Only apache2-bin and apache2-utils are installed: no service, nothing on port 80.
# Sourced by scripts/integration-servers.sh.

apache_dir=$GARDIEN_IT_DIR/apache
apache_port=${GARDIEN_IT_WEBDAV_PORT:-28443}
apache_plain_port=${GARDIEN_IT_WEBDAV_PLAIN_PORT:-28480}
apache_user=gardien-it-dav # runs the server, owns the files
apache_login=gardien-it    # logs in over WebDAV
apache_mods=/usr/lib/apache2/modules

apache_install() {
  if [ -x /usr/sbin/apache2 ] && [ -f $apache_mods/mod_dav_fs.so ] && command -v htpasswd >/dev/null && command -v htdigest >/dev/null && command -v openssl >/dev/null; then return; fi
  apt_install apache2-bin apache2-utils openssl
}

apache_start() {
  local www=$apache_dir/www password
  password=it-pass-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir -p "$apache_dir/run" "$apache_dir/lock" "$www/dav" "$www/dav-digest" "$www/dav-ro"
  id "$apache_user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$apache_user"
  chown -R "$apache_user" "$apache_dir/lock" "$www"

  # A private CA and a server certificate it signs, for 127.0.0.1 and localhost.
  if [ ! -f "$apache_dir/server.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=gardien-it WebDAV CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$apache_dir/ca.key" -out "$apache_dir/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$apache_dir/server.key" -out "$apache_dir/server.csr" 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" >"$apache_dir/server.ext"
    openssl x509 -req -in "$apache_dir/server.csr" -CA "$apache_dir/ca.pem" -CAkey "$apache_dir/ca.key" \
      -CAcreateserial -days 30 -extfile "$apache_dir/server.ext" -out "$apache_dir/server.pem" 2>/dev/null
    chmod 600 "$apache_dir/ca.key" "$apache_dir/server.key"
  fi

  # A new password at each start, for both kinds of authentication.
  htpasswd -b -c "$apache_dir/htpasswd" "$apache_login" "$password" >&2 2>/dev/null
  # htdigest reads the password twice from the terminal: give it its line directly.
  printf '%s:%s:%s\n' "$apache_login" "gardien-it-digest" \
    "$(printf '%s' "$apache_login:gardien-it-digest:$password" | md5sum | cut -d' ' -f1)" >"$apache_dir/htdigest"
  chown "$apache_user" "$apache_dir/htpasswd" "$apache_dir/htdigest"
  chmod 600 "$apache_dir/htpasswd" "$apache_dir/htdigest"

  cat >"$apache_dir/apache2.conf" <<CONF
ServerRoot $apache_dir
ServerName localhost
PidFile $apache_dir/run/apache2.pid
DefaultRuntimeDir $apache_dir/run
Mutex file:$apache_dir/run default
User $apache_user
Group nogroup
ErrorLog $apache_dir/error.log
LogLevel warn auth_digest:info
LogFormat "%h %u \"%r\" %>s %b" common
CustomLog $apache_dir/access.log common
Listen 127.0.0.1:$apache_port
Listen 127.0.0.1:$apache_plain_port
TraceEnable off
Timeout 60

LoadModule mpm_event_module $apache_mods/mod_mpm_event.so
LoadModule authn_core_module $apache_mods/mod_authn_core.so
LoadModule authn_file_module $apache_mods/mod_authn_file.so
LoadModule authz_core_module $apache_mods/mod_authz_core.so
LoadModule authz_user_module $apache_mods/mod_authz_user.so
LoadModule auth_basic_module $apache_mods/mod_auth_basic.so
LoadModule auth_digest_module $apache_mods/mod_auth_digest.so
LoadModule dav_module $apache_mods/mod_dav.so
LoadModule dav_fs_module $apache_mods/mod_dav_fs.so
LoadModule socache_shmcb_module $apache_mods/mod_socache_shmcb.so
LoadModule ssl_module $apache_mods/mod_ssl.so

DocumentRoot $www
DavLockDB $apache_dir/lock/DavLock
SSLSessionCache shmcb:$apache_dir/run/ssl_scache(512000)

<VirtualHost 127.0.0.1:$apache_port>
  SSLEngine on
  SSLCertificateFile $apache_dir/server.pem
  SSLCertificateKeyFile $apache_dir/server.key
</VirtualHost>
<VirtualHost 127.0.0.1:$apache_plain_port>
</VirtualHost>

<Directory />
  Options None
  AllowOverride None
  Require all denied
</Directory>
# Outside the three locations: a web site without WebDAV (a missing share).
<Directory $www>
  Require all granted
</Directory>
<Directory $www/dav>
  Dav On
  AuthType Basic
  AuthName "gardien-it"
  AuthBasicProvider file
  AuthUserFile $apache_dir/htpasswd
  Require valid-user
</Directory>
<Directory $www/dav-digest>
  Dav On
  AuthType Digest
  AuthName "gardien-it-digest"
  AuthDigestProvider file
  AuthUserFile $apache_dir/htdigest
  Require valid-user
</Directory>
<Directory $www/dav-ro>
  Dav On
  AuthType Basic
  AuthName "gardien-it"
  AuthBasicProvider file
  AuthUserFile $apache_dir/htpasswd
  <RequireAll>
    Require valid-user
    Require method GET HEAD OPTIONS PROPFIND
  </RequireAll>
</Directory>
CONF
  /usr/sbin/apache2 -d "$apache_dir" -f "$apache_dir/apache2.conf" -k start >&2
  wait_port "$apache_port" >&2
  wait_port "$apache_plain_port" >&2
  cat <<ENV
GARDIEN_IT_WEBDAV_URL=webdavs://127.0.0.1:$apache_port/dav
GARDIEN_IT_WEBDAV_DIGEST_URL=webdavs://127.0.0.1:$apache_port/dav-digest
GARDIEN_IT_WEBDAV_RO_URL=webdavs://127.0.0.1:$apache_port/dav-ro
GARDIEN_IT_WEBDAV_PLAIN_URL=webdav://127.0.0.1:$apache_plain_port/dav
GARDIEN_IT_WEBDAV_USER=$apache_login
GARDIEN_IT_WEBDAV_PASSWORD=$password
GARDIEN_IT_WEBDAV_CA=$apache_dir/ca.pem
GARDIEN_IT_WEBDAV_ROOT=$www
ENV
}

apache_stop() {
  local pidfile=$apache_dir/run/apache2.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  # The parent removes its pid file when its children are gone: wait for the ports.
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$pidfile"
}
