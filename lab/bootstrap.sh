#!/usr/bin/env bash
# Install what the lab and the test suite need on a Debian 12 machine:
# Debian packages (podman with runc, netavark, iptables, debootstrap,
# apt-cacher-ng, ...) and the Python venv pinned in requirements-dev.txt.
# Idempotent and quick when everything is in place. Non-interactive (CI).
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/env.sh"
export DEBIAN_FRONTEND=noninteractive

packages=(podman runc netavark aardvark-dns iptables debootstrap apt-cacher-ng
  python3 python3-venv shellcheck openssh-client curl git rsync ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || gw_die "run as root to install: ${missing[*]}"
  gw_log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv is rebuilt when requirements-dev.txt changes, or when it was made
# before its bytecode was compiled at install (the stamp's second word).
stamp="$GW_VENV/.requirements.sha256"
want="$(sha256sum "$GW_ROOT/requirements-dev.txt" | cut -d' ' -f1) bytecode"
if [ ! -x "$GW_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  gw_log "creating the Python venv in $GW_VENV"
  # uv (pinned, in a small venv of its own) installs the same pinned
  # requirements in about 5 s where pip takes about 40 s (ansible alone is
  # tens of thousands of files), and this step is on the suite's critical
  # path. pip is the fallback when uv cannot be installed.
  # --compile-bytecode: uv writes no .pyc files by default (pip does), and
  # with PYTHONDONTWRITEBYTECODE set (as on this machine) none were ever
  # written, so every ansible-playbook run and every task's worker process
  # compiled Ansible, Jinja and their plugins from source again: a no-op
  # playbook started in 1.2 s of CPU instead of 0.5 s. Compiling at install
  # takes about 7 s (2026-12-06, docs/testing.md).
  uv_version=0.13.9
  uv="$GW_STATE/uv/bin/uv"
  if [ "$("$uv" --version 2>/dev/null | cut -d' ' -f2)" != "$uv_version" ]; then
    mkdir -p "$GW_STATE"
    { python3 -m venv --clear "$GW_STATE/uv" &&
      "$GW_STATE/uv/bin/pip" install -q --disable-pip-version-check "uv==$uv_version"; } >&2 || uv=""
  fi
  if [ -n "$uv" ] && UV_PYTHON_DOWNLOADS=never "$uv" venv -q --seed --clear --python /usr/bin/python3 "$GW_VENV" &&
      VIRTUAL_ENV="$GW_VENV" "$uv" pip install -q --compile-bytecode -r "$GW_ROOT/requirements-dev.txt"; then
    :
  else
    gw_log "uv unavailable: installing with pip"
    python3 -m venv "$GW_VENV"
    "$GW_VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$GW_VENV/bin/pip" install -q --disable-pip-version-check -r "$GW_ROOT/requirements-dev.txt"
  fi
  echo "$want" >"$stamp"
fi

# Three hooks for the controller's Ansible, test and lab speed only (nothing
# of the collection relies on them): the module payloads kept between runs
# (lab/venv/gw_ansiballz_cache.py), the bytecode of the modules Ansible runs
# on the controller (lab/image/gw_zipcache.py, as on the lab hosts), and the
# garbage collector kept off the objects a task's worker process inherits
# (lab/venv/gw_fork_freeze.py). Each says why and how it stays correct; each
# is off unless lab/env.sh's GW_ANSIBALLZ_CACHE, GW_ZIPIMPORT_CACHE or
# GW_FORK_FREEZE turns it on.
purelib=$("$GW_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for m in "$GW_ROOT/lab/venv/gw_ansiballz_cache.py" "$GW_ROOT/lab/image/gw_zipcache.py" "$GW_ROOT/lab/venv/gw_fork_freeze.py"; do
  name=$(basename "$m" .py)
  cmp -s "$m" "$purelib/$name.py" || install -m 0644 "$m" "$purelib/$name.py"
  echo "import $name" | cmp -s - "$purelib/$name.pth" || echo "import $name" >"$purelib/$name.pth"
  "$GW_VENV/bin/python" -m py_compile "$purelib/$name.py"
done
# The helper the hooks share (no .pth: the hooks import it).
cmp -s "$GW_ROOT/lab/venv/gw_import_hook.py" "$purelib/gw_import_hook.py" \
  || install -m 0644 "$GW_ROOT/lab/venv/gw_import_hook.py" "$purelib/gw_import_hook.py"
"$GW_VENV/bin/python" -m py_compile "$purelib/gw_import_hook.py"
install -d -m 0700 "$GW_STATE/ansiballz" "$GW_STATE/zipimport"
