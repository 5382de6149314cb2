#!/usr/bin/env bash
# Create and destroy lab hosts: systemd containers on a podman network,
# reachable over SSH with the lab's key as the image's `debian` user.
# Used by `make lab` (lab/lab.sh) and by the Molecule scenarios (molecule/shared).
#
#   lab/hosts.sh create NAME IP NETWORK SUBNET [SUITE [KIND]]   # idempotent; trixie, base
#   lab/hosts.sh create-all NAME,IP,NETWORK,SUBNET[,SUITE[,KIND]]...  # the same, side by side
#   lab/hosts.sh destroy NAME...
#   lab/hosts.sh network-rm NETWORK
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/env.sh"

key="$GW_STATE/ssh/id_ed25519"

ensure_key() {
  mkdir -p "$GW_STATE/ssh"
  chmod 0700 "$GW_STATE" "$GW_STATE/ssh"
  [ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -C "groundwork-lab" -f "$key"
  chmod 0600 "$key"   # ssh ignores a private key others can read
}

ensure_network() {
  local net=$1 subnet=$2
  podman network exists "$net" || podman network create --subnet "$subnet" "$net" >/dev/null
}

wait_ssh() {
  local name=$1 ip=$2
  for _ in $(seq 1 60); do
    if ssh -n -i "$key" -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "debian@$ip" true 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  podman logs --tail 30 "$name" >&2 || true
  gw_die "$name ($ip) did not answer on SSH within 60s"
}

# Start one host from IMAGE (key and network in place) and wait for SSH.
# The base role's network-namespace settings, which a container cannot set
# from inside (lab/netns-sysctl.conf says why), written from the host into
# the container's network namespace in the file's order: podman's --sysctl
# applies them in no set order, and setting an IPv4 `forwarding` resets
# accept_redirects. Done again at each start: a new boot is a new namespace.
# GW_NETNS_SYSCTL=0 leaves a host as podman makes it (bench/lynis.sh's stock
# host).
netns_sysctl() {
  local name=$1 pid line
  local -a settings=()
  [ "${GW_NETNS_SYSCTL:-1}" != 0 ] || return 0
  pid=$(podman inspect -f '{{.State.Pid}}' "$name")
  while IFS= read -r line; do
    case "$line" in ''|'#'*) ;; *) settings+=("$line") ;; esac
  done <"$GW_ROOT/lab/netns-sysctl.conf"
  nsenter --net="/proc/$pid/ns/net" sysctl -q -w "${settings[@]}" >/dev/null
}

start() {
  local name=$1 ip=$2 net=$3 image=$4
  if ! podman container exists "$name"; then
    # NET_ADMIN: ufw/iptables inside the host. --shm-size: parallel index
    # builds in PostgreSQL need /dev/shm >= maintenance_work_mem.
    # GW_HOST_MEMORY (e.g. 4g) caps the container's memory, page cache
    # included, so a benchmark host behaves like a VM of that size.
    podman run -d --name "$name" --hostname "$name" \
      --network "$net" --ip "$ip" ${GW_HOST_MEMORY:+--memory "$GW_HOST_MEMORY"} \
      --systemd always --cap-add NET_ADMIN --shm-size "${GW_SHM_SIZE:-1g}" \
      --label groundwork.lab=1 "$image" >/dev/null
  elif [ "$(podman inspect -f '{{.State.Running}}' "$name")" != "true" ]; then
    podman start "$name" >/dev/null
  fi
  netns_sysctl "$name"
  # The key is put in place the way cloud-init would on a VM.
  podman exec -i "$name" sh -c 'install -d -m 0700 -o debian -g debian ~debian/.ssh &&
      cat > ~debian/.ssh/authorized_keys && chown debian:debian ~debian/.ssh/authorized_keys &&
      chmod 0600 ~debian/.ssh/authorized_keys' <"$key.pub"
  wait_ssh "$name" "$ip"
}

# Hosts as NAME,IP,NETWORK,SUBNET[,SUITE[,KIND]]: images, key and networks
# first (one at a time, they are shared), then every host boots and is
# waited for side by side.
create_all() {
  local spec name ip net subnet suite kind i rc=0
  local -a names=() ips=() nets=() host_images=() pids=()
  declare -A images=()
  ensure_key
  for spec in "$@"; do
    IFS=, read -r name ip net subnet suite kind <<<"$spec"
    [ -n "$subnet" ] || gw_die "malformed host '$spec' (NAME,IP,NETWORK,SUBNET[,SUITE[,KIND]])"
    suite=${suite:-$GW_SUITE} kind=${kind:-base}
    [ -n "${images[$suite/$kind]:-}" ] || images[$suite/$kind]=$("$GW_ROOT/lab/image.sh" "$suite" "$kind")
    ensure_network "$net" "$subnet"
    names+=("$name") ips+=("$ip") nets+=("$net") host_images+=("${images[$suite/$kind]}")
  done
  for i in "${!names[@]}"; do
    start "${names[$i]}" "${ips[$i]}" "${nets[$i]}" "${host_images[$i]}" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "[lab] ERROR: ${names[$i]} did not start" >&2; rc=1; }
  done
  return $rc
}

cmd=${1:-}; shift || true
case "$cmd" in
  create) { [ $# -ge 4 ] && [ $# -le 6 ]; } || gw_die "usage: $0 create NAME IP NETWORK SUBNET [SUITE [KIND]]"
    create_all "$(IFS=,; echo "$*")" ;;
  create-all) create_all "$@" ;;
  # Lab hosts hold nothing to save: stopped without a grace period, all at once.
  destroy) [ $# -eq 0 ] || podman rm -f -t 0 "$@" >/dev/null 2>&1 || true ;;
  network-rm) for n in "$@"; do podman network rm -f "$n" >/dev/null 2>&1 || true; done ;;
  *) gw_die "usage: $0 create|destroy|network-rm ..." ;;
esac
