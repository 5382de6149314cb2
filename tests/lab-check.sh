#!/usr/bin/env bash
# The README's first command, as a test: `bash lab/lab.sh up` brings up the
# all-in-one lab (inventories/lab, the inventory as shipped) and runs the
# whole site.yml on it; a second site.yml run must change nothing; then the
# services answer the way a user expects; then `lab/lab.sh down`. It is the
# suite's one run of the complete site.yml with every layer at once (the
# Molecule scenarios apply the roles they test).
#
#   tests/lab-check.sh [PHASES_FILE]
#
# PHASES_FILE gets "action<TAB>seconds" lines (create+converge, idempotence,
# verify, destroy) for the timing table of tests/run-all.sh. Refuses to run
# when the lab's host already exists (someone's lab is up: it is not this
# script's to remove), unless GW_LAB_CHECK_REPLACE=1.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
# shellcheck source=lab/env.sh
source lab/env.sh

phases=${1:-/dev/null}
: >"$phases"
inventory=inventories/lab
host=gw-aio
ip=10.213.0.10
log_dir=tests/output
mkdir -p "$log_dir"

if podman container exists "$host" && [ "${GW_LAB_CHECK_REPLACE:-0}" != 1 ]; then
  echo "lab-check: the lab host $host exists (your lab is up); not touching it." >&2
  echo "lab-check: run 'bash lab/lab.sh down' first, or GW_LAB_CHECK_REPLACE=1 to replace it." >&2
  exit 3
fi

failed=0
phase() {  # phase NAME COMMAND...: run, time, record
  local name=$1 start rc
  shift
  start=$(date +%s)
  "$@"
  rc=$?
  printf '%s\t%s\n' "$name" "$(($(date +%s) - start))" >>"$phases"
  return $rc
}
fail() { echo "lab-check FAILED: $*" >&2; failed=1; }

# bench/ssh.sh's one multiplexed connection per host: ufw rate-limits new
# SSH connections, even from the admin network (6 in 30 s).
# shellcheck source=bench/ssh.sh
source bench/ssh.sh
# shellcheck disable=SC2317  # on_host and verify are run through phase()
on_host() { on "$ip" "$@"; }

