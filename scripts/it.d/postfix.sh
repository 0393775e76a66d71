# Postfix: the local MTA behind /usr/sbin/sendmail, for local delivery only. It listens
# on 127.0.0.1:25 only (inet_interfaces = loopback-only), delivers to localhost only
# (mydestination), relays nothing (no relayhost, and any other domain bounces at once:
# default_transport = error), and offers STARTTLS with a self-signed certificate.
# Mail to $postfix_user@localhost lands in /var/mail/$postfix_user.
# Sourced by scripts/integration-servers.sh.

postfix_dir=$GARDIEN_IT_DIR/postfix
postfix_user=gardien-it-mail

postfix_install() {
  if [ -x /usr/sbin/postfix ] && [ -x /usr/sbin/sendmail ]; then return; fi
  # Answer the package's questions before it asks them: local delivery only.
  printf '%s\n' \
    "postfix postfix/main_mailer_type select Local only" \
    "postfix postfix/mailname string localhost" | debconf-set-selections
  apt_install postfix
}

postfix_start() {
  mkdir -p "$postfix_dir"
  id "$postfix_user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$postfix_user"
  if [ ! -f "$postfix_dir/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$postfix_dir/key.pem" -out "$postfix_dir/cert.pem" 2>/dev/null
    chmod 600 "$postfix_dir/key.pem"
  fi
  rm -f "/var/mail/$postfix_user" # each start begins with an empty mailbox
  echo localhost >/etc/mailname
  postconf -e \
    "myhostname = localhost.localdomain" \
    "mydomain = localdomain" \
    "myorigin = localhost" \
    "mydestination = localhost, localhost.localdomain" \
    "inet_interfaces = loopback-only" \
    "inet_protocols = ipv4" \
    "mynetworks = 127.0.0.0/8" \
    "relayhost =" \
    "relay_domains =" \
    "default_transport = error:this test server delivers to localhost only" \
    "alias_maps = hash:/etc/aliases" \
    "alias_database = hash:/etc/aliases" \
    "mailbox_size_limit = 0" \
    "smtpd_tls_cert_file = $postfix_dir/cert.pem" \
    "smtpd_tls_key_file = $postfix_dir/key.pem" \
    "smtpd_tls_security_level = may" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
    "maillog_file_prefixes = /var, /dev/stdout, $GARDIEN_IT_DIR" \
    "maillog_file = $postfix_dir/maillog"
  newaliases
  # Debian copies resolv.conf and friends into the chroot when its init script starts
  # Postfix; do the same, then start the master daemon directly (no systemd here).
  [ -x /usr/lib/postfix/configure-instance.sh ] && /usr/lib/postfix/configure-instance.sh >/dev/null 2>&1 || true
  postfix check >&2
  postfix start >&2
  wait_port 25 >&2
  cat <<ENV
GARDIEN_IT_SENDMAIL=/usr/sbin/sendmail
GARDIEN_IT_MAIL_USER=$postfix_user
GARDIEN_IT_MAIL_TO=$postfix_user@localhost
GARDIEN_IT_MAILBOX=/var/mail/$postfix_user
GARDIEN_IT_SMTP_ADDR=127.0.0.1:25
GARDIEN_IT_SMTP_CA=$postfix_dir/cert.pem
ENV
}

postfix_stop() {
  if [ -x /usr/sbin/postfix ] && postfix status >/dev/null 2>&1; then
    postfix stop >/dev/null 2>&1 || true
    sleep 0.5
  fi
}
