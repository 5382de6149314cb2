# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared by the PostgreSQL benchmarks: the bench host of bench/inventory-pg
# and a way to run a command on it. Sourced after lab/env.sh.
inventory=bench/inventory-pg
host=gw-bench-pg
ip=10.213.21.10
network=gw-bench-pg
subnet=10.213.21.0/24

# shellcheck source=bench/ssh.sh
source bench/ssh.sh

# on and on_stdin (bench/ssh.sh) for this host.
on_host() { on "$ip" "$@"; }
on_host_stdin() { on_stdin "$ip" "$@"; }
