# driftguard %postun: $1 is 0 on erase, 1+ on upgrade. On upgrade, restart the agent (the
# application containers are dockerd's children and keep running). RPM has no "purge":
# /var/lib/driftguard, the site's /etc/driftguard/conf.d/ and the driftguard user stay after an
# erase; delete them by hand.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
  if [ "$1" -ge 1 ]; then
    systemctl try-restart driftguard.service >/dev/null 2>&1 || :
  fi
fi
exit 0
