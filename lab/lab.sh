#!/usr/bin/env bash
# The local lab: systemd containers standing in for VMs, reached over SSH.
#
#   lab/lab.sh up   [INVENTORY]   install deps, build the image, start the
#                                 inventory's hosts, run site.yml on them
#   lab/lab.sh down [INVENTORY]   remove the inventory's hosts and network
#   lab/lab.sh info [INVENTORY]   print what runs where
#
# INVENTORY defaults to inventories/lab (one all-in-one host); use
# inventories/lab-ha for the multi-host layout. Hosts are those with a
# `lab_ip`; group_vars/all sets `lab_network` and `lab_subnet`. A host's
# `lab_kind` (default base) picks its image: `aio` is the base image with the
# packages site.yml installs on the all-in-one host already in place
# (lab/image/packages-aio.txt), built once and then reused, so a second
# `up` on the same machine skips the installs.
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/env.sh"

action=${1:-up}
inventory=${2:-$GW_ROOT/inventories/lab}

# name ip network subnet suite kind, one line per lab host of the inventory
lab_hosts() {
  ansible-inventory -i "$inventory" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
for name, hv in sorted(inv["_meta"]["hostvars"].items()):
    if "lab_ip" in hv:
        print(name, hv["lab_ip"], hv["lab_network"], hv["lab_subnet"], hv.get("lab_suite", sys.argv[1]),
              hv.get("lab_kind", "base"))
' "$GW_SUITE"
}

info() {
  echo
  echo "groundwork.stack lab ($(basename "$inventory"))"
  printf '  %-12s %-14s %s\n' HOST ADDRESS 'GROUPS / SERVICES (port)'
  # What site.yml starts on each host, from the inventory's groups and variables and the roles' defaults.
  ansible-inventory -i "$inventory" --list 2>/dev/null | python3 "$GW_ROOT/lab/services.py"
  echo
  echo "  SSH:     ssh -i .lab/ssh/id_ed25519 ops@<address>   (or debian@, the bootstrap user)"
  echo "  psql:    ssh -i .lab/ssh/id_ed25519 ops@<address> sudo -u postgres psql   (on a postgres_primary host)"
  echo "  Ansible: ansible-playbook -i ${inventory#"$GW_ROOT"/} site.yml"
  echo "  Console: CONTAINERS_CONF=lab/containers.conf podman exec -it <host> bash"
  echo "  Remove:  bash lab/lab.sh down ${inventory#"$GW_ROOT"/}"
  "$GW_ROOT/lab/apt-cache.sh" status | sed 's/^/  /'
}

case "$action" in
  up)
    "$GW_ROOT/lab/bootstrap.sh"
    "$GW_ROOT/lab/apt-cache.sh" start
    "$GW_ROOT/lab/image.sh" >/dev/null
    mapfile -t specs < <(lab_hosts | tr ' ' ',')
    [ "${#specs[@]}" -gt 0 ] || gw_die "no host with a lab_ip in $inventory"
    gw_log "starting ${#specs[@]} host(s): $(printf '%s ' "${specs[@]%%,*}")"
    # Images first (a layer is built once per recipe), then the hosts side by side.
    "$GW_ROOT/lab/hosts.sh" create-all "${specs[@]}" </dev/null
    cd "$GW_ROOT"
    ansible-playbook -i "$inventory" site.yml
    info
    ;;
  down)
    nets=$(lab_hosts | awk '{print $3}' | sort -u)
    # shellcheck disable=SC2046
    "$GW_ROOT/lab/hosts.sh" destroy $(lab_hosts | awk '{print $1}')
    # shellcheck disable=SC2086
    "$GW_ROOT/lab/hosts.sh" network-rm $nets
    gw_log "lab removed"
    ;;
  info) info ;;
  *) gw_die "usage: $0 up|down|info [INVENTORY]" ;;
esac
