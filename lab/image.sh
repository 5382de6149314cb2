#!/usr/bin/env bash
# Build the lab's Debian systemd base image with debootstrap + podman import.
# Cached: the tag carries a hash of this recipe (this script and lab/image/),
# so the image is rebuilt only when the recipe changes. Prints the image name.
#
# The image is what a fresh cloud VM looks like: systemd, sshd, python3,
# sudo and a `debian` user with passwordless sudo whose authorized key is
# injected when a lab host is created. Nothing of the collection is baked in.
set -euo pipefail
# shellcheck source=lab/env.sh
source "$(dirname "$0")/env.sh"

suite="${1:-$GW_SUITE}"
recipe_hash=$( (cat "$0"; cat "$GW_ROOT"/lab/image/*; echo "$suite") | sha256sum | cut -c1-12)
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

# The bootstrap user a cloud image provides.
chroot "$rootfs" useradd --create-home --shell /bin/bash --groups sudo debian
echo 'debian ALL=(ALL) NOPASSWD:ALL' >"$rootfs/etc/sudoers.d/90-cloud-init-users"
chmod 0440 "$rootfs/etc/sudoers.d/90-cloud-init-users"

# Units that make no sense in a container.
for unit in getty@tty1.service console-getty.service systemd-firstboot.service; do
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
