#!/usr/bin/env bash
# Prove that the built collection works outside the repository:
#   1. `ansible-galaxy collection build` the repository root into a temp dir;
#   2. check the tarball ships no dev-only files and does ship what users need;
#   3. install it offline (dependencies come from the `ansible` PyPI bundle);
#   4. from the temp dir, with no ansible.cfg or collection of the repository
#      in reach, run ansible-doc on a role, syntax-check the site playbook and
#      use the groundwork.stack.timezone test plugin in a playbook.
# Usage: tests/build_install.sh   (GW_VENV overrides the venv; GW_KEEP_TMP=1 keeps the temp dir)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${GW_VENV:-$root/.venv}"
export PATH="$venv/bin:$PATH"

# Nothing from the caller's environment may point ansible back at a checkout.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^ANSIBLE_' || true)

work=$(mktemp -d /tmp/gw-build-install.XXXXXX)
if [ "${GW_KEEP_TMP:-0}" = 1 ]; then
  echo "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
collections="$work/collections"

fail() { echo "build_install: FAIL: $*" >&2; exit 1; }

# 1. Build.
(cd "$root" && ansible-galaxy collection build --output-path "$work/build" .)
tarballs=("$work"/build/groundwork-stack-*.tar.gz)
if [ "${#tarballs[@]}" -ne 1 ] || [ ! -f "${tarballs[0]}" ]; then
  fail "expected one tarball in $work/build"
fi
tarball="${tarballs[0]}"

# 2. Contents.
tar -tzf "$tarball" > "$work/listing.txt"
files=$(grep -vc '/$' "$work/listing.txt")
sed -e 's|^\./||' -e 's|/$||' "$work/listing.txt" | sort > "$work/contents.txt"
for dev_only in .lab .venv .collections .ansible .ci molecule lab tests/output .pytest_cache pytest.ini \
    ansible.cfg site.yml bench inventories/lab inventories/lab-ha inventories/lab-patroni .yamllint .ansible-lint tests/sanity.sh; do
  if grep -qE "^${dev_only//./\\.}(/|$)" "$work/contents.txt"; then
    fail "tarball contains dev-only path $dev_only (add it to build_ignore in galaxy.yml)"
  fi
done
if grep -qE '(^|/)__pycache__(/|$)|\.pyc$' "$work/contents.txt"; then
  fail "tarball contains Python byte code"
fi
for wanted in MANIFEST.json FILES.json meta/runtime.yml roles/base/meta/argument_specs.yml roles/base/defaults/main.yml \
    playbooks/site.yml playbooks/shared/database.yml plugins/test/timezone.py plugins/plugin_utils/timezone.py; do
  grep -qxF "$wanted" "$work/contents.txt" || fail "tarball lacks $wanted"
done

# 3. Install, without contacting Galaxy.
cd "$work"
export ANSIBLE_HOME="$work/ansible-home"   # not ~/.ansible, which may hold another copy
export ANSIBLE_COLLECTIONS_PATH="$collections"
export ANSIBLE_CONFIG="$work/ansible.cfg"  # an empty config: nothing from the repository
: > "$ANSIBLE_CONFIG"
ansible-galaxy collection install --offline --no-deps -p "$collections" "$tarball"
installed="$collections/ansible_collections/groundwork/stack"
[ -f "$installed/MANIFEST.json" ] || fail "collection not installed under $installed"

# The collection ansible sees must be the one just installed.
ansible-galaxy collection list groundwork.stack > "$work/list.txt" 2>&1 || { cat "$work/list.txt"; fail "collection list"; }
grep -qF "$collections/ansible_collections" "$work/list.txt" || { cat "$work/list.txt"; fail "groundwork.stack not listed under $collections"; }
if grep -E '^# /' "$work/list.txt" | grep -vqF "$collections/ansible_collections"; then
  cat "$work/list.txt"
  fail "another groundwork.stack is visible"
fi

# 4a. Role documentation from meta/argument_specs.yml.
ansible-doc -t role groundwork.stack.base > "$work/doc.txt" 2>&1 || { cat "$work/doc.txt"; fail "ansible-doc -t role groundwork.stack.base"; }
grep -q base_sshd_port "$work/doc.txt" || { cat "$work/doc.txt"; fail "ansible-doc output does not mention base_sshd_port"; }

# 4b. The site playbook resolves by its collection name.
ansible-playbook -i localhost, groundwork.stack.site --syntax-check

# 4c. The test plugin and its plugin_utils import work once installed.
cat > "$work/timezone.yml" <<'EOF'
---
- name: Use the groundwork.stack.timezone test
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Check a known and an unknown time zone
      ansible.builtin.assert:
        that:
          - "'Europe/Berlin' is groundwork.stack.timezone"
          - "'Mars/Olympus' is not groundwork.stack.timezone"
          - "not ('Mars/Olympus' is groundwork.stack.timezone)"
EOF
ansible-playbook -i localhost, "$work/timezone.yml"

version=$(basename "$tarball" .tar.gz)
echo "build_install: OK ${version} (${files} files, no dev-only ones) installed offline; ansible-doc, site syntax-check and timezone test passed outside the repository"
