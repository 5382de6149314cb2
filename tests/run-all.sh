#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs its own prerequisites, then
# yamllint, ansible-lint (production profile, no skip list), changelog lint,
# ansible-test sanity (no ignore entries), pytest unit tests, a build +
# offline install of the collection tarball, every shipped inventory through
# the offline preflight (tests/inventories.sh), every Molecule scenario
# (converge, idempotence, verify), and the lab check (tests/lab-check.sh: the
# README's `bash lab/lab.sh up`, idempotent, services as documented; listed
# as the scenario `lab`). Prints the time of each stage and exits non-zero if
# any stage failed. Usage: tests/run-all.sh [SCENARIO...]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
# shellcheck source=lab/env.sh
source lab/env.sh

declare -a names=() times=() results=()
# The 1-minute load average every 30 s, for the timing table.
load_file=$(mktemp /tmp/gw-load.XXXXXX)
(while sleep 30; do cut -d' ' -f1 /proc/loadavg >>"$load_file"; done) &
load_sampler=$!
trap 'kill "$load_sampler" 2>/dev/null; rm -f "$load_file"' EXIT
failed=0

stage() {
  local name=$1; shift
  local start end rc
  printf '\n===== %s =====\n' "$name"
  start=$(date +%s)
  "$@"
  rc=$?
  end=$(date +%s)
  names+=("$name"); times+=($((end - start)))
  if [ $rc -eq 0 ]; then results+=(ok); else results+=("FAILED (rc=$rc)"); failed=$((failed + 1)); fi
  printf '===== %s: %s in %ss =====\n' "$name" "${results[-1]}" "$((end - start))"
}

stage "prerequisites (apt, venv)" lab/bootstrap.sh || true
if [ ! -x "$GW_VENV/bin/ansible" ]; then
  echo "prerequisites failed: cannot run the suite" >&2
  exit 1
fi
# The static checks are one more job of the scenario lanes (`static` in
# molecule/shared/order, placed by its length like a scenario): alone they
# keep about one of the two cores busy (ansible-lint: 98 s of CPU in 75 s).
# Run before the scenarios (as until 2026-12-06) they left a core idle for
# three minutes; run beside the first scenarios (tried the same day) they
# slowed the longest ones: converges 40-100 % longer. Their output goes to
# tests/output/static.log (printed in full when they end) and their times
# to the table below like any stage.
static_stage() {  # NAME COMMAND...: one static check; its line goes to $static_tsv
  local name=$1 start rc result
  shift
  printf '\n===== %s =====\n' "$name"
  start=$(date +%s)
  "$@"
  rc=$?
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (rc=$rc)"; fi
  printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - start))" "$result" >>"$static_tsv"
  printf '===== %s: %s =====\n' "$name" "$result"
}
# Each check's name (its row in the table) and command, listed once.
static_names=("yamllint" "ansible-lint (production)" "changelog fragments" "ansible-test sanity" "unit tests (pytest)"
  "collection build + install" "inventories (offline preflight)")
static_commands=("yamllint -s ." "ansible-lint" "antsibull-changelog lint" "bash tests/sanity.sh" "pytest"
  "bash tests/build_install.sh" "bash tests/inventories.sh")
static_checks() {
  local i
  for i in "${!static_names[@]}"; do
    # shellcheck disable=SC2086  # each command is words, split on purpose
    static_stage "${static_names[$i]}" ${static_commands[$i]}
  done
}
mkdir -p tests/output
static_tsv=tests/output/static.tsv
rm -f "$static_tsv"
stage "lab images + apt cache" bash -c 'lab/apt-cache.sh start && lab/image.sh && lab/image.sh trixie pg && lab/image.sh trixie ha'

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  # Longest scenarios first (molecule/shared/order), so the parallel lanes
  # finish close together; scenarios not listed there run after them.
  mapfile -t found < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
  scenarios=()
  while read -r s; do
    [ -f "molecule/$s/molecule.yml" ] || [ "$s" = lab ] || [ "$s" = static ] && scenarios+=("$s")
  done < <(grep -v '^#' molecule/shared/order)
  for s in "${found[@]}"; do
    [[ " ${scenarios[*]} " == *" $s "* ]] || scenarios+=("$s")
  done
