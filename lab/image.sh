#!/usr/bin/env bash
# Build the lab's Debian systemd base image with debootstrap + podman import.
# Cached: the tag carries a hash of this recipe (this script and lab/image/),
# so the image is rebuilt only when the recipe changes. Prints the image name.
#
#   lab/image.sh [SUITE] [KIND]     # KIND: base (default) or a package layer
#
# The base image is what a fresh cloud VM looks like: systemd, sshd, python3,
# sudo and a `debian` user with passwordless sudo whose authorized key is
# injected when a lab host is created. Nothing of the collection is baked in.
#
# A KIND other than base is a layer on top of it with the Debian packages of
# lab/image/packages-KIND.txt installed by apt-get, with recommends, as the
# roles' apt tasks install them (tagged by a hash of the base image and the
# list). It is what a host looks like after an earlier run installed those
# packages: the roles still run every task on it, their apt tasks find the
# packages in place. No configuration of the collection is in it. The
# Molecule scenarios use it for hosts whose installs they do not test (the
# postgresql scenario and the backup scenario's fresh host still install
# from nothing); docs/testing.md has what it saves.
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/env.sh"

suite="${1:-$GW_SUITE}"
kind="${2:-base}"

if [ "$kind" != base ]; then
  packages="$GW_ROOT/lab/image/packages-$kind.txt"
  [ -f "$packages" ] || gw_die "no package list for the image kind '$kind' ($packages)"
  base_image=$("$0" "$suite")
  layer="$GW_IMAGE_REPO-$kind:$suite-$( (echo "$base_image"; cat "$packages") | sha256sum | cut -c1-12)"
  mkdir -p "$GW_STATE"
  # Scenarios start at the same time: one of them builds, the others wait.
  exec 9>"$GW_STATE/image-$kind.lock"
  flock 9
  if ! podman image exists "$layer"; then
    gw_log "building $layer (packages of $(basename "$packages"))"
    "$GW_ROOT/lab/apt-cache.sh" start
    builder="gw-image-build-$kind-$$"
    list=$(grep -v '^#' "$packages" | xargs)
    # No systemd in the build container: postinst scripts enable services
    # without starting them; they start when a host boots from the layer.
    # The cluster a server package would create is suppressed as the
    # postgresql role does it, in a file of the image's own.
    # shellcheck disable=SC2016
    podman run --name "$builder" -e "PACKAGES=$list" "$base_image" bash -euc '
      export DEBIAN_FRONTEND=noninteractive
      install -d /etc/postgresql-common/createcluster.d
      echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/00-lab-image.conf
      apt-get update -qq
      apt-get install -y -qq $PACKAGES >/dev/null
      apt-get clean
      rm -rf /var/lib/apt/lists/*' \
      || { podman rm -f "$builder" >/dev/null 2>&1; gw_die "installing the packages of $kind failed"; }
    podman commit --quiet --change 'CMD ["/sbin/init"]' "$builder" "$layer" >/dev/null
    podman rm -f "$builder" >/dev/null
  fi
  podman tag "$layer" "$GW_IMAGE_REPO-$kind:$suite"
  echo "$layer"
  exit 0
fi
recipe_hash=$( (cat "$0"; find "$GW_ROOT/lab/image" -maxdepth 1 -type f ! -name "packages-*" | sort | xargs cat; echo "$suite") | sha256sum | cut -c1-12)
image="$GW_IMAGE_REPO:$suite-$recipe_hash"

if podman image exists "$image"; then
  podman tag "$image" "$GW_IMAGE_REPO:$suite"
  echo "$image"
  exit 0
fi

command -v debootstrap >/dev/null || gw_die "debootstrap is not installed (run: make deps)"
"$GW_ROOT/lab/apt-cache.sh" start
mirror="http://deb.debian.org/debian"
if curl -fsS -o /dev/null "http://127.0.0.1:$GW_APT_CACHE_PORT/acng-report.html" 2>/dev/null; then
  mirror="http://127.0.0.1:$GW_APT_CACHE_PORT/deb.debian.org/debian"
fi

work=$(mktemp -d /var/tmp/gw-image.XXXXXX)
trap 'umount -R "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
rootfs="$work/rootfs"

gw_log "building $image with debootstrap from $mirror (takes a few minutes once)"
packages=systemd,systemd-sysv,dbus,openssh-server,python3,python3-apt,sudo,iproute2,ca-certificates,procps,netbase
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log" >&2; gw_die "debootstrap failed"; }

# Apt sources as on a real host (the cache, if any, is found at run time).
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
install -m 0755 "$GW_ROOT/lab/image/apt-proxy-detect" "$rootfs/usr/local/bin/apt-proxy-detect"
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/bin/apt-proxy-detect";' \
  >"$rootfs/etc/apt/apt.conf.d/01lab-proxy"

# First-boot host keys; none shipped in the image.
rm -f "$rootfs"/etc/ssh/ssh_host_*
install -m 0644 "$GW_ROOT/lab/image/ssh-hostkeys.service" "$rootfs/etc/systemd/system/"
chroot "$rootfs" systemctl enable ssh-hostkeys.service ssh.service >/dev/null 2>&1

# A bytecode cache for code Python imports from zip files (Ansible's module
# payloads), loaded by a .pth file: lab/image/gw_zipcache.py says why and
# what it does. Test speed only; nothing of the collection relies on it.
pyver=$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
install -d -m 0755 "$rootfs/usr/local/lib/python$pyver/dist-packages"
install -m 0644 "$GW_ROOT/lab/image/gw_zipcache.py" "$rootfs/usr/local/lib/python$pyver/dist-packages/gw_zipcache.py"
echo 'import gw_zipcache' >"$rootfs/usr/local/lib/python$pyver/dist-packages/gw_zipcache.pth"
install -d -m 1777 "$rootfs/var/cache/gw-zipimport"
install -d -m 0700 "$rootfs/var/cache/gw-zipimport/0"

# The bootstrap user a cloud image provides.
chroot "$rootfs" useradd --create-home --shell /bin/bash --groups sudo debian
echo 'debian ALL=(ALL) NOPASSWD:ALL' >"$rootfs/etc/sudoers.d/90-cloud-init-users"
chmod 0440 "$rootfs/etc/sudoers.d/90-cloud-init-users"

# Units that make no sense in a container. apt's daily timers too: a lab
# host lives for minutes, and their runs (apt-daily-upgrade fires between
# 06:00 and 07:00, then installs the image's pending security updates) took
# the dpkg lock from a converge for minutes at that time of day. The base role
# configures unattended upgrades all the same; its scenario checks them with a
# dry run, and applies security updates on the first converge itself.
for unit in getty@tty1.service console-getty.service systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer; do
  chroot "$rootfs" systemctl mask "$unit" >/dev/null 2>&1 || true
done
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

gw_log "importing the root filesystem into podman"
tar -C "$rootfs" --numeric-owner -c . | podman import --quiet \
  --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
  --change 'ENV container=podman' - "$image" >/dev/null
podman tag "$image" "$GW_IMAGE_REPO:$suite"
echo "$image"
