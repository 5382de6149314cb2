#!/usr/bin/env bash
# pgbench, read-write and read-only, on one lab host converged by site.yml,
# with the role's tuned configuration against PostgreSQL's stock settings,
# alternating the two in the same run (ABAB) to spread the machine's noise.
# Prints a table and writes bench/results/pgbench-<timestamp>.json.
#
#   GW_BENCH_SCALE=100 GW_BENCH_SECONDS=45 GW_BENCH_ROUNDS=2 bench/pgbench.sh
#   GW_BENCH_MODES=rw GW_BENCH_SECONDS=240 bench/pgbench.sh   # long enough for checkpoints
#   GW_BENCH_VARIANT="wal_compression = off" bench/pgbench.sh  # a third config: tuned plus these lines
#   GW_BENCH_PROTOCOL=prepared bench/pgbench.sh   # pgbench -M prepared (default: simple)
#   GW_BENCH_PREWARM=0 bench/pgbench.sh           # skip pg_prewarm after each restart
#   GW_BENCH_HUGE_PAGES=1 GW_BENCH_VARIANT="huge_pages = on" bench/pgbench.sh
#
# GW_BENCH_HUGE_PAGES=1 reserves 2 MB huge pages on this machine (the
# containers share its kernel; vm.nr_hugepages cannot be set from inside
# one) for the variant's runs only, as many as the server reports in
# shared_memory_size_in_huge_pages, and releases them before the stock and
# tuned runs (whose huge_pages = try would otherwise use them too) and at
# exit. That is what a VM's sysctl would give PostgreSQL.
#
# Every configuration switch restarts PostgreSQL, which empties
# shared_buffers. Unless GW_BENCH_PREWARM=0, each run then starts from
# pg_prewarm of the pgbench tables and indexes (as many blocks as
# shared_buffers holds, for both configurations), so a run measures the
# steady state of a server that has been up for a while rather than how fast
# a cold 1 GB cache fills.
#
# Each run also records the checkpoints it caused (pg_stat_checkpointer:
# timed and requested, i.e. forced by max_wal_size) and the WAL it wrote.
#
# GW_BENCH_MEMORY=4GB makes the bench host a 4 GB machine: the container's
# memory (page cache included) is capped and the role plans for that size.
# Without it the container sees the whole machine's RAM and page cache, and
# the data set is always cached whatever shared_buffers is.
#
# GW_BENCH_WRITE_IOPS / GW_BENCH_WRITE_MBPS (e.g. 3000 and 125, a gp3
# volume's baseline) throttle the host's writes to the machine's disk for the
# runs (cgroup v1 blkio; set after pgbench's initialisation). They reach what
# PostgreSQL writes and syncs itself (WAL fdatasync, checkpoint fsync), which
# is what a slow volume slows down; the lab's local disk otherwise never is
# the limit.
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$GW_ROOT"
# shellcheck source=bench/pg-host.sh
source bench/pg-host.sh
# shellcheck source=bench/cgroup.sh
source bench/cgroup.sh

scale=${GW_BENCH_SCALE:-100}
seconds=${GW_BENCH_SECONDS:-45}
rounds=${GW_BENCH_ROUNDS:-2}
clients=${GW_BENCH_CLIENTS:-8}
modes=${GW_BENCH_MODES:-rw ro}
protocol=${GW_BENCH_PROTOCOL:-simple}
prewarm=${GW_BENCH_PREWARM:-1}
case $protocol in simple | extended | prepared) ;; *) gw_die "GW_BENCH_PROTOCOL must be simple, extended or prepared" ;; esac
variant=${GW_BENCH_VARIANT:-}
configs="stock tuned${variant:+ variant}"
huge_pages=${GW_BENCH_HUGE_PAGES:-}
huge_pages_before=$(cat /proc/sys/vm/nr_hugepages)
if [ -n "$huge_pages" ]; then
  [ -n "$variant" ] || gw_die "GW_BENCH_HUGE_PAGES applies to the variant: set GW_BENCH_VARIANT (e.g. huge_pages = on)"
  trap 'echo "$huge_pages_before" >/proc/sys/vm/nr_hugepages' EXIT
