#!/usr/bin/env bash
# Time a no-op application of the ufw rules on a converged host: the role's
# way (read ufw's stored rules once, call community.general.ufw only for what
# differs) against one module call per rule, alternated (ABAB...) in the same
# run. Uses the hostsec scenario's hosts: do not run it while that scenario
# runs. Writes bench/results/ufw-rules-<timestamp>.json. A measurement, not a test.
#
#   bench/ufw_rules.sh              # 3 rounds
#   GW_BENCH_ROUNDS=5 bench/ufw_rules.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$root"
inventory=bench/inventory-sec
rounds=${GW_BENCH_ROUNDS:-3}
mkdir -p bench/results
out="bench/results/ufw-rules-$(date -u +%Y%m%dT%H%M%SZ).json"

"$root/lab/apt-cache.sh" start
for h in "gw-mol-sec-target 10.213.15.10" "gw-mol-sec-app 10.213.15.20"; do
  read -r name ip <<<"$h"
  "$root/lab/hosts.sh" create "$name" "$ip" gw-mol-sec 10.213.15.0/24
done
ansible-playbook -i "$inventory" bench/ufw_rules.yml --limit gw-mol-sec-target \
  -e '{"bench_variant": "plan"}' >/dev/null   # first run converges the rules

# run VARIANT -> prints "seconds changed"
run() {
  local log start end
  log=$(mktemp)
  start=$(date +%s.%N)
  ansible-playbook -i "$inventory" bench/ufw_rules.yml -e "{\"bench_variant\": \"$1\"}" >"$log" 2>&1 \
    || { tail -30 "$log" >&2; rm -f "$log"; gw_die "$1 failed"; }
  end=$(date +%s.%N)
  python3 -c 'import re,sys; t=open(sys.argv[1]).read(); print("%.2f %s" % (float(sys.argv[3]) - float(sys.argv[2]), re.search(r"changed=(\d+)", t).group(1)))' \
    "$log" "$start" "$end"
  rm -f "$log"
}

rules=$(ansible -i "$inventory" gw-mol-sec-target -b -m ansible.builtin.command -a 'ufw status numbered' 2>/dev/null | grep -c '^\[' || true)
results="[]"
for round in $(seq 1 "$rounds"); do
  for variant in plan per-rule; do
    read -r secs changed < <(run "$variant")
    [ "$changed" -eq 0 ] || gw_die "$variant: a no-op run changed $changed tasks"
    gw_log "round $round $variant: ${secs}s"
    results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"round": int(sys.argv[2]), "variant": sys.argv[3], "s": float(sys.argv[4])}); print(json.dumps(r))' \
      "$results" "$round" "$variant" "$secs")
  done
done

python3 - "$results" "$out" "$rules" "$(uptime)" <<'PY'
import json, statistics, sys
rows = json.loads(sys.argv[1])
med = {v: statistics.median(r["s"] for r in rows if r["variant"] == v) for v in ("plan", "per-rule")}
json.dump({"bench": "ufw-rules", "ufw_status_numbered_lines": int(sys.argv[3]), "load": sys.argv[4],
           "results": rows, "median_s": med}, open(sys.argv[2], "w"), indent=2)
print("\nno-op application of %s ufw rule lines (IPv4+IPv6), median of %d runs" % (sys.argv[3], len(rows) // 2))
for v, s in med.items():
    print("%-10s %6.1f s" % (v, s))
print("per-rule / plan: %.2fx\nwritten to %s" % (med["per-rule"] / med["plan"], sys.argv[2]))
PY
