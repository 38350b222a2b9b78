"""gunicorn settings, from the environment (see docs/deploy.md)."""
import glob
import multiprocessing
import os
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
# Past the pages' 5 s polls: a tab (or nginx's upstream pool) keeps its connection between two
# polls, not a new TCP connection per poll (at 400 supervisors, bursts of connections queued
# behind busy workers: poll p99 2.5 s with 5, 0.34 s with 10; docs/benchmarks.md §13).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 15))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 0))
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# gunicorn's control socket (gunicornc) defaults to one path per user, which two instances
# started by the same user would share: off unless a path of this instance's own is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# The application is imported and warmed (core/warmup.py) in the master before the port
# opens; workers fork ready, so a restarted instance's first requests are not slow.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"

# The access log: one JSON object per line (core/accesslog.py), whatever the path holds, with
# the client's address; the path never with its query string (the callback's holds the code).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
logger_class = "core.accesslog.JsonAccessLogger"

# Prometheus multiprocess mode (core/metrics.py): the workers write their metrics to files in
# one directory per instance (by default named after its bind address), emptied at start.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(
        tempfile.gettempdir(), f"portal-metrics-{os.getuid()}-" + "".join(c if c.isalnum() else "_" for c in bind)
    )


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for stale in glob.glob(os.path.join(directory, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    # The master warmed up without touching the database, but close anything it opened: a
    # connection must never be shared across processes.
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django not loaded (preload off)
        pass


# gunicorn's own lines as JSON too, so one parser reads every line of the service.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.observability.JsonFormatter"},
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "root": {"handlers": ["error"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
