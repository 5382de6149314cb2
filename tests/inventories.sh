#!/usr/bin/env bash
# Every inventory the repository ships (inventories/*, bench/inventory*),
# checked offline by playbooks/preflight.yml: no host is contacted, every
# role's input is checked for every host, and a broken inventory fails here
# naming the host, the variable and the rule. Variables an inventory takes
# from a vault (vault_*) get stand-in values, as an operator's vault would
# give them. Then tests/preflight: the preflight's own behaviour on bad
# input and on -e key=value strings. A stage of tests/run-all.sh.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
# shellcheck source=lab/env.sh
source lab/env.sh
export ANSIBLE_COLLECTIONS_PATH="$root/.collections" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
work=$(mktemp -d /tmp/gw-inventories.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
for inventory in inventories/*/ bench/inventory*/; do
  inventory=${inventory%/}
  name=${inventory//\//-}
  vault="$work/$name-vault.yml"
  {
    echo 'preflight_stand_in_vault: true'
    grep -rhoE 'vault_[A-Za-z0-9_]+' "$inventory" | sort -u | sed 's/.*/&: stand-in-for-&-0123456789/'
  } >"$vault"
  start=$(date +%s)
  if ansible-playbook -i "$inventory" playbooks/preflight.yml -e preflight_offline=true -e "@$vault" >"$work/$name.log" 2>&1; then
    printf 'ok      %-28s %3ss\n' "$inventory" "$(($(date +%s) - start))"
  else
    printf 'FAILED  %s\n' "$inventory"
    sed -n '/Report every problem/,$p' "$work/$name.log" | grep -v '^\s*$' | head -60
    grep -q 'Report every problem' "$work/$name.log" || tail -30 "$work/$name.log"
    failed=1
  fi
done
pytest -q -p no:cacheprovider tests/preflight || failed=1
exit $failed