fi
mkdir -p bench/results
out="bench/results/pgbench-$(date -u +%Y%m%dT%H%M%SZ).json"
conf_d=/etc/postgresql/17/main/conf.d


"$GW_ROOT/lab/apt-cache.sh" start
"$GW_ROOT/lab/hosts.sh" destroy "$host"
memory=${GW_BENCH_MEMORY:-}
extra=()
if [ -n "$memory" ]; then
  # podman wants 4g, the role 4GB.
  GW_HOST_MEMORY=$(printf '%s' "${memory%[Bb]}" | tr 'GM' 'gm')
  export GW_HOST_MEMORY
  extra=(-e "postgresql_memory_budget=$memory")
fi
"$GW_ROOT/lab/hosts.sh" create "$host" "$ip" "$network" "$subnet"
gw_log "converging $host with site.yml${memory:+ as a $memory host}"
ansible-playbook -i "$inventory" "${extra[@]}" site.yml >/dev/null

gw_log "initialising pgbench at scale $scale"
on_host "sudo -u postgres createdb bench 2>/dev/null || true"
on_host "sudo -u postgres pgbench -q -i -s $scale bench" >/dev/null 2>&1
on_host "sudo -u postgres psql -X -q -d bench -c 'CREATE EXTENSION IF NOT EXISTS pg_prewarm'"

write_iops=${GW_BENCH_WRITE_IOPS:-}
write_mbps=${GW_BENCH_WRITE_MBPS:-}
if [ -n "$write_iops$write_mbps" ]; then
  # The block device under the container storage, and the container's blkio
  # cgroup (podman 4.3 with runc does not apply --device-write-* on update).
  source_dev=$(findmnt -no SOURCE --target "$(podman info -f '{{.Store.GraphRoot}}')")
  parent=$(lsblk -no PKNAME "$source_dev" 2>/dev/null | head -1)
  disk=${parent:+/dev/$parent}
  disk=${disk:-$source_dev}
  majmin=$(lsblk -dno MAJ:MIN "$disk" 2>/dev/null | tr -d ' ')
  [ -n "$majmin" ] || gw_die "cannot find the disk under podman's storage (got $disk)"
  blkio=$(container_cgroup "$host" blkio) || gw_die "no cgroup v1 blkio directory for $host: GW_BENCH_WRITE_* needs cgroup v1"
  [ -z "$write_iops" ] || echo "$majmin $write_iops" >"$blkio/blkio.throttle.write_iops_device"
  [ -z "$write_mbps" ] || echo "$majmin $((write_mbps * 1000000))" >"$blkio/blkio.throttle.write_bps_device"
  gw_log "writes to $disk ($majmin) throttled to ${write_iops:-unlimited} IOPS, ${write_mbps:-unlimited} MB/s"
fi

# PostgreSQL 17's built-in defaults for everything the role tunes.
stock_conf="# bench: PostgreSQL defaults for the settings the role tunes
shared_buffers = '128MB'
effective_cache_size = '4GB'
maintenance_work_mem = '64MB'
work_mem = '4MB'
wal_buffers = -1
min_wal_size = '80MB'
max_wal_size = '1GB'
checkpoint_completion_target = 0.9
default_statistics_target = 100
random_page_cost = 4
effective_io_concurrency = 1
huge_pages = 'try'
jit = on
wal_compression = off
max_connections = 100"

# reserve_huge_pages N: set the machine's pool to N pages and check it took.
reserve_huge_pages() {
  echo "$1" >/proc/sys/vm/nr_hugepages
  [ "$(cat /proc/sys/vm/nr_hugepages)" -ge "$1" ] || gw_die "could reserve only $(cat /proc/sys/vm/nr_hugepages) of $1 huge pages"
}

