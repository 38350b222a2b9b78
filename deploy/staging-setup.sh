#!/bin/sh
# compose.yaml's one-shot setup: migrate, then register the simulator's demo tenants (staging).
set -eu
cd "$(dirname "$0")/.."
issuer="${1:?usage: deploy/staging-setup.sh ISSUER}"
python manage.py migrate --noinput
python - "$issuer" <<'PY'
import os, subprocess, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxone_portal.settings")
from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, demo_tenants
for tenant in demo_tenants():
    done = subprocess.run([sys.executable, "manage.py", "register_tenant", "--issuer", sys.argv[1], "--client-id", DEMO_CLIENT_ID,
                           "--client-secret", "-", "--tenant-id", tenant.tenant_id, "--name", tenant.name, "--slug", tenant.slug],
                          input=DEMO_CLIENT_SECRET, text=True)
    if done.returncode not in (0,):
        print(f"{tenant.slug}: not registered (already there?)", file=sys.stderr)
PY