# What a user of the all-in-one lab expects of it.
# shellcheck disable=SC2317
verify() {
  local ok=1 out
  # Every service of the all-in-one layout runs.
  for unit in postgresql@17-main pgbouncer redis-server nginx fail2ban; do
    on_host systemctl is-active --quiet "$unit" || { echo "not active: $unit"; ok=0; }
  done
  # The firewall is on with a default deny.
  out=$(on_host sudo ufw status verbose)
  if ! grep -q '^Status: active' <<<"$out" || ! grep -q 'Default: deny (incoming)' <<<"$out"; then
    echo "ufw is not active with default deny: $out"; ok=0
  fi
  # PostgreSQL refuses a TCP connection without TLS, even on loopback, and
  # listens on loopback only: in the all-in-one layout no other host needs
  # it. (psql by its path: its configuration is not readable by others, so
  # Debian's pg_wrapper cannot look the cluster up for this user.)
  psql=/usr/lib/postgresql/17/bin/psql
  out=$(on_host "$psql 'host=127.0.0.1 dbname=postgres user=postgres sslmode=disable connect_timeout=5' -c 'SELECT 1'" 2>&1)
  grep -q 'rejects connection .* no encryption' <<<"$out" || { echo "PostgreSQL: expected a refused plain connection, got: $out"; ok=0; }
  out=$(on_host "$psql 'host=$ip dbname=postgres user=postgres sslmode=require connect_timeout=5' -c 'SELECT 1'" 2>&1)
  grep -q 'Connection refused' <<<"$out" || { echo "PostgreSQL: expected nothing on $ip, got: $out"; ok=0; }
  # The app host has the collection CA (site.yml's pki play), and it is the
  # one PostgreSQL's certificate chains to, for the host name apps connect to.
  out=$(on_host "openssl s_client -starttls postgres -connect 127.0.0.1:5432 -CAfile /usr/local/share/groundwork-ca.crt \
    -verify_hostname localhost -verify_return_error </dev/null 2>&1 | grep -E 'Verify return code|verify error'" 2>&1)
  grep -q 'Verify return code: 0 (ok)' <<<"$out" || { echo "PostgreSQL's certificate does not verify with the app's CA file: $out"; ok=0; }
  # Redis answers nothing without a password, and only on loopback: in the
  # all-in-one layout no other host needs it.
  out=$(on_host "redis-cli -h 127.0.0.1 -p 6379 PING" 2>&1)
  grep -q 'NOAUTH' <<<"$out" || { echo "Redis: expected NOAUTH, got: $out"; ok=0; }
  out=$(on_host "redis-cli -h $ip -p 6379 PING" 2>&1)
  grep -q 'Connection refused' <<<"$out" || { echo "Redis: expected nothing on $ip, got: $out"; ok=0; }
  # nginx refuses the TLS handshake for a host name it does not serve (curl: 35).
  out=$(on_host "curl -sk -o /dev/null --resolve unknown.invalid:443:$ip https://unknown.invalid/; echo rc=\$?" 2>&1)
  grep -q 'rc=35' <<<"$out" || { echo "nginx: expected a refused handshake for an unknown name, got: $out"; ok=0; }
  # `lab/lab.sh info` lists what runs: every port it names is listened on.
  out=$(ansible-inventory -i "$inventory" --list 2>/dev/null | python3 lab/services.py)
  listening=$(on_host ss -Htln | awk '{print $4}' | sed 's/.*://' | sort -u)
  ports=$(grep -oE '[a-z-]+:[0-9][0-9,]*' <<<"$out" | cut -d: -f2 | tr ',' '\n' | sort -u)
  [ "$(wc -w <<<"$ports")" -ge 8 ] || { echo "lab.sh info names too few services: $out"; ok=0; }
  for port in $ports; do
    grep -qx "$port" <<<"$listening" || { echo "lab.sh info names port $port; nothing listens there: $listening"; ok=0; }
  done
  # fail2ban has its sshd jail and never bans the controller's network.
  out=$(on_host sudo fail2ban-client get sshd ignoreip 2>&1)
  grep -Eq '^[|`]- 10\.213\.0\.1(/32)?$' <<<"$out" || { echo "fail2ban's sshd jail does not ignore the admin network: $out"; ok=0; }
  # AIDE's first database builds in the background (base_hardening_aide_first_build's default),
  # at idle CPU and I/O priority: still hashing, or done with the database in place.
  out=$(on_host systemctl show groundwork-aide-init.service -p CPUSchedulingPolicy -p IOSchedulingClass -p Nice \
    -p ActiveState -p SubState -p Result | sort | tr '\n' ' ')
  expected_prio='CPUSchedulingPolicy=5 IOSchedulingClass=3 Nice=19 Result=success '
  case "$out" in
    "ActiveState=activating $expected_prio"SubState=start*) ;;
    "ActiveState=active $expected_prio"SubState=exited*)
      on_host sudo test -s /var/lib/aide/aide.db || { echo "AIDE: the first build ended without a database"; ok=0; } ;;
    *) echo "AIDE: expected the first build started at idle priority, got: $out"; ok=0 ;;
  esac
  [ "$ok" -eq 1 ]
}

# Clean start, as on a fresh machine (a host left by an aborted run goes).
lab/lab.sh down "$inventory" >/dev/null 2>&1 || true

if ! phase converge bash lab/lab.sh up; then
  fail "bash lab/lab.sh up"
else
  # A second run of site.yml changes nothing.
  phase idempotence bash -c "ansible-playbook -i '$inventory' site.yml >'$log_dir/lab-idempotence.log' 2>&1"
  rc=$?
  recap=$(sed -n '/PLAY RECAP/,$p' "$log_dir/lab-idempotence.log")
  echo "$recap"
  if [ $rc -ne 0 ]; then
    tail -40 "$log_dir/lab-idempotence.log" >&2
    fail "the second site.yml run failed (rc=$rc)"
  elif ! grep -Eq "^$host +: ok=[0-9]+ +changed=0 " <<<"$recap"; then
    grep -B2 -A12 '^changed:' "$log_dir/lab-idempotence.log" | head -80 >&2
    fail "the second site.yml run changed something (not idempotent)"
  fi

  phase verify verify || fail "the lab's services do not behave as documented"
fi

phase destroy bash lab/lab.sh down "$inventory" || fail "bash lab/lab.sh down"
if [ $failed -eq 0 ]; then echo "lab-check: ok"; fi
exit $failed
