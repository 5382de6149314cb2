#!/usr/bin/env bash
# wrk against the test FastAPI app, directly (HTTP to uvicorn) and through
# nginx (HTTPS, keep-alive to the client and to the upstream), alternating
# A B A B in the same run because the shared machine is noisy. Prints
# requests/s and p99 latency per run and the proxied/direct ratio of the
# medians; writes bench/results/edge-wrk-<timestamp>.json. A measurement, not
# a test. Goal (issue 6): proxied throughput >= 0.9 x direct.
#
# wrk, nginx and uvicorn share the machine's cores. Uncapped, the proxied run
# takes CPU from uvicorn for nginx (and more for wrk's TLS), so it measures
# CPU sharing as much as the proxy. The app host is therefore capped
# (GW_BENCH_APP_CPUS, default 0.5 CPU, podman update --cpus) in both
# variants: uvicorn gets the same CPU budget whether nginx is in front or not,
# and the ratio shows what the proxy costs in throughput and latency.
# GW_BENCH_APP_CPUS=0 measures uncapped.
#
#   bench/edge_wrk.sh                       # 2 rounds of 15 s per variant
#   GW_BENCH_ROUNDS=3 GW_BENCH_SECONDS=20 GW_BENCH_CONNECTIONS=64 bench/edge_wrk.sh
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
rounds=${GW_BENCH_ROUNDS:-2}
seconds=${GW_BENCH_SECONDS:-15}
connections=${GW_BENCH_CONNECTIONS:-32}
threads=${GW_BENCH_THREADS:-2}
app_cpus=${GW_BENCH_APP_CPUS:-0.5}
wheelhouse=.lab/wheelhouse-edge
mkdir -p bench/results
out="bench/results/edge-wrk-$(date -u +%Y%m%dT%H%M%SZ).json"

on_client() {
  ssh -n -i "$GW_STATE/ssh/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "debian@$client_ip" "$@"
}

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
# wrk sends the URL's host as SNI: the client resolves the site name to nginx.
on_client "grep -q ' $domain\$' /etc/hosts || echo '$web_ip $domain' | sudo tee -a /etc/hosts >/dev/null"

# run_wrk URL -> prints "requests_per_s p99_ms"
run_wrk() {
  on_client "wrk -t$threads -c$connections -d${seconds}s --latency $1" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
value, unit = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\s*$", text, re.M).groups()
p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit("wrk: %s non-2xx responses" % errors.group(1))
print("%.1f %.2f" % (rps, p99))'
}

direct="http://$app_ip:8000/health"
proxied="https://$domain/health"
on_client "curl -sfk $proxied >/dev/null && curl -sf $direct >/dev/null" || gw_die "the app does not answer"
results="[]"
for round in $(seq 1 "$rounds"); do
  for variant in direct proxied; do
    url=$direct; [ "$variant" = proxied ] && url=$proxied
    read -r rps p99 < <(run_wrk "$url")
    gw_log "round $round $variant: $rps req/s, p99 $p99 ms"
    results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"round": int(sys.argv[2]), "variant": sys.argv[3], "rps": float(sys.argv[4]), "p99_ms": float(sys.argv[5])}); print(json.dumps(r))' \
      "$results" "$round" "$variant" "$rps" "$p99")
  done
done

if [ -z "${GW_BENCH_KEEP:-}" ]; then
  "$root/lab/hosts.sh" destroy gw-bench-edge-web gw-bench-edge-app gw-bench-edge-client
  "$root/lab/hosts.sh" network-rm "$network"
fi

python3 - "$results" "$out" "$seconds" "$connections" "$threads" "$app_cpus" <<'PY'
import json, statistics, sys
rows = json.loads(sys.argv[1])
med = {}
for v in ("direct", "proxied"):
    mine = [r for r in rows if r["variant"] == v]
    med[v] = {"rps": statistics.median(r["rps"] for r in mine), "p99_ms": statistics.median(r["p99_ms"] for r in mine)}
ratio = med["proxied"]["rps"] / med["direct"]["rps"]
json.dump({"bench": "edge-wrk", "seconds": int(sys.argv[3]), "connections": int(sys.argv[4]), "threads": int(sys.argv[5]),
           "app_cpus": float(sys.argv[6]),
           "runs": rows, "median": med, "proxied_over_direct_rps": round(ratio, 3)}, open(sys.argv[2], "w"), indent=2)
print("\n%-8s %12s %10s" % ("variant", "req/s (med)", "p99 ms"))
for v in ("direct", "proxied"):
    print("%-8s %12.1f %10.2f" % (v, med[v]["rps"], med[v]["p99_ms"]))
print("\napp host CPU cap: %s" % (sys.argv[6] if sys.argv[6] != "0" else "none"))
print("proxied / direct throughput: %.2f (goal >= 0.90)" % ratio)
print("written to", sys.argv[2])
PY