use_config() {
  if [ -n "$huge_pages" ]; then
    if [ "$1" = variant ]; then
      # The server is up with the previous configuration's (tuned's) sizes.
      local needed
      needed=$(on_host "sudo -u postgres psql -X -A -t -c 'SHOW shared_memory_size_in_huge_pages'")
      on_host "sudo systemctl stop postgresql@17-main"
      reserve_huge_pages "$needed"
      gw_log "variant: $needed huge pages reserved on the machine"
    else
      on_host "sudo systemctl stop postgresql@17-main"
      reserve_huge_pages "$huge_pages_before"
    fi
  fi
  on_host "sudo rm -f $conf_d/99-bench-stock.conf $conf_d/99-bench-variant.conf"
  case $1 in
    stock) printf '%s\n' "$stock_conf" | on_host_stdin "sudo tee $conf_d/99-bench-stock.conf >/dev/null" ;;
    variant) printf '# bench: the tuned configuration plus\n%s\n' "$variant" \
      | on_host_stdin "sudo tee $conf_d/99-bench-variant.conf >/dev/null" ;;
  esac
  on_host "sudo systemctl restart postgresql@17-main"
  # What the bench files set must be what PostgreSQL runs with: stock and the
  # variant are checked against pg_settings, and tuned must have none of them.
  applied=$(on_host "sudo -u postgres psql -X -A -t -c \"SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE sourcefile LIKE '%/99-bench-%'\"")
  case $1 in
    tuned) [ -z "$applied" ] || gw_die "bench settings left in the tuned configuration: $applied" ;;
    *) [ -n "$applied" ] || gw_die "the $1 configuration's settings did not take effect"
       gw_log "$1 configuration in effect: $applied" ;;
  esac
  # Warm the caches the same way for both. pg_prewarm reads through the
  # page cache into shared_buffers; without it, one read pass over the
  # table fills the page cache only (a large scan uses a small ring buffer).
  if [ "$prewarm" = 1 ]; then
    # Heap first, then the index that every transaction walks, so that what
    # stays in a small shared_buffers is the index's last-read part.
    local blocks
    blocks=$(on_host "sudo -u postgres psql -X -A -t -d bench -c \"SELECT sum(pg_prewarm(c)) FROM unnest(ARRAY['pgbench_accounts','pgbench_branches','pgbench_tellers','pgbench_accounts_pkey','pgbench_branches_pkey','pgbench_tellers_pkey']::regclass[]) AS c\"")
    gw_log "$1: pg_prewarm read $blocks blocks"
  else
    on_host "sudo -u postgres psql -X -q -d bench -c 'SELECT count(*) FROM pgbench_accounts' >/dev/null"
  fi
  [ -z "$huge_pages" ] || gw_log "$1: huge pages in use on the machine: $(awk '/HugePages_Total/{t=$2} /HugePages_Free/{f=$2} END{print t-f " of " t}' /proc/meminfo)"
}

# Checkpoints so far (timed, requested) and the current WAL position in bytes.
counters() {
  on_host "sudo -u postgres psql -X -A -t -F ' ' -c \"SELECT num_timed, num_requested, pg_current_wal_lsn() - '0/0' FROM pg_stat_checkpointer\""
}

# run MODE -> "tps timed_checkpoints requested_checkpoints wal_mb"
run() {
  local flags="" tps before after
  [ "$1" = ro ] && flags="-S"
  before=$(counters)
  tps=$(on_host "sudo -u postgres pgbench -n $flags -M $protocol -c $clients -j 2 -T $seconds bench" \
    | awk '/^tps = /{print $3; exit}')
  after=$(counters)
  read -r t0 r0 w0 <<<"$before"
  read -r t1 r1 w1 <<<"$after"
  echo "$tps $((t1 - t0)) $((r1 - r0)) $(((w1 - w0) / 1048576))"
}

