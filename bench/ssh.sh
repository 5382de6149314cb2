# shellcheck shell=bash
# Running commands on the bench hosts, for every script in bench/. Sourced
# after lab/env.sh.
#
#   on IP COMMAND...        standard input is /dev/null: safe inside loops that
#                           read this shell's input
#   on_stdin IP COMMAND...  passes this shell's standard input to the command:
#                           use it for `... | on_stdin IP "sudo tee FILE"` and
#                           for secrets (with `on`, tee would write an empty
#                           file: that once made bench/pgbench.sh compare the
#                           tuned configuration with itself)
#
# One multiplexed SSH connection per host: the hosts' firewall rate-limits
# SSH (ufw limit: 6 new connections in 30 s) and benchmarks run many short
# commands. The master connections belong to this run (the control path
# names the script's PID) and end a minute after their last use, so a later
# run that recreates a host at the same address never reuses a connection to
# the old one. A script that kills or recreates hosts while it runs sets
# GW_BENCH_SSH_MUX=0 before sourcing this file, for the same reason.
bench_ssh=(ssh -i "$GW_STATE/ssh/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
if [ "${GW_BENCH_SSH_MUX:-1}" = 1 ]; then
  bench_ssh+=(-o ControlMaster=auto -o ControlPath="$GW_STATE/ssh/cm-bench-$$-%C" -o ControlPersist=60)
fi

on() {
  local ip=$1
  shift
  "${bench_ssh[@]}" -n "debian@$ip" "$@"
}

on_stdin() {
  local ip=$1
  shift
  "${bench_ssh[@]}" "debian@$ip" "$@"
}
