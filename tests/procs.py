"""Helpers that run the portal as separate processes, the way it is deployed."""
import os
import socket
import subprocess
import sys
import time

import requests

from .settings import TEST_FIELD_KEY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable


def inherited_env():
    """This machine's environment, without the test run's own Django and pytest variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}


def portal_env(database_url, **extra):
    env = inherited_env()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cxone_portal.settings",
            "DEBUG": "0",
            "SECRET_KEY": "test-secret-key-for-subprocesses-0123456789abcdefghijklmnopqrstuvwxyz",
            "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY,
            "CXONE_ALLOW_HTTP_ISSUERS": "1",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "LOG_FORMAT": "json",
            "CXONE_MIN_TOKEN_LIFETIME": "1",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(env, *args, stdin=None, timeout=120):
    return subprocess.run(
        [PYTHON, os.path.join(ROOT, "manage.py"), *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up within {timeout} s")


class Gunicorn:
    """A gunicorn instance of the portal on its own port (stopped by `stop()`)."""

    def __init__(self, env, log_path, workers=2, threads=4, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads),
               # the workers' metrics files beside the log, not in the machine's /tmp
               "PROMETHEUS_MULTIPROC_DIR": os.path.join(os.path.dirname(str(log_path)), f"metrics-{self.port}")}
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py"), "cxone_portal.wsgi:application"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(self.url + "/healthz")
        except TimeoutError:
            self.stop()
            raise

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        with open(self.log_path) as log:
            return log.read()


# --- databases and caches for deployed processes ------------------------------------------

SERVICES_DATABASE_URL = os.environ.get("DATABASE_URL", "")
SERVICES_CACHE_URL = os.environ.get("CACHE_URL", "")


def using_postgres():
    return SERVICES_DATABASE_URL.startswith(("postgres://", "postgresql://"))


def using_redis():
    return SERVICES_CACHE_URL.startswith(("redis://", "rediss://"))


class Deployment:
    """A fresh database (SQLite file, or a new PostgreSQL database when the suite runs on
    PostgreSQL), migrated, with the simulator's tenants registered through the CLI."""

    def __init__(self, tmp_path, op, **extra_env):
        import uuid
        from urllib.parse import urlsplit, urlunsplit

        self.tmp_path = tmp_path
        self.op = op
        self.instances = []
        self._drop = None
        if using_postgres():
            import psycopg

            name = f"cxone_deploy_{uuid.uuid4().hex[:10]}"
            admin = urlunsplit(urlsplit(SERVICES_DATABASE_URL)._replace(scheme="postgresql"))
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self._drop = (admin, name)
            database_url = urlunsplit(urlsplit(SERVICES_DATABASE_URL)._replace(path="/" + name))
        else:
            database_url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
        cache = {}
        if using_redis():
            cache = {"CACHE_URL": SERVICES_CACHE_URL, "CACHE_KEY_PREFIX": f"deploy-{uuid.uuid4().hex[:8]}"}
        self.env = portal_env(database_url, STATIC_ROOT=tmp_path / "static", **cache, **extra_env)
        for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            done = manage(self.env, *step)
            assert done.returncode == 0, done.stderr
        from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

        for tenant in op.simulator.tenants.values():
            done = manage(
                self.env, "register_tenant", "--issuer", op.issuer, "--client-id", DEMO_CLIENT_ID,
                "--client-secret", DEMO_CLIENT_SECRET, "--tenant-id", tenant.tenant_id,
                "--name", tenant.name, "--slug", tenant.slug,
            )
            assert done.returncode == 0, done.stderr

    def gunicorn(self, workers=1, threads=8):
        instance = Gunicorn(self.env, self.tmp_path / f"gunicorn-{len(self.instances)}.log", workers=workers, threads=threads)
        self.instances.append(instance)
        return instance

    def close(self):
        logs = [instance.stop() for instance in self.instances]
        if self._drop:
            import psycopg

            admin, name = self._drop
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return logs


class DemoServer:
    """`make run` in a box: migrate, setup_demo, runserver with the mounted simulator."""

    ADMIN_PASSWORD = "demo-admin-password-for-tests"

    def __init__(self, tmp_path, token_ttl=3600, **extra_env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = inherited_env()
        for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "CACHE_URL"):
            self.env.pop(name, None)
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "cxone_portal.settings",
                "DEBUG": "1",
                "CXONE_SIMULATOR": "1",
                "CXONE_ALLOW_HTTP_ISSUERS": "1",
                "CXONE_SIMULATOR_ISSUER": f"{self.url}/cxone-sim",
                "CXONE_SIMULATOR_TOKEN_TTL": str(token_ttl),
                "VAR_DIR": str(tmp_path),
                "DEMO_ADMIN_PASSWORD": self.ADMIN_PASSWORD,
                **{k: str(v) for k, v in extra_env.items()},
            }
        )
        for step in (["migrate", "--noinput"], ["setup_demo"]):
            done = manage(self.env, *step)
            assert done.returncode == 0, done.stderr
        self.setup_output = done.stdout
        self.log_path = tmp_path / "runserver.log"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [PYTHON, os.path.join(ROOT, "manage.py"), "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for(self.url + "/healthz")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


def missing(reason):
    """A needed service or program is absent: skip with the reason on a laptop, fail in CI
    (REQUIRE_SERVICES=1), so a broken CI machine cannot pass by skipping."""
    import pytest

    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)
