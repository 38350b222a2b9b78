#!/usr/bin/env bash
# Every build step of the image, in one script: the Dockerfile only calls it, and .ci/run runs
# it outside a container (containers can't be built on the CI machines), so each step is tested.
#
#   deploy/build.sh venv DIR        a virtualenv with the runtime requirements only (hashes checked)
#   deploy/build.sh assets PYTHON   compile the catalogues, collect the static files (STATIC_ROOT)
#   deploy/build.sh verify PYTHON   import the application as gunicorn would, run the system checks
#   deploy/build.sh all DIR         the three, in order (what the Dockerfile's build stage does)
set -euo pipefail
cd "$(dirname "$0")/.."

# Build-time settings only: nothing here reaches the image's environment or any database.
build_env() {
  env DEBUG=0 DJANGO_SETTINGS_MODULE=cxone_portal.settings \
    SECRET_KEY=build-only-secret-key-never-used-at-run-time-0123456789abcdef \
    FIELD_ENCRYPTION_KEY=YnVpbGQtb25seS1rZXktbmV2ZXItdXNlZC0wMTIzNDU= \
    DATABASE_URL="sqlite:///${TMPDIR:-/tmp}/portal-build-$$.sqlite3" CACHE_URL=locmemcache://build \
    ALLOWED_HOSTS=localhost "$@"
}

step_venv() {
  local dir="${1:?usage: deploy/build.sh venv DIR}"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --require-hashes -r requirements.txt
  # Runtime only: the development packages must not be there.
  if "$dir/bin/python" -c "import pytest" 2>/dev/null; then echo "pytest in the runtime venv" >&2; exit 1; fi
}

step_assets() {
  local python="${1:?usage: deploy/build.sh assets PYTHON}"
  "$python" -m core.i18n compile
  build_env "$python" manage.py collectstatic --noinput --verbosity 0
}

step_verify() {
  local python="${1:?usage: deploy/build.sh verify PYTHON}"
  build_env GUNICORN_WORKERS=1 "$python" -c "import cxone_portal.wsgi"   # warms up as gunicorn's master does
  build_env "$python" manage.py check --verbosity 0
  rm -f "${TMPDIR:-/tmp}/portal-build-$$.sqlite3"
}

case "${1:-}" in
  venv) step_venv "${2:-}" ;;
  assets) step_assets "${2:-}" ;;
  verify) step_verify "${2:-}" ;;
  all)
    dir="${2:?usage: deploy/build.sh all DIR}"
    step_venv "$dir"; step_assets "$dir/bin/python"; step_verify "$dir/bin/python" ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