results="[]"
for round in $(seq 1 "$rounds"); do
  for config in $configs; do
    use_config "$config"
    for mode in $modes; do
      read -r tps timed requested wal_mb < <(run "$mode")
      gw_log "round $round $config $mode: $tps tps, checkpoints $timed timed + $requested requested, WAL $wal_mb MB"
      results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"round": int(sys.argv[2]), "config": sys.argv[3], "mode": sys.argv[4], "tps": float(sys.argv[5]), "checkpoints_timed": int(sys.argv[6]), "checkpoints_requested": int(sys.argv[7]), "wal_mb": int(sys.argv[8])}); print(json.dumps(r))' \
        "$results" "$round" "$config" "$mode" "$tps" "$timed" "$requested" "$wal_mb")
    done
  done
done
tuned_settings=$(on_host "sudo -u postgres psql -X -A -t -c \"SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers','work_mem','max_wal_size','effective_io_concurrency','random_page_cost','wal_compression','jit')\"")
"$GW_ROOT/lab/hosts.sh" destroy "$host"
"$GW_ROOT/lab/hosts.sh" network-rm "$network"

python3 - "$results" "$out" "$scale" "$seconds" "$clients" "$tuned_settings" "$memory" "$variant" "$write_iops" "$write_mbps" "$protocol" "$prewarm" "$huge_pages" <<'PY'
import json, statistics, sys
rows = json.loads(sys.argv[1])
variant = sys.argv[8]
summary = {}
for mode in sorted({r["mode"] for r in rows}, key=("rw", "ro").index):
    tps = {c: statistics.mean(r["tps"] for r in rows if r["mode"] == mode and r["config"] == c)
           for c in ("stock", "tuned", "variant") if any(r["config"] == c for r in rows)}
    summary[mode] = {"%s_tps" % c: round(v, 1) for c, v in tps.items()}
    summary[mode]["ratio"] = round(tps["tuned"] / tps["stock"], 2)
    if "variant" in tps:
        summary[mode]["variant_ratio"] = round(tps["variant"] / tps["stock"], 2)
json.dump({"bench": "pgbench", "host_memory": sys.argv[7] or None, "scale": int(sys.argv[3]), "seconds": int(sys.argv[4]), "clients": int(sys.argv[5]),
           "tuned_settings": sys.argv[6], "variant": variant or None,
           "write_iops": int(sys.argv[9]) if sys.argv[9] else None, "write_mbps": int(sys.argv[10]) if sys.argv[10] else None,
           "protocol": sys.argv[11], "prewarm": sys.argv[12] == "1", "variant_huge_pages": sys.argv[13] == "1", "runs": rows, "summary": summary},
          open(sys.argv[2], "w"), indent=2)
print("\npgbench scale %s, %s clients, %ss per run, -M %s, %s, mean of rounds, host memory %s"
      % (sys.argv[3], sys.argv[5], sys.argv[4], sys.argv[11], "prewarmed" if sys.argv[12] == "1" else "cold start",
         sys.argv[7] or "uncapped"))
if sys.argv[9] or sys.argv[10]:
    print("writes throttled to %s IOPS, %s MB/s" % (sys.argv[9] or "unlimited", sys.argv[10] or "unlimited"))
print("%-12s %12s %12s %8s %12s %8s" % ("mode", "stock tps", "tuned tps", "ratio", "variant tps" if variant else "", "ratio" if variant else ""))
for mode, s in summary.items():
    line = "%-12s %12.1f %12.1f %8.2f" % ({"rw": "read-write", "ro": "read-only"}[mode], s["stock_tps"], s["tuned_tps"], s["ratio"])
    if variant:
        line += " %12.1f %8.2f" % (s["variant_tps"], s["variant_ratio"])
    print(line)
print("tuned:", sys.argv[6])
if variant:
    print("variant: tuned plus", variant.replace("\n", "; "))
print("written to", sys.argv[2])
PY
