# shellcheck shell=bash
# A lab container's cgroup directory, for every script in bench/. Sourced
# after lab/env.sh.
#
#   container_cgroup NAME CONTROLLER   prints the directory of container NAME
#                                      under CONTROLLER (cgroup v1: blkio,
#                                      cpuacct, memory...; "" for the unified
#                                      v2 tree); prints nothing and returns 1
#                                      when there is none
#
# podman puts a container under libpod_parent/libpod-ID with the cgroupfs
# manager and machine.slice/libpod-ID.scope with systemd's; this machine
# (hybrid v1 layout, runc) uses the first.
container_cgroup() {
  local name=$1 controller=$2 id dir
  id=$(podman inspect -f '{{.Id}}' "$name") || return 1
  for dir in "/sys/fs/cgroup/${controller:+$controller/}libpod_parent/libpod-$id" \
      "/sys/fs/cgroup/${controller:+$controller/}machine.slice/libpod-$id.scope"; do
    if [ -d "$dir" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}
