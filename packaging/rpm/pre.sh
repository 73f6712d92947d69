# driftguard %pre: the system user the agent runs as (docs/design/systemd-unit.md).
getent group driftguard >/dev/null || groupadd -r driftguard
getent passwd driftguard >/dev/null || \
  useradd -r -g driftguard -d /var/lib/driftguard -s /sbin/nologin \
    -c "driftguard agent" driftguard
exit 0
