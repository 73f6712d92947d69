#!/bin/bash
# Runs on the Packer build instance as root: Docker, a Java runtime, the driftguard package and
# the site's settings (a conf.d drop-in); the service is enabled, never started, so every instance
# launched from the AMI starts it at its own first boot with its own tags. scripts/cleanup.sh
# runs after this, right before the snapshot.
set -euxo pipefail

site=/etc/driftguard/conf.d/50-site.yaml

case $DRIFTGUARD_BASE in
  debian)
    export DEBIAN_FRONTEND=noninteractive
    # An image build runs no services: policy-rc.d answers 101 ("action forbidden") to every
    # maintainer script that asks deb-systemd-invoke/invoke-rc.d to start one (driftguard's and
    # docker.io's alike). Enabling them is unaffected.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -q
    # apt resolves the package's own Depends (a Java 17 runtime, Docker) from Debian.
    apt-get install -y -q --no-install-recommends docker.io openjdk-17-jre-headless "$DRIFTGUARD_PACKAGE"
    ;;
  al2023)
    # The .rpm never starts the agent in %post, so nothing needs holding back here.
    dnf install -y docker java-17-amazon-corretto-headless
    dnf install -y "$DRIFTGUARD_PACKAGE"
    ;;
  *)
    echo "unknown base $DRIFTGUARD_BASE" >&2
    exit 1
    ;;
esac

# The site's settings as a drop-in: the package's /etc/driftguard/driftguard.yaml stays as
# shipped, so later package upgrades replace it without a conffile question.
install -m 0644 -o root -g root /tmp/driftguard-site.yaml "$site"
rm -f "$DRIFTGUARD_PACKAGE" /tmp/driftguard-site.yaml
# Fails the build on an invalid configuration (instance tags are accepted unresolved).
/usr/bin/driftguard validate

# live-restore: containers keep running while dockerd stops, restarts or upgrades (the agent warns
# at start when it is off). Other settings of an existing daemon.json are kept.
python3 -c 'import json, os, sys
p = "/etc/docker/daemon.json"
c = json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else {}
c["live-restore"] = True
os.makedirs("/etc/docker", exist_ok=True)
json.dump(c, open(p, "w"), indent=2)'

systemctl enable docker.service driftguard.service
if systemctl is-active --quiet driftguard.service; then
  echo "driftguard is running on the build instance; the image would carry its state" >&2
  exit 1
fi
/usr/bin/driftguard --version
