#!/usr/bin/env bash
# Start (if needed) a project-local apt-cacher-ng on the lab machine so that
# repeated converges and image builds do not download the same .debs again.
# Config lives in $GW_STATE/acng (copied from the package defaults, with the
# Debian backend pointed at deb.debian.org); /etc is never edited. It listens
# on its own port (3143), so a system apt-cacher-ng started by the package's
# postinst on 3142 (with Debian's default backend) never stands in for it.
# Prints nothing on success; `lab/apt-cache.sh status` prints the hit rate.
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/env.sh"

conf="$GW_STATE/acng"
pidfile="$GW_STATE/acng.pid"

# A cache answering on the port counts as running even when another checkout
# of the project (a git worktree) started it: they share the cache directory.
running() {
  curl -fsS -o /dev/null "http://127.0.0.1:$GW_APT_CACHE_PORT/acng-report.html" 2>/dev/null
}

case "${1:-start}" in
  start)
    if running; then exit 0; fi
    if ! command -v apt-cacher-ng >/dev/null && [ ! -x /usr/sbin/apt-cacher-ng ]; then
      gw_log "apt-cacher-ng not installed: the lab downloads packages directly"
      exit 0
    fi
    mkdir -p "$conf" /var/cache/apt-cacher-ng
    cp /etc/apt-cacher-ng/*.conf /etc/apt-cacher-ng/backends_* "$conf/" 2>/dev/null || true
    echo "http://deb.debian.org/debian/" > "$conf/backends_debian"
    /usr/sbin/apt-cacher-ng -c "$conf" ForeGround=0 "Port=$GW_APT_CACHE_PORT" \
      "PidFile=$pidfile" CacheDir=/var/cache/apt-cacher-ng "LogDir=$conf" \
      ConnectProto=v4 PassThroughPattern='.*'
    for _ in $(seq 1 20); do running && exit 0; sleep 0.25; done
    gw_die "apt-cacher-ng did not start (see $conf/apt-cacher.err)"
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    ;;
  status)
    if running; then
      log="$conf/apt-cacher.log"
      # Log format: time|direction|bytes|client|path, where I is a transfer
      # in from the archive (a miss) and O a transfer out to a lab host (every
      # request, hit or miss).
      awk -F'|' '$2=="I"{ib+=$3;i++} $2=="O"{ob+=$3;o++}
        END{printf "apt cache: served %d files (%.1f MB) to lab hosts; fetched %d (%.1f MB) from the archive\n",
            o, ob/1e6, i, ib/1e6}' "$log" 2>/dev/null || echo "apt cache: running, no log yet"
    else
      echo "apt cache: not running"
    fi
    ;;
  *) gw_die "usage: $0 [start|stop|status]" ;;
esac
