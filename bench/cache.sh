#!/usr/bin/env bash
# PgBouncer and Redis, each against its reference in the same run:
#  - pgbench with many clients (200) through PgBouncer (transaction pooling,
#    TLS both ways) against directly to PostgreSQL (TLS), from the app host,
#    with persistent connections and with a new connection per transaction
#    (-C); alternated (ABAB); TPS and mean latency.
#  - redis-benchmark against the role's configuration (AOF everysec + RDB),
#    the same with AOF off, and Debian's stock redis.conf (second instance
#    on the same host, port 6380); alternated.
# Prints tables and writes bench/results/cache-<timestamp>.json. Not a test.
#
#   GW_BENCH_CLIENTS=200 GW_BENCH_SECONDS=30 GW_BENCH_ROUNDS=2 bench/cache.sh
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$GW_ROOT"

inventory=bench/inventory-cache
network=gw-bench-cache
subnet=10.213.22.0/24
db=gw-bench-cache-db
db_ip=10.213.22.10
app=gw-bench-cache-app
app_ip=10.213.22.20
clients=${GW_BENCH_CLIENTS:-200}
seconds=${GW_BENCH_SECONDS:-30}
rounds=${GW_BENCH_ROUNDS:-2}
scale=${GW_BENCH_SCALE:-20}
requests=${GW_BENCH_REDIS_REQUESTS:-200000}
mkdir -p bench/results
out="bench/results/cache-$(date -u +%Y%m%dT%H%M%SZ).json"
runs=$(mktemp)
trap 'rm -f "$runs"' EXIT

# shellcheck source=bench/ssh.sh
source bench/ssh.sh
on_app() { on "$app_ip" "$@"; }
# Secrets go over stdin, never on a command line.
on_app_stdin() { on_stdin "$app_ip" "$@"; }
record() { printf '%s\n' "$1" >>"$runs"; }

if [ -z "${GW_BENCH_KEEP:-}" ]; then
  "$GW_ROOT/lab/apt-cache.sh" start
  "$GW_ROOT/lab/hosts.sh" destroy "$db" "$app"
  "$GW_ROOT/lab/hosts.sh" create "$db" "$db_ip" "$network" "$subnet"
  "$GW_ROOT/lab/hosts.sh" create "$app" "$app_ip" "$network" "$subnet"
  gw_log "converging the bench hosts with site.yml"
  ansible-playbook -i "$inventory" site.yml >/dev/null
fi

# --- PgBouncer vs direct ------------------------------------------------
# pgbench ships with the server package on Debian: install it without a cluster.
on_app "sudo install -d /etc/postgresql-common/createcluster.d && echo 'create_main_cluster = false' | sudo tee /etc/postgresql-common/createcluster.d/50-bench.conf >/dev/null"
on_app "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-17 >/dev/null"
# The app password reaches pgbench through ~/.pgpass (0600), not argv.
password=$(python3 -c 'import yaml; print(yaml.safe_load(open("bench/inventory-cache/group_vars/all.yml"))["postgresql_users"][0]["password"])')
printf '*:*:bench:app:%s\n' "$password" | on_app_stdin 'umask 077; cat > ~/.pgpass'
ansible -i "$inventory" "$app" -m ansible.builtin.copy -a "src=$inventory/.pki/groundwork-ca.crt dest=/tmp/groundwork-ca.crt mode=0644" >/dev/null
direct="host=$db_ip port=5432 dbname=bench user=app sslmode=verify-full sslrootcert=/tmp/groundwork-ca.crt"
bouncer="host=localhost port=6432 dbname=bench user=app sslmode=verify-full sslrootcert=/tmp/groundwork-ca.crt"
gw_log "initialising pgbench at scale $scale"
on_app "pgbench -q -i -s $scale '$direct'" >/dev/null

# pgbench_run TARGET MODE -> "tps latency_ms"
pgbench_run() {
  local conninfo flags=""
  [ "$1" = direct ] && conninfo=$direct || conninfo=$bouncer
  [ "$2" = reconnect ] && flags="-C"
  on_app "pgbench -n -S $flags -c $clients -j 2 -T $seconds '$conninfo' 2>&1" \
    | awk '/^latency average/{lat=$4} /^tps = /{tps=$3} END{print tps, lat}'
}
for round in $(seq 1 "$rounds"); do
  for mode in persistent reconnect; do
    for target in direct pgbouncer; do
      read -r tps lat < <(pgbench_run "$target" "$mode")
      [ -n "${tps:-}" ] || gw_die "pgbench $mode $target produced no result"
      gw_log "round $round $mode $target: $tps tps, $lat ms"
      record "{\"bench\": \"pgbench\", \"round\": $round, \"mode\": \"$mode\", \"target\": \"$target\", \"tps\": ${tps:-0}, \"latency_ms\": ${lat:-0}}"
    done
  done
