#!/usr/bin/env bash
# Time a fresh converge and a no-op re-run of site.yml on a lab host, over
# SSH, for several Ansible configurations in the same run, plus the effect of
# the apt cache on a fresh converge. Prints a table and writes
# bench/results/converge-<timestamp>.json. A measurement, not a test.
#
#   bench/converge.sh            # all variants
#   GW_BENCH_NOOP_RUNS=5 bench/converge.sh
#
# `compare` times the all-in-one lab (inventories/lab, the whole site.yml)
# with this checkout's code and with an earlier commit's, in the same run:
# a git worktree of REF (default a96a1c1, the landed commit issue 25
# measures against), the same venv, the same base image, a fresh host for
# each side, a fresh converge, then GW_BENCH_NOOP_RUNS no-op re-runs each.
# Prints the ratios (this checkout / REF) and writes
# bench/results/converge-compare-<timestamp>.json. With GW_BENCH_MITOGEN=1
# and the mitogen package in the venv, this checkout's no-op is also timed
# with Mitogen's linear strategy (an opt-in, measured, not a default).
#
#   bench/converge.sh compare [REF]
#
# `upgrade` checks that a change keeps behaviour on a converged host: a
# fresh all-in-one host (inventories/lab) is converged with REF's code (a
# git worktree; default HEAD, the last commit), then this checkout's
# site.yml runs on the same host. It prints the task results that changed
# (none, for a refactor that writes the same files) and exits 1 when any did.
# Commit or stash nothing for it: the worktree is REF, this checkout is the
# working tree as it is.
#
#   bench/converge.sh upgrade [REF]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$(dirname "$0")/../lab/env.sh"
cd "$root"

