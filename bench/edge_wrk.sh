#!/usr/bin/env bash
# wrk against the test FastAPI app, directly (HTTP to uvicorn) and through
# nginx (HTTPS, keep-alive to the client and to the upstream), alternating in
# the same run because the shared machine is noisy. Prints requests/s, p99
# latency and the app's CPU time per request for each run, and the
# proxied/direct ratio of the medians per client concurrency; writes
# bench/results/edge-wrk-<timestamp>.json. A measurement, not a test.
# Goal (issue 6): proxied throughput >= 0.9 x direct.
#
# Variants (each round runs all three, in this order):
#   direct      wrk on the client -> uvicorn (plain HTTP, no proxy headers)
#   direct-fwd  wrk on the web host -> uvicorn with the headers nginx adds
#               (X-Forwarded-*, X-Real-IP, X-Request-ID), from an address
#               uvicorn trusts: the app's share of the proxy's cost
#               (header parsing, --proxy-headers), without nginx
#   proxied     wrk on the client -> nginx (HTTPS) -> uvicorn
#
# wrk, nginx and uvicorn share the machine's cores. Uncapped, the proxied run
# takes CPU from uvicorn for nginx (and more for wrk's TLS), so it measures
# CPU sharing as much as the proxy. The app host is therefore capped
# (GW_BENCH_APP_CPUS, default 0.5 CPU, podman update --cpus) in every
# variant, and with GW_BENCH_PIN=1 (the default, 2+ CPUs) the app host runs
# on CPU 0 and the web and client hosts on CPU 1, as nginx would on its own
# machine in production. The app's CPU per request comes from its
# container's cgroup (cpuacct.usage, cgroup v1; cpu.stat on v2).
#
#   bench/edge_wrk.sh                       # 3 rounds x 15 s, 32 and 64 connections
#   GW_BENCH_ROUNDS=2 GW_BENCH_SECONDS=20 GW_BENCH_CONNECTIONS="32" bench/edge_wrk.sh
#   GW_BENCH_APP_CPUS=0 GW_BENCH_PIN=0 bench/edge_wrk.sh   # uncapped, unpinned
#   GW_BENCH_KEEP=1 bench/edge_wrk.sh       # leave the hosts up afterwards
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$root"

inventory=bench/inventory-edge
network=gw-bench-edge
subnet=10.213.26.0/24
web_ip=10.213.26.10
app_ip=10.213.26.21
client_ip=10.213.26.50
domain=bench.groundwork.test
rounds=${GW_BENCH_ROUNDS:-3}
seconds=${GW_BENCH_SECONDS:-15}
connections=${GW_BENCH_CONNECTIONS:-32 64}
threads=${GW_BENCH_THREADS:-2}
app_cpus=${GW_BENCH_APP_CPUS:-0.5}
pin=${GW_BENCH_PIN:-1}
wheelhouse=.lab/wheelhouse-edge
mkdir -p bench/results
out="bench/results/edge-wrk-$(date -u +%Y%m%dT%H%M%SZ).json"

# shellcheck source=bench/ssh.sh
source bench/ssh.sh
# shellcheck source=bench/cgroup.sh
source bench/cgroup.sh
on_client() { on "$client_ip" "$@"; }

# The app and its dependencies as wheels for the hosts' Python (they have no PyPI).
if [ ! -f "$wheelhouse/gw_testapp-1.0.0-py3-none-any.whl" ]; then
  pip download --quiet --dest "$wheelhouse" --only-binary=:all: --python-version 3.13 --implementation cp \
    --abi cp313 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 fastapi 'uvicorn[standard]'
  tmp=$(mktemp -d)
  cp -r molecule/edge/app "$tmp/"
  pip wheel --quiet --no-deps --wheel-dir "$wheelhouse" "$tmp/app"
  rm -rf "$tmp"