done

# --- redis-benchmark: role config vs Debian stock, AOF everysec vs off ----
# redis-benchmark takes a password only on its command line; for the run the
# default user gets no password (loopback only), then the ACL file is reloaded.
admin=$(python3 -c 'import yaml; print(yaml.safe_load(open("bench/inventory-cache/group_vars/all.yml"))["redis_admin_password"])')
rcli() { printf '%s\n' "$admin" | on_app_stdin "read -r p; REDISCLI_AUTH=\$p redis-cli --no-auth-warning --user admin $*"; }
on_app 'cd /tmp && apt-get download redis-server >/dev/null 2>&1 && dpkg-deb --fsys-tarfile redis-server_*.deb | tar -xO ./etc/redis/redis.conf > /tmp/redis-stock.conf'
on_app 'sudo install -d -o redis -g redis /tmp/redis-stock && sudo -u redis redis-server /tmp/redis-stock.conf --port 6380 --dir /tmp/redis-stock --daemonize yes --supervised no --logfile /tmp/redis-stock/log --pidfile /tmp/redis-stock/pid --unixsocket ""'
rcli "ACL SETUSER default on nopass '~*' '&*' +@all" >/dev/null
redis_run() {
  local port=6379
  [ "$1" = stock ] && port=6380
  if [ "$1" = aof-off ]; then rcli CONFIG SET appendonly no >/dev/null; else rcli CONFIG SET appendonly yes >/dev/null; fi
  sleep 1
  on_app "redis-benchmark -p $port -c 50 -n $requests -t set,get,incr,lpush -q --csv"
}
for round in $(seq 1 "$rounds"); do
  for variant in stock role aof-off; do
    while IFS=, read -r test rps _; do
      test=${test//\"/}; rps=${rps//\"/}
      [ "$test" = test ] && continue
      gw_log "round $round redis $variant $test: $rps rps"
      record "{\"bench\": \"redis\", \"round\": $round, \"variant\": \"$variant\", \"test\": \"$test\", \"rps\": $rps}"
    done < <(redis_run "$variant")
  done
done
rcli CONFIG SET appendonly yes >/dev/null
rcli ACL LOAD >/dev/null
on_app "sudo kill \$(cat /tmp/redis-stock/pid)"
stock_settings=$(on_app "grep -E '^(appendonly|save|maxmemory)' /tmp/redis-stock.conf | tr '\n' ';'")

if [ -z "${GW_BENCH_KEEP:-}" ]; then
  "$GW_ROOT/lab/hosts.sh" destroy "$db" "$app"
  "$GW_ROOT/lab/hosts.sh" network-rm "$network"
fi

python3 - "$runs" "$out" "$clients" "$seconds" "$scale" "$stock_settings" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
pg = [r for r in rows if r["bench"] == "pgbench"]
rd = [r for r in rows if r["bench"] == "redis"]
summary = {"pgbench": {}, "redis": {}}
print("\npgbench -S, %s clients, %ss per run, scale %s, mean of rounds" % (sys.argv[3], sys.argv[4], sys.argv[5]))
print("%-12s %-10s %10s %12s" % ("connections", "target", "tps", "latency ms"))
for mode in ("persistent", "reconnect"):
    for target in ("direct", "pgbouncer"):
        sel = [r for r in pg if r["mode"] == mode and r["target"] == target]
        tps = statistics.mean(r["tps"] for r in sel)
        lat = statistics.mean(r["latency_ms"] for r in sel)
        summary["pgbench"]["%s/%s" % (mode, target)] = {"tps": round(tps, 1), "latency_ms": round(lat, 2)}
        print("%-12s %-10s %10.1f %12.2f" % (mode, target, tps, lat))
print("\nredis-benchmark, 50 clients, requests/s, mean of rounds (stock: %s)" % sys.argv[6])
tests = sorted({r["test"] for r in rd})
print("%-8s %12s %12s %12s" % ("test", "stock", "role", "aof-off"))
for test in tests:
    vals = {}
    for variant in ("stock", "role", "aof-off"):
        vals[variant] = statistics.mean(r["rps"] for r in rd if r["test"] == test and r["variant"] == variant)
    summary["redis"][test] = {k: round(v) for k, v in vals.items()}
    print("%-8s %12.0f %12.0f %12.0f" % (test, vals["stock"], vals["role"], vals["aof-off"]))
json.dump({"bench": "cache", "clients": int(sys.argv[3]), "seconds": int(sys.argv[4]), "scale": int(sys.argv[5]),
           "redis_stock": sys.argv[6], "runs": rows, "summary": summary}, open(sys.argv[2], "w"), indent=2)
print("\nwritten to", sys.argv[2])
PY
