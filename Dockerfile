# CXone Portal: a slim, non-root image. Every build step is deploy/build.sh, which CI runs
# outside a container (.ci/run), so this file only calls tested steps.
#
#   docker build -t cxone-portal .
#   docker run -p 8000:8000 --env-file portal.env cxone-portal      # see .env.example
FROM python:3.11-slim-bookworm AS build
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY . /app
RUN deploy/build.sh all /opt/venv

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    STATIC_ROOT=/app/staticfiles \
    VAR_DIR=/tmp/portal \
    PROMETHEUS_MULTIPROC_DIR=/tmp/portal-metrics
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin portal
COPY --from=build /opt/venv /opt/venv
# The code, compiled catalogues and collected static files, owned by root: the portal user
# can read them, never change them.
COPY --from=build /app /app
WORKDIR /app
USER portal
EXPOSE 8000
# Liveness only (no database, no cache: core/health.py); orchestrators gate traffic on /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "cxone_portal.wsgi:application"]
