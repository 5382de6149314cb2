#!/usr/bin/env bash
# Replication figures on three lab hosts converged by site.yml (synchronous
# quorum replication, ANY 1 of the two replicas):
#
# 1. Failover time: a client on the controller writes continuously through a
#    libpq multi-host DSN (target_session_attrs=read-write); the primary's
#    container is killed; the time from the start of failover.yml to the
#    first write the new primary acknowledges. Then rebuild_host.yml brings
#    the old primary back as a replica for the next round.
# 2. Replica rebuild: clone throughput of postgresql_standby (pg_basebackup
#    -X stream, fast checkpoint, over TLS) against a raw tar copy of the same
#    data directory between the same two hosts, alternated (ABAB).
#
# Prints a table and writes bench/results/replication-<timestamp>.json (the
# playbook logs go next to it, in replication-<timestamp>.d/).
#   GW_BENCH_SCALE=30 GW_BENCH_ROUNDS=2 bench/replication.sh
#   GW_BENCH_REUSE=1 bench/replication.sh     # hosts already up and converged: skip creating them
#   GW_BENCH_FAILOVER_ROUNDS=0 ...            # only the rebuild figures
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$GW_ROOT"

inventory=bench/inventory-repl
names=(gw-bench-repl-db1 gw-bench-repl-db2 gw-bench-repl-db3)
ips=(10.213.24.11 10.213.24.12 10.213.24.13)
network=gw-bench-repl
subnet=10.213.24.0/24
scale=${GW_BENCH_SCALE:-30}
rounds=${GW_BENCH_ROUNDS:-2}
failover_rounds=${GW_BENCH_FAILOVER_ROUNDS:-$rounds}
data_dir=/var/lib/postgresql/17/main
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/replication-$stamp.json"
work="$GW_ROOT/bench/results/replication-$stamp.d"
mkdir -p "$work"

# Hosts are killed and rebuilt here: no multiplexed connections (bench/ssh.sh).
GW_BENCH_SSH_MUX=0
# shellcheck source=bench/ssh.sh
source bench/ssh.sh
ip_of() { local i; for i in "${!names[@]}"; do if [ "${names[$i]}" = "$1" ]; then echo "${ips[$i]}"; fi; done; }
name_of() { local i; for i in "${!ips[@]}"; do if [ "${ips[$i]}" = "$1" ]; then echo "${names[$i]}"; fi; done; }
now() { date +%s.%N; }

"$GW_ROOT/lab/apt-cache.sh" start
if [ "${GW_BENCH_REUSE:-0}" != 1 ]; then
  rm -f "$inventory/.postgresql-topology.yml"
  "$GW_ROOT/lab/hosts.sh" destroy "${names[@]}"
  for i in "${!names[@]}"; do
    "$GW_ROOT/lab/hosts.sh" create "${names[$i]}" "${ips[$i]}" "$network" "$subnet"
  done
  gw_log "converging ${names[*]} with site.yml"
  ansible-playbook -i "$inventory" site.yml >"$work/converge.log"
fi

export PGPASSFILE="$work/pgpass"
install -m 0600 /dev/null "$PGPASSFILE"
echo "*:*:app:app:bench-app-secret" >"$PGPASSFILE"
dsn="host=$(IFS=,; echo "${ips[*]}") dbname=app user=app sslmode=verify-full sslrootcert=$inventory/.pki/groundwork-ca.crt"
dsn="$dsn target_session_attrs=read-write connect_timeout=1 tcp_user_timeout=2000"
psql "$dsn" -X -q -c 'CREATE TABLE IF NOT EXISTS bench_writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())'

writer() {  # appends the time of every acknowledged write to $1 until $2 exists
  while [ ! -e "$2" ]; do
    if psql "$dsn" -X -q -c 'INSERT INTO bench_writes DEFAULT VALUES' >/dev/null 2>&1; then now >>"$1"; fi
    sleep 0.02
  done
}