# One site.yml run from DIR (a checkout: its ansible.cfg, roles and
# inventories) with INVENTORY and environment overrides ENV...; prints
# "seconds task-results changed". Used by every measurement below, as
# line=$(timed_site ...): a failure inside stops the script (set -e), which
# `read ... < <(...)` would not.
timed_site() {
  local dir=$1 inv=$2 log start end
  shift 2
  log=$(mktemp)
  start=$(date +%s.%N)
  (cd "$dir" && env "$@" ansible-playbook -i "$inv" site.yml) >"$log" 2>&1 \
    || { tail -30 "$log" >&2; rm -f "$log"; gw_die "site.yml of $dir ($inv) failed"; }
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

# site.yml on the all-in-one host with the code of DIR (a checkout of the
# repository; its own ansible.cfg, roles and inventory), then the no-op
# re-runs. Prints "fresh_s tasks noop_s..." (tasks of the last no-op run).
# ENV... are environment overrides for the no-op runs only.
aio_side() {
  local dir=$1 runs=$2
  shift 2
  "$root/lab/hosts.sh" destroy gw-aio >/dev/null
  rm -f "$GW_STATE/facts/gw-aio" "$dir/.lab/facts/gw-aio"
  "$root/lab/hosts.sh" create gw-aio 10.213.0.10 gw-lab 10.213.0.0/24 >/dev/null
  # Master connections of this side only: one left from the other side's
  # host (same address, now destroyed) would be reused and fail.
  ANSIBLE_SSH_CONTROL_PATH_DIR=$(mktemp -d)
  export ANSIBLE_SSH_CONTROL_PATH_DIR
  local times=() tasks changed i secs line
  for i in $(seq 0 "$runs"); do
    if [ "$i" -eq 0 ]; then
      line=$(timed_site "$dir" inventories/lab)
      read -r secs tasks changed <<<"$line"
    else
      line=$(timed_site "$dir" inventories/lab "$@")
      read -r secs tasks changed <<<"$line"
      [ "$changed" -eq 0 ] || gw_die "a no-op re-run of $dir changed $changed tasks"
    fi
    times+=("$secs")
  done
  rm -rf "$ANSIBLE_SSH_CONTROL_PATH_DIR"
  echo "${times[0]} $tasks ${times[*]:1}"
}

# A git worktree of REF at DIR for the all-in-one lab host, removed (with
# the host) when the script ends; the lab's prerequisites in place.
worktree_of() {
  local ref=$1 worktree=$2
  podman container exists gw-aio && gw_die "gw-aio exists (your lab is up): run 'bash lab/lab.sh down' first"
  git worktree remove --force "$worktree" >/dev/null 2>&1 || true
  git worktree add --detach "$worktree" "$ref" >/dev/null
  # The worktree's inventory reads the lab's SSH key from its own .lab/.
  mkdir -p "$worktree/.lab"
  ln -sfn "$GW_STATE/ssh" "$worktree/.lab/ssh"
  # shellcheck disable=SC2064  # the paths are expanded now
  trap "git -C '$root' worktree remove --force '$worktree' >/dev/null 2>&1 || true; '$root/lab/hosts.sh' destroy gw-aio >/dev/null 2>&1 || true" EXIT
  "$root/lab/bootstrap.sh"
  "$root/lab/apt-cache.sh" start
  "$root/lab/image.sh" >/dev/null
}

compare() {
  local ref=${1:-a96a1c1} worktree runs mitogen_dir=""
  runs=${GW_BENCH_NOOP_RUNS:-3}
  worktree="$GW_STATE/bench-worktree-$ref"
  mkdir -p bench/results
  local out
  out="bench/results/converge-compare-$(date -u +%Y%m%dT%H%M%SZ).json"
  worktree_of "$ref" "$worktree"
  local ref_line head_line mitogen_line=""
  ref_line=$(aio_side "$worktree" "$runs")
  gw_log "$ref: fresh, tasks, no-op runs: $ref_line"
  head_line=$(aio_side "$root" "$runs")
  gw_log "this checkout: fresh, tasks, no-op runs: $head_line"
  if [ "${GW_BENCH_MITOGEN:-0}" = 1 ]; then
    mitogen_dir=$(python3 -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))') \
      || gw_die "GW_BENCH_MITOGEN=1 but the mitogen package is not in the venv (pip install mitogen)"
    # The same host, converged by this checkout: no-op runs only.
    local i secs tasks changed line times=()
    for i in $(seq 1 "$runs"); do
      line=$(timed_site "$root" inventories/lab \
        ANSIBLE_STRATEGY_PLUGINS="$mitogen_dir/plugins/strategy" ANSIBLE_STRATEGY=mitogen_linear)
      read -r secs tasks changed <<<"$line"
      [ "$changed" -eq 0 ] || gw_die "a no-op run with Mitogen changed $changed tasks"
      times+=("$secs")
    done
    mitogen_line="${times[*]}"
    gw_log "this checkout with Mitogen: no-op runs: $mitogen_line"
  fi
  python3 - "$ref" "$ref_line" "$head_line" "$mitogen_line" "$out" <<'PY'
import json, statistics, sys
ref, ref_line, head_line, mitogen_line, out = sys.argv[1:6]
def side(line):
    v = line.split()
    noops = [float(x) for x in v[2:]]
    return {"fresh_s": float(v[0]), "tasks_noop": int(v[1]), "noop_s_all": noops,
            "noop_s_median": statistics.median(noops), "noop_s_per_task": round(statistics.median(noops) / int(v[1]), 3)}
r = {"bench": "converge-compare", "layout": "inventories/lab (all-in-one), fresh host from the base image",
     "ref": ref, "ref_side": side(ref_line), "this_checkout": side(head_line)}
r["ratio_fresh"] = round(r["this_checkout"]["fresh_s"] / r["ref_side"]["fresh_s"], 3)
r["ratio_noop"] = round(r["this_checkout"]["noop_s_median"] / r["ref_side"]["noop_s_median"], 3)
if mitogen_line:
    m = [float(x) for x in mitogen_line.split()]
    r["this_checkout_mitogen"] = {"noop_s_all": m, "noop_s_median": statistics.median(m)}
    r["ratio_noop_mitogen"] = round(statistics.median(m) / r["ref_side"]["noop_s_median"], 3)
json.dump(r, open(out, "w"), indent=2)
print("\n%-22s %10s %12s %14s %12s" % ("side", "fresh (s)", "tasks no-op", "no-op med (s)", "s/task no-op"))
for name, key in ((ref, "ref_side"), ("this checkout", "this_checkout")):
    s = r[key]
    print("%-22s %10.1f %12d %14.1f %12.3f" % (name, s["fresh_s"], s["tasks_noop"], s["noop_s_median"], s["noop_s_per_task"]))
if mitogen_line:
    print("%-22s %10s %12s %14.1f" % ("this checkout, Mitogen", "-", "-", r["this_checkout_mitogen"]["noop_s_median"]))
print("\nratio this checkout / %s: fresh %.2f, no-op %.2f%s" % (
    ref, r["ratio_fresh"], r["ratio_noop"],
    (", no-op with Mitogen %.2f" % r["ratio_noop_mitogen"]) if mitogen_line else ""))
print("written to", out)
PY
}

