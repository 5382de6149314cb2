#!/usr/bin/env bash
# Time a fresh converge and a no-op re-run of site.yml on a lab host, over
# SSH, for several Ansible configurations in the same run, plus the effect of
# the apt cache on a fresh converge. Prints a table and writes
# bench/results/converge-<timestamp>.json. A measurement, not a test.
#
#   bench/converge.sh            # all variants
#   GW_BENCH_NOOP_RUNS=5 bench/converge.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$root"

inventory=bench/inventory
host=gw-bench
read -r ip net subnet < <(python3 -c '
import yaml; h = yaml.safe_load(open("bench/inventory/hosts.yml"))["all"]["hosts"]["gw-bench"]
print(h["lab_ip"], h["lab_network"], h["lab_subnet"])')
noop_runs=${GW_BENCH_NOOP_RUNS:-3}
mkdir -p bench/results
out="bench/results/converge-$(date -u +%Y%m%dT%H%M%SZ).json"

variants=(stock no-pipelining no-fact-cache tuned)

# Environment overrides of a variant, one per line, on top of the
# repository's ansible.cfg ("tuned"). "stock" is ansible-core's defaults.
variant_env() {
  case $1 in
    stock)
      echo ANSIBLE_PIPELINING=False
      echo ANSIBLE_GATHERING=implicit
      echo ANSIBLE_CACHE_PLUGIN=memory
      echo ANSIBLE_FORKS=5
      echo "ANSIBLE_SSH_ARGS=-C -o ControlMaster=auto -o ControlPersist=60s" ;;
    no-pipelining) echo ANSIBLE_PIPELINING=False ;;
    no-fact-cache)
      echo ANSIBLE_GATHERING=implicit
      echo ANSIBLE_CACHE_PLUGIN=memory ;;
    tuned) ;;
  esac
}

fresh_host() {
  "$root/lab/hosts.sh" destroy "$host"
  rm -f .lab/facts/"$host"
  "$root/lab/hosts.sh" create "$host" "$ip" "$net" "$subnet"
}

# run_site ENV... -> prints "seconds tasks changed"
run_site() {
  local log start end
  log=$(mktemp)
  start=$(date +%s.%N)
  env "$@" ansible-playbook -i "$inventory" site.yml >"$log" 2>&1 || { tail -30 "$log" >&2; rm -f "$log"; gw_die "site.yml failed"; }
  end=$(date +%s.%N)
  python3 - "$log" "$start" "$end" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+\s+skipped=(\d+)', text)
ok, changed, skipped = (int(x) for x in m.groups())
print("%.2f %d %d" % (float(sys.argv[3]) - float(sys.argv[2]), ok + skipped, changed))
PY
  rm -f "$log"
}

"$root/lab/apt-cache.sh" start
"$root/lab/image.sh" >/dev/null
results="[]"

# 1. apt cache effect on a fresh converge (tuned config): cache off, then warm.
for mode in no-apt-cache warm-apt-cache; do
  if [ "$mode" = no-apt-cache ]; then "$root/lab/apt-cache.sh" stop; else "$root/lab/apt-cache.sh" start; fi
  fresh_host
  read -r secs tasks changed < <(run_site)
  gw_log "$mode: fresh converge ${secs}s ($tasks tasks, $changed changed)"
  results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"variant": sys.argv[2], "fresh_s": float(sys.argv[3]), "tasks": int(sys.argv[4])}); print(json.dumps(r))' "$results" "$mode" "$secs" "$tasks")
done
"$root/lab/apt-cache.sh" start

# 2. Ansible configuration variants: fresh converge + median of no-op re-runs.
for name in "${variants[@]}"; do
  mapfile -t envs < <(variant_env "$name")
  fresh_host
  read -r fresh tasks _ < <(run_site "${envs[@]}")
  noops=()
  for _ in $(seq 1 "$noop_runs"); do
    read -r secs ntasks changed < <(run_site "${envs[@]}")
    [ "$changed" -eq 0 ] || gw_die "$name: no-op re-run changed $changed tasks"
    noops+=("$secs")
  done
  gw_log "$name: fresh ${fresh}s, no-op runs ${noops[*]}s ($ntasks tasks)"
  results=$(python3 -c '
import json, statistics, sys
r = json.loads(sys.argv[1]); noops = [float(x) for x in sys.argv[5:]]
med = statistics.median(noops)
r.append({"variant": sys.argv[2], "fresh_s": float(sys.argv[3]), "tasks": int(sys.argv[4]),
          "noop_s_median": med, "noop_s_all": noops, "noop_s_per_task": round(med / int(sys.argv[4]), 3)})
print(json.dumps(r))' "$results" "$name" "$fresh" "$ntasks" "${noops[@]}")
done
"$root/lab/hosts.sh" destroy "$host"
"$root/lab/hosts.sh" network-rm "$net"

python3 - "$results" "$out" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])
json.dump({"bench": "converge", "host": "lab container over SSH", "results": rows}, open(sys.argv[2], "w"), indent=2)
print("\n%-16s %10s %7s %14s %12s" % ("variant", "fresh (s)", "tasks", "no-op med (s)", "s/task no-op"))
for r in rows:
    print("%-16s %10.1f %7d %14s %12s" % (r["variant"], r["fresh_s"], r["tasks"],
          "%.1f" % r["noop_s_median"] if "noop_s_median" in r else "-",
          "%.3f" % r["noop_s_per_task"] if "noop_s_per_task" in r else "-"))
print("\nwritten to", sys.argv[2])
PY
