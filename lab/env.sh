# shellcheck shell=bash
# Common environment of the lab scripts: sourced, not executed.
GW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GW_ROOT
export CONTAINERS_CONF="$GW_ROOT/lab/containers.conf"
# Runtime state of the lab (ssh key, apt cache config, stamps): never committed.
export GW_STATE="${GW_STATE:-$GW_ROOT/.lab}"
export GW_IMAGE_REPO="${GW_IMAGE_REPO:-localhost/groundwork/debian}"
export GW_SUITE="${GW_SUITE:-trixie}"
export GW_APT_CACHE_PORT="${GW_APT_CACHE_PORT:-3143}"
export GW_VENV="${GW_VENV:-$GW_ROOT/.venv}"
export PATH="$GW_VENV/bin:$PATH"
# The controller's caches of Ansible module payloads and of their bytecode
# (lab/bootstrap.sh installs the hooks in the venv; set either to "" to turn
# it off). Test and lab speed only.
export GW_ANSIBALLZ_CACHE="${GW_ANSIBALLZ_CACHE-$GW_STATE/ansiballz}"
export GW_ZIPIMPORT_CACHE="${GW_ZIPIMPORT_CACHE-$GW_STATE/zipimport}"
# Python's collector kept off the objects each of Ansible's worker processes
# inherits (lab/venv/gw_fork_freeze.py; set to 0 to turn it off).
export GW_FORK_FREEZE="${GW_FORK_FREEZE-1}"

gw_log() { printf '\033[1m[lab]\033[0m %s\n' "$*" >&2; }
gw_die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
