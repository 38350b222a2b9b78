"""/healthz: the process answers. /readyz: it can reach its database and cache."""
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        probe = f"readyz:{uuid.uuid4().hex}"
        cache.set(probe, 1, 5)
        checks["cache"] = "ok" if cache.get(probe) == 1 else "error: read-back failed"
        cache.delete(probe)
    except Exception as exc:
        checks["cache"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503)
