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
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
for s in "${scenarios[@]}"; do
  stage "molecule: $s" molecule test -s "$s"
done

echo
echo "===== summary ====="
total=0
for i in "${!names[@]}"; do
  printf '%-34s %6ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
  total=$((total + times[i]))
done
printf '%-34s %6ss\n' "total" "$total"
lab/apt-cache.sh status
exit $((failed > 0))
