# OpenSSH: sshd + sftp-server on 127.0.0.1:$GARDIEN_IT_SSH_PORT, with a dedicated user
# who logs in by key or by password. Sourced by scripts/integration-servers.sh.

openssh_dir=$GARDIEN_IT_DIR/ssh
openssh_port=${GARDIEN_IT_SSH_PORT:-22022}
openssh_user=gardien-it

openssh_install() {
  if command -v sshd >/dev/null && [ -x /usr/lib/openssh/sftp-server ]; then return; fi
  apt_install openssh-server openssh-sftp-server
}

openssh_start() {
  local home=$GARDIEN_IT_DIR/home root=$GARDIEN_IT_DIR/sftp-root
  local password
  password=it-pass-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir -p "$openssh_dir" "$root"
  id "$openssh_user" >/dev/null 2>&1 || useradd --home-dir "$home" --create-home --shell /bin/sh "$openssh_user"
  echo "$openssh_user:$password" | chpasswd
  chown "$openssh_user" "$root"
  [ -f "$openssh_dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$openssh_dir/host_ed25519"
  [ -f "$openssh_dir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$openssh_dir/client_ed25519"
  install -d -o "$openssh_user" -m 700 "$home/.ssh"
  install -o "$openssh_user" -m 600 "$openssh_dir/client_ed25519.pub" "$home/.ssh/authorized_keys"
  echo "[127.0.0.1]:$openssh_port $(cut -d' ' -f1,2 "$openssh_dir/host_ed25519.pub")" >"$openssh_dir/known_hosts"
  mkdir -p /run/sshd # privilege separation
  cat >"$openssh_dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $openssh_port
HostKey $openssh_dir/host_ed25519
PidFile $openssh_dir/sshd.pid
AuthorizedKeysFile $home/.ssh/authorized_keys
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
UsePAM yes
StrictModes no
AllowUsers $openssh_user
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
CONF
  /usr/sbin/sshd -f "$openssh_dir/sshd_config" -E "$openssh_dir/sshd.log"
  wait_port "$openssh_port" >&2
  cat <<ENV
GARDIEN_IT_SSH_ADDR=127.0.0.1:$openssh_port
GARDIEN_IT_SSH_USER=$openssh_user
GARDIEN_IT_SSH_PASSWORD=$password
GARDIEN_IT_SSH_KEY=$openssh_dir/client_ed25519
GARDIEN_IT_SSH_KNOWN_HOSTS=$openssh_dir/known_hosts
GARDIEN_IT_SFTP_ROOT=$root
ENV
}

openssh_stop() {
  if [ -f "$openssh_dir/sshd.pid" ]; then
    kill "$(cat "$openssh_dir/sshd.pid")" 2>/dev/null || true
    rm -f "$openssh_dir/sshd.pid"
    sleep 0.2
  fi
}
