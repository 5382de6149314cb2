#!/usr/bin/env bash
# Backup and restore throughput of pgBackRest (as the pgbackrest role sets it
# up: zstd level 3, AES-256 encrypted repository on a backup host over SSH,
# process-max 2) against a raw copy of the same data directory between the
# same two hosts (tar over the same SSH trust), alternating the variants in
# each round (ABAB) to spread the machine's noise.
# Prints a table and writes bench/results/backup-<timestamp>.json.
#
#   GW_BENCH_SCALE=30 GW_BENCH_ROUNDS=2 bench/backup.sh
#   GW_BENCH_DATA=random GW_BENCH_SCALE=30 bench/backup.sh
# Data sets: pgbench (pgbench -i at the scale: highly compressible filler)
# or random (40 000 x scale rows of 480 random bytes: incompressible).
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$GW_ROOT"

inventory=bench/inventory-bk
db=gw-bench-bk-db; db_ip=10.213.27.10
repo=gw-bench-bk-repo; repo_ip=10.213.27.20
network=gw-bench-bk; subnet=10.213.27.0/24
scale=${GW_BENCH_SCALE:-30}
dataset=${GW_BENCH_DATA:-pgbench}
rounds=${GW_BENCH_ROUNDS:-2}
data=/var/lib/postgresql/17/main
scratch=/var/lib/postgresql/bench-restore
mkdir -p bench/results
out="bench/results/backup-$(date -u +%Y%m%dT%H%M%SZ).json"

# shellcheck source=bench/ssh.sh
source bench/ssh.sh
# seconds COMMAND... : wall time of a command on a host, as a float
seconds() {
  local ip=$1; shift
  on "$ip" "s=\$(date +%s.%N); $*; e=\$(date +%s.%N); python3 -c \"print(round(\$e - \$s, 2))\""
}

"$GW_ROOT/lab/apt-cache.sh" start
"$GW_ROOT/lab/hosts.sh" destroy "$db" "$repo"
"$GW_ROOT/lab/hosts.sh" create "$db" "$db_ip" "$network" "$subnet"
"$GW_ROOT/lab/hosts.sh" create "$repo" "$repo_ip" "$network" "$subnet"
gw_log "converging the bench hosts with site.yml"
ansible-playbook -i "$inventory" site.yml > "$GW_STATE/bench-backup-converge.log" || { tail -40 "$GW_STATE/bench-backup-converge.log"; exit 1; }

gw_log "generating the data set: $dataset, scale $scale"
on "$db_ip" "sudo -u postgres createdb bench"
if [ "$dataset" = random ]; then
  on "$db_ip" "sudo -u postgres psql -X -q -d bench -c \"CREATE TABLE blobs AS SELECT g AS id,
    decode((SELECT string_agg(md5(random()::text || g::text || d::text), '') FROM generate_series(1, 30) AS d), 'hex') AS payload
    FROM generate_series(1, 40000 * $scale) AS g\""
else
  on "$db_ip" "sudo -u postgres pgbench -q -i -s $scale bench >/dev/null 2>&1"
fi
on "$db_ip" "sudo -u postgres psql -X -q -c CHECKPOINT"
bytes=$(on "$db_ip" "sudo du -sb $data | cut -f1")
mb=$(python3 -c "print(round($bytes / 1048576, 1))")
gw_log "data directory: $mb MB"

results="[]"
add() {  # variant direction seconds
  results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"round": int(sys.argv[2]), "variant": sys.argv[3], "direction": sys.argv[4], "seconds": float(sys.argv[5])}); print(json.dumps(r))' \
    "$results" "$round" "$1" "$2" "$3")
  gw_log "round $round $1 $2: $3 s"
}
for round in $(seq 1 "$rounds"); do
  # pgBackRest: full backup from the repository host, restore on the database host into a scratch directory.
  t=$(seconds "$repo_ip" "sudo systemctl start pgbackrest-backup@full.service")
  add pgbackrest backup "$t"
  on "$db_ip" "sudo rm -rf $scratch && sudo install -d -o postgres -g postgres -m 0700 $scratch"
  t=$(seconds "$db_ip" "sudo -u postgres pgbackrest --stanza=main --pg1-path=$scratch --log-level-console=warn restore")
  add pgbackrest restore "$t"
  # Raw copy: the same data directory as a tar stream over the same SSH trust, and back.
  t=$(seconds "$db_ip" "sudo -u postgres sh -c 'tar -C $data -cf - . | ssh pgbackrest@$repo_ip \"cat > /var/lib/pgbackrest/raw.tar\"'")
  add raw backup "$t"
  on "$db_ip" "sudo rm -rf $scratch && sudo install -d -o postgres -g postgres -m 0700 $scratch"
  t=$(seconds "$db_ip" "sudo -u postgres sh -c 'ssh pgbackrest@$repo_ip \"cat /var/lib/pgbackrest/raw.tar\" | tar -C $scratch -xf -'")
  add raw restore "$t"
  on "$repo_ip" "sudo rm -f /var/lib/pgbackrest/raw.tar"
done
repo_bytes=$(on "$repo_ip" "sudo pgbackrest --stanza=main --output=json info" \
  | python3 -c 'import json,sys; b=json.load(sys.stdin)[0]["backup"][-1]["info"]["repository"]; print(b["delta"])')
"$GW_ROOT/lab/hosts.sh" destroy "$db" "$repo"
"$GW_ROOT/lab/hosts.sh" network-rm "$network"

python3 - "$results" "$out" "$scale" "$bytes" "$repo_bytes" "$dataset" <<'PY'
import json, statistics, sys
rows = json.loads(sys.argv[1])
mb = int(sys.argv[4]) / 1048576
summary = {}
for variant in ("pgbackrest", "raw"):
    for direction in ("backup", "restore"):
        secs = statistics.mean(r["seconds"] for r in rows if r["variant"] == variant and r["direction"] == direction)
        summary["%s_%s" % (variant, direction)] = {"seconds": round(secs, 1), "mb_per_s": round(mb / secs, 1)}
json.dump({"bench": "backup", "dataset": sys.argv[6], "scale": int(sys.argv[3]), "data_dir_bytes": int(sys.argv[4]),
           "repo_backup_bytes": int(sys.argv[5]), "runs": rows, "summary": summary}, open(sys.argv[2], "w"), indent=2)
print("\n%s data set, scale %s: data directory %.0f MB, last full backup %.0f MB in the repository (zstd 3 + AES-256)"
      % (sys.argv[6], sys.argv[3], mb, int(sys.argv[5]) / 1048576))
print("%-12s %-8s %10s %10s" % ("variant", "step", "seconds", "MB/s"))
for key, s in summary.items():
    variant, direction = key.split("_")
    print("%-12s %-8s %10.1f %10.1f" % (variant, direction, s["seconds"], s["mb_per_s"]))
print("written to", sys.argv[2])
PY
