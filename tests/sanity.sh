#!/usr/bin/env bash
# ansible-test sanity with no ignore entries. ansible-test needs the
# collection inside an ansible_collections/<namespace>/<name> tree, so the
# files git knows about (tracked + untracked, not ignored) are copied into one.
# ansible-test installs the tools of each sanity test (pylint, pycodestyle,
# voluptuous, ...) into virtual environments of its own under ~/.ansible/test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${GW_VENV:-$root/.venv}"

# ansible-test's pip bootstrap script lives on a host CI cannot reach: give it
# the offline stand-in under the name it looks for in its cache.
pip_version=$(grep -oP "pip='\K[0-9.]+" "$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py")
mkdir -p ~/.ansible/test/cache
install -m 0644 "$root/tests/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"

work=$(mktemp -d /tmp/gw-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/groundwork/stack"
mkdir -p "$dest"
cd "$root"
git ls-files -z --cached --others --exclude-standard | grep -zv '^\.collections/' \
  | rsync -a --from0 --files-from=- ./ "$dest/"
cd "$dest"
git init -q && git add -A   # ansible-test lists files through git
export PATH="$venv/bin:$PATH"
ansible-test sanity --python 3.11 --color no "$@"
