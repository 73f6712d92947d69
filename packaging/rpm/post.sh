# driftguard %post: $1 is 1 on install, 2+ on upgrade.
# AppCDS archive for the installed jar and JVM; start-up works without it.
rm -f /var/cache/driftguard/driftguard-*.jsa
DRIFTGUARD_CDS=generate /usr/bin/driftguard version >/dev/null 2>&1 || \
  echo "driftguard: could not generate the AppCDS archive (start-up will be slower)" >&2
if [ "$1" -eq 1 ] && command -v systemctl >/dev/null; then
  # Enabled on install (not only preset): an AMI that carries the agent must start it at boot.
  # `systemctl enable` works without systemd running (image builds, chroots).
  systemctl enable driftguard.service >/dev/null 2>&1 || :
fi
# Never started here (Fedora's rule for %post, and what an image build needs: the build instance
# must not run the agent). Instances start it at boot; %postun try-restarts it on upgrades.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