failover_json=()
for round in $(seq 1 "$failover_rounds"); do
  primary=$(name_of "$(psql "$dsn" -X -A -t -c 'SELECT host(inet_server_addr())')")
  log="$work/writes-$round" stop="$work/stop-$round"
  : >"$log"
  writer "$log" "$stop" &
  writer_pid=$!
  sleep 3
  gw_log "round $round: killing the primary $primary"
  podman kill "$primary" >/dev/null
  t0=$(now)
  ansible-playbook -i "$inventory" playbooks/failover.yml >"$work/failover-$round.log"
  t1=$(now)
  for _ in $(seq 1 120); do
    first=$(awk -v t0="$t0" '$1 > t0 { print; exit }' "$log")
    [ -n "$first" ] && break
    sleep 0.5
  done
  touch "$stop"; wait "$writer_pid"
  [ -n "$first" ] || gw_die "no write succeeded within 60 s after failover.yml"
  new=$(name_of "$(psql "$dsn" -X -A -t -c 'SELECT host(inet_server_addr())')")
  to_write=$(echo "$first - $t0" | bc)
  playbook=$(echo "$t1 - $t0" | bc)
  printf 'failover %d: %s -> %s, first write after %.1f s, failover.yml %.1f s\n' "$round" "$primary" "$new" "$to_write" "$playbook"
  failover_json+=("{\"round\": $round, \"old\": \"$primary\", \"new\": \"$new\", \"first_write_s\": $to_write, \"playbook_s\": $playbook}")
  gw_log "bringing $primary back as a replica"
  "$GW_ROOT/lab/hosts.sh" create "$primary" "$(ip_of "$primary")" "$network" "$subnet"
  ansible-playbook -i "$inventory" playbooks/rebuild_host.yml -e rebuild_host="$primary" >"$work/rebuild-$round.log"
done

primary=$(name_of "$(psql "$dsn" -X -A -t -c 'SELECT host(inet_server_addr())')")
primary_ip=$(ip_of "$primary")
for name in "${names[@]}"; do if [ "$name" != "$primary" ]; then victim=$name; break; fi; done
victim_ip=$(ip_of "$victim")
gw_log "filling the primary $primary with pgbench data at scale $scale"
on "$primary_ip" "sudo -u postgres pgbench -q -i -s $scale app" >/dev/null 2>&1
on "$primary_ip" "sudo -u postgres psql -X -q -c CHECKPOINT"
bytes=$(on "$primary_ip" "sudo du -sb $data_dir" | cut -f1)

wipe_victim() {
  on "$victim_ip" "sudo systemctl stop postgresql@17-main && sudo rm -rf $data_dir /tmp/rawcopy"
}
clone() {  # postgresql_standby clones the wiped replica; prints its pg_basebackup seconds
  wipe_victim
  ansible-playbook -i "$inventory" bench/replication-clone.yml -e bench_host="$victim" -e bench_out="$work/clone.json" >/dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"]["copy"])' "$work/clone.json"
}
raw_copy() {  # tar of the same data directory from the primary into the replica, through the controller
  wipe_victim
  on "$victim_ip" "sudo install -d -m 0700 /tmp/rawcopy"
  local t0 t1
  t0=$(now)
  podman exec "$primary" tar -C "$data_dir" -cf - . | podman exec -i "$victim" tar -C /tmp/rawcopy -xf -
  t1=$(now)
  echo "$t1 - $t0" | bc
}

clone_json=()
for round in $(seq 1 "$rounds"); do
  for variant in clone raw; do
    if [ "$variant" = clone ]; then s=$(clone); else s=$(raw_copy); fi
    mbps=$(echo "scale=1; $bytes / 1048576 / $s" | bc)
    printf 'rebuild %d %-5s %6.1f s  %7.1f MB/s  (%d MB)\n' "$round" "$variant" "$s" "$mbps" "$((bytes / 1048576))"
    clone_json+=("{\"round\": $round, \"variant\": \"$variant\", \"seconds\": $s, \"mb_per_s\": $mbps}")
  done
done
clone >/dev/null   # leave the replica as a streaming standby

{
  echo "{\"date\": \"$stamp\", \"scale\": $scale, \"data_bytes\": $bytes,"
  echo " \"failover\": [$(IFS=,; echo "${failover_json[*]}")],"
  echo " \"rebuild\": [$(IFS=,; echo "${clone_json[*]}")]}"
} >"$out"
gw_log "results in $out"
