# driftguard %preun: $1 is 0 on erase (stop and disable), 1+ on upgrade (keep running).
if [ "$1" -eq 0 ] && command -v systemctl >/dev/null; then
  systemctl --no-reload disable driftguard.service >/dev/null 2>&1 || :
  if [ -d /run/systemd/system ]; then
    systemctl stop driftguard.service >/dev/null 2>&1 || :
  fi
  rm -f /var/cache/driftguard/driftguard-*.jsa
fi
exit 0