fi
[ -f "$wheelhouse.tar" ] || (cd "$wheelhouse" && tar -cf "../$(basename "$wheelhouse").tar" ./*.whl)

"$root/lab/apt-cache.sh" start
for spec in "gw-bench-edge-web $web_ip" "gw-bench-edge-app $app_ip" "gw-bench-edge-client $client_ip"; do
  read -r name ip <<<"$spec"
  "$root/lab/hosts.sh" create "$name" "$ip" "$network" "$subnet"
done
gw_log "converging the bench hosts"
mkdir -p "$GW_STATE"
ansible-playbook -i "$inventory" bench/edge-converge.yml >"$GW_STATE/edge-bench-converge.log" 2>&1 \
  || { tail -40 "$GW_STATE/edge-bench-converge.log" >&2; gw_die "converging the bench hosts failed"; }
if [ "$app_cpus" != 0 ]; then
  podman update --cpus "$app_cpus" gw-bench-edge-app >/dev/null
  gw_log "app host capped at $app_cpus CPU in both variants"
else
  podman update --cpus 0 gw-bench-edge-app >/dev/null
fi
if [ "$pin" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  podman update --cpuset-cpus 0 gw-bench-edge-app >/dev/null
  podman update --cpuset-cpus 1 gw-bench-edge-web >/dev/null
  podman update --cpuset-cpus 1 gw-bench-edge-client >/dev/null
  gw_log "app host pinned to CPU 0, web and client hosts to CPU 1"
else
  pin=0
  all_cpus="0-$(($(nproc) - 1))"
  for name in gw-bench-edge-app gw-bench-edge-web gw-bench-edge-client; do
    podman update --cpuset-cpus "$all_cpus" "$name" >/dev/null
  done
fi

# CPU time (ns) the app container has used so far.
app_cpuacct=$(container_cgroup gw-bench-edge-app cpuacct || true)
app_unified=$(container_cgroup gw-bench-edge-app "" || true)
[ -n "$app_cpuacct$app_unified" ] || gw_log "no cgroup found for gw-bench-edge-app: app CPU per request will read 0"
app_cpu_ns() {
  if [ -r "$app_cpuacct/cpuacct.usage" ]; then
    cat "$app_cpuacct/cpuacct.usage"
  elif [ -r "$app_unified/cpu.stat" ]; then
    awk '$1 == "usage_usec" {print $2 * 1000}' "$app_unified/cpu.stat"
  else
    echo 0
  fi
}
# wrk sends the URL's host as SNI: the client resolves the site name to nginx.
on_client "grep -q ' $domain\$' /etc/hosts || echo '$web_ip $domain' | sudo tee -a /etc/hosts >/dev/null"

# The headers nginx's site template adds to every proxied request.
fwd_headers=(-H "'X-Real-IP: $client_ip'" -H "'X-Forwarded-For: $client_ip'" -H "'X-Forwarded-Proto: https'"
  -H "'X-Forwarded-Host: $domain'" -H "'X-Request-ID: 0123456789abcdef0123456789abcdef'")

# run_wrk HOST_IP CONNECTIONS URL [wrk args] -> prints "requests_per_s p99_ms app_cpu_us_per_request"
run_wrk() {
  local ip=$1 conns=$2 url=$3 before after
  shift 3
  before=$(app_cpu_ns)
  text=$(on "$ip" "wrk -t$threads -c$conns -d${seconds}s --latency $* $url")
  after=$(app_cpu_ns)
  python3 -c '
import re, sys
text, cpu_ns, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
value, unit = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\s*$", text, re.M).groups()
p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit("wrk: %s non-2xx responses" % errors.group(1))
print("%.1f %.2f %.1f" % (rps, p99, cpu_ns / 1000.0 / (rps * seconds)))' "$text" "$((after - before))" "$seconds"
}

direct="http://$app_ip:8000/health"
proxied="https://$domain/health"
on_client "curl -sfk $proxied >/dev/null && curl -sf $direct >/dev/null" || gw_die "the app does not answer"
on "$web_ip" "command -v wrk >/dev/null" || gw_die "wrk is missing on the web host (re-run the bench converge)"
results="[]"
for round in $(seq 1 "$rounds"); do
  for conns in $connections; do
    # The machine's speed drifts within minutes: alternate the order between
    # rounds so no variant always runs first, and compare within each round.
    order="direct direct-fwd proxied"
    [ $((round % 2)) = 0 ] && order="proxied direct-fwd direct"
    for variant in $order; do
      case $variant in
        direct) read -r rps p99 cpu < <(run_wrk "$client_ip" "$conns" "$direct") ;;
        direct-fwd) read -r rps p99 cpu < <(run_wrk "$web_ip" "$conns" "$direct" "${fwd_headers[@]}") ;;
        proxied) read -r rps p99 cpu < <(run_wrk "$client_ip" "$conns" "$proxied") ;;
      esac
      gw_log "round $round, $conns connections, $variant: $rps req/s, p99 $p99 ms, app $cpu us CPU/request"
      results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"round": int(sys.argv[2]), "connections": int(sys.argv[3]), "variant": sys.argv[4], "rps": float(sys.argv[5]), "p99_ms": float(sys.argv[6]), "app_cpu_us_per_request": float(sys.argv[7])}); print(json.dumps(r))' \
        "$results" "$round" "$conns" "$variant" "$rps" "$p99" "$cpu")
    done
  done
done

if [ -z "${GW_BENCH_KEEP:-}" ]; then
  "$root/lab/hosts.sh" destroy gw-bench-edge-web gw-bench-edge-app gw-bench-edge-client
  "$root/lab/hosts.sh" network-rm "$network"
fi

python3 - "$results" "$out" "$seconds" "$threads" "$app_cpus" "$pin" <<'PY'
import json, statistics, sys
rows = json.loads(sys.argv[1])
variants = ("direct", "direct-fwd", "proxied")
summary = {}
for conns in sorted({r["connections"] for r in rows}):
    med = {}
    for v in variants:
        mine = [r for r in rows if r["variant"] == v and r["connections"] == conns]
        med[v] = {k: statistics.median(r[k] for r in mine) for k in ("rps", "p99_ms", "app_cpu_us_per_request")}
    # Paired: proxied / direct within each round, then the median and range.
    paired = sorted(p["rps"] / d["rps"] for d in rows for p in rows
                    if d["connections"] == p["connections"] == conns and d["round"] == p["round"]
                    and d["variant"] == "direct" and p["variant"] == "proxied")
    summary[str(conns)] = {"median": med,
                           "proxied_over_direct_rps": round(med["proxied"]["rps"] / med["direct"]["rps"], 3),
                           "paired_ratio_median": round(statistics.median(paired), 3),
                           "paired_ratio_range": [round(paired[0], 3), round(paired[-1], 3)]}
json.dump({"bench": "edge-wrk", "seconds": int(sys.argv[3]), "threads": int(sys.argv[4]),
           "app_cpus": float(sys.argv[5]), "pinned": sys.argv[6] == "1",
           "runs": rows, "by_connections": summary}, open(sys.argv[2], "w"), indent=2)
print("\napp host CPU cap: %s; pinned apart from web/client: %s" % (sys.argv[5] if sys.argv[5] != "0" else "none",
                                                                   "yes" if sys.argv[6] == "1" else "no"))
for conns, s in summary.items():
    print("\n%s connections (medians)" % conns)
    print("%-11s %10s %9s %14s" % ("variant", "req/s", "p99 ms", "app us CPU/req"))
    for v in variants:
        m = s["median"][v]
        print("%-11s %10.1f %9.2f %14.1f" % (v, m["rps"], m["p99_ms"], m["app_cpu_us_per_request"]))
    print("proxied / direct throughput: %.2f by medians, %.2f paired within rounds (range %.2f-%.2f); goal >= 0.90"
          % (s["proxied_over_direct_rps"], s["paired_ratio_median"], *s["paired_ratio_range"]))
print("written to", sys.argv[2])
PY