fi
# The static checks run in every suite run, selected scenarios or not.
[[ " ${scenarios[*]} " == *" static "* ]] || scenarios+=(static)
# Scenarios use disjoint container names, networks and subnets, so they run
# GW_MOLECULE_JOBS at a time (default 2; 1 runs them one by one). Two, not
# three: the scenarios are CPU-bound on a 2-core machine, and a third lane
# bought no throughput. Measured on one commit, one machine, one run each
# (docs/testing.md, 2026-12-07): 3 lanes 1374 s with edge 570 s and
# replication 533 s; 2 lanes 1296 s with every scenario under 360 s. Each
# scenario's output goes to tests/output/molecule-<scenario>.log and is
# printed in full when it finishes.
jobs=${GW_MOLECULE_JOBS:-2}
mkdir -p tests/output
declare -A pid_scenario=() scenario_start=()
finish_one() {
  local pid rc s end
  wait -n -p pid "${!pid_scenario[@]}"
  rc=$?
  s=${pid_scenario[$pid]}
  unset "pid_scenario[$pid]"
  end=$(date +%s)
  if [ "$s" = static ]; then
    printf '\n===== static checks =====\n'
    cat tests/output/static.log
    # One table row per check (static.tsv); a check that did not report failed.
    while IFS=$'\t' read -r n t r; do
      names+=("$n"); times+=("$t"); results+=("$r")
      [ "$r" = ok ] || failed=$((failed + 1))
    done <"$static_tsv"
    for n in "${static_names[@]}"; do
      grep -q "^$n"$'\t' "$static_tsv" || { names+=("$n"); times+=(0); results+=("FAILED (did not run)"); failed=$((failed + 1)); }
    done
    printf '===== static checks: ended in %ss (rc=%s) =====\n' "$((end - scenario_start[$s]))" "$rc"
    return
  fi
  printf '\n===== molecule: %s =====\n' "$s"
  cat "tests/output/molecule-$s.log"
  names+=("molecule: $s"); times+=($((end - scenario_start[$s])))
  if [ "$rc" -eq 0 ]; then
    results+=(ok)
  elif [ "$s" = lab ] && [ "$rc" -eq 3 ] && [ "${CI:-}" != true ]; then
    results+=("skipped (your lab is up)")
  else
    results+=("FAILED (rc=$rc)"); failed=$((failed + 1))
  fi
  printf '===== molecule: %s: %s in %ss =====\n' "$s" "${results[-1]}" "${times[-1]}"
}
for s in "${scenarios[@]}"; do
  while [ "${#pid_scenario[@]}" -ge "$jobs" ]; do finish_one; done
  scenario_start[$s]=$(date +%s)
  # The verifier's own playbook runs go to tests/output/<scenario>/ (labtest.run_playbook).
  rm -rf "tests/output/phases-$s.tsv" "tests/output/$s"
  printf '===== molecule: %s started =====\n' "$s"
  if [ "$s" = static ]; then
    (static_checks >tests/output/static.log 2>&1) &
  elif [ "$s" = lab ]; then
    # Not a Molecule scenario: the README's `bash lab/lab.sh up` on the
    # all-in-one lab, a second site.yml changing nothing, its services,
    # `lab/lab.sh down` (tests/lab-check.sh).
    (bash tests/lab-check.sh "tests/output/phases-$s.tsv" >"tests/output/molecule-$s.log" 2>&1) &
  else
    # phase_times.py copies the output to the log and times each action.
    (molecule test -s "$s" 2>&1 | python3 tests/phase_times.py "tests/output/molecule-$s.log" \
      "tests/output/phases-$s.tsv") &
  fi
  pid_scenario[$!]=$s
done
while [ "${#pid_scenario[@]}" -gt 0 ]; do finish_one; done

