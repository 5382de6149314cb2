#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs its own prerequisites, then
# yamllint, ansible-lint (production profile, no skip list), changelog lint,
# ansible-test sanity (no ignore entries), pytest unit tests, a build +
# offline install of the collection tarball, and every Molecule scenario
# (converge, idempotence, verify). Prints the time of each stage and exits
# non-zero if any stage failed. Usage: tests/run-all.sh [SCENARIO...]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
# shellcheck source=lab/env.sh
source lab/env.sh

declare -a names=() times=() results=()
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
stage "yamllint" yamllint -s .
stage "ansible-lint (production)" ansible-lint
stage "changelog fragments" antsibull-changelog lint
stage "ansible-test sanity" bash tests/sanity.sh
stage "unit tests (pytest)" pytest
stage "collection build + install" bash tests/build_install.sh
stage "lab image + apt cache" bash -c 'lab/apt-cache.sh start && lab/image.sh'

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  # Longest scenarios first (molecule/shared/order), so the parallel lanes
  # finish close together; scenarios not listed there run after them.
  mapfile -t found < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
  scenarios=()
  while read -r s; do
    [ -f "molecule/$s/molecule.yml" ] && scenarios+=("$s")
  done < <(grep -v '^#' molecule/shared/order)
  for s in "${found[@]}"; do
    [[ " ${scenarios[*]} " == *" $s "* ]] || scenarios+=("$s")
  done
fi
# Scenarios use disjoint container names, networks and subnets, and spend
# much of their time waiting on apt, SSH and service start-up, so they run
# GW_MOLECULE_JOBS at a time (default 3; 1 runs them one by one). Each
# scenario's output goes to tests/output/molecule-<scenario>.log and is
# printed in full when it finishes.
jobs=${GW_MOLECULE_JOBS:-3}
mkdir -p tests/output
declare -A pid_scenario=() scenario_start=()
finish_one() {
  local pid rc s end
  wait -n -p pid "${!pid_scenario[@]}"
  rc=$?
  s=${pid_scenario[$pid]}
  unset "pid_scenario[$pid]"
  end=$(date +%s)
  printf '\n===== molecule: %s =====\n' "$s"
  cat "tests/output/molecule-$s.log"
  names+=("molecule: $s"); times+=($((end - scenario_start[$s])))
  if [ "$rc" -eq 0 ]; then results+=(ok); else results+=("FAILED (rc=$rc)"); failed=$((failed + 1)); fi
  printf '===== molecule: %s: %s in %ss =====\n' "$s" "${results[-1]}" "${times[-1]}"
}
for s in "${scenarios[@]}"; do
  while [ "${#pid_scenario[@]}" -ge "$jobs" ]; do finish_one; done
  scenario_start[$s]=$(date +%s)
  printf '===== molecule: %s started =====\n' "$s"
  molecule test -s "$s" >"tests/output/molecule-$s.log" 2>&1 &
  pid_scenario[$!]=$s
done
while [ "${#pid_scenario[@]}" -gt 0 ]; do finish_one; done

echo
echo "===== summary ====="
for i in "${!names[@]}"; do
  printf '%-34s %6ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
done
printf '%-34s %6ss\n' "total (wall clock)" "$SECONDS"
lab/apt-cache.sh status
exit $((failed > 0))
