#!/usr/bin/env bash
# What the lab images' bytecode cache for zip-imported code saves
# (lab/image/gw_zipcache.py): one lab host from the base image runs the same
# playbook of common module calls (ping, stat, file, copy, command, apt,
# systemd_service, getent; 8 tasks x GW_BENCH_TASK_REPEAT) with the cache
# switched off and on, alternating which goes first, for GW_BENCH_ROUNDS
# rounds. Reports the container's CPU time (cgroup cpuacct) and the wall
# time of each run, the medians and the paired on/off ratio, and writes
# bench/results/zipcache-<timestamp>.json. A measurement, not a test.
#
#   bench/zipcache.sh
#   GW_BENCH_ROUNDS=5 GW_BENCH_TASK_REPEAT=10 bench/zipcache.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$root/lab/env.sh"
# shellcheck source=bench/cgroup.sh
source "$root/bench/cgroup.sh"
# shellcheck source=bench/onehost.sh
source "$root/bench/onehost.sh"
cd "$root"

rounds=${GW_BENCH_ROUNDS:-4}
repeat=${GW_BENCH_TASK_REPEAT:-5}
name=gw-bench-zipcache
ip=10.213.29.10
net=gw-bench-zipcache
subnet=10.213.29.0/24
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/zipcache-$stamp.json"
work=$(mktemp -d)
trap 'rm -rf "$work"; lab/hosts.sh destroy "$name" >/dev/null 2>&1 || true; lab/hosts.sh network-rm "$net"' EXIT

cgroup=$(bench_one_host "$name" "$ip" "$net" "$subnet" base "$work/inventory.ini")
pth=$(podman exec "$name" sh -c 'ls /usr/local/lib/python3*/dist-packages/gw_zipcache.pth') \
  || gw_die "$name has no gw_zipcache.pth: an image built before the cache"

python3 - "$work/playbook.yml" "$repeat" <<'EOF'
import json, sys
path, repeat = sys.argv[1], int(sys.argv[2])
calls = [
    ('ansible.builtin.ping', {}),
    ('ansible.builtin.stat', {'path': '/etc/passwd'}),
    ('ansible.builtin.file', {'path': '/tmp/gw-bench', 'state': 'directory', 'mode': '0755'}),
    ('ansible.builtin.copy', {'dest': '/tmp/gw-bench/file', 'content': 'x\n', 'mode': '0644'}),
    ('ansible.builtin.command', {'argv': ['true'], 'changed_when': False}),
    ('ansible.builtin.apt', {'name': 'sudo', 'state': 'present'}),
    ('ansible.builtin.systemd_service', {'name': 'ssh', 'state': 'started'}),
    ('ansible.builtin.getent', {'database': 'passwd', 'key': 'root'}),
]
tasks = []
for i in range(repeat):
    for module, args in calls:
        task = {'name': '%s %d' % (module.rsplit('.', 1)[1], i)}
        if 'changed_when' in args:
            args = dict(args)
            task['changed_when'] = args.pop('changed_when')
        task[module] = args
        tasks.append(task)
# JSON is YAML.
with open(path, 'w') as f:
    json.dump([{'hosts': 'all', 'gather_facts': False, 'tasks': tasks}], f)
EOF

switch() {  # on | off
  if [ "$1" = on ]; then
    podman exec "$name" sh -c "[ -e '$pth' ] || mv '$pth.off' '$pth'"
  else
    podman exec "$name" sh -c "[ -e '$pth.off' ] || mv '$pth' '$pth.off'; rm -rf /var/cache/gw-zipimport/0/*"
  fi
}

measure() {  # prints "cpu_seconds wall_seconds"
  local before after t0 t1
  before=$(cat "$cgroup/cpuacct.usage"); t0=$(date +%s%N)
  ansible-playbook -i "$work/inventory.ini" "$work/playbook.yml" >"$work/run.log" 2>&1 \
    || { tail -20 "$work/run.log" >&2; gw_die "the benchmark playbook failed"; }
  t1=$(date +%s%N); after=$(cat "$cgroup/cpuacct.usage")
  awk -v c=$((after - before)) -v w=$((t1 - t0)) 'BEGIN { printf "%.3f %.3f\n", c / 1e9, w / 1e9 }'
}

# Warm-up with the cache on (fills it, as the first task of a converge does).
switch on; measure >/dev/null
results=()
for r in $(seq 1 "$rounds"); do
  order=(off on); [ $((r % 2)) -eq 0 ] && order=(on off)
  for v in "${order[@]}"; do
    switch "$v"
    read -r cpu wall < <(measure)
    gw_log "round $r, cache $v: container CPU ${cpu} s, wall ${wall} s"
    results+=("$r $v $cpu $wall")
  done
done
switch on

printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
by = {"on": {}, "off": {}}
for r, v, cpu, wall in rows:
    by[v][int(r)] = (float(cpu), float(wall))
tasks = int(sys.argv[2]) * 8
out = {"tasks_per_run": tasks, "rounds": len(by["on"]), "runs": [dict(zip(("round", "cache", "cpu_s", "wall_s"), (int(r), v, float(c), float(w)))) for r, v, c, w in rows]}
for v in ("off", "on"):
    out["median_cpu_s_" + v] = statistics.median(c for c, w in by[v].values())
    out["median_wall_s_" + v] = statistics.median(w for c, w in by[v].values())
    out["cpu_ms_per_task_" + v] = round(1000 * out["median_cpu_s_" + v] / tasks, 1)
out["paired_cpu_ratio_on_off"] = statistics.median(by["on"][r][0] / by["off"][r][0] for r in by["on"])
out["paired_wall_ratio_on_off"] = statistics.median(by["on"][r][1] / by["off"][r][1] for r in by["on"])
json.dump(out, open(sys.argv[1], "w"), indent=1)
print("tasks per run: %d, rounds: %d" % (tasks, out["rounds"]))
for v in ("off", "on"):
    print("cache %-3s: container CPU median %.2f s (%.0f ms per task), wall median %.2f s" % (
        v, out["median_cpu_s_" + v], out["cpu_ms_per_task_" + v], out["median_wall_s_" + v]))
print("paired ratio on/off: CPU %.2f, wall %.2f" % (out["paired_cpu_ratio_on_off"], out["paired_wall_ratio_on_off"]))
' "$out" "$repeat"
gw_log "results in $out"
