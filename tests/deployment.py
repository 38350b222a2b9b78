"""The parts of a tested deployment: Debian's nginx with deploy/nginx/portal.conf, a Redis of
the test's own, a TCP proxy in front of PostgreSQL that can be cut, a self-signed certificate."""
import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import requests

from . import procs

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
PORTAL_CONF = os.path.join(procs.ROOT, "deploy", "nginx", "portal.conf")


def self_signed_certificate(directory):
    """A key and certificate for 127.0.0.1 and localhost, made now (cryptography)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "portal.crt"), os.path.join(directory, "portal.key")
    with open(cert_path, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def wait_port(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


class Nginx:
    """Debian's nginx, its own prefix, pid and logs in `directory`, on a free port, with the
    repository's portal.conf (only the lines marked "deployment" changed)."""

    def __init__(self, directory, upstreams, start=True):
        if not os.path.exists(NGINX):
            procs.missing("nginx is not installed (apt-get install nginx)")
        self.directory = str(directory)
        self.port = procs.free_port()
        self.plain_port = procs.free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert, key = self_signed_certificate(self.directory)
        self.access_log = os.path.join(self.directory, "portal-access.log")
        conf = open(PORTAL_CONF).read()
        servers = "".join(f"    server {u} max_fails=1 fail_timeout=5s;\n" for u in upstreams)
        conf, n = re.subn(r"(    server 127\.0\.0\.1:800\d max_fails=1 fail_timeout=5s;\n)+", servers, conf)
        assert n == 1, "portal.conf's upstream lines moved: update tests/deployment.py"
        for old, new in (
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl http2;"),
            ("listen 80;", f"listen 127.0.0.1:{self.plain_port};"),
            ("/etc/ssl/portal.crt", self.cert),
            ("/etc/ssl/portal.key", key),
            ("/var/log/nginx/portal.log", self.access_log),
        ):
            assert old in conf, f"portal.conf no longer has {old!r}: update tests/deployment.py"
            conf = conf.replace(old, new)
        with open(os.path.join(self.directory, "portal.conf"), "w") as out:
            out.write(conf)
        temp = os.path.join(self.directory, "temp")
        os.makedirs(temp, exist_ok=True)
        # The test's files live in pytest's private directory: as root, the workers stay root.
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(os.path.join(self.directory, "nginx.conf"), "w") as out:
            out.write(
                f"{user}worker_processes 1;\npid {self.directory}/nginx.pid;\nerror_log {self.directory}/error.log warn;\n"
                "events { worker_connections 512; }\n"
                "http {\n"
                f"  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;\n"
                f"  uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
                "  access_log off;\n"
                f"  include {self.directory}/portal.conf;\n"
                "}\n"
            )
        check = subprocess.run([NGINX, "-t", "-p", self.directory, "-c", "nginx.conf"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = None
        if not start:
            return
        self.process = subprocess.Popen([NGINX, "-p", self.directory, "-c", "nginx.conf", "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def access_lines(self):
        with open(self.access_log) as log:
            return [line for line in log.read().splitlines() if line.strip()]


class Redis:
    """A redis-server of the test's own on a free port: stopped, paused (hanging) and resumed."""

    def __init__(self, directory):
        if not os.path.exists(REDIS):
            procs.missing("redis-server is not installed")
        self.port = procs.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def pause(self):
        """A hanging Redis: connections open, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)


class TcpProxy:
    """127.0.0.1:<port> forwarded to a target; `cut()` drops every connection and refuses new
    ones (the database is unreachable), `restore()` accepts again."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        self.open = True
        self.connections = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.open = False
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for s in connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def restore(self):
        self.open = True

    def close(self):
        self.cut()
        self.listener.close()


def wait_until(condition, timeout, step=0.1):
    """Seconds until `condition()` was true (it is asked at least once), or TimeoutError."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not true within {timeout} s")
        time.sleep(step)


def get(session, url, **kwargs):
    """A request that never raises for the network: (status, elapsed s, response or None)."""
    started = time.monotonic()
    try:
        response = session.get(url, timeout=kwargs.pop("timeout", 6), **kwargs)
        return response.status_code, time.monotonic() - started, response
    except requests.RequestException:
        return 0, time.monotonic() - started, None
