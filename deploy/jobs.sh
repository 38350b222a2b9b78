#!/bin/sh
# The portal's scheduled jobs, run on ONE host only (they are idempotent, but two hosts would
# do the work twice). systemd: deploy/systemd/portal-*.timer; compose: the `jobs` service
# (`loop`); cron: call `discovery` every 6 hours and `daily` once a day.
set -eu
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
case "${1:-}" in
  discovery) exec "$PY" manage.py refresh_discovery --all ;;
  daily)
    "$PY" manage.py clearsessions
    "$PY" manage.py purge_token_sessions
    "$PY" manage.py prune_sign_in_events
    "$PY" manage.py prune_supervisor_actions ;;
  loop)  # for a container: discovery every 6 hours, the clean-up every 24
    n=0
    while :; do
      "$0" discovery || echo "refresh_discovery failed (the last good results stay)" >&2
      if [ $((n % 4)) -eq 0 ]; then "$0" daily; fi
      n=$((n + 1))
      sleep 21600
    done ;;
  *) echo "usage: deploy/jobs.sh discovery|daily|loop" >&2; exit 2 ;;
esac