upgrade() {
  local ref=${1:-HEAD} worktree log
  worktree="$GW_STATE/bench-worktree-upgrade"
  worktree_of "$ref" "$worktree"
  "$root/lab/hosts.sh" destroy gw-aio >/dev/null
  rm -f "$GW_STATE/facts/gw-aio" "$worktree/.lab/facts/gw-aio"
  "$root/lab/hosts.sh" create gw-aio 10.213.0.10 gw-lab 10.213.0.0/24 >/dev/null
  # One CA for both sides: each checkout's inventory would otherwise have
  # its own .pki, and every certificate would be signed again.
  local ca_dir="$GW_STATE/bench-upgrade-pki"
  rm -rf "$ca_dir"
  log=$(mktemp)
  (cd "$worktree" && ansible-playbook -i inventories/lab site.yml -e "postgresql_ca_dir=$ca_dir") >"$log" 2>&1 \
    || { tail -30 "$log" >&2; gw_die "$ref's site.yml failed on a fresh host"; }
  gw_log "$ref: fresh converge: $(grep -Eo 'ok=[0-9]+ +changed=[0-9]+' "$log" | tail -1)"
  local rc=0
  (cd "$root" && ansible-playbook -i inventories/lab site.yml -e "postgresql_ca_dir=$ca_dir") >"$log" 2>&1 \
    || { tail -30 "$log" >&2; gw_die "this checkout's site.yml failed on the host $ref converged"; }
  python3 - "$log" "$ref" <<'PY' || rc=1
import re, sys
text = open(sys.argv[1]).read()
changed, task = [], None
for line in text.splitlines():
    m = re.match(r'^(?:TASK|RUNNING HANDLER) \[(.*)\]', line)
    if m:
        task = m.group(1)
    elif line.startswith('changed: ['):
        changed.append(task)
recap = re.search(r'ok=(\d+)\s+changed=(\d+)', text)
print('this checkout on the host %s converged: ok=%s changed=%s' % (sys.argv[2], recap.group(1), recap.group(2)))
for name in changed:
    print('  changed: %s' % name)
sys.exit(1 if changed else 0)
PY
  rm -f "$log"
  [ "$rc" -eq 0 ] || exit 1
}

if [ "${1:-}" = upgrade ]; then
  shift
  upgrade "$@"
  exit 0
fi

if [ "${1:-}" = compare ]; then
  shift
  compare "$@"
  exit 0
fi

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
  timed_site "$root" "$inventory" "$@"
}

"$root/lab/apt-cache.sh" start
"$root/lab/image.sh" >/dev/null
results="[]"

# 1. apt cache effect on a fresh converge (tuned config): cache off, then warm.
for mode in no-apt-cache warm-apt-cache; do
  if [ "$mode" = no-apt-cache ]; then "$root/lab/apt-cache.sh" stop; else "$root/lab/apt-cache.sh" start; fi
  fresh_host
  line=$(run_site)
  read -r secs tasks changed <<<"$line"
  gw_log "$mode: fresh converge ${secs}s ($tasks tasks, $changed changed)"
  results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"variant": sys.argv[2], "fresh_s": float(sys.argv[3]), "tasks": int(sys.argv[4])}); print(json.dumps(r))' "$results" "$mode" "$secs" "$tasks")
done
"$root/lab/apt-cache.sh" start

# 2. Ansible configuration variants: fresh converge + median of no-op re-runs.
for name in "${variants[@]}"; do
  mapfile -t envs < <(variant_env "$name")
  fresh_host
  line=$(run_site "${envs[@]}")
  read -r fresh tasks _ <<<"$line"
  noops=()
  for _ in $(seq 1 "$noop_runs"); do
    line=$(run_site "${envs[@]}")
    read -r secs ntasks changed <<<"$line"
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
