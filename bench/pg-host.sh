# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared by the PostgreSQL benchmarks: the bench host of bench/inventory-pg
# and a way to run a command on it. Sourced after lab/env.sh.
inventory=bench/inventory-pg
host=gw-bench-pg
ip=10.213.21.10
network=gw-bench-pg
subnet=10.213.21.0/24

# One multiplexed SSH connection: the host's firewall rate-limits SSH (ufw
# limit: 6 new connections in 30 s), and the benchmarks run many short commands.
pg_host_ssh=(ssh -i "$GW_STATE/ssh/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o ControlMaster=auto -o ControlPath="$GW_STATE/ssh/cm-bench-%C" -o ControlPersist=600)

# Run a command on the host, its standard input /dev/null (safe inside loops
# that read this shell's input).
on_host() { "${pg_host_ssh[@]}" -n "debian@$ip" "$@"; }

# The same, passing this shell's standard input to the command: use it for
# `... | on_host_stdin "tee FILE"` (with on_host the file would be empty).
on_host_stdin() { "${pg_host_ssh[@]}" "debian@$ip" "$@"; }
