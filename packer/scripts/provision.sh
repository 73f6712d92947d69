#!/bin/bash
# Runs on the Packer build instance as root: Docker, a Java runtime, the driftguard package and
# its config; the service is enabled so every instance launched from the AMI starts it at boot.
set -euxo pipefail

case $DRIFTGUARD_BASE in
  debian)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # apt resolves the package's own Depends (a Java 17 runtime, Docker) from Debian.
    apt-get install -y -q --no-install-recommends docker.io openjdk-17-jre-headless "$DRIFTGUARD_PACKAGE"
    ;;
  al2023)
    dnf install -y docker java-17-amazon-corretto-headless
    dnf install -y "$DRIFTGUARD_PACKAGE"
    ;;
  *)
    echo "unknown base $DRIFTGUARD_BASE" >&2
    exit 1
    ;;
esac

install -m 0644 -o root -g root /tmp/driftguard.yaml /etc/driftguard/driftguard.yaml
rm -f "$DRIFTGUARD_PACKAGE" /tmp/driftguard.yaml

# live-restore: containers keep running while dockerd stops, restarts or upgrades (the agent warns
# at start when it is off). Other settings of an existing daemon.json are kept.
python3 -c 'import json, os, sys
p = "/etc/docker/daemon.json"
c = json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else {}
c["live-restore"] = True
os.makedirs("/etc/docker", exist_ok=True)
json.dump(c, open(p, "w"), indent=2)'

systemctl enable docker.service driftguard.service
# Nothing runs the agent during the build: instances start it at boot with their own tags.
systemctl stop driftguard.service || true
/usr/bin/driftguard version
