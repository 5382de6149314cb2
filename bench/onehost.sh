# shellcheck shell=bash
# One lab host for a benchmark that times a playbook on it (bench/zipcache.sh,
# bench/controller-cache.sh). Sourced after lab/env.sh and bench/cgroup.sh,
# from the repository root.
#
#   bench_one_host NAME IP NETWORK SUBNET KIND INVENTORY
#       builds the images it needs, creates host NAME afresh from image KIND
#       (base or pg), writes INVENTORY (SSH as the bootstrap user, with sudo,
#       as an operator's run) and prints the host's cpuacct cgroup directory;
#       everything else goes to stderr. The caller removes the host.
bench_one_host() {
  local name=$1 ip=$2 net=$3 subnet=$4 kind=$5 inventory=$6
  {
    lab/bootstrap.sh
    lab/apt-cache.sh start
    lab/image.sh >/dev/null
    [ "$kind" = base ] || lab/image.sh "$GW_SUITE" "$kind" >/dev/null
    lab/hosts.sh destroy "$name"
    lab/hosts.sh create "$name" "$ip" "$net" "$subnet" "$GW_SUITE" "$kind"
  } >&2
  cat >"$inventory" <<EOI
$name ansible_host=$ip ansible_user=debian ansible_become=true ansible_python_interpreter=/usr/bin/python3 ansible_ssh_private_key_file=$GW_STATE/ssh/id_ed25519 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlMaster=auto -o ControlPersist=120s'
EOI
  container_cgroup "$name" cpuacct || gw_die "no cpuacct cgroup for $name"
}
