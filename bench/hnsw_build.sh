#!/usr/bin/env bash
# HNSW build time on a lab host: pgvector's defaults for the build session
# (maintenance_work_mem 64MB, max_parallel_maintenance_workers 2) against
# the session groundwork.stack.pgvector_index sizes itself, on the same table
# in the same run; then recall@10 against exact search and query latency at
# ef_search 100 for the index the module built. Needs a host converged by
# bench/pgbench.sh's inventory (it converges one if absent).
# Prints a table and writes bench/results/hnsw-<timestamp>.json.
#
#   GW_BENCH_ROWS=100000 GW_BENCH_DIMS=128 bench/hnsw_build.sh
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$GW_ROOT"
# shellcheck source=bench/pg-host.sh
source bench/pg-host.sh

rows=${GW_BENCH_ROWS:-100000}
dims=${GW_BENCH_DIMS:-128}
mkdir -p bench/results
out="bench/results/hnsw-$(date -u +%Y%m%dT%H%M%SZ).json"

sql() { on_host "sudo -u postgres psql -X -A -t -q -d vectors -c $(printf '%q' "$1")"; }

"$GW_ROOT/lab/apt-cache.sh" start
if ! podman container exists "$host"; then
  "$GW_ROOT/lab/hosts.sh" create "$host" "$ip" "$network" "$subnet"
  ansible-playbook -i "$inventory" site.yml >/dev/null
fi

gw_log "generating $rows x $dims vectors"
on_host "sudo -u postgres dropdb --if-exists vectors; sudo -u postgres createdb vectors"
sql "CREATE EXTENSION vector"
sql "CREATE TABLE items (id int PRIMARY KEY, embedding vector($dims) NOT NULL)"
sql "INSERT INTO items SELECT i, ARRAY(SELECT ((hashint4(i * 1024 + d)::bigint & 65535) / 65535.0)::real FROM generate_series(1, $dims) d)::vector FROM generate_series(1, $rows) i"
sql "VACUUM ANALYZE items"

# seconds SQL -> wall time of one psql call from here (ssh + psql start-up
# is ~0.3 s, small against a build; subtracted for the latency figure).
seconds() {
  local start end
  start=$(date +%s.%N); sql "$1" >/dev/null; end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 3))"
}

# Exact neighbours of 50 query vectors, for recall.
sql "SET enable_indexscan = off; CREATE TABLE exact AS SELECT q.id AS qid, n.id FROM (SELECT id, embedding FROM items WHERE id % ($rows / 50) = 0) q, LATERAL (SELECT id FROM items ORDER BY embedding <-> q.embedding LIMIT 10) n"

# recall EF -> recall@10 of the current index at hnsw.ef_search = EF
recall() {
  sql "SET hnsw.ef_search = $1; WITH ann AS (SELECT q.id AS qid, n.id FROM (SELECT id, embedding FROM items WHERE id % ($rows / 50) = 0) q, LATERAL (SELECT id FROM items ORDER BY embedding <-> q.embedding LIMIT 10) n) SELECT round(count(*)::numeric / (SELECT count(*) FROM exact), 3) FROM ann JOIN exact USING (qid, id)" | tail -1
}

# latency -> mean milliseconds of 500 top-10 queries at ef_search 100, timed inside PostgreSQL
latency() {
  on_host "sudo -u postgres psql -X -A -t -q -d vectors -c $(printf '%q' "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); r record; BEGIN PERFORM set_config('hnsw.ef_search', '100', true); FOR r IN SELECT embedding FROM items WHERE id % ($rows / 500) = 0 LOOP PERFORM id FROM items ORDER BY embedding <-> r.embedding LIMIT 10; END LOOP; RAISE NOTICE 'ms=%', round((extract(epoch FROM clock_timestamp() - t0) * 1000 / 500)::numeric, 3); END \$\$")" 2>&1 | sed -n 's/.*ms=//p'
}

# 1. pgvector's defaults for the build session.
default_s=$(seconds "SET maintenance_work_mem = '64MB'; SET max_parallel_maintenance_workers = 2;
  CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)")
default_recall="$(recall 40) $(recall 100) $(recall 400)"
default_ms=$(latency)
gw_log "defaults (64MB, 2 workers): ${default_s}s, recall@10 (ef 40/100/400) $default_recall, ${default_ms} ms/query"
sql "DROP INDEX items_embedding_idx"

# 2. The module, sizing the session itself (non-concurrent build, like the above).
start=$(date +%s.%N)
module_out=$(ANSIBLE_CALLBACK_RESULT_FORMAT=json ANSIBLE_LOAD_CALLBACK_PLUGINS=0 ansible -i "$inventory" "$host" -b --become-user postgres -m groundwork.stack.pgvector_index \
  -a "login_db=vectors name=items_embedding_idx table=items column=embedding method=hnsw opclass=vector_l2_ops m=16 ef_construction=64 concurrently=false" 2>&1)
end=$(date +%s.%N)
module_s=$(python3 -c "print(round($end - $start, 2))")
settings=$(printf '%s' "$module_out" | python3 -c '
import json, sys
text = sys.stdin.read(); body = text[text.index("{"):]
print(json.dumps(json.loads(body).get("build_settings", {})))')
module_recall="$(recall 40) $(recall 100) $(recall 400)"
module_ms=$(latency)
gw_log "module-sized session: ${module_s}s (including Ansible overhead), recall@10 $module_recall, ${module_ms} ms/query, $settings"

python3 - "$out" "$rows" "$dims" "$default_s" "$module_s" "$settings" "$default_recall" "$module_recall" "$default_ms" "$module_ms" <<'PY'
import json, sys
out, rows, dims, d, m, settings, d_rec, m_rec, d_ms, m_ms = sys.argv[1:]
efs = [40, 100, 400]
res = {"bench": "hnsw_build", "rows": int(rows), "dims": int(dims), "m": 16, "ef_construction": 64,
       "defaults": {"build_s": float(d), "recall_at_10": dict(zip(efs, map(float, d_rec.split()))), "query_ms_ef100": float(d_ms)},
       "module": {"build_s": float(m), "recall_at_10": dict(zip(efs, map(float, m_rec.split()))), "query_ms_ef100": float(m_ms),
                  "build_settings": json.loads(settings)},
       "speedup": round(float(d) / float(m), 2)}
json.dump(res, open(out, "w"), indent=2)
print("\nHNSW build, %s x %s dims (uniform random), m=16, ef_construction=64" % (rows, dims))
print("%-34s %9s %22s %12s" % ("session", "build (s)", "recall@10 ef 40/100/400", "ms/query"))
print("%-34s %9.2f %22s %12s" % ("pgvector defaults (64MB, 2 workers)", float(d), d_rec, d_ms))
print("%-34s %9.2f %22s %12s" % ("module-sized (incl. Ansible)", float(m), m_rec, m_ms))
print("speed-up x%.2f; module chose %s, %s workers" % (res["speedup"], res["module"]["build_settings"].get("maintenance_work_mem"),
                                                    res["module"]["build_settings"].get("max_parallel_maintenance_workers")))
print("written to", out)
PY