kill "$load_sampler" 2>/dev/null
budget=${GW_SUITE_BUDGET:-2700}
scenario_budget=${GW_SCENARIO_BUDGET:-480}
phase_cols=(create prepare converge idempotence verify destroy)
# The timing table: every stage, every scenario by Molecule action, the
# total and the load average. Printed here (CI's output) and kept in
# $GW_STATE/timing/, one file per run, so later changes show their cost.
timing_table() {
  local i n a v line over
  printf '%-34s %7s  %s\n' stage seconds result
  for i in "${!names[@]}"; do
    [[ ${names[$i]} == molecule:* ]] && continue
    printf '%-34s %7s  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
  done
  echo
  printf '%-14s' scenario; for a in "${phase_cols[@]}"; do printf ' %11s' "$a"; done
  printf ' %7s %7s  %s\n' other total result
  for i in "${!names[@]}"; do
    [[ ${names[$i]} == molecule:* ]] || continue
    n=${names[$i]#molecule: }
    declare -A ph=()
    while IFS=$'\t' read -r a v; do ph[$a]=$v; done <"tests/output/phases-$n.tsv" 2>/dev/null
    line=$(printf '%-14s' "$n")
    local known=0
    for a in "${phase_cols[@]}"; do line+=$(printf ' %11s' "${ph[$a]:--}"); known=$((known + ${ph[$a]:-0})); done
    over=""
    [ "${times[$i]}" -gt "$scenario_budget" ] && over="  OVER the ${scenario_budget} s scenario budget"
    printf '%s %7s %7s  %s%s\n' "$line" "$((times[i] - known))" "${times[$i]}" "${results[$i]}" "$over"
    unset ph
  done
  echo
  printf '%-34s %7ss (budget %s s)\n' "total (wall clock)" "$SECONDS" "$budget"
  awk '{s+=$1; if ($1>m) m=$1; n++} END {if (n) printf "load average (1 min, sampled every 30 s): mean %.2f, max %.2f, %d samples\n", s/n, m, n}' \
    "$load_file"
  printf 'cores: %s\n' "$(nproc)"
}
echo
echo "===== timing ====="
mkdir -p "$GW_STATE/timing"
timing_file="$GW_STATE/timing/run-$(date -u +%Y%m%dT%H%M%SZ).txt"
timing_table | tee "$timing_file"
cp "$timing_file" "$GW_STATE/timing/last.txt"
echo "(kept in $timing_file)"
lab/apt-cache.sh status
# What failed, at the very end: CI shows the tail of a long output, and a
# failed scenario's log was printed far above it (whichever lane ended last
# comes after). The lines that say why: pytest's failures and assertion
# lines, Ansible's fatal results, Molecule's errors.
failure_digest() {
  local i n log
  for i in "${!names[@]}"; do
    [[ ${results[$i]} == FAILED* ]] || continue
    n=${names[$i]#molecule: }
    log=tests/output/molecule-$n.log
    [[ ${names[$i]} == molecule:* ]] || log=tests/output/static.log
    printf '\n===== why %s failed (from %s) =====\n' "${names[$i]}" "$log"
    [ -f "$log" ] || { echo "(no log)"; continue; }
    sed 's/\x1b\[[0-9;]*m//g' "$log" \
      | grep -E '(^|[│ ])(FAILED|ERROR) |^\S*\s*│?\s*E  |fatal: \[|CRITICAL|Error:|AssertionError' \
      | tail -n 60
  done
}
failure_digest
# A budget, not a timed test of the product: the suite must stay well inside
# CI's limit (5400 s) so that a slow-down shows long before CI cuts a run.
if [ "$SECONDS" -gt "$budget" ] && [ $# -eq 0 ]; then
  printf '\nSUITE TIME BUDGET EXCEEDED: the whole suite took %s s, over its budget of %s s.\n' "$SECONDS" "$budget" >&2
  printf 'Find the stage or scenario that grew in the timing table above (docs/testing.md).\n' >&2
  failed=$((failed + 1))
fi
exit $((failed > 0))
