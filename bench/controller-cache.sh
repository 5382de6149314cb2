#!/usr/bin/env bash
# What the lab controller's hooks save. One lab host from the `pg` layer
# gets the postgresql role once; then the same no-op run of the role with
# the lever off and on, alternating which goes first, for GW_BENCH_ROUNDS
# rounds (the caches filled by a warm-up run, as after the first run of a
# suite). The lever, the first argument:
#   caches       (default) lab/venv/gw_ansiballz_cache.py (module payloads
#                kept between runs) and lab/image/gw_zipcache.py in the venv
#                (bytecode of the modules run on the controller), both off/on;
#   fork-freeze  lab/venv/gw_fork_freeze.py (the garbage collector kept off
#                the objects alive when a task's worker is forked), off/on,
#                with the caches on for both.
# Reports the controller's CPU (user + system of ansible-playbook and
# everything it started), the host container's CPU (cgroup cpuacct) and the
# wall time, their medians and the paired on/off ratios, and writes
# bench/results/controller-<lever>-<timestamp>.json. A measurement, not a
# test.
#
#   bench/controller-cache.sh [caches|fork-freeze]
#   GW_BENCH_ROUNDS=5 bench/controller-cache.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$root/lab/env.sh"
# shellcheck source=bench/cgroup.sh
source "$root/bench/cgroup.sh"
# shellcheck source=bench/onehost.sh
source "$root/bench/onehost.sh"
cd "$root"

lever=${1:-caches}
case $lever in caches | fork-freeze) ;; *) gw_die "usage: $0 [caches|fork-freeze]" ;; esac
rounds=${GW_BENCH_ROUNDS:-4}
name=gw-bench-ctlcache
ip=10.213.30.10
net=gw-bench-ctlcache
subnet=10.213.30.0/24
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/controller-$lever-$stamp.json"
work=$(mktemp -d)
trap 'rm -rf "$work"; lab/hosts.sh destroy "$name" >/dev/null 2>&1 || true; lab/hosts.sh network-rm "$net"' EXIT

cgroup=$(bench_one_host "$name" "$ip" "$net" "$subnet" pg "$work/inventory.ini")

cat >"$work/playbook.yml" <<EOF
- name: The postgresql role on one host
  hosts: all
  become: true
  vars:
    postgresql_ca_dir: $work/pki
    postgresql_memory_budget: 1GB
    postgresql_users: [{name: app, password: bench-app-Secret-1}]
    postgresql_databases: [{name: app, owner: app, extensions: [vector]}]
  roles:
    - role: groundwork.stack.postgresql
EOF

run() {  # on|off; prints "controller_cpu container_cpu wall tasks"
  local before after t0 t1 cache="$work/ansiballz" zip="$work/zipimport" freeze=0
  if [ "$lever" = caches ]; then
    [ "$1" = on ] || cache="" zip=""
  else
    [ "$1" = off ] || freeze=1
  fi
  install -d -m 0700 "$work/ansiballz" "$work/zipimport"
  before=$(cat "$cgroup/cpuacct.usage"); t0=$(date +%s%N)
  GW_ANSIBALLZ_CACHE="$cache" GW_ZIPIMPORT_CACHE="$zip" GW_FORK_FREEZE=$freeze /usr/bin/time -f '%U %S' -o "$work/time" \
    ansible-playbook -i "$work/inventory.ini" "$work/playbook.yml" >"$work/run.log" 2>&1 \
    || { tail -20 "$work/run.log" >&2; gw_die "the benchmark playbook failed"; }
  t1=$(date +%s%N); after=$(cat "$cgroup/cpuacct.usage")
  grep -q 'changed=0 ' "$work/run.log" || [ "${2:-}" = converge ] || gw_die "a benchmark run changed something"
  awk -v c=$((after - before)) -v w=$((t1 - t0)) -v n="$(grep -cE '^(ok|changed|skipping): ' "$work/run.log")" \
    '{ printf "%.3f %.3f %.3f %d\n", $1 + $2, c / 1e9, w / 1e9, n }' "$work/time"
}

gw_log "converging the host once"
run on converge >/dev/null
run on >/dev/null  # warm-up: fills both caches
results=()
for r in $(seq 1 "$rounds"); do
  order=(off on); [ $((r % 2)) -eq 0 ] && order=(on off)
  for v in "${order[@]}"; do
    read -r ctl host wall tasks < <(run "$v")
    gw_log "round $r, $lever $v: controller CPU ${ctl} s, host CPU ${host} s, wall ${wall} s ($tasks task results)"
    results+=("$r $v $ctl $host $wall $tasks")
  done
done

printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
keys = ("controller_cpu_s", "host_cpu_s", "wall_s")
by = {"on": {}, "off": {}}
for r, v, ctl, host, wall, tasks in rows:
    by[v][int(r)] = (float(ctl), float(host), float(wall))
out = {"lever": sys.argv[2], "task_results": int(rows[0][5]), "rounds": len(by["on"]),
       "runs": [dict(zip(("round", "lever_on_off") + keys, (int(r), v, float(c), float(h), float(w))))
                for r, v, c, h, w, _ in rows]}
for v in ("off", "on"):
    for i, k in enumerate(keys):
        out["median_%s_%s" % (k, v)] = statistics.median(x[i] for x in by[v].values())
for i, k in enumerate(keys):
    out["paired_ratio_on_off_" + k] = round(statistics.median(by["on"][r][i] / by["off"][r][i] for r in by["on"]), 3)
json.dump(out, open(sys.argv[1], "w"), indent=1)
print("task results per run: %d, rounds: %d" % (out["task_results"], out["rounds"]))
for v in ("off", "on"):
    print("%s %-3s: controller CPU %.2f s, host CPU %.2f s, wall %.2f s (medians)" % tuple(
        [sys.argv[2], v] + [out["median_%s_%s" % (k, v)] for k in keys]))
print("paired ratio on/off: controller CPU %.2f, host CPU %.2f, wall %.2f" % tuple(
    out["paired_ratio_on_off_" + k] for k in keys))
' "$out" "$lever"
gw_log "results in $out"
