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


def portal_env(database_url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cxone_portal.settings",
            "DEBUG": "0",
            "SECRET_KEY": "test-secret-key-for-subprocesses-0123456789abcdef",
            "FIELD_ENCRYPTION_KEY": TEST_FIELD_KEY,
            "CXONE_ALLOW_HTTP_ISSUERS": "1",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_FORMAT": "json",
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

    def __init__(self, env, workers=2, threads=4, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads)}
        self.log = open(os.devnull, "w") if os.environ.get("KEEP_GUNICORN_LOGS") is None else None
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py"), "cxone_portal.wsgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
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
        output = self.process.stdout.read() if self.process.stdout else ""
        return output
