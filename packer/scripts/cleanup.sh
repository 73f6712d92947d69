#!/bin/bash
# Runs last on the Packer build instance, as root, right before the snapshot: removes everything
# that belongs to the build instance rather than to the image, so that no instance launched from
# the AMI inherits another machine's identity, secrets or state. Modelled on the ECS-optimized
# AMI's build (aws/amazon-ecs-ami, scripts/cleanup.sh). Checks its own work and fails the build
# if anything is left.
#
# DRIFTGUARD_CLEANUP_ROOT (default /) cleans an image's root folder instead of the running
# system; test/packaging/test-packages runs it that way on a debootstrapped root.
set -euo pipefail

root=${DRIFTGUARD_CLEANUP_ROOT:-/}
root=${root%/}
left=()

# Deletes the paths (globs already expanded by the caller) and remembers any that survive.
remove() {
  local path
  for path in "$@"; do
    [[ -e $path || -L $path ]] || continue
    rm -rf -- "$path"
    [[ -e $path || -L $path ]] && left+=("$path")
  done
  return 0
}

shopt -s nullglob dotglob

# driftguard's own state: a state file from the build instance would carry its phase, failed
# digests and instance id into every host. The folder itself stays (driftguard:driftguard 0750).
# The AppCDS archive in /var/cache/driftguard stays: it matches the image's jar and JVM.
remove "$root"/var/lib/driftguard/*

# Machine identity: an empty /etc/machine-id makes systemd generate a new one at first boot
# (and treat it as the first boot); a copied one would give every instance the same id, which
# journald, DHCP client ids and D-Bus rely on.
remove "$root"/var/lib/dbus/machine-id
if [[ -e $root/etc/machine-id ]]; then
  : >"$root/etc/machine-id"
  [[ -s $root/etc/machine-id ]] && left+=("$root/etc/machine-id (not empty)")
fi
remove "$root"/var/lib/systemd/random-seed "$root"/var/lib/systemd/credential.secret

# cloud-init: without its state the first boot of each instance runs every module again
# (user_data, host keys, hostname); the build instance's logs and seed go too.
if [[ -z $root ]] && command -v cloud-init >/dev/null; then
  cloud-init clean --logs || true
fi
remove "$root"/var/lib/cloud/* "$root"/var/log/cloud-init.log "$root"/var/log/cloud-init-output.log

# The journal and logs of the build: it ran under the build instance's machine id.
if [[ -z $root ]] && command -v journalctl >/dev/null; then
  journalctl --flush --rotate >/dev/null 2>&1 || true
fi
remove "$root"/var/log/journal/* "$root"/var/lib/rsyslog/imjournal.state
remove "$root"/var/log/{syslog,messages,auth.log,secure,wtmp,btmp,lastlog,dmesg,boot.log}
remove "$root"/var/log/*.{1,2,3,4,5,6,7,8,9} "$root"/var/log/*.gz

# SSH: host keys are regenerated at first boot (cloud-init's ssh module, or sshd-keygen), so no
# two instances share one; the build's authorized keys and shell history must not ship.
remove "$root"/etc/ssh/ssh_host_*
remove "$root"/root/.ssh/authorized_keys "$root"/home/*/.ssh/authorized_keys
remove "$root"/root/.bash_history "$root"/home/*/.bash_history

# DHCP leases, package caches and temporary files of the build.
remove "$root"/var/lib/dhcp/dhclient.* "$root"/var/lib/dhclient/*.lease
remove "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/dnf/* "$root"/var/cache/yum/*
remove "$root"/tmp/* "$root"/var/tmp/*

if ((${#left[@]})); then
  echo "cleanup: could not remove: ${left[*]}" >&2
  exit 1
fi
echo "cleanup: image cleaned for the snapshot${root:+ ($root)}"
