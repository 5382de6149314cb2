#!/usr/bin/env bash
# Lynis hardening index of a converged all-in-one host against the same
# image unconverged, in one run: both hosts start from the lab image, the
# first gets site.yml (bench/inventory-lynis, the layout of inventories/lab),
# then Lynis (Debian's package) audits both, twice: as it is, and with the
# tests a container cannot pass skipped (bench/lynis-container.prf, the
# nearest this machine gets to a VM's figure). Prints the index, the number of
# tests and the suggestions left on each, and writes
# bench/results/lynis-<timestamp>.json. A measurement, not a test.
#
#   bench/lynis.sh               # fresh hosts, converge, audit both
#   GW_BENCH_KEEP=1 bench/lynis.sh   # leave both hosts running afterwards
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lab/env.sh
source "$root/lab/env.sh"
GW_BENCH_SSH_MUX=0  # the hosts are recreated by this run
# shellcheck source=bench/ssh.sh
source "$root/bench/ssh.sh"
cd "$root"

inventory=bench/inventory-lynis
net=gw-lynis
subnet=10.213.28.0/24
declare -A ips=([converged]=10.213.28.10 [stock]=10.213.28.11)
declare -A names=([converged]=gw-lynis [stock]=gw-lynis-stock)
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/lynis-$stamp.json"

lab/bootstrap.sh
lab/apt-cache.sh start
lab/image.sh >/dev/null
lab/hosts.sh destroy "${names[converged]}" "${names[stock]}"
# The stock host is the image as podman starts it; the converged one also
# gets the network-namespace settings the lab gives every host
# (lab/netns-sysctl.conf: the base role's own, which a container cannot set
# from inside).
lab/hosts.sh create "${names[converged]}" "${ips[converged]}" "$net" "$subnet"
GW_NETNS_SYSCTL=0 lab/hosts.sh create "${names[stock]}" "${ips[stock]}" "$net" "$subnet"

gw_log "converging ${names[converged]} with site.yml"
ansible-playbook -i "$inventory" site.yml >"bench/results/lynis-$stamp-converge.log" 2>&1 \
  || gw_die "site.yml failed (bench/results/lynis-$stamp-converge.log)"

# Lynis from Debian's archive (through the lab's apt cache), the same
# version on both hosts; the report is Lynis's machine-readable one.
audit() {
  local kind=$1 ip=${ips[$1]}
  gw_log "auditing the $kind host ($ip)"
  on "$ip" 'sudo DEBIAN_FRONTEND=noninteractive apt-get -qq update && sudo DEBIAN_FRONTEND=noninteractive apt-get -qq install -y lynis >/dev/null'
  on "$ip" 'sudo lynis audit system --quick --no-colors --report-file /var/tmp/lynis-report.dat >/var/tmp/lynis.log 2>&1; sudo chmod 0644 /var/tmp/lynis-report.dat'
  on "$ip" 'cat /var/tmp/lynis-report.dat' >"bench/results/lynis-$stamp-$kind.dat"
  # Where the points were missed: each test given less than its maximum.
  on "$ip" "sudo awk '/Performing test ID/ {t = \$0} /Hardening: assigned partial/ {print t; print}' /var/log/lynis.log" \
    >"bench/results/lynis-$stamp-$kind-partial.log"
  # The second index: the same audit with the container-only tests skipped
  # (bench/lynis-container.prf says which and why).
  on_stdin "$ip" 'cat > /var/tmp/gw-container.prf' <bench/lynis-container.prf
  on "$ip" 'sudo lynis audit system --quick --no-colors --profile /var/tmp/gw-container.prf --report-file /var/tmp/lynis-report-vm.dat >/var/tmp/lynis-vm.log 2>&1; sudo chmod 0644 /var/tmp/lynis-report-vm.dat'
  on "$ip" 'cat /var/tmp/lynis-report-vm.dat' >"bench/results/lynis-$stamp-$kind-vmlike.dat"
}
audit stock
audit converged

python3 - "$out" bench/results/lynis-"$stamp"-{stock,converged}{,-vmlike}.dat <<'PY'
import json, sys

def read(path):
    values = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        line = line.rstrip('\n')
        if '=' not in line or line.startswith('#'):
            continue
        key, value = line.split('=', 1)
        if key.endswith('[]'):
            values.setdefault(key[:-2], []).append(value)
        else:
            values[key] = value
    return values

out, stock_path, stock_vm_path, converged_path, converged_vm_path = sys.argv[1:]
result = {}
for kind, path, vm_path in (('stock', stock_path, stock_vm_path), ('converged', converged_path, converged_vm_path)):
    r = read(path)
    vm = read(vm_path)
    result[kind] = {
        'hardening_index_container_tests_skipped': int(vm.get('hardening_index', -1)),
        'tests_done_container_tests_skipped': int(vm.get('lynis_tests_done', 0)),
        'hardening_index': int(r.get('hardening_index', -1)),
        'tests_done': int(r.get('lynis_tests_done', 0)),
        'lynis_version': r.get('lynis_version'),
        'warnings': r.get('warning', []),
        'suggestions': r.get('suggestion', []),
    }
with open(out, 'w', encoding='utf-8') as f:
    json.dump(result, f, indent=2)
print('%-10s %6s %6s %9s %11s %18s' % ('host', 'index', 'tests', 'warnings', 'suggestions', 'index (no ctr tests)'))
for kind in ('stock', 'converged'):
    r = result[kind]
    print('%-10s %6d %6d %9d %11d %18s' % (kind, r['hardening_index'], r['tests_done'], len(r['warnings']),
                                          len(r['suggestions']), '%d (%d tests)' % (
                                              r['hardening_index_container_tests_skipped'],
                                              r['tests_done_container_tests_skipped'])))
print('index (no ctr tests): the same audit with bench/lynis-container.prf, the tests a container cannot pass, skipped')
print('\nLynis %s. Left on the converged host (test|suggestion|details|solution):' % result['converged']['lynis_version'])
for line in result['converged']['warnings']:
    print('  WARNING    %s' % line)
for line in result['converged']['suggestions']:
    print('  suggestion %s' % line)
print('\n(written to %s)' % out)
PY

if [ "${GW_BENCH_KEEP:-0}" != 1 ]; then
  lab/hosts.sh destroy "${names[converged]}" "${names[stock]}"
  lab/hosts.sh network-rm "$net"
fi
